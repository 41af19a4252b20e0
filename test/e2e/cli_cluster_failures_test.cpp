// End to end: the failure diagnostics of the cluster control plane's catalogue (spec
// shared/spec/cluster.md §15) that need the world to misbehave — unreadable and unwritable state
// files, S3 requests that fail, a concurrent writer, a source edited during an apply — each
// triggered through the real `omnigraph` binary.
//
// The tools: a symlink that loops onto itself is a file no process can open (ELOOP), even as
// root; a directory made immutable (`chattr +i`, or read-only when not root) takes no new file
// and loses none; the S3 test server answers a chosen request with an error; a `delay:` failpoint
// holds an apply at a known point while the test changes something under it.
#include "cluster_fixtures/cluster_e2e.h"

#include <chrono>
#include <functional>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace omnigraph::testing::cluster_e2e {
namespace {

const char* kSchema = "node Person {\n    name: String @key\n    age: I32?\n}\n";
const char* kQueries = "query find_person($name: String) {\n    match { $p: Person { name: $name } "
                       "}\n    return { $p.name, $p.age }\n}\n";
const char* kClusterYaml = "version: 1\n"
                           "graphs:\n"
                           "  knowledge:\n"
                           "    schema: people.pg\n"
                           "    queries: queries/\n"
                           "policies:\n"
                           "  base:\n"
                           "    file: base.policy.yaml\n"
                           "    applies_to: [knowledge]\n";
const char* kOldGraph = "  old:\n    schema: people.pg\n    queries: queries/\n";

// A directory that takes no new entry and loses none until the guard goes: immutable as root
// (root ignores permissions), read-only otherwise. `ok()` is false where the file system cannot
// do that (the test then skips).
class Frozen {
  public:
    explicit Frozen(std::string dir) : dir_(std::move(dir)) {
        fs::create_directories(dir_);
        if (::geteuid() == 0)
            ok_ = run_process({"chattr", "+i", dir_}).exit_code == 0;
        else
            ok_ = ::chmod(dir_.c_str(), 0555) == 0;
    }
    ~Frozen() { thaw(); }
    Frozen(const Frozen&) = delete;
    Frozen& operator=(const Frozen&) = delete;
    bool ok() const { return ok_; }
    void thaw() {
        if (!ok_)
            return;
        if (::geteuid() == 0)
            run_process({"chattr", "-i", dir_});
        else
            ::chmod(dir_.c_str(), 0755);
        ok_ = false;
    }

  private:
    std::string dir_;
    bool ok_ = false;
};

// Replaces `path` by a symlink to itself: opening it fails with ELOOP for every user.
void make_unopenable(const std::string& path) {
    fs::remove_all(path);
    fs::create_directories(fs::path(path).parent_path());
    fs::create_symlink(fs::path(path).filename(), path);
}

// Polls `ready` every 50 ms for up to 60 s.
bool wait_for(const std::function<bool()>& ready) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        if (ready())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return ready();
}

class ClusterFailures : public ::testing::Test {
  protected:
    void SetUp() override {
        home_ = dir_.path() + "/home";
        fs::create_directories(home_);
        write_file(cfg("people.pg"), kSchema);
        write_file(cfg("queries/people.gq"), kQueries);
        write_file(cfg("base.policy.yaml"), read_file(example_dir() + "/base.policy.yaml"));
        write_file(cfg("cluster.yaml"), kClusterYaml);
        cli_.emplace(dir_.path(), home_);
        root_.emplace(cfg());
    }

    std::string cfg(const std::string& rel = "") const {
        return rel.empty() ? dir_.path() + "/cfg" : dir_.path() + "/cfg/" + rel;
    }
    const Root& root() const { return *root_; }

