// End to end: `omnigraph optimize`, `cleanup` and `repair` through the binary on local disk and
// S3: JSON shapes and texts of spec engine-cli §2.7, a branch and old versions after cleanup,
// `storage verify` after every step, a killed optimize recovered by the next command, a read of
// a reclaimed version, and the same verbs through `--cluster DIR --graph ID`.
#include "cluster_fixtures/cluster_e2e.h"

namespace omnigraph::testing::cluster_e2e {
namespace {

std::string fixture(const std::string& name) {
    return source_dir() + "/test/schema/fixtures/" + name;
}

// A graph at `uri` with the fixture rows, a branch forked before `appends` one-row appends.
class MaintainedGraph {
  public:
    MaintainedGraph(std::string uri, Env env, int appends)
        : uri_(std::move(uri)), cli_(dir_.path(), dir_.path() + "/home", std::move(env)),
          root_(uri_) {
        fs::create_directories(dir_.path() + "/home");
        ok({"init", "--schema", fixture("test.pg"), uri_});
        ok({"load", "--quiet", "--data", fixture("test.jsonl"), uri_});
        ok({"branch", "create", "--uri", uri_, "feature"});
        for (int i = 0; i < appends; ++i) {
            write_file(dir_.path() + "/p.jsonl", "{\"type\":\"Person\",\"data\":{\"name\":\"P" +
                                                     std::to_string(i) +
                                                     "\",\"age\":" + std::to_string(i) + "}}\n");
            ok({"load", "--quiet", "--mode", "append", "--data", dir_.path() + "/p.jsonl", uri_});
        }
    }

