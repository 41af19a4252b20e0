// End to end: branches, time travel and live schema apply through the CLI, on a local and an S3
// root, and every corpus graph's seed loading into its schema.
#include "test_support.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}
std::string fixture(const std::string& name) {
    return source_dir() + "/test/schema/fixtures/" + name;
}

ProcessResult run_ok(const std::vector<std::string>& args, const Env& env = {}) {
    auto r = run_process(args, env);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r;
}

void branch_flow(const std::string& uri, const Env& env) {
    TempDir dir;
    run_ok({omnigraph(), "init", "--schema", fixture("test.pg"), uri}, env);
    run_ok({omnigraph(), "load", "--quiet", "--data", fixture("test.jsonl"), uri}, env);
    auto created = run_ok({omnigraph(), "branch", "create", "--uri", uri, "feature"}, env);
    EXPECT_EQ(created.out, "created branch feature from main\n");
    EXPECT_NE(created.err.find("omnigraph branch create \u2192 " + uri), std::string::npos);
    std::string eve = dir.path() + "/eve.jsonl";
    run_process({"sh", "-c", "cat > " + eve}, {},
                "{\"type\":\"Person\",\"data\":{\"name\":\"Eve\",\"age\":22}}\n");
    run_ok({omnigraph(), "load", "--quiet", "--mode", "append", "--branch", "feature", "--data",
            eve, uri},
           env);
    auto made = run_ok({omnigraph(), "load", "--quiet", "--mode", "append", "--branch", "review/x",
                        "--from", "main", "--data", eve, uri},
                       env);
    EXPECT_NE(made.out.find("branch review/x created from main"), std::string::npos) << made.out;
    auto list = run_ok({omnigraph(), "branch", "list", "--uri", uri}, env);
    EXPECT_EQ(list.out, "feature\nmain\nreview/x\n");
    auto feature = run_ok({omnigraph(), "snapshot", uri, "--branch", "feature"}, env);
    EXPECT_NE(feature.out.find("node type 'Person' published_dataset_version=3 "
                               "native_dataset_branch=feature entities=5"),
              std::string::npos)
        << feature.out;
    EXPECT_NE(feature.out.find("edge type 'Knows' published_dataset_version=2 "
                               "native_dataset_branch=main entities=3"),
              std::string::npos)
        << feature.out;
    // Time travel: by version and by commit.
    auto v1 = run_ok({omnigraph(), "export", uri, "--version", "1"}, env);
    EXPECT_EQ(v1.out, "");
    auto commits = run_ok({omnigraph(), "commit", "list", uri}, env);
    std::string genesis =
        commits.out.substr(commits.out.rfind('\n', commits.out.size() - 2) + 1, 26);
    auto at_genesis = run_ok({omnigraph(), "snapshot", uri, "--snapshot", genesis}, env);
    EXPECT_NE(at_genesis.out.find("graph_manifest_version: 1"), std::string::npos);
    // Live schema apply on main; the branch keeps its schema.
    std::string next = dir.path() + "/next.pg";
    run_process({"sh", "-c", "cat > " + next}, {},
                "node Person { name: String @key age: I32? nickname: String? }\n"
                "node Company { name: String @key }\n"
                "edge Knows: Person -> Person { since: Date? }\n"
                "edge WorksAt: Person -> Company\n");
    auto plan = run_ok({omnigraph(), "schema", "plan", uri, "--schema", next}, env);
    EXPECT_EQ(plan.out, "schema plan for " + uri +
                            "\nsupported: yes\n- add property 'Person.nickname' (String?) on node "
                            "'Person'\n");
    auto applied = run_ok({omnigraph(), "schema", "apply", uri, "--schema", next, "--json"}, env);
    EXPECT_NE(applied.out.find("\"applied\": true"), std::string::npos) << applied.out;
    EXPECT_NE(applied.out.find("\"graph_manifest_version\": 3"), std::string::npos) << applied.out;
    auto shown = run_ok({omnigraph(), "schema", "show", uri}, env);
    EXPECT_NE(shown.out.find("nickname"), std::string::npos);
    auto on_feature = run_ok({omnigraph(), "schema", "show", uri, "--branch", "feature"}, env);
    EXPECT_EQ(on_feature.out.find("nickname"), std::string::npos);
    // Deleting: refused for main, fine for a branch nobody depends on.
    auto main_delete = run_process({omnigraph(), "branch", "delete", "--uri", uri, "main"}, env);
    EXPECT_EQ(main_delete.exit_code, 1);
    EXPECT_NE(main_delete.err.find("cannot delete branch 'main'"), std::string::npos);
    // --yes: a delete on a non-local (s3://) root needs it; without a terminal it is refused.
    if (uri.starts_with("s3://")) {
        auto unconfirmed =
            run_process({omnigraph(), "branch", "delete", "--uri", uri, "review/x"}, env);
        EXPECT_EQ(unconfirmed.exit_code, 1);
        EXPECT_NE(unconfirmed.err.find("refusing destructive `branch delete`"), std::string::npos)
            << unconfirmed.err;
    }
    auto deleted =
        run_ok({omnigraph(), "branch", "delete", "--uri", uri, "review/x", "--yes"}, env);
    EXPECT_EQ(deleted.out, "deleted branch review/x\n");
}

