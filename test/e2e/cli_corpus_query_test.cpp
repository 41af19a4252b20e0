// Issue 5 acceptance on the corpus: every query file type-checks against its schema (`lint
// --query`), the second-brain graph answers the stored queries as the corpus README says, and
// every search query of the cookbooks runs.
#include "test_support.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}
fs::path corpus() {
    return shared_corpus_dir();
}

TEST(CliCorpus, EveryQueryFileTypeChecksAgainstItsSchema) {
    if (shared_corpus_dir().empty())
        GTEST_SKIP() << kNoSharedCorpus;
    int files = 0;
    for (const auto& graph : fs::directory_iterator(corpus())) {
        fs::path queries = graph.path() / "queries";
        if (!fs::is_directory(queries))
            continue;
        for (const auto& q : fs::directory_iterator(queries)) {
            if (q.path().extension() != ".gq")
                continue;
            auto r = run_process({omnigraph(), "lint", "--query", q.path().string(), "--schema",
                                  (graph.path() / "schema.pg").string(), "--json"});
            EXPECT_EQ(r.exit_code, 0) << q.path() << "\n" << r.out << r.err;
            EXPECT_NE(r.out.find("\"errors\": 0"), std::string::npos) << r.out;
            ++files;
        }
    }
    EXPECT_GE(files, 36); // the corpus holds 36 query files
}

class SecondBrain : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir;
        if (shared_corpus_dir().empty())
            return; // every test skips (SetUp)
        root_ = dir_->path() + "/brain.omni";
        fs::path sb = corpus() / "second-brain";
        auto init =
            run_process({omnigraph(), "init", "--schema", (sb / "schema.pg").string(), root_});
        ASSERT_EQ(init.exit_code, 0) << init.err;
        auto load = run_process({omnigraph(), "load", "--quiet", "--mode", "overwrite", "--data",
                                 (sb / "seed.jsonl").string(), root_});
        ASSERT_EQ(load.exit_code, 0) << load.err;
    }
    static void TearDownTestSuite() { delete dir_; }
    void SetUp() override {
        if (shared_corpus_dir().empty())
            GTEST_SKIP() << kNoSharedCorpus;
    }

    // The `column` values of query `name` (in the file that declares it), in row order.
    std::vector<std::string> ask(const std::string& name, const std::string& params,
                                 const std::string& column) {
        fs::path file;
        for (const auto& q : fs::directory_iterator(corpus() / "second-brain" / "queries")) {
            std::stringstream text;
            text << std::ifstream(q.path()).rdbuf();
            if (text.str().find("query " + name + "(") != std::string::npos)
                file = q.path();
        }
        EXPECT_FALSE(file.empty()) << name;
        auto r = run_process({omnigraph(), "query", name, "--query", file.string(), "--params",
                              params, "--format", "jsonl", "--store", root_});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::vector<std::string> out;
        std::istringstream lines(r.out);
        std::string line;
        std::getline(lines, line); // metadata
        while (std::getline(lines, line)) {
            auto row = nlohmann::json::parse(line);
            out.push_back(row.at(column).is_string() ? row.at(column).get<std::string>()
                                                     : row.at(column).dump());
        }
        return out;
    }

    static TempDir* dir_;
    static std::string root_;
};
TempDir* SecondBrain::dir_ = nullptr;
std::string SecondBrain::root_;

using Names = std::vector<std::string>;