    const std::string& uri() const { return uri_; }
    const Root& root() const { return root_; }
    const Omni& cli() const { return cli_; }
    ProcessResult run(const std::vector<std::string>& args, const Env& extra = {}) const {
        return cli_.run(args, extra);
    }
    void ok(const std::vector<std::string>& args) const {
        auto r = cli_.run(args);
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    Json json(const std::vector<std::string>& args, int expected = 0) const {
        return cli_.json(args, expected);
    }
    // `storage verify`: no damage and nothing unreferenced.
    void expect_verified() const {
        Json report = json({"storage", "verify", uri_});
        EXPECT_EQ(report["ok"], true) << pretty(report);
        EXPECT_TRUE(report["unreferenced"].empty()) << pretty(report);
    }
    // Person names on a branch, sorted.
    std::vector<std::string> people(const std::string& branch) const {
        auto r = cli_.run({"export", uri_, "--branch", branch, "--type", "Person"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        std::vector<std::string> out;
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);)
            out.push_back(parse(line)["data"]["name"].get<std::string>());
        std::sort(out.begin(), out.end());
        return out;
    }
    std::vector<std::string> cleanup_args() const {
        std::vector<std::string> args{"cleanup", uri_, "--keep", "1", "--grace", "0", "--confirm"};
        if (root_.is_s3())
            args.push_back("--yes");
        return args;
    }

  private:
    TempDir dir_;
    std::string uri_;
    Omni cli_;
    Root root_;
};

void maintenance_flow(const MaintainedGraph& g) {
    auto feature = g.people("feature");
    auto main = g.people("main");
    ASSERT_EQ(main.size(), feature.size() + 12);

    // optimize: the spec's JSON shape; one commit; a second run has nothing to do.
    Json optimized = g.json({"optimize", g.uri()});
    EXPECT_EQ(keys_of(optimized),
              (std::vector<std::string>{"uri", "datasets", "graph_manifest_version", "commit_id"}));
    ASSERT_EQ(optimized["datasets"].size(), 4u);
    const Json& person = optimized["datasets"][3];
    EXPECT_EQ(keys_of(person), (std::vector<std::string>{
                                   "type_key", "fragments_removed", "fragments_added", "committed",
                                   "skipped", "published_dataset_version", "lance_head_version",
                                   "pending_indexes", "segments_reindexed"}));
    EXPECT_EQ(person["type_key"], "node:Person");
    EXPECT_EQ(person["fragments_removed"], 13);
    EXPECT_EQ(person["fragments_added"], 1);
    EXPECT_EQ(person["committed"], true);
    EXPECT_EQ(person["segments_reindexed"], 0) << "a load writes its key indexes";
    EXPECT_EQ(optimized["graph_manifest_version"], 15);
    Json again = g.json({"optimize", g.uri()});
    EXPECT_EQ(again["graph_manifest_version"], nullptr);
    auto text = g.run({"optimize", g.uri()});
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_TRUE(contains(text.out, "optimize " + g.uri() + " \u2014 4 datasets\n")) << text.out;
    EXPECT_TRUE(contains(text.out, "node type 'Person'                      no-op")) << text.out;
    EXPECT_TRUE(contains(text.err, "omnigraph optimize \u2192 " + g.uri())) << text.err;
    g.expect_verified();

    // cleanup: a policy is required; without --confirm nothing happens.
    auto no_policy = g.run({"cleanup", g.uri(), "--confirm"});
    EXPECT_EQ(no_policy.exit_code, 1);
    EXPECT_TRUE(contains(no_policy.err, "cleanup requires at least one of --keep or --older-than"));
    auto dry = g.run({"cleanup", g.uri(), "--keep", "1"});
    EXPECT_EQ(dry.exit_code, 0);
    EXPECT_TRUE(
        contains(dry.err, "cleanup is destructive \u2014 rerun with --confirm. Policy for " +
                              g.uri() + ": keep the newest 1 versions"))
        << dry.err;
    // Everything is younger than the default grace period: nothing goes.
    std::vector<std::string> graced{"cleanup", g.uri(), "--keep", "1", "--confirm"};
    if (g.root().is_s3())
        graced.push_back("--yes");
    EXPECT_EQ(g.json(graced)["manifests_removed"], 0);
    if (g.root().is_s3()) { // a remote root needs --yes
        auto refused = g.run({"cleanup", g.uri(), "--keep", "1", "--confirm", "--json"});
        EXPECT_EQ(refused.exit_code, 1);
        EXPECT_TRUE(contains(refused.err, "refusing destructive `cleanup` against non-local "
                                          "target"))
            << refused.err;
    }
    Json cleaned = g.json(g.cleanup_args());
    EXPECT_EQ(
        keys_of(cleaned),
        (std::vector<std::string>{"uri", "keep_versions", "older_than_secs", "datasets",
                                  "grace_secs", "manifests_removed", "segments_removed",
                                  "deletion_vectors_removed", "commits_removed", "bytes_removed"}));
    EXPECT_EQ(cleaned["keep_versions"], 1);
    EXPECT_EQ(cleaned["older_than_secs"], nullptr);
    EXPECT_EQ(
        keys_of(cleaned["datasets"][0]),
        (std::vector<std::string>{"type_key", "bytes_removed", "old_versions_removed", "error"}));
    // main 1..15: all but the head and the fork point (2) go.
    EXPECT_EQ(cleaned["manifests_removed"], 13) << pretty(cleaned);
    EXPECT_EQ(cleaned["segments_removed"], 12) << pretty(cleaned);
    g.expect_verified();
    EXPECT_EQ(g.people("feature"), feature);
    EXPECT_EQ(g.people("main"), main);

    // A removed version reads as reclaimed, not as damage; history is still listed.
    Json gone = g.json({"snapshot", g.uri(), "--version", "5"}, 1);
    EXPECT_EQ(gone["code"], "historical_version_reclaimed") << pretty(gone);
    auto listed = g.run({"commit", "list", g.uri(), "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    EXPECT_EQ(parse(listed.out).size(), 15u) << listed.out;

    // repair on a clean root: nothing to do.
    Json repaired = g.json({"repair", g.uri()});
    EXPECT_EQ(keys_of(repaired),
              (std::vector<std::string>{"uri", "confirm", "force", "graph_manifest_version",
                                        "datasets", "findings"}));
    EXPECT_EQ(repaired["graph_manifest_version"], 15);
    EXPECT_EQ(repaired["datasets"][0]["classification"], "no_drift");
    EXPECT_EQ(repaired["datasets"][0]["action"], "no_op");
    EXPECT_TRUE(repaired["findings"].empty()) << pretty(repaired);
    auto preview = g.run({"repair", g.uri()});
    EXPECT_TRUE(
        preview.out.ends_with("rerun with --confirm to publish verified maintenance drift\n"))
        << preview.out;
    EXPECT_EQ(g.run({"repair", g.uri(), "--force"}).exit_code, 1); // --force needs --confirm
}

void killed_optimize_flow(const MaintainedGraph& g) {
    auto before = g.people("main");
    auto killed =
        g.run({"optimize", g.uri()}, {{"OMNIGRAPH_FAILPOINTS", "optimize.before_publish=crash"}});
    EXPECT_EQ(killed.exit_code, 86) << killed.out << killed.err;
    EXPECT_FALSE(g.root().keys("_pending/").empty());
    // repair sees the dead operation and would roll it back.
    Json preview = g.json({"repair", g.uri()});
    ASSERT_FALSE(preview["findings"].empty()) << pretty(preview);
    EXPECT_EQ(preview["findings"][0]["kind"], "pending_operation");
    EXPECT_EQ(preview["findings"][0]["classification"], "verified_maintenance");
    EXPECT_EQ(preview["findings"][0]["action"], "preview");
    EXPECT_EQ(g.people("main"), before);
    // The next writer settles it and compacts.
    Json optimized = g.json({"optimize", g.uri()});
    EXPECT_NE(optimized["commit_id"], nullptr);
    EXPECT_TRUE(g.root().keys("_pending/").empty());
    EXPECT_EQ(g.people("main"), before);
    g.expect_verified();
    // Killed in the middle of writing segments: settled by repair --confirm this time.
    g.ok({"load", "--quiet", "--mode", "merge", "--data", fixture("test.jsonl"), g.uri()});
    auto killed_again =
        g.run({"optimize", g.uri()}, {{"OMNIGRAPH_FAILPOINTS", "optimize.after_segment=crash"}});
    EXPECT_EQ(killed_again.exit_code, 86);
    Json healed = g.json({"repair", g.uri(), "--confirm"});
    EXPECT_EQ(healed["findings"][0]["action"], "healed") << pretty(healed);
    EXPECT_TRUE(g.root().keys("_pending/").empty());
    g.expect_verified();
}

TEST(Maintenance, OptimizeCleanupRepairOnLocalDisk) {
    TempDir dir;
    MaintainedGraph g(dir.path() + "/g.omni", {}, 12);
    maintenance_flow(g);
}

TEST(Maintenance, OptimizeCleanupRepairOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    MaintainedGraph g(unique_s3_uri("maintenance"), server.environment(), 12);
    maintenance_flow(g);
}

TEST(Maintenance, AKilledOptimizeIsSettledOnLocalDisk) {
    TempDir dir;
    MaintainedGraph g(dir.path() + "/g.omni", {}, 3);
    killed_optimize_flow(g);
}

TEST(Maintenance, AKilledOptimizeIsSettledOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    MaintainedGraph g(unique_s3_uri("maintenance-kill"), server.environment(), 3);
    killed_optimize_flow(g);
}

// --- through a cluster ---------------------------------------------------------------------------

TEST(Maintenance, ThroughAClusterGraph) {
    TempDir dir;
    Omni cli(dir.path(), dir.path() + "/home");
    fs::create_directories(dir.path() + "/home");
    write_file(dir.path() + "/cfg/people.pg", "node Person {\n    name: String @key\n}\n");
    write_file(dir.path() + "/cfg/cluster.yaml",
               "version: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n");
    ASSERT_EQ(cli.run({"cluster", "import", "--config", "cfg"}).exit_code, 0);
    auto applied = cli.run({"cluster", "apply", "--config", "cfg"});
    ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    std::string graph = dir.path() + "/cfg/graphs/knowledge.omni";
    for (int i = 0; i < 3; ++i) {
        write_file(dir.path() + "/p.jsonl",
                   "{\"type\":\"Person\",\"data\":{\"name\":\"P" + std::to_string(i) + "\"}}\n");
        auto loaded = cli.run(
            {"load", "--quiet", "--mode", "append", "--data", dir.path() + "/p.jsonl", graph});
        ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
    }
    Json optimized = cli.json({"optimize", "--cluster", "cfg", "--graph", "knowledge"});
    EXPECT_EQ(optimized["uri"], graph);
    EXPECT_EQ(optimized["datasets"][0]["fragments_removed"], 3);
    Json cleaned = cli.json({"cleanup", "--cluster", "cfg", "--graph", "knowledge", "--keep", "1",
                             "--grace", "0", "--confirm"});
    EXPECT_EQ(cleaned["manifests_removed"], 4) << pretty(cleaned);
    Json repaired = cli.json({"repair", "--cluster", "cfg", "--graph", "knowledge"});
    EXPECT_TRUE(repaired["findings"].empty()) << pretty(repaired);
    Json verified = cli.json({"storage", "verify", "--cluster", "cfg"});
    EXPECT_EQ(verified["ok"], true) << pretty(verified);
    Json unknown = cli.json({"optimize", "--cluster", "cfg", "--graph", "nope"}, 1);
    EXPECT_EQ(unknown["code"], "invalid_argument");
    EXPECT_TRUE(contains(unknown["error"].get<std::string>(), "(its graphs: knowledge)"));
    Json no_graph = cli.json({"optimize", "--cluster", "cfg"}, 1);
    EXPECT_EQ(no_graph["code"], "invalid_argument");
    Json two = cli.json({"optimize", graph, "--cluster", "cfg", "--graph", "knowledge"}, 1);
    EXPECT_EQ(two["code"], "invalid_argument");
}

} // namespace
} // namespace omnigraph::testing::cluster_e2e