    ProcessResult cluster(std::vector<std::string> args, const Env& extra = {}) const {
        args.insert(args.begin(), "cluster");
        args.insert(args.end(), {"--config", "cfg"});
        return cli_->run(args, extra);
    }
    Json js(std::vector<std::string> args, int expected_exit = 0, const Env& extra = {}) const {
        args.insert(args.begin(), "cluster");
        args.insert(args.end(), {"--config", "cfg"});
        return cli_->json(args, expected_exit, extra);
    }
    // `omnigraph cluster <args> --config cfg --json` started in the background.
    Child spawn(std::vector<std::string> args, const Env& extra) const {
        std::vector<std::string> argv = {"env", "-C", dir_.path(), omnigraph(), "cluster"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--config", "cfg", "--json"});
        Env env = {{"OMNIGRAPH_HOME", home_}, {"HOME", home_}};
        env.insert(env.end(), extra.begin(), extra.end());
        return Child(argv, env);
    }
    ProcessResult og(const std::vector<std::string>& args) const { return cli_->run(args); }

    void import_and_apply() {
        ASSERT_EQ(cluster({"import"}).exit_code, 0);
        Json applied = js({"apply"});
        ASSERT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    }
    void init_graph(const std::string& g = "knowledge") {
        auto r = og({"init", "--schema", cfg("people.pg"), cfg("graphs/" + g + ".omni")});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    std::string live_schema(const std::string& g = "knowledge") const {
        auto r = og({"schema", "show", cfg("graphs/" + g + ".omni")});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    void add_bio() {
        edit_file(cfg("people.pg"), "    age: I32?\n", "    age: I32?\n    bio: String?\n");
    }
    void no_lock() {
        edit_file(cfg("cluster.yaml"), "version: 1\n", "version: 1\nstate:\n  lock: false\n");
    }
    // A ledger holding consistent graph.knowledge (historical composite) + schema.knowledge.
    Json seeded_ledger() const {
        std::string schema = sha256(kSchema);
        Json l = Json::object();
        l["version"] = 1;
        l["state_revision"] = 1;
        l["applied_revision"] = Json::object();
        l["applied_revision"]["config_digest"] = nullptr;
        l["applied_revision"]["resources"] = Json::object();
        l["applied_revision"]["resources"]["graph.knowledge"] =
            Json::object({{"digest", composite("knowledge", schema)}});
        l["applied_revision"]["resources"]["schema.knowledge"] = Json::object({{"digest", schema}});
        l["resource_statuses"] = Json::object();
        l["approval_records"] = Json::object();
        l["recovery_records"] = Json::object();
        l["observations"] = Json::object();
        return l;
    }
    Json resources() const { return root().ledger()["applied_revision"]["resources"]; }
    std::string query_blob() const {
        return root().query_blob("knowledge", "find_person",
                                 sha256(read_file(cfg("queries/people.gq"))));
    }

    TempDir dir_;
    std::string home_;
    std::optional<Omni> cli_;
    std::optional<Root> root_;
};

#define FREEZE_OR_SKIP(guard)                                                                      \
    if (!(guard).ok())                                                                             \
    GTEST_SKIP() << "cannot make a directory immutable here"

// ---------------------------------------------------------------------------------------------
// The ledger, the lock and the catalog cannot be read
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterFailures, UnreadableLedgerIsStateReadError) {
    import_and_apply();
    make_unopenable(cfg("__cluster/state.json"));
    for (const char* command : {"status", "plan", "apply", "refresh", "import"}) {
        Json out = js({command}, 1);
        EXPECT_EQ(diag(out, "state_read_error")["path"], cfg("__cluster/state.json"))
            << command << pretty(out);
        EXPECT_FALSE(out["ok"].get<bool>()) << command;
    }
    Json approve = js({"approve", "graph.knowledge", "--as", "andrew"}, 1);
    EXPECT_TRUE(has_diag(approve, "state_read_error")) << pretty(approve);
    EXPECT_FALSE(root().exists("__cluster/lock.json")) << "every lock taker released its lock";
    EXPECT_TRUE(fs::is_symlink(cfg("__cluster/state.json"))) << "nothing overwrote it";
}

TEST_F(ClusterFailures, UnreadableLockIsStateLockReadError) {
    import_and_apply();
    make_unopenable(cfg("__cluster/lock.json"));
    // status: a warning, and the lock counts as held.
    Json status = js({"status"});
    EXPECT_EQ(diag(status, "state_lock_read_error")["path"], cfg("__cluster/lock.json"))
        << pretty(status);
    EXPECT_EQ(diag(status, "state_lock_read_error")["severity"], "warning") << pretty(status);
    EXPECT_TRUE(status["state_observations"]["locked"].get<bool>());
    // force-unlock: an error, and the lock is left alone.
    Json unlock = js({"force-unlock", "anything"}, 1);
    EXPECT_EQ(diag_codes(unlock), std::vector<std::string>{"state_lock_read_error"})
        << pretty(unlock);
    EXPECT_FALSE(unlock["lock_removed"].get<bool>());
    EXPECT_TRUE(fs::is_symlink(cfg("__cluster/lock.json")));
}

TEST_F(ClusterFailures, UnreadableCatalogBlobIsCatalogPayloadReadError) {
    import_and_apply();
    std::string blob = query_blob();
    ASSERT_TRUE(root().exists(blob));
    make_unopenable(cfg(blob));
    Json status = js({"status"}, 1);
    EXPECT_EQ(diag(status, "catalog_payload_read_error")["path"], "query.knowledge.find_person")
        << pretty(status);
    EXPECT_TRUE(contains(diag(status, "catalog_payload_read_error")["message"], blob));

    // refresh reports it too and records the resource as errored (its digest is kept: the blob
    // may be fine once readable again).
    Json refreshed = js({"refresh"}, 1);
    EXPECT_TRUE(has_diag(refreshed, "catalog_payload_read_error")) << pretty(refreshed);
    Json ledger = root().ledger();
    EXPECT_EQ(ledger["resource_statuses"]["query.knowledge.find_person"]["status"], "error")
        << pretty(ledger);
    EXPECT_EQ(ledger["resource_statuses"]["query.knowledge.find_person"]["conditions"][0],
              "payload_read_error");
    EXPECT_TRUE(ledger["applied_revision"]["resources"].contains("query.knowledge.find_person"));
}

// ---------------------------------------------------------------------------------------------
// The lock, a sidecar, an approval or a blob cannot be written (or deleted)
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterFailures, LockThatCannotBeCreatedOrDeletedIsStateLockError) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    std::string bytes = root().ledger_bytes();
    {
        Frozen frozen(cfg("__cluster"));
        FREEZE_OR_SKIP(frozen);
        for (const char* command : {"plan", "apply", "refresh"}) {
            Json out = js({command}, 1);
            EXPECT_EQ(diag(out, "state_lock_error")["path"], cfg("__cluster/lock.json"))
                << command << pretty(out);
            EXPECT_FALSE(out["state_observations"]["lock_acquired"].get<bool>()) << command;
        }
    }
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_FALSE(root().exists("__cluster/lock.json"));