TEST(CliBranch, BranchesTimeTravelAndSchemaApplyOnLocalDisk) {
    TempDir dir;
    branch_flow(dir.path() + "/g.omni", {});
}

TEST(CliBranch, BranchesTimeTravelAndSchemaApplyOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    branch_flow(unique_s3_uri("cli-branch"), server.environment());
}

// The change feed as an operator drives it (spec engine-cli §2.5, §4.2): a commit's changes, a
// poll from the beginning, a baseline written to a file (rows only; the handshake on stdout),
// and a poll from the baseline's cursor that sees only what came after it.
void change_feed_flow(const std::string& uri, const Env& env) {
    TempDir dir;
    run_ok({omnigraph(), "init", "--schema", fixture("test.pg"), uri}, env);
    run_ok({omnigraph(), "load", "--quiet", "--data", fixture("test.jsonl"), uri}, env);
    auto commits = run_ok({omnigraph(), "commit", "list", uri}, env);
    std::string loaded = commits.out.substr(0, 26);
    auto diff = run_ok({omnigraph(), "commit", "changes", "--uri", uri, loaded, "--kind", "node",
                        "--type", "Company", "--limit", "1"},
                       env);
    EXPECT_EQ(diff.out, "commit " + loaded +
                            " on main: 2 changes\n"
                            "insert node Company Acme\ninsert node Company Globex\n");
    auto bad = run_process(
        {omnigraph(), "commit", "changes", "--uri", uri, loaded, "--op", "upsert"}, env);
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("invalid --op 'upsert'"), std::string::npos) << bad.err;

    std::string out = dir.path() + "/baseline.ndjson";
    auto baseline = run_ok(
        {omnigraph(), "changes", "baseline", "--uri", uri, "--out", out, "--type", "Person"}, env);
    EXPECT_TRUE(baseline.out.starts_with("snapshot: " + out + "\nsnapshot_commit_id: " + loaded +
                                         "\nresume_cursor: "))
        << baseline.out;
    std::ifstream file(out);
    std::string rows((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_EQ(std::count(rows.begin(), rows.end(), '\n'), 4) << rows;
    EXPECT_EQ(rows.find("baseline"), std::string::npos) << rows;
    std::string cursor = baseline.out.substr(baseline.out.find("resume_cursor: ") + 15);
    cursor.pop_back();

    run_ok({omnigraph(), "mutate", "--store", uri, "-e",
            "query q() { update Person set { age: 31 } where name = \"Alice\" }"},
           env);
    auto poll = run_ok(
        {omnigraph(), "changes", "poll", "--uri", uri, "--cursor", cursor, "--type", "Person"},
        env);
    EXPECT_NE(poll.out.find("update node Person Alice\n"), std::string::npos) << poll.out;
    EXPECT_EQ(poll.out.find("insert"), std::string::npos) << poll.out;
    EXPECT_NE(poll.out.find("caught_up: true\n"), std::string::npos) << poll.out;
    auto other =
        run_process({omnigraph(), "changes", "poll", "--uri", uri, "--cursor", cursor}, env);
    EXPECT_EQ(other.exit_code, 1);
    EXPECT_NE(other.err.find("change cursor rejected: "), std::string::npos) << other.err;
}

TEST(CliChanges, ChangeFeedOnLocalDisk) {
    TempDir dir;
    change_feed_flow(dir.path() + "/g.omni", {});
}

TEST(CliChanges, ChangeFeedOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    change_feed_flow(unique_s3_uri("cli-changes"), server.environment());
}

// `blob get|stat` (spec engine-cli §4.2): the bytes, a slice, a file; the facts; the errors.
TEST(CliBlob, GetAndStatOneCell) {
    TempDir dir;
    std::string uri = dir.path() + "/g.omni";
    std::string cases = source_dir() + "/test/e2e/server_cases/";
    run_ok({omnigraph(), "init", "--schema", cases + "schemas/docs.pg", uri});
    run_ok({omnigraph(), "load", "--data", cases + "data/docs.jsonl", uri});
    auto whole = run_ok({omnigraph(), "blob", "get", "--store", uri, "node", "Doc", "a", "body"});
    EXPECT_EQ(whole.out, "hello world");
    auto slice = run_ok({omnigraph(), "blob", "get", "--store", uri, "node", "Doc", "a", "body",
                         "--offset", "6", "--length", "3"});
    EXPECT_EQ(slice.out, "wor");
    std::string out = dir.path() + "/note.bin";
    run_ok(
        {omnigraph(), "blob", "get", "--store", uri, "edge", "Cites", "c1", "note", "--out", out});
    std::ifstream file(out);
    EXPECT_EQ(std::string(std::istreambuf_iterator<char>(file), {}), "hi");
    auto stat = run_ok({omnigraph(), "blob", "stat", "--store", uri, "node", "Doc", "a", "body"});
    EXPECT_NE(stat.out.find("kind: managed\nsize: 11\netag: \"sha256:"), std::string::npos)
        << stat.out;
    EXPECT_NE(stat.out.find("branch: main\nresolved_snapshot: "), std::string::npos) << stat.out;
    auto null_cell =
        run_process({omnigraph(), "blob", "get", "--store", uri, "node", "Doc", "b", "body"});
    EXPECT_EQ(null_cell.exit_code, 1);
    EXPECT_NE(null_cell.err.find("node Doc 'b' has no body (null)"), std::string::npos)
        << null_cell.err;
    auto not_blob =
        run_process({omnigraph(), "blob", "stat", "--store", uri, "node", "Doc", "a", "title"});
    EXPECT_EQ(not_blob.exit_code, 1);
    EXPECT_NE(not_blob.err.find("property 'Doc.title' is not a Blob"), std::string::npos);
    auto past = run_process(
        {omnigraph(), "blob", "get", "--store", uri, "node", "Doc", "a", "body", "--offset", "12"});
    EXPECT_EQ(past.exit_code, 1);
    EXPECT_NE(past.err.find("past the end of the 11-byte blob"), std::string::npos) << past.err;
}

// Issue 4 acceptance: every seed.jsonl in the corpus loads into its schema.
TEST(CliCorpus, EverySeedLoadsIntoItsSchema) {
    namespace fs = std::filesystem;
    if (shared_corpus_dir().empty())
        GTEST_SKIP() << kNoSharedCorpus;
    fs::path corpus = shared_corpus_dir();
    int loaded = 0;
    for (const auto& entry : fs::directory_iterator(corpus)) {
        fs::path schema = entry.path() / "schema.pg", seed = entry.path() / "seed.jsonl";
        if (!fs::exists(schema) || !fs::exists(seed))
            continue;
        TempDir dir;
        std::string uri = dir.path() + "/g.omni";
        run_ok({omnigraph(), "init", "--schema", schema.string(), uri});
        auto r = run_process({omnigraph(), "load", "--quiet", "--data", seed.string(), uri});
        EXPECT_EQ(r.exit_code, 0) << entry.path().filename() << ": " << r.err;
        ++loaded;
    }
    EXPECT_GE(loaded, 5);
}

} // namespace
} // namespace omnigraph::testing
