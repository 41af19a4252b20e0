// Data-driven query tests (sqllogictest style): every file in test/queries/cases is a script of
// schema / load / query records run against a fresh graph on local disk. The format is in
// test/queries/README.md.
#include "engine/graph.h"
#include "engine/load.h"
#include "query/executor.h"
#include "query/mutation.h"
#include "query/parser.h"
#include "query/typecheck.h"
#include "store/object_store.h"
#include "test_support.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

std::string cases_dir() {
    return source_dir() + "/test/queries/cases";
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::vector<std::string> case_files() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(cases_dir()))
        if (e.path().extension() == ".test")
            out.push_back(e.path().stem().string());
    std::sort(out.begin(), out.end());
    return out;
}

class QueryCases : public ::testing::TestWithParam<std::string> {
  protected:
    // Lines of the file, with a cursor.
    std::vector<std::string> lines_;
    size_t at_ = 0;
    std::string file_;
    TempDir temp_;
    int graphs_ = 0;
    std::unique_ptr<store::ObjectStore> store_;
    std::optional<engine::Graph> graph_;
    std::shared_ptr<query::TableCache> cache_;
    int queries_ = 0;

    std::string where() const { return file_ + ":" + std::to_string(at_); }
    // Lines up to (not including) the first line equal to `end` (or a blank line when `end`
    // is empty); the cursor moves past it.
    std::vector<std::string> block(const std::string& end) {
        std::vector<std::string> out;
        while (at_ < lines_.size()) {
            const std::string& l = lines_[at_++];
            if (end.empty() ? l.find_first_not_of(" \t") == std::string::npos : l == end)
                break;
            out.push_back(l);
        }
        return out;
    }
    static std::string join(const std::vector<std::string>& ls) {
        std::string s;
        for (const auto& l : ls)
            s += l + "\n";
        return s;
    }

    void fresh_graph(const std::string& schema) {
        std::string root = temp_.path() + "/g" + std::to_string(graphs_++);
        fs::create_directories(root);
        auto parsed = base::parse_storage_uri(root);
        ASSERT_TRUE(parsed);
        auto store = store::open_store(*parsed);
        ASSERT_TRUE(store);
        store_ = std::move(*store);
        auto init = engine::init_graph(*store_, schema);
        ASSERT_TRUE(init) << where() << ": " << init.error().to_string();
        reopen();
    }
    void reopen() {
        auto g = engine::Graph::open(*store_);
        ASSERT_TRUE(g) << g.error().to_string();
        graph_.emplace(std::move(*g));
        cache_ = query::make_table_cache(*store_);
    }

    void run_load(const std::string& mode_text, const std::string& jsonl, bool expect_error,
                  const std::string& error_text) {
        engine::LoadOptions o;
        o.mode = engine::parse_load_mode(mode_text);
        o.source_name = "case.jsonl";
        auto r = engine::load_graph(*store_, *graph_, jsonl, o);
        if (expect_error) {
            ASSERT_FALSE(r) << where() << ": the load should fail";
            EXPECT_NE(r.error().to_string().find(error_text), std::string::npos)
                << where() << ": " << r.error().to_string();
        } else {
            ASSERT_TRUE(r) << where() << ": " << r.error().to_string();
        }
        reopen();
    }

    static std::vector<std::string> canonical_rows(const std::vector<std::string>& lines) {
        std::vector<std::string> out;
        for (const auto& l : lines)
            out.push_back(nlohmann::ordered_json::parse(l).dump());
        return out;
    }

    void run_query(const std::string& header) {
        size_t start = at_;
        bool ordered = header.find(" ordered") != std::string::npos;
        std::string params = "null";
        if (at_ < lines_.size() && lines_[at_].starts_with("params ")) {
            params = lines_[at_].substr(7);
            ++at_;
        }
        // `query [ordered] [from=FILE name=NAME]`: the query text follows up to "----", or
        // comes from a fixture file (then "----" follows directly).
        std::string from, name;
        std::istringstream words(header);
        for (std::string w; words >> w;) {
            if (w.starts_with("from="))
                from = w.substr(5);
            else if (w.starts_with("name="))
                name = w.substr(5);
        }
        std::string text = join(block("----"));
        if (!from.empty())
            text = read_file(fs::path(source_dir()) / "test/queries/fixtures" / from);
        std::vector<std::string> expected = block("");
        ++queries_;
        std::string label = file_ + ":" + std::to_string(start);
        Result<std::vector<std::string>> got = evaluate(text, name, params);
        if (!expected.empty() && expected[0].starts_with("error ")) {
            std::string want = expected[0].substr(6);
            std::string code = want.substr(0, want.find(' '));
            std::string message =
                want.find(' ') == std::string::npos ? "" : want.substr(want.find(' ') + 1);
            ASSERT_FALSE(got) << label << ": expected error " << want;
            EXPECT_EQ(got.error().code, code) << label << ": " << got.error().to_string();
            EXPECT_NE(got.error().message.find(message), std::string::npos)
                << label << ": " << got.error().to_string();
            return;
        }
        ASSERT_TRUE(got) << label << ": " << got.error().to_string();
        if (expected.size() == 1 && expected[0] == "ok")
            return; // type-check only
        std::vector<std::string> want = canonical_rows(expected);
        if (expected.size() == 1 && expected[0] == "[]")
            want.clear();
        std::vector<std::string> have = *got;
        if (!ordered) {
            std::sort(want.begin(), want.end());
            std::sort(have.begin(), have.end());
        }
        EXPECT_EQ(have, want) << label;
    }

