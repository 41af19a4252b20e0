// End to end: `omnigraph init`, `snapshot`, `commit list/show` on a local and an S3 root.
#include "test_support.h"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}
std::string fixture() {
    return source_dir() + "/test/schema/fixtures/test.pg";
}

void init_snapshot_and_commits(const std::string& uri, const Env& env) {
    auto init = run_process({omnigraph(), "init", "--schema", fixture(), uri}, env);
    ASSERT_EQ(init.exit_code, 0) << init.err;
    EXPECT_EQ(init.out, "initialized " + uri + "\n");

    auto snap = run_process({omnigraph(), "snapshot", uri}, env);
    ASSERT_EQ(snap.exit_code, 0) << snap.err;
    EXPECT_EQ(
        snap.out,
        "graph_branch: main\ngraph_manifest_version: 1\ninternal_schema_version: 2\n"
        "edge type 'Knows' published_dataset_version=1 native_dataset_branch=main entities=0\n"
        "edge type 'WorksAt' published_dataset_version=1 native_dataset_branch=main entities=0\n"
        "node type 'Company' published_dataset_version=1 native_dataset_branch=main entities=0\n"
        "node type 'Person' published_dataset_version=1 native_dataset_branch=main entities=0\n");

    auto list = run_process({omnigraph(), "commit", "list", uri}, env);
    ASSERT_EQ(list.exit_code, 0) << list.err;
    std::string id = list.out.substr(0, 26);
    EXPECT_EQ(list.out, id + " graph_branch=main graph_manifest_version=1\n");
    auto show = run_process({omnigraph(), "commit", "show", "--uri", uri, id, "--json"}, env);
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_NE(show.out.find("\"parent_commit_id\": null"), std::string::npos) << show.out;

    auto again = run_process({omnigraph(), "init", "--schema", fixture(), uri}, env);
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.err.find("already initialized"), std::string::npos) << again.err;
}

TEST(CliGraph, InitSnapshotCommitsOnLocalDisk) {
    TempDir dir;
    init_snapshot_and_commits(dir.path() + "/g.omni", {});
}

TEST(CliGraph, InitSnapshotCommitsOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    init_snapshot_and_commits(unique_s3_uri("cli-graph"), server.environment());
}

TEST(CliGraph, LoadTheExampleThenModesAreRequired) {
    TempDir dir;
    std::string uri = dir.path() + "/knowledge.omni";
    std::string example = source_dir() + "/examples/company-brain/";
    ASSERT_EQ(run_process({omnigraph(), "init", "--schema", example + "people.pg", uri}).exit_code,
              0);
    auto first = run_process({omnigraph(), "load", "--data", example + "seed.jsonl", uri});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    EXPECT_EQ(
        first.out,
        "loaded " + uri +
            " on branch main with overwrite: 5 entities across 2 node types and 2 edge types\n");
    EXPECT_NE(first.err.find("omnigraph load \u2192 " + uri + " (direct, local)"),
              std::string::npos)
        << first.err;
    auto snap = run_process({omnigraph(), "snapshot", uri});
    EXPECT_NE(
        snap.out.find(
            "node type 'Person' published_dataset_version=2 native_dataset_branch=main entities=2"),
        std::string::npos)
        << snap.out;
    auto second =
        run_process({omnigraph(), "load", "--quiet", "--data", example + "seed.jsonl", uri});
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_NE(second.err.find("--mode overwrite"), std::string::npos) << second.err;
    EXPECT_EQ(second.err.find("\u2192"), std::string::npos); // --quiet
    auto bad_mode = run_process(
        {omnigraph(), "load", "--mode", "upsert", "--data", example + "seed.jsonl", uri});
    EXPECT_EQ(bad_mode.exit_code, 2);
}

// Several writer processes on one graph: every append lands (losers of a version race redo
// their work against the new head), none is lost, and the versions form one chain.
void concurrent_appends(const std::string& uri, const Env& env) {
    ASSERT_EQ(run_process({omnigraph(), "init", "--schema", fixture(), uri}, env).exit_code, 0);
    TempDir dir;
    constexpr int kWriters = 4, kRows = 20;
    std::vector<Child> writers;
    for (int w = 0; w < kWriters; ++w) {
        std::string rows;
        for (int i = 0; i < kRows; ++i)
            rows += "{\"type\":\"Person\",\"data\":{\"name\":\"w" + std::to_string(w) + "-" +
                    std::to_string(i) + "\"}}\n";
        std::string path = dir.path() + "/w" + std::to_string(w) + ".jsonl";
        run_process({"sh", "-c", "cat > " + path}, {}, rows);
        writers.emplace_back(std::vector<std::string>{omnigraph(), "load", "--quiet", "--mode",
                                                      "append", "--data", path, uri},
                             env);
    }
    for (auto& w : writers) {
        auto r = w.wait();
        EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    auto snap = run_process({omnigraph(), "snapshot", "--json", uri}, env);
    EXPECT_NE(snap.out.find("\"graph_manifest_version\": 5"), std::string::npos) << snap.out;
    EXPECT_NE(snap.out.find("\"entity_count\": 80"), std::string::npos) << snap.out;
    auto list = run_process({omnigraph(), "commit", "list", uri}, env);
    EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), kWriters + 1) << list.out;
}