    // force-unlock of the right id, but the lock file cannot be deleted.
    root().write("__cluster/lock.json",
                 R"({"version":1,"lock_id":"stuck-lock","operation":"apply",)"
                 R"("created_at":"2026-01-01T00:00:00Z","pid":4242})");
    {
        Frozen frozen(cfg("__cluster"));
        FREEZE_OR_SKIP(frozen);
        Json out = js({"force-unlock", "stuck-lock"}, 1);
        EXPECT_EQ(diag_codes(out), std::vector<std::string>{"state_lock_error"}) << pretty(out);
        EXPECT_FALSE(out["lock_removed"].get<bool>());
    }
    EXPECT_TRUE(root().exists("__cluster/lock.json"));
    EXPECT_TRUE(js({"force-unlock", "stuck-lock"})["lock_removed"].get<bool>());
}

// While an apply waits before its ledger write, its lock is force-unlocked and another command
// takes the lock. The apply's release deletes only the version it wrote, so the other holder's
// lock stays: a warning, not an error (the apply itself completed).
TEST_F(ClusterFailures, LockTakenOverDuringTheRunIsLeftInPlaceAndStateLockLost) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Child child =
        spawn({"apply"}, {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_state_write=delay:3000"}});
    ASSERT_TRUE(wait_for([&] { return fs::exists(cfg(query_blob())); }));
    std::string held = root().read("__cluster/lock.json").value_or("");
    ASSERT_FALSE(held.empty());
    std::string id = parse(held)["lock_id"];
    EXPECT_TRUE(js({"force-unlock", id})["lock_removed"].get<bool>());
    std::string other = R"({"version":1,"lock_id":"01J9Z3K6Y6W7F0N8Q2R4T5V6X7","operation":"plan",)"
                        R"("created_at":"2026-01-01T00:00:00Z","pid":4242})";
    root().write("__cluster/lock.json", other);
    ProcessResult r = child.wait();
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    Json applied = parse(r.out);
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    Json warning = diag(applied, "state_lock_lost");
    EXPECT_EQ(warning["severity"], "warning") << pretty(applied);
    EXPECT_EQ(warning["path"], cfg("__cluster/lock.json"));
    EXPECT_TRUE(contains(warning["message"], id)) << pretty(warning);
    EXPECT_EQ(root().text("__cluster/lock.json"), other) << "the other holder's lock is kept";
}

TEST_F(ClusterFailures, SidecarThatCannotBeWrittenBlocksTheCreate) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Json applied;
    {
        Frozen frozen(cfg("__cluster/recoveries"));
        FREEZE_OR_SKIP(frozen);
        applied = js({"apply"}, 1);
    }
    EXPECT_EQ(diag(applied, "recovery_sidecar_write_error")["path"].get<std::string>().rfind(
                  cfg("__cluster/recoveries/"), 0),
              0u)
        << pretty(applied);
    EXPECT_EQ(change(applied, "graph.knowledge")["reason"], "graph_create_failed");
    EXPECT_EQ(change(applied, "query.knowledge.find_person")["reason"], "dependency_not_applied");
    EXPECT_FALSE(fs::exists(cfg("graphs/knowledge.omni"))) << "no graph moved without a sidecar";
    EXPECT_TRUE(resources().empty());
    EXPECT_TRUE(root().sidecars().empty());
    // Writable again: the next apply creates.
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
}

// The engine refuses a migration before anything moved, so apply deletes the schema sidecar it
// wrote; that delete fails (the test froze the recoveries directory while the apply waited
// before the schema apply): a warning, and the sidecar stays for the next sweep.
TEST_F(ClusterFailures, SidecarThatCannotBeDeletedIsRecoverySidecarCleanupFailed) {
    import_and_apply();
    add_bio();
    Child child =
        spawn({"apply"}, {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_schema_apply=delay:3000,"
                                                   "schema_apply.before_staging_write"}});
    ASSERT_TRUE(wait_for([&] { return root().sidecars().size() == 1; }))
        << "the schema sidecar never appeared";
    Frozen frozen(cfg("__cluster/recoveries"));
    if (!frozen.ok()) {
        (void)child.wait();
        GTEST_SKIP() << "cannot make a directory immutable here";
    }
    ProcessResult r = child.wait();
    frozen.thaw();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    Json applied = parse(r.out);
    EXPECT_TRUE(has_diag(applied, "schema_apply_failed")) << pretty(applied);
    Json warning = diag(applied, "recovery_sidecar_cleanup_failed");
    EXPECT_EQ(warning["severity"], "warning") << pretty(applied);
    EXPECT_EQ(warning["path"], cfg("__cluster/recoveries/" + root().sidecars().at(0)));
    EXPECT_EQ(root().sidecars().size(), 1u) << "kept for the sweep";
    EXPECT_EQ(live_schema(), kSchema);
    // The next apply's sweep retires it (nothing moved) and the migration runs.
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_TRUE(contains(live_schema(), "bio"));
}