    // `mutate` [params JSON] TEXT ---- then `nodes=N edges=M commit=yes|no` or `error CODE text`.
    void run_mutation() {
        size_t start = at_;
        std::string params = "null";
        if (at_ < lines_.size() && lines_[at_].starts_with("params ")) {
            params = lines_[at_].substr(7);
            ++at_;
        }
        std::string text = join(block("----"));
        std::vector<std::string> expected = block("");
        ++queries_;
        std::string label = file_ + ":" + std::to_string(start);
        auto got = [&]() -> Result<std::string> {
            auto file = OG_TRY(query::parse_query_file(text, "case.gq"));
            const query::Query& q = file.queries.at(0);
            auto snap = OG_TRY(graph_->snapshot({}));
            auto checked = OG_TRY(query::check_query(q, snap.schema->catalog, "case.gq"));
            auto bound = OG_TRY(query::bind_params(q, nlohmann::ordered_json::parse(params)));
            query::MutationOptions options;
            options.source_file = "case.gq";
            auto r = OG_TRY(query::execute_mutation(*store_, *graph_, checked, bound, options));
            return "nodes=" + std::to_string(r.affected_nodes) +
                   " edges=" + std::to_string(r.affected_edges) +
                   " commit=" + (r.commit ? "yes" : "no");
        }();
        reopen();
        ASSERT_FALSE(expected.empty()) << label << ": no expectation";
        if (expected[0].starts_with("error ")) {
            std::string want = expected[0].substr(6);
            std::string code = want.substr(0, want.find(' '));
            std::string message =
                want.find(' ') == std::string::npos ? "" : want.substr(want.find(' ') + 1);
            ASSERT_FALSE(got) << label << ": expected error " << want << ", got " << *got;
            EXPECT_EQ(got.error().code, code) << label << ": " << got.error().to_string();
            EXPECT_NE(got.error().message.find(message), std::string::npos)
                << label << ": " << got.error().to_string();
            // An optional `at LINE:COL`: where in the mutation's text the error points.
            if (expected.size() > 1 && expected[1].starts_with("at ")) {
                ASSERT_TRUE(got.error().location) << label << ": " << got.error().to_string();
                EXPECT_EQ(got.error().location->to_string(), "case.gq:" + expected[1].substr(3))
                    << label << ": " << got.error().to_string();
            }
            return;
        }
        ASSERT_TRUE(got) << label << ": " << got.error().to_string();
        EXPECT_EQ(*got, expected[0]) << label;
    }

    Result<std::vector<std::string>> evaluate(const std::string& text, const std::string& name,
                                              const std::string& params) {
        auto file = OG_TRY(query::parse_query_file(text, "case.gq"));
        const query::Query* picked =
            name.empty() ? (file.queries.empty() ? nullptr : &file.queries[0]) : file.find(name);
        if (!picked)
            return Error("test", "no query '" + name + "'");
        const query::Query& q = *picked;
        auto snap = OG_TRY(graph_->snapshot({}));
        auto checked = OG_TRY(query::check_query(q, snap.schema->catalog, "case.gq"));
        auto bound = OG_TRY(query::bind_params(q, nlohmann::ordered_json::parse(params)));
        auto result = OG_TRY(query::execute_read(*cache_, snap, checked, bound, 0));
        std::vector<std::string> rows;
        for (size_t row = 0; row < result.rows.size(); ++row) {
            base::JsonWriter w;
            query::write_row(result, row, w);
            rows.push_back(nlohmann::ordered_json::parse(w.text()).dump());
        }
        return rows;
    }
};

TEST_P(QueryCases, Script) {
    file_ = GetParam() + ".test";
    std::string text = read_file(fs::path(cases_dir()) / file_);
    std::stringstream in(text);
    for (std::string l; std::getline(in, l);)
        lines_.push_back(l);
    while (at_ < lines_.size()) {
        std::string line = lines_[at_++];
        if (line.empty() || line.starts_with("#"))
            continue;
        if (line == "schema") {
            fresh_graph(join(block("")));
        } else if (line.starts_with("schema ")) {
            fresh_graph(
                read_file(fs::path(source_dir()) / "test/queries/fixtures" / line.substr(7)));
        } else if (line.starts_with("load ")) {
            // load <mode> [file] | load <mode> error <text>: JSONL follows until a blank line.
            std::istringstream words(line.substr(5));
            std::string mode, rest;
            words >> mode;
            std::getline(words, rest);
            rest.erase(0, rest.find_first_not_of(' '));
            bool error = rest.starts_with("error");
            std::string jsonl;
            if (!error && !rest.empty())
                jsonl = read_file(fs::path(source_dir()) / "test/queries/fixtures" / rest);
            else
                jsonl = join(block(""));
            run_load(mode, jsonl, error,
                     error ? rest.substr(std::min<size_t>(6, rest.size())) : "");
        } else if (line.starts_with("query")) {
            run_query(line);
        } else if (line.starts_with("mutate")) {
            run_mutation();
        } else {
            FAIL() << where() << ": unknown record '" << line << "'";
        }
        if (HasFatalFailure())
            return;
    }
    EXPECT_GT(queries_, 0) << file_ << " has no queries";
    RecordProperty("queries", queries_);
}

INSTANTIATE_TEST_SUITE_P(Files, QueryCases, ::testing::ValuesIn(case_files()),
                         [](const auto& info) { return info.param; });

} // namespace
} // namespace omnigraph::testing