TEST(CliGraph, ConcurrentLoadProcessesOnLocalDisk) {
    TempDir dir;
    concurrent_appends(dir.path() + "/g.omni", {});
}

TEST(CliGraph, ConcurrentLoadProcessesOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    concurrent_appends(unique_s3_uri("cli-concurrent"), server.environment());
}

TEST(CliGraph, ErrorsAreClear) {
    TempDir dir;
    auto none = run_process({omnigraph(), "snapshot", dir.path() + "/missing.omni"});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.err.find("no graph at"), std::string::npos) << none.err;
    std::string bad = dir.path() + "/bad.pg";
    run_process({"sh", "-c", "printf 'node N { a: Strin }' > " + bad});
    auto init = run_process({omnigraph(), "init", "--schema", bad, dir.path() + "/g.omni"});
    EXPECT_EQ(init.exit_code, 1);
    EXPECT_NE(init.err.find("error[PG-SYN-001]"), std::string::npos) << init.err;
    auto unknown =
        run_process({omnigraph(), "commit", "show", "--uri", dir.path() + "/g.omni", "X"});
    EXPECT_EQ(unknown.exit_code, 1);
}

// docs/cli-commands.md is `omnigraph reference` (issue 21 item 5): a verb or flag added without
// regenerating it (scripts/gen-cli-reference.sh) fails here.
TEST(CliReference, DocsMatchTheBinary) {
    auto generated = run_process({omnigraph(), "reference"});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    EXPECT_NE(generated.out.find("## `omnigraph query`"), std::string::npos);
    EXPECT_NE(generated.out.find("`--server VALUE`"), std::string::npos);
    std::ifstream file(source_dir() + "/docs/cli-commands.md");
    std::string checked_in((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    EXPECT_EQ(checked_in, generated.out)
        << "docs/cli-commands.md is out of date: run scripts/gen-cli-reference.sh";
    // Hidden from --help: it is for the docs.
    EXPECT_EQ(run_process({omnigraph(), "--help"}).out.find("reference"), std::string::npos);
}

// Typos are named with the closest known word (issue 21 item 2), exit 2, instead of CLI11's
// account of what is then missing.
TEST(CliGraph, TyposAreNamedWithASuggestion) {
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const Case cases[] = {
        {{"cluster", "plna"},
         "error: unknown command 'plna' for 'omnigraph cluster' (did you "
         "mean 'plan'?)"},
        {{"load", "--dta", "x.jsonl", "g.omni"},
         "error: unknown option --dta for 'omnigraph load' (did you mean --data?)"},
        {{"branch", "merge", "--uri", "g", "feature", "--inot", "main"},
         "error: unknown option --inot for 'omnigraph branch merge' (did you mean --into?)"},
        {{"changes", "pol", "--uri", "g"},
         "error: unknown command 'pol' for 'omnigraph changes' (did you mean 'poll'?)"},
        {{"cluster", "frobnicate"},
         "error: unknown command 'frobnicate' for 'omnigraph cluster'\n"},
        {{"query", "--stor=g", "-e", "x"},
         "error: unknown option --stor for 'omnigraph query' (did you mean --store?)"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> argv = {omnigraph()};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        auto r = run_process(argv);
        EXPECT_EQ(r.exit_code, 2) << c.args[0] << " " << c.args[1];
        EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    }
    // A known word with a missing value still gets CLI11's own message.
    auto missing = run_process({omnigraph(), "load", "g.omni"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("--data is required"), std::string::npos) << missing.err;
}

// `--data -` reads the batch from standard input (issue 21 item 2): export piped into a load
// rebuilds the rows; a bad line names <stdin>.
TEST(CliGraph, LoadReadsStandardInput) {
    TempDir dir;
    std::string a = dir.path() + "/a.omni", b = dir.path() + "/b.omni";
    std::string schema = source_dir() + "/test/schema/fixtures/test.pg";
    for (const auto& g : {a, b})
        ASSERT_EQ(run_process({omnigraph(), "init", "--schema", schema, g}).exit_code, 0);
    ASSERT_EQ(run_process({omnigraph(), "load", "--data",
                           source_dir() + "/test/schema/fixtures/test.jsonl", a})
                  .exit_code,
              0);
    auto exported = run_process({omnigraph(), "export", a});
    ASSERT_EQ(exported.exit_code, 0);
    auto piped = run_process({omnigraph(), "load", "--data", "-", "--mode", "overwrite", b}, {},
                             exported.out);
    EXPECT_EQ(piped.exit_code, 0) << piped.err;
    EXPECT_EQ(run_process({omnigraph(), "export", b}).out, exported.out);
    auto bad = run_process({omnigraph(), "load", "--data", "-", "--mode", "merge", b}, {},
                           "{\"type\":\"Nope\",\"data\":{}}\n");
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("<stdin>:1"), std::string::npos) << bad.err;
}

} // namespace
} // namespace omnigraph::testing