TEST_F(SecondBrain, AnswersTheReadmeQueries) {
    EXPECT_EQ(ask("close_friends", "{}", "p.name"),
              (Names{"Priya Shah", "Marco Bellini", "Theo Rivera", "Lia Bellini"}));
    EXPECT_EQ(ask("close_friends", "{}", "p.cadence_days"), (Names{"14", "21", "21", "30"}));
    EXPECT_EQ(ask("principles_all", "{}", "n.name"),
              (Names{"Capture input separately from output", "Default to yes for family time",
                     "No meetings on Fridays"}));
    EXPECT_EQ(ask("reading_queue", "{}", "m.name"), (Names{"Outlive", "Pachinko"}));
    Names media = ask("person_recommended_media", R"({"slug":"per-kenji"})", "m.name");
    std::sort(media.begin(), media.end());
    EXPECT_EQ(media, (Names{"Four Thousand Weeks", "Outlive"}));
    Names projects = ask("area_projects", R"({"slug":"area-family"})", "p.name");
    std::sort(projects.begin(), projects.end());
    EXPECT_EQ(projects,
              (Names{"Kitchen Renovation", "Sam's Preschool Decision", "Summer Japan Trip"}));
    EXPECT_EQ(ask("open_questions", "{}", "n.name"),
              (Names{"Should Quiet Coach pivot to B2B?", "Which preschool for Sam?"}));
    EXPECT_EQ(ask("person_tasks_i_owe", R"({"slug":"per-theo"})", "t.name"),
              (Names{"Send Theo Bevelin's 'All I Want to Know' link"}));
    EXPECT_EQ(ask("project_tasks", R"({"slug":"proj-quietcoach"})", "t.name"),
              (Names{"Look at competing coaching tools", "Build QC onboarding flow v1"}));
}

} // namespace
} // namespace omnigraph::testing

namespace omnigraph::testing {
namespace {

// Issue 18 acceptance: every corpus query that searches (search, bm25, nearest, ...) runs on
// its cookbook's seed, loaded with the mock embedding provider computing the @embed vectors
// (revops' Chunk.embedding is Vector(3072) @embed("text")). The search words occur in the
// seeds; `min_rows` is what the seed holds for them.
TEST(CliCorpus, EverySearchQueryRunsWithTheMockProvider) {
    if (shared_corpus_dir().empty())
        GTEST_SKIP() << kNoSharedCorpus;
    Env mock = {{"OMNIGRAPH_EMBED_PROVIDER", "mock"}, {"OMNIGRAPH_EMBED_MODEL", "mock"}};
    struct Case {
        const char* graph;
        const char* file;
        const char* name;
        std::string params;
        size_t min_rows;
    };
    std::string zeros = "[0.01";
    for (int i = 1; i < 3072; ++i)
        zeros += ",0.01";
    zeros += "]";
    std::vector<Case> cases = {
        {"revops", "accounts.gq", "account_search", R"({"q":"cursor"})", 0},
        {"revops", "people.gq", "person_search", R"({"q":"cursor"})", 0},
        {"revops", "search.gq", "search_chunks", R"({"q":"cursor"})", 0},
        {"revops", "search.gq", "nearest_chunks", R"({"q":)" + zeros + "}", 0},
        {"revops", "signals.gq", "search_signals", R"({"q":"cursor"})", 1},
        {"gtm-brain", "queries.gq", "rank_prospects", R"({"q":"revops"})", 1},
        {"gtm-for-infra", "accounts.gq", "search_accounts", R"({"q":"factory"})", 1},
    };
    TempDir dir;
    std::set<std::string> loaded;
    for (const auto& c : cases) {
        fs::path cookbook = corpus() / c.graph;
        std::string root = dir.path() + "/" + c.graph + ".omni";
        if (loaded.insert(c.graph).second) {
            auto init = run_process(
                {omnigraph(), "init", "--schema", (cookbook / "schema.pg").string(), root});
            ASSERT_EQ(init.exit_code, 0) << init.err;
            auto load = run_process({omnigraph(), "load", "--quiet", "--mode", "overwrite",
                                     "--data", (cookbook / "seed.jsonl").string(), root},
                                    mock);
            ASSERT_EQ(load.exit_code, 0) << c.graph << ": " << load.err;
        }
        auto r = run_process({omnigraph(), "query", c.name, "--query",
                              (cookbook / "queries" / c.file).string(), "--params", c.params,
                              "--format", "json", "--store", root},
                             mock);
        ASSERT_EQ(r.exit_code, 0) << c.graph << " " << c.name << ": " << r.err;
        auto answer = nlohmann::json::parse(r.out);
        EXPECT_GE(answer.at("row_count").get<size_t>(), c.min_rows) << c.graph << " " << c.name;
    }
}

} // namespace
} // namespace omnigraph::testing