// The create ran, but the sidecar cannot take its manifest version (the recoveries directory was
// frozen while the apply waited before the create): an error, and the create still counts. The
// sidecar cannot be retired either (a warning), and neither can a refresh retire it; once the
// directory is writable the next sweep does.
TEST_F(ClusterFailures, SidecarThatCannotBeRewrittenAfterTheCreateIsRecoverySidecarWriteError) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Child child = spawn({"apply"},
                        {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_graph_create=delay:3000"}});
    ASSERT_TRUE(wait_for([&] { return root().sidecars().size() == 1; }));
    std::string sidecar = root().sidecars().at(0);
    Frozen frozen(cfg("__cluster/recoveries"));
    if (!frozen.ok()) {
        (void)child.wait();
        GTEST_SKIP() << "cannot make a directory immutable here";
    }
    ProcessResult r = child.wait();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    Json applied = parse(r.out);
    Json error = diag(applied, "recovery_sidecar_write_error");
    EXPECT_EQ(error["path"], cfg("__cluster/recoveries/" + sidecar)) << pretty(applied);
    EXPECT_TRUE(contains(error["message"], "manifest version 1 of graph 'knowledge'"))
        << pretty(error);
    EXPECT_EQ(diag(applied, "recovery_sidecar_cleanup_failed")["path"],
              cfg("__cluster/recoveries/" + sidecar));
    EXPECT_EQ(change(applied, "graph.knowledge")["disposition"], "applied");
    EXPECT_TRUE(applied["state_written"].get<bool>());
    EXPECT_TRUE(resources().contains("graph.knowledge")) << "the create is recorded";
    EXPECT_TRUE(root().sidecar(sidecar)["expected_manifest_version"].is_null());

    Json refreshed = js({"refresh"});
    EXPECT_EQ(diag(refreshed, "recovery_sidecar_cleanup_failed")["path"],
              cfg("__cluster/recoveries/" + sidecar))
        << pretty(refreshed);
    EXPECT_EQ(root().sidecars(), std::vector<std::string>{sidecar});
    frozen.thaw();
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_TRUE(root().sidecars().empty());
}

TEST_F(ClusterFailures, SidecarThatCannotBeRewrittenAfterTheMigrationIsRecoverySidecarWriteError) {
    import_and_apply();
    add_bio();
    Child child = spawn({"apply"},
                        {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_schema_apply=delay:3000"}});
    ASSERT_TRUE(wait_for([&] { return root().sidecars().size() == 1; }));
    std::string sidecar = root().sidecars().at(0);
    Frozen frozen(cfg("__cluster/recoveries"));
    if (!frozen.ok()) {
        (void)child.wait();
        GTEST_SKIP() << "cannot make a directory immutable here";
    }
    ProcessResult r = child.wait();
    frozen.thaw();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    Json applied = parse(r.out);
    Json error = diag(applied, "recovery_sidecar_write_error");
    EXPECT_EQ(error["path"], cfg("__cluster/recoveries/" + sidecar)) << pretty(applied);
    EXPECT_TRUE(contains(error["message"], "manifest version 2 of graph 'knowledge'"))
        << pretty(error);
    EXPECT_EQ(change(applied, "schema.knowledge")["disposition"], "applied");
    EXPECT_EQ(resources()["schema.knowledge"]["digest"], sha256(read_file(cfg("people.pg"))));
    EXPECT_TRUE(contains(live_schema(), "bio"));
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_TRUE(root().sidecars().empty());
}

// The owner marker of a graph adopted by `cluster import` cannot be written (its root is
// frozen): an error, the rest of the apply is recorded, and the next apply marks it.
TEST_F(ClusterFailures, OwnerMarkerThatCannotBeWrittenIsGraphOwnerMarkerError) {
    init_graph();
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Json applied;
    {
        Frozen frozen(cfg("graphs/knowledge.omni"));
        FREEZE_OR_SKIP(frozen);
        applied = js({"apply"}, 1);
    }
    Json error = diag(applied, "graph_owner_marker_error");
    EXPECT_EQ(error["path"], "graph.knowledge") << pretty(applied);
    EXPECT_TRUE(contains(error["message"], "_cluster_owner.json")) << pretty(error);
    EXPECT_TRUE(applied["state_written"].get<bool>());
    EXPECT_TRUE(resources().contains("query.knowledge.find_person"));
    EXPECT_FALSE(fs::exists(cfg("graphs/knowledge.omni/_cluster_owner.json")));
    Json again = js({"apply"});
    EXPECT_TRUE(again["ok"].get<bool>()) << pretty(again);
    EXPECT_EQ(parse(read_file(cfg("graphs/knowledge.omni/_cluster_owner.json")))["graph_id"],
              "knowledge");
}

// The approved delete ran and the ledger consumed the approval, but its artefact cannot be
// marked consumed (the approvals directory is frozen): an error naming the artefact.
TEST_F(ClusterFailures, ApprovalThatCannotBeMarkedConsumedIsApprovalWriteError) {
    edit_file(cfg("cluster.yaml"), "policies:", std::string(kOldGraph) + "policies:");
    import_and_apply();
    edit_file(cfg("cluster.yaml"), kOldGraph, "");
    std::string approval = js({"approve", "graph.old", "--as", "andrew"})["approval_id"];
    Json applied;
    {
        Frozen frozen(cfg("__cluster/approvals"));
        FREEZE_OR_SKIP(frozen);
        applied = js({"apply"}, 1);
    }
    Json error = diag(applied, "approval_write_error");
    EXPECT_EQ(error["path"], cfg("__cluster/approvals/" + approval + ".json")) << pretty(applied);
    EXPECT_TRUE(contains(error["message"], approval)) << pretty(error);
    EXPECT_EQ(change(applied, "graph.old")["disposition"], "applied");
    EXPECT_FALSE(fs::exists(cfg("graphs/old.omni")));
    EXPECT_TRUE(root().ledger()["approval_records"].contains(approval));
    EXPECT_TRUE(root().approval(approval + ".json")["consumed_at"].is_null());
}

TEST_F(ClusterFailures, ApprovalThatCannotBeWrittenIsApprovalWriteError) {
    edit_file(cfg("cluster.yaml"), "policies:", std::string(kOldGraph) + "policies:");
    import_and_apply();
    edit_file(cfg("cluster.yaml"), kOldGraph, "");
    {
        Frozen frozen(cfg("__cluster/approvals"));
        FREEZE_OR_SKIP(frozen);
        Json out = js({"approve", "graph.old", "--as", "andrew"}, 1);
        EXPECT_EQ(diag_codes(out), std::vector<std::string>{"approval_write_error"}) << pretty(out);
        EXPECT_TRUE(diag(out, "approval_write_error")["path"].get<std::string>().starts_with(
            cfg("__cluster/approvals/")));
        EXPECT_FALSE(out.contains("approval_id"));
        EXPECT_TRUE(contains(cluster({"approve", "graph.old", "--as", "andrew"}).out,
                             "cluster approve failed"));
    }
    EXPECT_TRUE(root().approvals().empty());
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
    Json applied = js({"apply"});
    EXPECT_EQ(change(applied, "graph.old")["reason"], "approval_required");
    EXPECT_TRUE(fs::exists(cfg("graphs/old.omni")));
}

TEST_F(ClusterFailures, BlobThatCannotBeWrittenIsResourcePayloadWriteError) {
    import_and_apply();
    Json before = root().ledger();
    edit_file(cfg("queries/people.gq"), "$p.name, $p.age", "$p.name");
    Json applied;
    {
        Frozen frozen(cfg("__cluster/resources/query/knowledge/find_person"));
        FREEZE_OR_SKIP(frozen);
        applied = js({"apply"}, 1);
    }
    Json error = diag(applied, "resource_payload_write_error");
    EXPECT_EQ(error["path"], "query.knowledge.find_person") << pretty(applied);
    EXPECT_TRUE(contains(error["message"], query_blob())) << pretty(error);
    EXPECT_FALSE(applied["state_written"].get<bool>());
    EXPECT_EQ(root().ledger(), before);
    EXPECT_FALSE(root().exists(query_blob()));
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
    EXPECT_TRUE(root().exists(query_blob()));
}

// ---------------------------------------------------------------------------------------------
// Races: a concurrent ledger writer, sources edited while apply runs
// ---------------------------------------------------------------------------------------------

// Without a lock nothing stops a refresh from rewriting the ledger while an apply runs; the
// apply's compare-and-swap write notices and refuses.
TEST_F(ClusterFailures, LedgerRewrittenDuringApplyIsStateCasMismatch) {
    no_lock();
    init_graph();
    root().write_ledger(seeded_ledger());
    Child child =
        spawn({"apply"}, {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_state_write=delay:4000"}});
    // The payload phase is done once the query blob is there; the apply now waits.
    ASSERT_TRUE(wait_for([&] { return fs::exists(cfg(query_blob())); }));
    Json refreshed = js({"refresh"});
    EXPECT_EQ(refreshed["state_observations"]["state_revision"], 2) << pretty(refreshed);
    std::string after_refresh = root().ledger_bytes();
    ProcessResult r = child.wait();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    Json applied = parse(r.out);
    EXPECT_EQ(diag(applied, "state_cas_mismatch")["path"], cfg("__cluster/state.json"))
        << pretty(applied);
    EXPECT_FALSE(applied["state_written"].get<bool>());
    EXPECT_EQ(root().ledger_bytes(), after_refresh) << "the refresh's ledger is kept";
    // Run again: converges on top of the refresh.
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_EQ(root().ledger()["state_revision"], 3);
}

TEST_F(ClusterFailures, SchemaEditedBeforeTheCreateIsResourceContentChanged) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Child child = spawn({"apply"},
                        {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_graph_create=delay:3000"}});
    ASSERT_TRUE(wait_for([&] { return root().sidecars().size() == 1; }));
    add_bio();
    ProcessResult r = child.wait();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    Json applied = parse(r.out);
    Json error = diag(applied, "resource_content_changed");
    EXPECT_EQ(error["path"], "graph.knowledge") << pretty(applied);
    EXPECT_TRUE(contains(error["message"], "people.pg changed while apply was running"))
        << pretty(error);
    EXPECT_EQ(change(applied, "graph.knowledge")["reason"], "graph_create_failed");
    EXPECT_FALSE(fs::exists(cfg("graphs/knowledge.omni"))) << "nothing created from a stale read";
    EXPECT_TRUE(root().sidecars().empty()) << "nothing moved: its sidecar is deleted";
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_TRUE(contains(live_schema(), "bio")) << "the edited schema is what gets created";
}

// As above, but the sidecar of the create that never ran cannot be deleted: a warning.
TEST_F(ClusterFailures, SidecarOfACreateThatNeverRanThatCannotBeDeletedIsCleanupFailed) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Child child = spawn({"apply"},
                        {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_graph_create=delay:3000"}});
    ASSERT_TRUE(wait_for([&] { return root().sidecars().size() == 1; }));
    std::string sidecar = root().sidecars().at(0);
    add_bio();
    Frozen frozen(cfg("__cluster/recoveries"));
    if (!frozen.ok()) {
        (void)child.wait();
        GTEST_SKIP() << "cannot make a directory immutable here";
    }
    ProcessResult r = child.wait();
    frozen.thaw();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    Json applied = parse(r.out);
    EXPECT_TRUE(has_diag(applied, "resource_content_changed")) << pretty(applied);
    Json warning = diag(applied, "recovery_sidecar_cleanup_failed");
    EXPECT_EQ(warning["severity"], "warning") << pretty(applied);
    EXPECT_EQ(warning["path"], cfg("__cluster/recoveries/" + sidecar));
    EXPECT_EQ(root().sidecars(), std::vector<std::string>{sidecar});
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_TRUE(root().sidecars().empty());
}

TEST_F(ClusterFailures, QueryEditedDuringApplyIsResourceContentChanged) {
    import_and_apply();
    add_bio();
    edit_file(cfg("queries/people.gq"), "$p.name, $p.age", "$p.name, $p.bio");
    std::string bytes = root().ledger_bytes();
    Child child = spawn({"apply"},
                        {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_schema_apply=delay:3000"}});
    ASSERT_TRUE(wait_for([&] { return root().sidecars().size() == 1; }));
    edit_file(cfg("queries/people.gq"), "$p.name, $p.bio", "$p.bio");
    ProcessResult r = child.wait();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    Json applied = parse(r.out);
    Json error = diag(applied, "resource_content_changed");
    EXPECT_EQ(error["path"], "query.knowledge.find_person") << pretty(applied);
    EXPECT_TRUE(contains(error["message"], "people.gq changed while apply was running"))
        << pretty(error);
    EXPECT_FALSE(applied["state_written"].get<bool>());
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_TRUE(contains(live_schema(), "bio")) << "the migration itself had run";
    // The next apply rolls the migration forward and publishes the current query.
    Json again = js({"apply"});
    EXPECT_TRUE(has_diag(again, "cluster_recovery_rolled_forward")) << pretty(again);
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_EQ(root().text(query_blob()), read_file(cfg("queries/people.gq")));
}

// ---------------------------------------------------------------------------------------------
// Apply: work skipped after an earlier graph failure, deferred changes
// ---------------------------------------------------------------------------------------------

// Graph `a` cannot be created (junk at its root), so every later graph operation of the run is
// skipped: the create of `b`, the migration of `knowledge` and the approved delete of `old`.
TEST_F(ClusterFailures, AFailedCreateSkipsTheRestOfTheGraphWork) {
    edit_file(cfg("cluster.yaml"), "policies:", std::string(kOldGraph) + "policies:");
    import_and_apply();
    edit_file(cfg("cluster.yaml"), kOldGraph,
              "  a:\n    schema: people.pg\n  b:\n    schema: people.pg\n");
    add_bio();
    std::string approval = js({"approve", "graph.old", "--as", "andrew"})["approval_id"];
    write_file(cfg("graphs/a.omni/_schema.pg"), "junk {");
    Json applied = js({"apply"}, 1);
    EXPECT_EQ(diag(applied, "graph_create_failed")["path"], "graph.a") << pretty(applied);
    Json create = diag(applied, "graph_create_skipped");
    EXPECT_EQ(create["path"], "graph.b") << pretty(applied);
    EXPECT_EQ(create["severity"], "warning");
    EXPECT_EQ(diag(applied, "schema_apply_skipped")["path"], "schema.knowledge");
    EXPECT_EQ(diag(applied, "schema_apply_skipped")["severity"], "warning");
    EXPECT_EQ(diag(applied, "graph_delete_skipped")["path"], "graph.old");
    EXPECT_EQ(diag(applied, "graph_delete_skipped")["severity"], "warning");
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{
                  "graph.a create blocked:graph_create_failed",
                  "graph.b create blocked:dependency_not_applied", "graph.knowledge update derived",
                  "graph.old delete blocked:dependency_not_applied",
                  "query.old.find_person delete blocked:dependency_not_applied",
                  "schema.a create blocked:dependency_not_applied",
                  "schema.b create blocked:dependency_not_applied",
                  "schema.knowledge update blocked:dependency_not_applied",
                  "schema.old delete blocked:dependency_not_applied"}))
        << pretty(applied);
    EXPECT_FALSE(fs::exists(cfg("graphs/b.omni")));
    EXPECT_TRUE(fs::exists(cfg("graphs/old.omni")));
    EXPECT_EQ(live_schema(), kSchema);
    EXPECT_TRUE(root().approval(approval + ".json")["consumed_at"].is_null());
    Json ledger = root().ledger();
    EXPECT_FALSE(ledger["applied_revision"]["resources"].contains("graph.b"));
    for (const char* kept : {"graph.old", "schema.old", "query.old.find_person"})
        EXPECT_TRUE(ledger["applied_revision"]["resources"].contains(kept)) << kept;
    EXPECT_EQ(ledger["resource_statuses"]["graph.a"]["conditions"][0], "graph_create_failed");

    // Without the junk (and its sidecar swept) the same approval carries everything through.
    fs::remove_all(cfg("graphs/a.omni"));
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_FALSE(fs::exists(cfg("graphs/old.omni")));
    EXPECT_TRUE(contains(live_schema("b"), "bio"));
    EXPECT_TRUE(contains(live_schema(), "bio"));
}

TEST_F(ClusterFailures, AnUnsupportedLedgerEntryIsApplyUnsupportedChange) {
    import_and_apply();
    Json ledger = root().ledger();
    ledger["applied_revision"]["resources"]["ui.dashboard.x"] = Json::object({{"digest", "00"}});
    root().write_ledger(ledger);
    Json plan = js({"plan"});
    EXPECT_EQ(change_lines(plan), std::vector<std::string>{"ui.dashboard.x delete deferred:"
                                                           "apply_unsupported_kind"})
        << pretty(plan);
    Json applied = js({"apply"});
    Json warning = diag(applied, "apply_unsupported_change");
    EXPECT_EQ(warning["path"], "ui.dashboard.x") << pretty(applied);
    EXPECT_EQ(warning["severity"], "warning");
    EXPECT_TRUE(contains(warning["message"], "apply_unsupported_kind")) << pretty(warning);
    EXPECT_EQ(applied["deferred_count"], 1);
    EXPECT_FALSE(applied["converged"].get<bool>());
    EXPECT_TRUE(resources().contains("ui.dashboard.x")) << "a deferred delete keeps the entry";
    EXPECT_EQ(cluster({"apply", "--detailed-exitcode"}).exit_code, 2);
}

// ---------------------------------------------------------------------------------------------
// Configuration-level failures
// ---------------------------------------------------------------------------------------------

// An s3:// root with no credentials in the environment: the store cannot be set up.
TEST_F(ClusterFailures, S3RootWithoutCredentialsIsStorageRootInvalid) {
    edit_file(cfg("cluster.yaml"), "version: 1\n", "version: 1\nstorage: s3://og-test/nowhere\n");
    Env no_credentials = {{"AWS_ACCESS_KEY_ID", ""},   {"AWS_SECRET_ACCESS_KEY", ""},
                          {"AWS_SESSION_TOKEN", ""},   {"AWS_PROFILE", ""},
                          {"AWS_ENDPOINT_URL_S3", ""}, {"AWS_ENDPOINT_URL", ""}};
    for (const char* command : {"plan", "status", "apply", "import", "refresh"}) {
        Json out = js({command}, 1, no_credentials);
        Json error = diag(out, "storage_root_invalid");
        EXPECT_EQ(error["path"], "storage") << command << pretty(out);
        EXPECT_TRUE(contains(error["message"], "s3://og-test/nowhere")) << pretty(error);
        EXPECT_TRUE(contains(error["message"], "AWS_ACCESS_KEY_ID")) << pretty(error);
    }
    Json unlock = js({"force-unlock", "x"}, 1, no_credentials);
    EXPECT_TRUE(has_diag(unlock, "storage_root_invalid")) << pretty(unlock);
    // validate never opens the store.
    EXPECT_TRUE(js({"validate"}, 0, no_credentials)["ok"].get<bool>());
}

// A query directory that cannot be listed. Root reads any directory, so the binary runs without
// the capabilities that let it ignore permissions (as an operator's account would).
TEST_F(ClusterFailures, UnlistableQueryDirectoryIsQueryDirUnreadable) {
    if (run_process({"setpriv", "--bounding-set", "-dac_override,-dac_read_search", "true"})
            .exit_code != 0)
        GTEST_SKIP() << "setpriv cannot drop capabilities here";
    ASSERT_EQ(::chmod(cfg("queries").c_str(), 0), 0);
    ProcessResult r =
        run_process({"setpriv", "--bounding-set", "-dac_override,-dac_read_search", "env", "-C",
                     dir_.path(), omnigraph(), "cluster", "validate", "--config", "cfg", "--json"},
                    {{"OMNIGRAPH_HOME", home_}, {"HOME", home_}});
    ::chmod(cfg("queries").c_str(), 0755);
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    Json out = parse(r.out);
    Json error = diag(out, "query_dir_unreadable");
    EXPECT_EQ(error["path"], "graphs.knowledge.queries") << pretty(out);
    EXPECT_TRUE(contains(error["message"], "cannot list query directory")) << pretty(error);
    EXPECT_FALSE(has_diag(out, "query_dir_empty"));
}

// ---------------------------------------------------------------------------------------------
// S3 requests that fail
// ---------------------------------------------------------------------------------------------

class ClusterFailuresS3 : public ClusterFailures {
  protected:
    void SetUp() override {
        ClusterFailures::SetUp();
        auto& server = S3TestServer::instance();
        ASSERT_TRUE(server.ok()) << server.error();
        uri_ = unique_s3_uri("cluster-failures");
        prefix_ = uri_.substr(std::string("s3://").size() +
                              std::string(S3TestServer::kBucket).size() + 1);
        edit_file(cfg("cluster.yaml"), "version: 1\n", "version: 1\nstorage: " + uri_ + "\n");
        s3cli_.emplace(dir_.path(), home_, server.environment());
        s3root_.emplace(uri_);
    }
    Json s3js(std::vector<std::string> args, int expected_exit = 0) const {
        args.insert(args.begin(), "cluster");
        args.insert(args.end(), {"--config", "cfg"});
        return s3cli_->json(args, expected_exit, {{"OMNIGRAPH_S3_MAX_ATTEMPTS", "1"}});
    }
    // The server path of a key under the root, as the fault injector matches it.
    std::string path_of(const std::string& key) const {
        return "/" + std::string(S3TestServer::kBucket) + "/" + prefix_ + "/" + key;
    }
    // Every ListObjectsV2 of the bucket goes to this path (the prefix is a query parameter).
    std::string listing() const { return "/" + std::string(S3TestServer::kBucket); }

    std::string uri_, prefix_;
    std::optional<Omni> s3cli_;
    std::optional<Root> s3root_;
};

// `plan` lists the recoveries then the approvals directory: both listings fail, both are
// warnings, and the plan itself still runs.
TEST_F(ClusterFailuresS3, FailedListingsAreSidecarAndApprovalReadErrors) {
    ASSERT_TRUE(s3js({"import"})["ok"].get<bool>());
    auto& server = S3TestServer::instance();
    server.inject_fault(listing(), 400, 2);
    Json plan = s3js({"plan"});
    EXPECT_EQ(server.fault_hits(listing()), 2);
    Json sidecars = diag(plan, "recovery_sidecar_read_error");
    EXPECT_EQ(sidecars["path"], "__cluster/recoveries") << pretty(plan);
    EXPECT_EQ(sidecars["severity"], "warning");
    Json approvals = diag(plan, "approval_read_error");
    EXPECT_EQ(approvals["path"], "__cluster/approvals") << pretty(plan);
    EXPECT_EQ(approvals["severity"], "warning");
    EXPECT_EQ(plan["changes"].size(), 4u) << "the plan is still computed";

    // status lists only the recoveries.
    server.inject_fault(listing(), 400, 1);
    Json status = s3js({"status"});
    EXPECT_EQ(diag_codes(status), std::vector<std::string>{"recovery_sidecar_read_error"})
        << pretty(status);
}

TEST_F(ClusterFailuresS3, FailedReadsAreStateLockAndCatalogReadErrors) {
    ASSERT_TRUE(s3js({"import"})["ok"].get<bool>());
    Json applied = s3js({"apply"});
    ASSERT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    auto& server = S3TestServer::instance();

    server.inject_fault(path_of("__cluster/state.json"), 400, 1);
    Json status = s3js({"status"}, 1);
    EXPECT_EQ(diag(status, "state_read_error")["path"], uri_ + "/__cluster/state.json")
        << pretty(status);

    server.inject_fault(path_of("__cluster/lock.json"), 400, 1);
    status = s3js({"status"});
    EXPECT_EQ(diag(status, "state_lock_read_error")["path"], uri_ + "/__cluster/lock.json")
        << pretty(status);

    std::string blob = s3root_->query_blob("knowledge", "find_person", sha256(kQueries));
    server.inject_fault(path_of(blob), 400, 1);
    status = s3js({"status"}, 1);
    EXPECT_EQ(diag(status, "catalog_payload_read_error")["path"], "query.knowledge.find_person")
        << pretty(status);
    EXPECT_TRUE(s3js({"status"})["ok"].get<bool>()) << "each fault was answered once";
}

// The lock's conditional delete fails: the command reports it (the lock stays, and the message
// names the force-unlock that clears it) instead of leaving a stuck lock unexplained; the next
// command on this host removes it, as its holder is gone.
TEST_F(ClusterFailuresS3, LockThatCannotBeReleasedIsStateLockError) {
    ASSERT_TRUE(s3js({"import"})["ok"].get<bool>());
    auto& server = S3TestServer::instance();
    std::string lock = path_of("__cluster/lock.json");
    server.inject_fault(lock, 400, 1, false, "DELETE");
    Json plan = s3js({"plan"}, 1);
    EXPECT_EQ(server.fault_hits(lock), 1);
    Json error = diag(plan, "state_lock_error");
    EXPECT_EQ(error["path"], uri_ + "/__cluster/lock.json") << pretty(plan);
    EXPECT_EQ(error["severity"], "error");
    ASSERT_TRUE(s3root_->exists("__cluster/lock.json"));
    std::string id = parse(s3root_->text("__cluster/lock.json"))["lock_id"];
    EXPECT_TRUE(contains(error["message"], "force-unlock " + id + " --config cfg"))
        << pretty(error);
    // Its holder has exited: the next command removes it (a lock of this host whose process is
    // gone) and runs.
    Json again = s3js({"plan"});
    EXPECT_TRUE(contains(diag(again, "state_lock_recovered").value("message", ""), id))
        << pretty(again);
    EXPECT_FALSE(s3root_->exists("__cluster/lock.json"));
}

// The owner marker of a graph apply just created cannot be written: the create did not complete
// (an error, the change blocked, its sidecar kept); the next apply rolls it forward and marks it.
TEST_F(ClusterFailuresS3, OwnerMarkerThatCannotBeWrittenBlocksTheCreate) {
    ASSERT_TRUE(s3js({"import"})["ok"].get<bool>());
    auto& server = S3TestServer::instance();
    std::string marker = "graphs/knowledge.omni/_cluster_owner.json";
    server.inject_fault(path_of(marker), 400, 1);
    Json applied = s3js({"apply"}, 1);
    EXPECT_EQ(server.fault_hits(path_of(marker)), 1);
    Json error = diag(applied, "graph_owner_marker_error");
    EXPECT_EQ(error["path"], "graph.knowledge") << pretty(applied);
    EXPECT_TRUE(contains(error["message"], "cannot be marked as managed")) << pretty(error);
    EXPECT_EQ(change(applied, "graph.knowledge")["reason"], "graph_create_failed");
    EXPECT_EQ(s3root_->sidecars().size(), 1u) << "kept for the sweep";
    EXPECT_FALSE(s3root_->exists(marker));
    Json again = s3js({"apply"});
    EXPECT_TRUE(has_diag(again, "cluster_recovery_rolled_forward")) << pretty(again);
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_EQ(parse(s3root_->text(marker))["cluster_root"], uri_);
    EXPECT_TRUE(s3root_->sidecars().empty());
}

} // namespace
} // namespace omnigraph::testing::cluster_e2e
