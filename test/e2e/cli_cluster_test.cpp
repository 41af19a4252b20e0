// End to end: the cluster control plane through the real `omnigraph` binary, against the
// acceptance tables of shared/spec/cluster.md §16 (plan/status/lock, refresh/import, apply,
// approvals, the recovery sweep, bindings, storage roots, CLI compositions, failpoints), the JSON
// output shapes and exit codes of every command, tampered state files, and the behaviours where
// we differ from upstream on purpose (graph ids, relative storage roots, lock leases, saved plans,
// --detailed-exitcode, import --if-missing, failpoints armed through the environment).
//
// The fixture is the spec's: one graph `knowledge` (Person{name @key, age I32?}), one query file
// declaring find_person, one policy `base` bound to [knowledge].
#include "cluster_fixtures/cluster_e2e.h"

#include <regex>
#include <sys/stat.h>
#include <sys/wait.h>
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
// A second graph `old` with the same schema and query file: the subtree the delete tests remove.
const char* kOldGraph = "  old:\n    schema: people.pg\n    queries: queries/\n";
const char* kGateReason = "delete may remove deployed graph or schema definition";
const std::string kUlidA = "01J00000000000000000000001";
const std::string kUlidB = "01J00000000000000000000002";

class ClusterSpec : public ::testing::Test {
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

    // A path under the config directory `<tmp>/cfg` (the commands run in <tmp>, --config cfg).
    std::string cfg(const std::string& rel = "") const {
        return rel.empty() ? dir_.path() + "/cfg" : dir_.path() + "/cfg/" + rel;
    }
    const Root& root() const { return *root_; }

    // `omnigraph cluster <args> --config cfg`.
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
    ProcessResult og(const std::vector<std::string>& args, const Env& extra = {}) const {
        return cli_->run(args, extra);
    }

    std::string desired(const std::string& address) const {
        Json v = js({"validate"});
        return v["resource_digests"].value(address, "");
    }
    std::string desired_config_digest() const {
        return js({"plan"})["desired_revision"].value("config_digest", "");
    }
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
    // An out-of-band schema apply: drop the owner marker, then the direct engine command.
    void schema_apply_out_of_band(const std::string& schema, const std::string& g = "knowledge") {
        fs::remove(cfg("graphs/" + g + ".omni/_cluster_owner.json"));
        write_file(dir_.path() + "/oob.pg", schema);
        auto r = og(
            {"schema", "apply", "--schema", dir_.path() + "/oob.pg", cfg("graphs/" + g + ".omni")});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    void add_old_graph() {
        edit_file(cfg("cluster.yaml"), "policies:", std::string(kOldGraph) + "policies:");
    }
    void remove_old_graph() { edit_file(cfg("cluster.yaml"), kOldGraph, ""); }

    // A hand-written recovery sidecar (spec §10.1).
    Json sidecar(const std::string& id, const std::string& kind, const std::string& g,
                 const std::string& desired_schema, const Json& approval = nullptr) const {
        Json s = Json::object();
        s["schema_version"] = 1;
        s["operation_id"] = id;
        s["started_at"] = "2026-01-01T00:00:00Z";
        s["actor"] = "sweeper";
        s["kind"] = kind;
        s["graph_id"] = g;
        s["graph_uri"] = cfg("graphs/" + g + ".omni");
        s["observed_manifest_version"] = nullptr;
        s["expected_manifest_version"] = nullptr;
        s["desired_schema_digest"] = desired_schema;
        s["state_cas_base"] = nullptr;
        s["approval_id"] = approval;
        return s;
    }
    void write_sidecar(const Json& s) const {
        root().write("__cluster/recoveries/" + s["operation_id"].get<std::string>() + ".json",
                     pretty(s));
    }
    // A hand-written lock (spec §6 plus our host/actor/lease fields when given).
    void write_lock(const std::string& id, const std::string& extra_fields = "") const {
        root().write("__cluster/lock.json", "{\n  \"version\": 1,\n  \"lock_id\": \"" + id +
                                                "\",\n  \"operation\": \"apply\",\n"
                                                "  \"created_at\": \"2026-01-01T00:00:00Z\",\n"
                                                "  \"pid\": 4242" +
                                                extra_fields + "\n}");
    }
    // A ledger holding consistent graph.knowledge (historical composite) + schema.knowledge.
    Json seeded_ledger(uint64_t revision = 1) const {
        std::string schema = sha256(kSchema);
        Json l = Json::object();
        l["version"] = 1;
        l["state_revision"] = revision;
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

    TempDir dir_;
    std::string home_;
    std::optional<Omni> cli_;
    std::optional<Root> root_;
};

// ---------------------------------------------------------------------------------------------
// §16.2 Plan / status / lock
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, PlanWithoutLedgerProposesEveryCreate) {
    Json plan = js({"plan"});
    EXPECT_EQ(keys_of(plan),
              (std::vector<std::string>{"ok", "config_dir", "desired_revision", "resource_digests",
                                        "dependencies", "state_observations", "changes",
                                        "blast_radius", "approvals_required", "diagnostics"}));
    EXPECT_TRUE(plan["ok"].get<bool>());
    EXPECT_EQ(plan["config_dir"], "cfg");
    Json obs = plan["state_observations"];
    EXPECT_EQ(keys_of(obs), (std::vector<std::string>{"state_path", "lock_path", "state_found",
                                                      "state_revision", "resource_count", "locked",
                                                      "lock_acquired", "acquired_lock_id"}));
    EXPECT_EQ(obs["state_path"], cfg("__cluster/state.json"));
    EXPECT_EQ(obs["lock_path"], cfg("__cluster/lock.json"));
    EXPECT_FALSE(obs["state_found"].get<bool>());
    EXPECT_TRUE(obs["lock_acquired"].get<bool>());
    EXPECT_FALSE(obs["locked"].get<bool>());
    EXPECT_EQ(
        change_lines(plan),
        (std::vector<std::string>{"graph.knowledge create applied", "policy.base create applied",
                                  "query.knowledge.find_person create applied",
                                  "schema.knowledge create applied"}));
    EXPECT_EQ(plan["dependencies"][0],
              Json::parse(R"({"from":"policy.base","to":"graph.knowledge"})"));
    EXPECT_EQ(plan["blast_radius"], Json::parse(R"([
        {"resource":"graph.knowledge","affected":["policy.base","query.knowledge.find_person",
                                                  "schema.knowledge"]},
        {"resource":"schema.knowledge","affected":["query.knowledge.find_person"]}])"));
    EXPECT_EQ(plan["approvals_required"], Json::array());
    EXPECT_EQ(keys_of(plan["changes"][0]),
              (std::vector<std::string>{"resource", "operation", "after_digest", "disposition"}));
    EXPECT_FALSE(fs::exists(cfg("__cluster/lock.json")));
    EXPECT_FALSE(fs::exists(cfg("__cluster/state.json")));

    auto text = cluster({"plan"});
    EXPECT_EQ(text.exit_code, 0);
    EXPECT_EQ(text.out, "cluster plan: 4 change(s), 0 approval gate(s)\n"
                        "  Create graph.knowledge\n"
                        "  Create policy.base\n"
                        "  Create query.knowledge.find_person\n"
                        "  Create schema.knowledge\n");
    EXPECT_EQ(cluster({"plan", "--detailed-exitcode"}).exit_code, 2);
}

TEST_F(ClusterSpec, PlanDiffsAgainstTheLedgerInAddressOrder) {
    Json l = seeded_ledger();
    l["applied_revision"]["resources"]["graph.knowledge"]["digest"] = desired("graph.knowledge");
    l["applied_revision"]["resources"]["schema.knowledge"]["digest"] = sha256("stale");
    l["applied_revision"]["resources"]["policy.old"] =
        Json::object({{"digest", sha256("old policy")}});
    root().write_ledger(l);
    Json plan = js({"plan"});
    EXPECT_EQ(change_lines(plan),
              (std::vector<std::string>{"policy.base create applied", "policy.old delete applied",
                                        "query.knowledge.find_person create applied",
                                        "schema.knowledge update applied"}));
    EXPECT_EQ(change(plan, "schema.knowledge")["before_digest"], sha256("stale"));
    EXPECT_EQ(change(plan, "policy.old")["before_digest"], sha256("old policy"));
    EXPECT_FALSE(change(plan, "policy.old").contains("after_digest"));
    // The migration preview needs a live graph; without one it is a warning, never a block.
    EXPECT_TRUE(has_diag(plan, "schema_preview_unavailable")) << pretty(plan);
    EXPECT_TRUE(plan["ok"].get<bool>());

    // A minimal old ledger without state_revision.
    root().write(
        "__cluster/state.json",
        R"({"version":1,"applied_revision":{"resources":{"graph.knowledge":{"digest":"x"}}}})");
    plan = js({"plan"});
    EXPECT_EQ(plan["state_observations"]["state_revision"], 0);
    EXPECT_EQ(plan["state_observations"]["state_cas"], "sha256:" + sha256(root().ledger_bytes()));
    EXPECT_EQ(change(plan, "graph.knowledge")["operation"], "update");
}

TEST_F(ClusterSpec, StatusSurfacesTheLedger) {
    // No ledger: a warning, exit 0.
    Json status = js({"status"});
    EXPECT_EQ(keys_of(status), (std::vector<std::string>{"ok", "config_dir", "state_observations",
                                                         "resource_digests", "resource_statuses",
                                                         "observations", "diagnostics"}));
    EXPECT_TRUE(status["ok"].get<bool>());
    EXPECT_EQ(diag_codes(status), std::vector<std::string>{"state_missing"});
    EXPECT_EQ(status["state_observations"]["state_revision"], 0);
    EXPECT_FALSE(status["state_observations"]["lock_acquired"].get<bool>());
    EXPECT_EQ(cluster({"status"}).out,
              "cluster state missing\n  lock: not held\nWARN  state_missing " +
                  cfg("__cluster/state.json") +
                  ": no cluster state ledger yet; run `omnigraph cluster import --config cfg`\n");
    EXPECT_FALSE(fs::exists(cfg("__cluster"))) << "status never writes";

    // An extended ledger: revision 42, statuses, a legacy manifest_version observation.
    Json l = seeded_ledger(42);
    l["resource_statuses"]["graph.knowledge"] = Json::object({{"status", "applied"}});
    l["resource_statuses"]["query.knowledge.old"] = Json::parse(
        R"({"status":"blocked","conditions":["approval_required"],"message":"waiting"})");
    l["observations"]["graph.knowledge"] = Json::parse(
        R"({"kind":"graph","address":"graph.knowledge","manifest_version":12,"exists":true})");
    root().write_ledger(l);
    std::string bytes = root().ledger_bytes();
    status = js({"status"});
    EXPECT_TRUE(status["ok"].get<bool>()) << pretty(status);
    EXPECT_EQ(status["state_observations"]["state_revision"], 42);
    EXPECT_EQ(status["state_observations"]["state_cas"], "sha256:" + sha256(bytes));
    EXPECT_EQ(status["state_observations"]["resource_count"], 2);
    EXPECT_EQ(status["resource_statuses"], l["resource_statuses"]);
    EXPECT_EQ(status["observations"]["graph.knowledge"]["graph_manifest_version"], 12);
    EXPECT_FALSE(status["observations"]["graph.knowledge"].contains("manifest_version"));
    EXPECT_EQ(status["resource_digests"]["schema.knowledge"], sha256(kSchema));
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_TRUE(cluster({"status"})
                    .out.starts_with("cluster state: revision 42, 2 resource(s)\n"
                                     "  lock: not held\n"));

    // Both spellings of the manifest version, disagreeing.
    l["observations"]["graph.knowledge"]["graph_manifest_version"] = 13;
    root().write_ledger(l);
    EXPECT_TRUE(has_diag(js({"status"}, 1), "conflicting_graph_manifest_observation"));

    // A ledger that is not JSON.
    root().write("__cluster/state.json", "{");
    status = js({"status"}, 1);
    EXPECT_FALSE(status["ok"].get<bool>());
    EXPECT_EQ(diag_codes(status), std::vector<std::string>{"invalid_state_json"});
    EXPECT_TRUE(status["state_observations"]["state_found"].get<bool>());
    EXPECT_TRUE(cluster({"status"}).out.starts_with("cluster status failed\n"));
}

TEST_F(ClusterSpec, HeldLockRefusesPlanAndIsReportedByStatus) {
    import_and_apply();
    std::string ledger = root().ledger_bytes();
    write_lock("stuck-lock", ",\n  \"host\": \"ci-7\",\n  \"actor\": \"robot\",\n"
                             "  \"lease_expires_at\": \"2099-01-01T00:00:00Z\"");
    Json status = js({"status"});
    Json obs = status["state_observations"];
    EXPECT_EQ(keys_of(obs),
              (std::vector<std::string>{
                  "state_path", "lock_path", "state_found", "applied_config_digest",
                  "state_revision", "state_cas", "resource_count", "locked", "lock_id",
                  "lock_acquired", "lock_operation", "lock_created_at", "lock_pid",
                  "lock_age_seconds", "lock_host", "lock_actor", "lock_lease_expires_at"}));
    EXPECT_TRUE(obs["locked"].get<bool>());
    EXPECT_EQ(obs["lock_id"], "stuck-lock");
    EXPECT_EQ(obs["lock_operation"], "apply");
    EXPECT_EQ(obs["lock_created_at"], "2026-01-01T00:00:00Z");
    EXPECT_EQ(obs["lock_pid"], 4242);
    EXPECT_GT(obs["lock_age_seconds"].get<int64_t>(), 0);
    EXPECT_EQ(obs["lock_host"], "ci-7");
    EXPECT_EQ(obs["lock_actor"], "robot");
    EXPECT_TRUE(contains(cluster({"status"}).out,
                         "  lock: held (id=stuck-lock, operation=apply, pid=4242, host=ci-7, "
                         "actor=robot, created_at=2026-01-01T00:00:00Z, age_seconds="));

    Json plan = js({"plan"}, 1);
    EXPECT_FALSE(plan["ok"].get<bool>());
    EXPECT_EQ(diag_codes(plan), std::vector<std::string>{"state_lock_held"});
    std::string message = diag(plan, "state_lock_held")["message"];
    EXPECT_TRUE(contains(message, "omnigraph cluster force-unlock stuck-lock --config cfg"))
        << message;
    EXPECT_FALSE(contains(message, "expired")) << "the lease runs until 2099: " << message;
    EXPECT_EQ(diag(plan, "state_lock_held")["path"], cfg("__cluster/lock.json"));
    EXPECT_FALSE(plan["state_observations"]["lock_acquired"].get<bool>());
    EXPECT_TRUE(plan["state_observations"]["locked"].get<bool>());
    EXPECT_EQ(plan["state_observations"]["lock_id"], "stuck-lock");
    EXPECT_EQ(plan["state_observations"]["lock_pid"], 4242);
    EXPECT_TRUE(plan["changes"].empty());
    EXPECT_EQ(cluster({"plan"}).out.substr(0, 20), "cluster plan failed\n");
    EXPECT_TRUE(root().exists("__cluster/lock.json"));
    EXPECT_EQ(root().ledger_bytes(), ledger);

    // locked plan -> force-unlock -> plan
    EXPECT_EQ(cluster({"force-unlock", "stuck-lock"}).exit_code, 0);
    EXPECT_EQ(cluster({"plan"}).exit_code, 0);
}

TEST_F(ClusterSpec, LockMessageSaysWhenTheLeaseExpired) {
    // A crashed holder: its lease (1 s here) runs out while the lock stays behind.
    import_and_apply();
    edit_file(cfg("people.pg"), "    age: I32?\n", "    age: I32?\n    bio: String?\n");
    auto crashed = cluster({"apply", "--as", "andrew"},
                           {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_state_write=crash"},
                            {"OMNIGRAPH_CLUSTER_LOCK_LEASE_SECONDS", "1"}});
    ASSERT_EQ(crashed.exit_code, 86) << crashed.out << crashed.err;
    Json lock = parse(root().text("__cluster/lock.json"));
    EXPECT_EQ(keys_of(lock),
              (std::vector<std::string>{"version", "lock_id", "operation", "created_at", "pid",
                                        "host", "actor", "lease_expires_at"}));
    EXPECT_EQ(lock["actor"], "andrew");
    EXPECT_FALSE(root().text("__cluster/lock.json").ends_with("\n"));
    std::string id = lock["lock_id"];
    // As if it had crashed on another machine: a dead process of this host loses its lock to
    // the next command (LockOfADeadProcessOfThisHostIsRecovered), another host's is kept.
    lock["host"] = "another-host";
    root().write("__cluster/lock.json", pretty(lock));
    ::sleep(3);
    Json plan = js({"plan"}, 1);
    std::string message = diag(plan, "state_lock_held")["message"];
    EXPECT_TRUE(contains(message, "lease expired")) << message;
    EXPECT_TRUE(contains(message, "omnigraph cluster force-unlock " + id + " --config cfg"))
        << message;
    EXPECT_EQ(cluster({"force-unlock", id}).exit_code, 0);
    Json applied = js({"apply"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    EXPECT_TRUE(contains(live_schema(), "bio: String?"));
}

// A lock whose holder ran on this host and is gone is removed by the next lock taker; one whose
// holder still runs is kept.
TEST_F(ClusterSpec, LockOfADeadProcessOfThisHostIsRecovered) {
    import_and_apply();
    char host[256] = {};
    ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
    pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    ::waitpid(child, nullptr, 0); // a pid no process has now
    auto lock = [&](int64_t pid) {
        return R"({"version":1,"lock_id":"01J9Z3K6Y6W7F0N8Q2R4T5V6X7","operation":"apply",)"
               R"("created_at":"2026-01-01T00:00:00Z","pid":)" +
               std::to_string(pid) + R"(,"host":")" + host + "\"}";
    };
    root().write("__cluster/lock.json", lock(::getpid()));
    Json held = js({"plan"}, 1);
    EXPECT_EQ(diag_codes(held), std::vector<std::string>{"state_lock_held"}) << pretty(held);
    root().write("__cluster/lock.json", lock(child));
    Json planned = js({"plan"});
    EXPECT_EQ(diag(planned, "state_lock_recovered")["message"],
              "removed the lock 01J9Z3K6Y6W7F0N8Q2R4T5V6X7 left by `apply` (pid " +
                  std::to_string(child) + " on this host), which no longer runs")
        << pretty(planned);
    EXPECT_EQ(diag(planned, "state_lock_recovered")["severity"], "warning");
    EXPECT_TRUE(planned["state_observations"]["lock_acquired"].get<bool>());
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
}

TEST_F(ClusterSpec, StateLockFalseTakesNoLock) {
    edit_file(cfg("cluster.yaml"), "version: 1\n", "version: 1\nstate:\n  lock: false\n");
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    for (const char* command : {"plan", "apply", "refresh"}) {
        Json out = js({command});
        EXPECT_TRUE(out["ok"].get<bool>()) << command << pretty(out);
        EXPECT_EQ(diag(out, "state_lock_disabled")["path"], "state.lock") << command;
        EXPECT_FALSE(out["state_observations"]["lock_acquired"].get<bool>()) << command;
        EXPECT_FALSE(fs::exists(cfg("__cluster/lock.json"))) << command;
    }
    EXPECT_TRUE(resources().contains("query.knowledge.find_person"));
}

TEST_F(ClusterSpec, ForceUnlockNeedsTheExactId) {
    // No lock at all.
    Json out = js({"force-unlock", "anything"}, 1);
    EXPECT_EQ(keys_of(out), (std::vector<std::string>{"ok", "config_dir", "state_observations",
                                                      "lock_removed", "diagnostics"}));
    EXPECT_EQ(diag_codes(out), std::vector<std::string>{"state_lock_missing"});
    EXPECT_FALSE(out["lock_removed"].get<bool>());
    EXPECT_EQ(cluster({"force-unlock", "anything"}).out.substr(0, 28),
              "cluster force-unlock failed\n");

    // Wrong id: kept.
    write_lock("stuck-lock");
    std::string lock = root().text("__cluster/lock.json");
    out = js({"force-unlock", "other-lock"}, 1);
    EXPECT_EQ(diag_codes(out), std::vector<std::string>{"state_lock_id_mismatch"});
    EXPECT_EQ(root().text("__cluster/lock.json"), lock);
    auto text = cluster({"force-unlock", "other-lock"});
    EXPECT_TRUE(text.out.starts_with("cluster force-unlock failed\n  lock: held (id=stuck-lock, "
                                     "operation=apply, pid=4242, created_at=2026-01-01T00:00:00Z"))
        << text.out;

    // Not JSON / an unknown field / version 2: kept, with their codes.
    for (
        const auto& [bytes, code] : std::vector<std::pair<std::string, std::string>>{
            {"{", "invalid_state_lock"},
            {R"({"version":1,"lock_id":"stuck-lock","operation":"apply","created_at":"x","pid":1,"extra":true})",
             "invalid_state_lock"},
            {R"({"version":1,"lock_id":"stuck-lock","operation":"apply","created_at":"x"})",
             "invalid_state_lock"},
            {R"({"version":2,"lock_id":"stuck-lock","operation":"apply","created_at":"x","pid":1})",
             "unsupported_state_lock_version"}}) {
        root().write("__cluster/lock.json", bytes);
        out = js({"force-unlock", "stuck-lock"}, 1);
        EXPECT_EQ(diag_codes(out), std::vector<std::string>{code}) << bytes;
        EXPECT_EQ(root().text("__cluster/lock.json"), bytes);
        // status reports it as a warning; the lock still counts as held.
        Json status = js({"status"});
        EXPECT_TRUE(has_diag(status, code)) << bytes << pretty(status);
        EXPECT_TRUE(status["state_observations"]["locked"].get<bool>());
        EXPECT_TRUE(contains(cluster({"status"}).out, "\n  lock: held\n")) << bytes;
        // and every lock taker still refuses.
        EXPECT_TRUE(has_diag(js({"plan"}, 1), "state_lock_held")) << bytes;
    }

    // The matching id.
    write_lock("stuck-lock");
    out = js({"force-unlock", "stuck-lock"});
    EXPECT_TRUE(out["lock_removed"].get<bool>());
    EXPECT_EQ(out["state_observations"]["lock_id"], "stuck-lock");
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
    write_lock("stuck-lock");
    EXPECT_TRUE(cluster({"force-unlock", "stuck-lock"})
                    .out.starts_with("cluster force-unlock: removed lock (id=stuck-lock, "
                                     "operation=apply, pid=4242, created_at="));

    // Header checks run first: an unsupported backend refuses and leaves the lock alone.
    write_lock("stuck-lock");
    edit_file(cfg("cluster.yaml"), "version: 1\n", "version: 1\nstate:\n  backend: s3://x\n");
    out = js({"force-unlock", "stuck-lock"}, 1);
    EXPECT_EQ(diag_codes(out), std::vector<std::string>{"unsupported_state_backend"});
    EXPECT_TRUE(root().exists("__cluster/lock.json"));
}

TEST_F(ClusterSpec, StatusWarnsPerPendingSidecar) {
    import_and_apply();
    EXPECT_TRUE(diag_codes(js({"status"})).empty()) << "no recoveries directory, no diagnostics";
    write_sidecar(sidecar(kUlidA, "graph_create", "knowledge", sha256(kSchema)));
    root().write("__cluster/recoveries/notes.txt", "ignored");
    Json status = js({"status"});
    EXPECT_TRUE(status["ok"].get<bool>());
    EXPECT_EQ(diag_codes(status), std::vector<std::string>{"cluster_recovery_pending"});
    EXPECT_EQ(diag(status, "cluster_recovery_pending")["path"],
              cfg("__cluster/recoveries/" + kUlidA + ".json"));
    Json plan = js({"plan"});
    EXPECT_EQ(diag(plan, "cluster_recovery_pending")["path"],
              cfg("__cluster/recoveries/" + kUlidA + ".json"));
}

TEST_F(ClusterSpec, StatusWarnsPerPendingSidecarUnderACustomRoot) {
    // `storage:` relative to the config directory (ours; upstream resolves against the cwd).
    edit_file(cfg("cluster.yaml"), "version: 1\n", "version: 1\nstorage: ../store\n");
    std::set<std::string> config_files = tree(cfg());
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Root custom(dir_.path() + "/store");
    Json s = sidecar(kUlidA, "schema_apply", "knowledge", sha256(kSchema));
    custom.write("__cluster/recoveries/" + kUlidA + ".json", pretty(s));
    Json status = js({"status"});
    EXPECT_EQ(status["state_observations"]["state_path"],
              dir_.path() + "/store/__cluster/state.json");
    EXPECT_EQ(diag(status, "cluster_recovery_pending")["path"],
              dir_.path() + "/store/__cluster/recoveries/" + kUlidA + ".json");
    EXPECT_EQ(tree(cfg()), config_files) << "nothing is created under the config directory";
}

TEST_F(ClusterSpec, StatusWarnsPerPendingSidecarOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    Omni s3cli(dir_.path(), home_, server.environment());
    std::string uri = unique_s3_uri("cluster-status");
    edit_file(cfg("cluster.yaml"), "version: 1\n", "version: 1\nstorage: " + uri + "\n");
    std::set<std::string> config_files = tree(cfg());
    ASSERT_EQ(s3cli.run({"cluster", "import", "--config", "cfg"}).exit_code, 0);
    Json status = s3cli.json({"cluster", "status", "--config", "cfg"});
    EXPECT_FALSE(status["state_observations"]["locked"].get<bool>()) << "no leaked lock";
    EXPECT_EQ(status["state_observations"]["lock_path"], uri + "/__cluster/lock.json");
    Root s3root(uri);
    s3root.write("__cluster/recoveries/" + kUlidA + ".json",
                 pretty(sidecar(kUlidA, "graph_create", "knowledge", sha256(kSchema))));
    status = s3cli.json({"cluster", "status", "--config", "cfg"});
    EXPECT_EQ(diag(status, "cluster_recovery_pending")["path"],
              uri + "/__cluster/recoveries/" + kUlidA + ".json");
    EXPECT_EQ(tree(cfg()), config_files);
}

// ---------------------------------------------------------------------------------------------
// §16.3 Refresh / import
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, ImportObservesALiveGraph) {
    init_graph();
    Json imported = js({"import"});
    EXPECT_EQ(keys_of(imported),
              (std::vector<std::string>{"ok", "operation", "config_dir", "state_observations",
                                        "resource_digests", "resource_statuses", "observations",
                                        "diagnostics"}));
    EXPECT_EQ(imported["operation"], "import");
    EXPECT_EQ(imported["state_observations"]["state_revision"], 1);
    EXPECT_EQ(imported["state_observations"]["state_cas"],
              "sha256:" + sha256(root().ledger_bytes()));
    EXPECT_TRUE(imported["state_observations"]["lock_acquired"].get<bool>());
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
    EXPECT_EQ(imported["resource_digests"],
              Json::object({{"graph.knowledge", composite("knowledge", sha256(kSchema))},
                            {"schema.knowledge", sha256(kSchema)}}));
    Json observed = imported["observations"]["graph.knowledge"];
    EXPECT_EQ(keys_of(observed),
              (std::vector<std::string>{
                  "kind", "address", "graph_uri", "observed_at", "exists", "graph_manifest_version",
                  "schema_digest", "desired_schema_digest", "schema_matches_desired", "error"}));
    EXPECT_EQ(observed["graph_uri"], cfg("graphs/knowledge.omni"));
    EXPECT_TRUE(observed["graph_manifest_version"].is_number_unsigned());
    EXPECT_TRUE(observed["schema_matches_desired"].get<bool>());
    EXPECT_TRUE(observed["error"].is_null());
    EXPECT_EQ(imported["resource_statuses"]["graph.knowledge"]["status"], "applied");
    EXPECT_EQ(imported["resource_statuses"]["schema.knowledge"]["status"], "applied");
    Json ledger = root().ledger();
    EXPECT_EQ(ledger["state_revision"], 1);
    EXPECT_EQ(ledger["applied_revision"]["config_digest"], desired_config_digest());
    EXPECT_EQ(keys_of(ledger),
              (std::vector<std::string>{"version", "state_revision", "applied_revision",
                                        "resource_statuses", "approval_records", "recovery_records",
                                        "observations"}));
    EXPECT_TRUE(root().ledger_bytes().ends_with("}\n"));

    // Import is not idempotent, unless asked to be.
    std::string bytes = root().ledger_bytes();
    Json again = js({"import"}, 1);
    EXPECT_EQ(diag_codes(again), std::vector<std::string>{"state_already_exists"});
    EXPECT_EQ(cluster({"import"}).out.substr(0, 22), "cluster import failed\n");
    auto if_missing = cluster({"import", "--if-missing"});
    EXPECT_EQ(if_missing.exit_code, 0) << if_missing.out;
    EXPECT_TRUE(if_missing.out.starts_with(
        "cluster import: state already exists (revision 1); nothing to do\n"))
        << if_missing.out;
    EXPECT_EQ(root().ledger_bytes(), bytes);

    // §16.10: init, import, plan -> graph derived, query and policy applied.
    Json plan = js({"plan"});
    EXPECT_EQ(
        change_lines(plan),
        (std::vector<std::string>{"graph.knowledge update derived", "policy.base create applied",
                                  "query.knowledge.find_person create applied"}));
    Json applied = js({"apply"});
    EXPECT_EQ(applied["applied_count"], 2);
    EXPECT_TRUE(applied["converged"].get<bool>());
    Json status = js({"status"});
    for (const auto& [address, s] : status["resource_statuses"].items())
        EXPECT_EQ(s["status"], "applied") << address;
    EXPECT_EQ(status["state_observations"]["applied_config_digest"], desired_config_digest());
    ASSERT_EQ(cluster({"refresh"}).exit_code, 0);
    EXPECT_TRUE(js({"plan"})["changes"].empty());
    edit_file(cfg("queries/people.gq"), "$p.name, $p.age", "$p.age, $p.name");
    applied = js({"apply"});
    EXPECT_EQ(applied["applied_count"], 1);
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_FALSE(js({"apply"})["state_written"].get<bool>());

    // The imported root is cluster-managed: init and direct schema apply are refused.
    auto init = og({"init", "--schema", cfg("people.pg"), cfg("graphs/knowledge.omni")});
    EXPECT_EQ(init.exit_code, 1);
    EXPECT_TRUE(contains(init.err, "cluster apply")) << init.err;
    auto other = og({"init", "--schema", cfg("people.pg"), cfg("graphs/fresh.omni")});
    EXPECT_EQ(other.exit_code, 1);
    EXPECT_TRUE(contains(other.err, "cluster apply")) << other.err;
    EXPECT_FALSE(fs::exists(cfg("graphs/fresh.omni")));
    write_file(dir_.path() + "/v2.pg",
               std::string(kSchema) + "node Team {\n    name: String @key\n}\n");
    auto direct =
        og({"schema", "apply", "--schema", dir_.path() + "/v2.pg", cfg("graphs/knowledge.omni")});
    EXPECT_EQ(direct.exit_code, 1) << "schema apply on an imported cluster graph root went "
                                      "through:\n"
                                   << direct.out << direct.err;
    EXPECT_TRUE(contains(direct.err, "cluster apply")) << direct.err;
    EXPECT_FALSE(contains(live_schema(), "Team"));
}

TEST_F(ClusterSpec, RefreshRecordsLiveState) {
    // Refresh without a ledger.
    Json missing = js({"refresh"}, 1);
    EXPECT_EQ(diag_codes(missing), std::vector<std::string>{"state_missing"});
    EXPECT_TRUE(contains(diag(missing, "state_missing")["message"], "cluster import"));
    EXPECT_EQ(cluster({"refresh"}).out.substr(0, 23), "cluster refresh failed\n");

    // A ledger without a revision: refresh writes revision 1.
    init_graph();
    root().write("__cluster/state.json", R"({"version":1,"applied_revision":{}})");
    Json refreshed = js({"refresh"});
    EXPECT_EQ(keys_of(refreshed),
              (std::vector<std::string>{"ok", "operation", "config_dir", "state_observations",
                                        "resource_digests", "resource_statuses", "observations",
                                        "diagnostics"}));
    EXPECT_EQ(refreshed["operation"], "refresh");
    EXPECT_EQ(refreshed["state_observations"]["state_revision"], 1);
    EXPECT_EQ(refreshed["resource_statuses"]["graph.knowledge"]["status"], "applied");

    // Revision 4 -> 5 with the live schema digest and a numeric manifest version.
    Json l = root().ledger();
    l["state_revision"] = 4;
    root().write_ledger(l);
    auto text = cluster({"refresh"});
    EXPECT_TRUE(
        std::regex_match(text.out, std::regex("cluster refresh: revision 5, 2 resource\\(s\\)\n"
                                              "  state_cas: sha256:[0-9a-f]{64}\n"
                                              "  lock: acquired \\(id=[0-9A-Z]{26}\\)\n"
                                              "(  [a-z]+\\.[a-z_.]+: [a-z]+[^\n]*\n)*")))
        << text.out;
    l = root().ledger();
    EXPECT_EQ(l["state_revision"], 5);
    EXPECT_EQ(l["applied_revision"]["resources"]["schema.knowledge"]["digest"], sha256(kSchema));
    EXPECT_TRUE(l["observations"]["graph.knowledge"]["graph_manifest_version"].is_number());

    // Desired schema edited, live still old: drifted, plan proposes the update.
    edit_file(cfg("people.pg"), "    age: I32?\n", "    age: I32?\n    bio: String?\n");
    refreshed = js({"refresh"});
    EXPECT_EQ(refreshed["resource_statuses"]["schema.knowledge"],
              Json::parse(R"({"status":"drifted","conditions":["schema_mismatch"]})"));
    EXPECT_FALSE(
        refreshed["observations"]["graph.knowledge"]["schema_matches_desired"].get<bool>());
    Json plan = js({"plan"});
    EXPECT_EQ(change(plan, "schema.knowledge")["disposition"], "applied");
    EXPECT_EQ(change(plan, "schema.knowledge")["migration"]["steps"][0]["kind"], "add_property");
}

TEST_F(ClusterSpec, RefreshAfterTheRootWasDestroyed) {
    import_and_apply();
    std::string query = resources()["query.knowledge.find_person"]["digest"];
    std::string blob = root().query_blob("knowledge", "find_person", query);
    std::string blob_bytes = root().text(blob);
    fs::remove_all(cfg("graphs/knowledge.omni"));
    Json refreshed = js({"refresh"});
    EXPECT_TRUE(refreshed["ok"].get<bool>());
    for (const char* address : {"graph.knowledge", "schema.knowledge"}) {
        EXPECT_EQ(refreshed["resource_statuses"][address],
                  Json::parse(R"({"status":"drifted","conditions":["graph_missing"]})"));
        EXPECT_FALSE(refreshed["resource_digests"].contains(address));
    }
    EXPECT_FALSE(refreshed["observations"]["graph.knowledge"]["exists"].get<bool>());
    EXPECT_TRUE(refreshed["observations"]["graph.knowledge"]["error"].is_string());
    EXPECT_EQ(refreshed["resource_digests"]["query.knowledge.find_person"], query);
    Json plan = js({"plan"});
    EXPECT_EQ(change_lines(plan), (std::vector<std::string>{"graph.knowledge create applied",
                                                            "schema.knowledge create applied"}));
    Json applied = js({"apply"});
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_TRUE(fs::exists(cfg("graphs/knowledge.omni/_cluster_owner.json")));
    EXPECT_EQ(live_schema(), kSchema);
    EXPECT_EQ(resources()["query.knowledge.find_person"]["digest"], query);
    EXPECT_EQ(root().text(blob), blob_bytes);
}

TEST_F(ClusterSpec, RefreshAndImportRefuseAHeldLock) {
    write_lock("held-1");
    EXPECT_TRUE(has_diag(js({"import"}, 1), "state_lock_held"));
    EXPECT_FALSE(root().exists("__cluster/state.json"));
    root().remove("__cluster/lock.json");
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    std::string bytes = root().ledger_bytes();
    write_lock("held-2");
    EXPECT_TRUE(has_diag(js({"refresh"}, 1), "state_lock_held"));
    EXPECT_EQ(root().ledger_bytes(), bytes);
}

TEST_F(ClusterSpec, ImportOfAnUnopenableRootWritesNothing) {
    write_file(cfg("graphs/knowledge.omni/_schema.pg"), "this is not a schema {");
    Json imported = js({"import"}, 1);
    EXPECT_EQ(diag(imported, "graph_observation_error")["path"], "graphs");
    EXPECT_EQ(diag(imported, "graph_observation_error")["message"],
              "1 graph observation(s) failed");
    EXPECT_FALSE(root().exists("__cluster/state.json"));
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
}

TEST_F(ClusterSpec, RefreshPreservesBindingsAndProviders) {
    edit_file(cfg("cluster.yaml"), "graphs:\n",
              "providers:\n  embedding:\n    default:\n      provider: mock\n      model: m1\n"
              "graphs:\n");
    edit_file(cfg("cluster.yaml"), "    queries: queries/\n",
              "    queries: queries/\n    embedding_provider: default\n");
    import_and_apply();
    ASSERT_EQ(cluster({"refresh"}).exit_code, 0);
    Json r = resources();
    EXPECT_EQ(r["policy.base"]["applies_to"], Json::parse(R"(["graph.knowledge"])"));
    EXPECT_EQ(r["graph.knowledge"]["embedding_provider"], "provider.embedding.default");
    EXPECT_EQ(r["provider.embedding.default"]["embedding_profile"],
              Json::parse(R"({"kind":"mock","model":"m1"})"));
    EXPECT_TRUE(js({"plan"})["changes"].empty());
}

// ---------------------------------------------------------------------------------------------
// §16.4 Apply
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, ApplyWithoutLedgerRefuses) {
    Json applied = js({"apply", "--as", "andrew"}, 1);
    EXPECT_EQ(keys_of(applied),
              (std::vector<std::string>{"ok", "config_dir", "actor", "desired_revision",
                                        "state_observations", "changes", "applied_count",
                                        "deferred_count", "converged", "state_written",
                                        "resource_statuses", "diagnostics"}));
    EXPECT_EQ(diag_codes(applied), std::vector<std::string>{"state_missing"});
    EXPECT_TRUE(contains(diag(applied, "state_missing")["message"], "cluster import"));
    EXPECT_FALSE(applied["state_written"].get<bool>());
    EXPECT_FALSE(root().exists("__cluster/state.json"));
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
    EXPECT_FALSE(fs::exists(cfg("__cluster/resources")));
    EXPECT_FALSE(fs::exists(cfg("graphs")));
    EXPECT_EQ(cluster({"apply"}).out, "cluster apply failed\n  no changes\nERROR state_missing " +
                                          cfg("__cluster/state.json") +
                                          ": no cluster state ledger at " +
                                          cfg("__cluster/state.json") +
                                          "; run `omnigraph cluster import --config cfg` first\n");
}

TEST_F(ClusterSpec, ApplyOnASeededLedger) {
    root().write_ledger(seeded_ledger());
    Json applied = js({"apply"});
    EXPECT_FALSE(applied.contains("actor"));
    EXPECT_EQ(
        change_lines(applied),
        (std::vector<std::string>{"graph.knowledge update derived", "policy.base create applied",
                                  "query.knowledge.find_person create applied"}));
    EXPECT_EQ(applied["applied_count"], 2);
    EXPECT_EQ(applied["deferred_count"], 0);
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_TRUE(applied["state_written"].get<bool>());
    EXPECT_EQ(applied["state_observations"]["state_revision"], 2);
    std::string policy = read_file(cfg("base.policy.yaml"));
    EXPECT_EQ(root().text(root().query_blob("knowledge", "find_person", sha256(kQueries))),
              kQueries);
    EXPECT_EQ(root().text(root().policy_blob("base", sha256(policy))), policy);
    Json ledger = root().ledger();
    EXPECT_EQ(ledger["state_revision"], 2);
    Json graph = ledger["applied_revision"]["resources"]["graph.knowledge"];
    EXPECT_EQ(graph["digest"],
              composite("knowledge", sha256(kSchema), {{"find_person", sha256(kQueries)}}));
    EXPECT_EQ(keys_of(graph), std::vector<std::string>{"digest"}) << "deny has no policy field";
    EXPECT_EQ(ledger["applied_revision"]["config_digest"],
              applied["desired_revision"]["config_digest"]);
    for (const auto& [address, s] : ledger["resource_statuses"].items())
        EXPECT_EQ(s, Json::parse(R"({"status":"applied"})")) << address;
    EXPECT_EQ(applied["resource_statuses"], ledger["resource_statuses"]);

    // Second apply: nothing to do, the bytes stay.
    std::string bytes = root().ledger_bytes();
    Json again = js({"apply"});
    EXPECT_TRUE(again["changes"].empty());
    EXPECT_FALSE(again["state_written"].get<bool>());
    EXPECT_TRUE(again["converged"].get<bool>());
    EXPECT_EQ(again["state_observations"]["state_revision"], 2);
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_EQ(cluster({"apply", "--detailed-exitcode"}).exit_code, 0);

    // A new query digest: a new blob, the old one untouched.
    std::string old_blob = cfg(root().query_blob("knowledge", "find_person", sha256(kQueries)));
    auto old_time = fs::last_write_time(old_blob);
    edit_file(cfg("queries/people.gq"), "$p.name, $p.age", "$p.name");
    std::string edited = read_file(cfg("queries/people.gq"));
    applied = js({"apply"});
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.knowledge update derived",
                                        "query.knowledge.find_person update applied"}));
    EXPECT_EQ(root().text(root().query_blob("knowledge", "find_person", sha256(edited))), edited);
    EXPECT_EQ(read_file(old_blob), kQueries);
    EXPECT_EQ(fs::last_write_time(old_blob), old_time);
}

TEST_F(ClusterSpec, ApplyRemovesQueriesAndPoliciesGoneFromTheConfig) {
    Json l = seeded_ledger();
    std::string schema = sha256(kSchema);
    l["applied_revision"]["resources"]["graph.knowledge"]["digest"] = composite(
        "knowledge", schema, {{"find_person", sha256(kQueries)}, {"orphan", sha256("o")}});
    l["applied_revision"]["resources"]["query.knowledge.find_person"] =
        Json::object({{"digest", sha256(kQueries)}});
    l["applied_revision"]["resources"]["query.knowledge.orphan"] =
        Json::object({{"digest", sha256("o")}});
    l["applied_revision"]["resources"]["policy.old"] = Json::object({{"digest", sha256("p")}});
    l["resource_statuses"]["query.knowledge.orphan"] = Json::object({{"status", "applied"}});
    l["resource_statuses"]["policy.old"] = Json::object({{"status", "applied"}});
    root().write_ledger(l);
    root().write(root().query_blob("knowledge", "orphan", sha256("o")), "o");
    root().write(root().policy_blob("old", sha256("p")), "p");
    // A pre-existing blob with the wrong content at its digest name is rewritten from the source
    // (ours: the original trusts it, so a tampered blob could never heal).
    std::string policy = read_file(cfg("base.policy.yaml"));
    root().write(root().policy_blob("base", sha256(policy)), "not the policy");
    Json applied = js({"apply"});
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.knowledge update derived",
                                        "policy.base create applied", "policy.old delete applied",
                                        "query.knowledge.orphan delete applied"}));
    EXPECT_TRUE(applied["converged"].get<bool>());
    Json ledger = root().ledger();
    for (const char* gone : {"query.knowledge.orphan", "policy.old"}) {
        EXPECT_FALSE(ledger["applied_revision"]["resources"].contains(gone)) << gone;
        EXPECT_FALSE(ledger["resource_statuses"].contains(gone)) << gone;
    }
    EXPECT_EQ(ledger["applied_revision"]["resources"]["graph.knowledge"]["digest"],
              composite("knowledge", schema, {{"find_person", sha256(kQueries)}}));
    EXPECT_EQ(root().text(root().query_blob("knowledge", "orphan", sha256("o"))), "o");
    EXPECT_EQ(root().text(root().policy_blob("old", sha256("p"))), "p");
    EXPECT_EQ(root().text(root().policy_blob("base", sha256(policy))), policy);
}

TEST_F(ClusterSpec, ApplyRefusesAHeldLock) {
    root().write_ledger(seeded_ledger(7));
    std::string bytes = root().ledger_bytes();
    write_lock("someone-else");
    Json applied = js({"apply"}, 1);
    EXPECT_EQ(diag_codes(applied), std::vector<std::string>{"state_lock_held"});
    EXPECT_FALSE(applied["state_written"].get<bool>());
    EXPECT_TRUE(root().exists("__cluster/lock.json"));
    EXPECT_FALSE(fs::exists(cfg("__cluster/resources")));
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_EQ(cluster({"apply", "--detailed-exitcode"}).exit_code, 1);
}

TEST_F(ClusterSpec, InvalidConfigIsRefusedBeforeAnyStateExists) {
    const std::string valid = kClusterYaml;
    auto refuse = [&](const std::string& yaml, const std::string& code, const std::string& path) {
        write_file(cfg("cluster.yaml"), yaml);
        for (const char* command : {"import", "plan", "apply", "refresh", "approve"}) {
            std::vector<std::string> args = {command};
            if (std::string(command) == "approve")
                args.insert(args.end(), {"graph.knowledge", "--as", "andrew"});
            Json out = js(args, 1);
            EXPECT_TRUE(has_diag(out, code)) << command << " " << yaml << pretty(out);
            EXPECT_EQ(diag(out, code)["path"], path) << command << " " << yaml;
            EXPECT_FALSE(fs::exists(cfg("__cluster"))) << command << " " << yaml;
            EXPECT_FALSE(fs::exists(cfg("graphs"))) << command << " " << yaml;
        }
        Json validated = js({"validate"}, 1);
        EXPECT_TRUE(has_diag(validated, code)) << yaml;
        EXPECT_EQ(cluster({"validate"}).out.substr(0, 23), "cluster config invalid\n");
    };
    // A graph-bound bundle bound to the cluster scope.
    std::string cluster_bound = valid;
    cluster_bound.replace(cluster_bound.find("[knowledge]"), 11, "[cluster]");
    refuse(cluster_bound, "policy_invalid", "policies.base.file");
    // Graph ids follow the server's routing rule (ours): no '_', at most 64 characters.
    std::string underscore = valid;
    underscore.replace(underscore.find("knowledge:"), 10, "know_ledge:");
    underscore.replace(underscore.find("[knowledge]"), 11, "[know_ledge]");
    refuse(underscore, "invalid_resource_id", "graphs.know_ledge");
    std::string long_id(65, 'k');
    std::string too_long = valid;
    too_long.replace(too_long.find("knowledge:"), 10, long_id + ":");
    too_long.replace(too_long.find("[knowledge]"), 11, "[" + long_id + "]");
    refuse(too_long, "invalid_resource_id", "graphs." + long_id);
    std::string reserved = valid;
    reserved.replace(reserved.find("knowledge:"), 10, "healthz:");
    reserved.replace(reserved.find("[knowledge]"), 11, "[healthz]");
    refuse(reserved, "invalid_resource_id", "graphs.healthz");
    // Storage schemes other than file:// and s3:// (ours: upstream takes them as local paths).
    refuse("version: 1\nstorage: gs://bucket/prefix\n" + valid.substr(11), "invalid_storage_root",
           "storage");
    refuse("version: 1\nstorage: \"s3://\"\n" + valid.substr(11), "invalid_storage_root",
           "storage");
    refuse(valid + "wat: 1\n", "invalid_cluster_yaml", "cluster.yaml");
    refuse(valid + "pipelines: {}\n", "future_phase_field", "pipelines");
    refuse("version: 2\n" + valid.substr(11), "unsupported_cluster_config_version", "version");
    // The valid id shapes pass.
    std::string dashed = valid;
    dashed.replace(dashed.find("knowledge:"), 10, "K-1:");
    dashed.replace(dashed.find("[knowledge]"), 11, "[K-1]");
    write_file(cfg("cluster.yaml"), dashed);
    EXPECT_TRUE(js({"validate"})["resource_digests"].contains("graph.K-1"));
}

// The state directory cannot take a new file: the ledger write fails. Without a lock (which would
// also need that directory) and with the catalog directory already there, only the CAS write of
// __cluster/state.json is refused. A user loses write permission on the directory; root ignores
// permissions, so as root the directory is made immutable instead (skipped where the file system
// cannot do that).
TEST_F(ClusterSpec, StateWriteFailureIsReportedWithThePersistedView) {
    edit_file(cfg("cluster.yaml"), "version: 1\n", "version: 1\nstate:\n  lock: false\n");
    root().write_ledger(seeded_ledger());
    fs::create_directories(cfg("__cluster/resources"));
    std::string bytes = root().ledger_bytes();
    std::string dir = cfg("__cluster");
    bool as_root = ::geteuid() == 0;
    if (as_root) {
        if (run_process({"chattr", "+i", dir}).exit_code != 0)
            GTEST_SKIP() << "cannot make " << dir << " immutable here";
    } else {
        ASSERT_EQ(::chmod(dir.c_str(), 0555), 0);
    }
    Json applied = js({"apply"}, 1);
    std::string text = cluster({"apply"}).out;
    if (as_root)
        run_process({"chattr", "-i", dir});
    else
        ::chmod(dir.c_str(), 0755);
    EXPECT_EQ(diag(applied, "state_write_error")["path"], cfg("__cluster/state.json"))
        << pretty(applied);
    EXPECT_FALSE(applied["state_written"].get<bool>());
    EXPECT_EQ(applied["resource_statuses"], Json::object()) << "the persisted view";
    EXPECT_EQ(applied["state_observations"]["state_revision"], 1);
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_TRUE(text.starts_with("cluster apply failed\n")) << text;
    EXPECT_TRUE(contains(text, "ERROR state_write_error ")) << text;
    // Writable again: the same apply goes through (the blobs it left are inert until then).
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
}

TEST_F(ClusterSpec, SchemaAndDependentQueryConvergeInOneApply) {
    import_and_apply();
    edit_file(cfg("people.pg"), "    age: I32?\n", "    age: I32?\n    bio: String?\n");
    edit_file(cfg("queries/people.gq"), "$p.name, $p.age", "$p.name, $p.bio");
    Json plan = js({"plan"});
    EXPECT_EQ(change(plan, "schema.knowledge")["migration"], Json::parse(R"({"supported":true,
        "steps":[{"kind":"add_property","type_kind":"node","type_name":"Person",
        "property_name":"bio","property_type":{"scalar":"String","nullable":true,"list":false,
        "enum_values":null}}]})"));
    EXPECT_EQ(keys_of(change(plan, "schema.knowledge")),
              (std::vector<std::string>{"resource", "operation", "before_digest", "after_digest",
                                        "disposition", "migration"}));
    Json applied = js({"apply", "--as", "andrew"});
    EXPECT_EQ(applied["actor"], "andrew");
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.knowledge update derived",
                                        "query.knowledge.find_person update applied",
                                        "schema.knowledge update applied"}));
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_EQ(live_schema(), read_file(cfg("people.pg")));
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_TRUE(js({"plan"})["changes"].empty());
}

TEST_F(ClusterSpec, UnsupportedMigrationKeepsTheAppliedState) {
    fs::create_directories(dir_.path() + "/assets");
    import_and_apply();
    Json before = root().ledger();
    // A property type change plus an allow policy edit in one run.
    edit_file(cfg("people.pg"), "age: I32?", "age: String?");
    edit_file(cfg("cluster.yaml"), "    queries: queries/\n",
              "    queries: queries/\n    external_blobs:\n      allow:\n        - base: file://" +
                  dir_.path() + "/assets\n          scope: embedded_only\n");
    auto text = cluster({"plan"});
    EXPECT_TRUE(
        contains(text.out, "      migration UNSUPPORTED:\n      {\"kind\":\"unsupported_change\""))
        << text.out;
    Json applied = js({"apply"}, 1);
    EXPECT_TRUE(contains(diag(applied, "schema_apply_failed")["message"], "changing property type"))
        << pretty(applied);
    EXPECT_EQ(change(applied, "schema.knowledge")["disposition"], "blocked");
    EXPECT_EQ(change(applied, "schema.knowledge")["reason"], "schema_apply_failed");
    EXPECT_FALSE(applied["converged"].get<bool>());
    EXPECT_EQ(applied["resource_statuses"]["schema.knowledge"]["status"], "blocked");
    Json ledger = root().ledger();
    EXPECT_EQ(ledger["applied_revision"]["resources"]["schema.knowledge"],
              before["applied_revision"]["resources"]["schema.knowledge"]);
    EXPECT_FALSE(
        ledger["applied_revision"]["resources"]["graph.knowledge"].contains("external_blob_policy"))
        << "a failed migration must not widen ingress";
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_EQ(live_schema(), kSchema);
    EXPECT_EQ(cluster({"apply", "--detailed-exitcode"}).exit_code, 1);

    // Reverting the schema converges and installs the allow policy.
    edit_file(cfg("people.pg"), "age: String?", "age: I32?");
    applied = js({"apply"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    Json policy = resources()["graph.knowledge"]["external_blob_policy"];
    EXPECT_EQ(policy["mode"], "allow");
    EXPECT_EQ(policy["bases"][0]["uri"], "file://" + dir_.path() + "/assets/");
    EXPECT_EQ(policy["bases"][0]["scope"], "embedded_only");

    // Symmetric: a failed migration keeps an applied allow.
    edit_file(cfg("people.pg"), "age: I32?", "age: String?");
    std::string allow_yaml = read_file(cfg("cluster.yaml"));
    edit_file(cfg("cluster.yaml"), allow_yaml.substr(allow_yaml.find("    external_blobs:")),
              "policies:\n  base:\n    file: base.policy.yaml\n    applies_to: [knowledge]\n");
    applied = js({"apply"}, 1);
    EXPECT_EQ(resources()["graph.knowledge"]["external_blob_policy"], policy);
}

// Ours: other branches do not block a migration of main (the original requires a main-only
// graph and fails with schema_apply_failed); each branch keeps the schema its head names.
TEST_F(ClusterSpec, UserBranchDoesNotBlockClusterSchemaApply) {
    import_and_apply();
    ASSERT_EQ(og({"branch", "create", "feature", "--uri", cfg("graphs/knowledge.omni")}).exit_code,
              0);
    edit_file(cfg("people.pg"), "    age: I32?\n", "    age: I32?\n    bio: String?\n");
    Json applied = js({"apply"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_EQ(live_schema(), read_file(cfg("people.pg")));
    auto feature = og({"schema", "show", "--branch", "feature", cfg("graphs/knowledge.omni")});
    EXPECT_EQ(feature.out, kSchema) << feature.err;
}

TEST_F(ClusterSpec, EmptyLedgerAndADeclaredGraph) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Json applied = js({"apply"});
    EXPECT_EQ(
        change_lines(applied),
        (std::vector<std::string>{"graph.knowledge create applied", "policy.base create applied",
                                  "query.knowledge.find_person create applied",
                                  "schema.knowledge create applied"}));
    EXPECT_EQ(applied["applied_count"], 4);
    EXPECT_EQ(live_schema(), kSchema);
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_EQ(parse(read_file(cfg("graphs/knowledge.omni/_cluster_owner.json")))["graph_id"],
              "knowledge");
    auto snapshot = og({"snapshot", cfg("graphs/knowledge.omni")});
    EXPECT_EQ(snapshot.exit_code, 0) << snapshot.err;
}

TEST_F(ClusterSpec, JunkSchemaAtTheRootFailsTheCreate) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    write_file(cfg("graphs/knowledge.omni/_schema.pg"), "junk {");
    Json applied = js({"apply"}, 1);
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.knowledge create blocked:graph_create_failed",
                                        "policy.base create blocked:dependency_not_applied",
                                        "query.knowledge.find_person create "
                                        "blocked:dependency_not_applied",
                                        "schema.knowledge create blocked:dependency_not_applied"}));
    EXPECT_FALSE(applied["converged"].get<bool>());
    EXPECT_EQ(root().sidecars().size(), 1u);
    EXPECT_TRUE(resources().empty());

    // The next apply's sweep: the partial root does not open.
    applied = js({"apply"}, 1);
    EXPECT_TRUE(has_diag(applied, "graph_create_incomplete"));
    EXPECT_EQ(change(applied, "graph.knowledge")["reason"], "cluster_recovery_pending");
    EXPECT_EQ(change(applied, "policy.base")["reason"], "cluster_recovery_pending");
    EXPECT_EQ(root().ledger()["resource_statuses"]["graph.knowledge"]["conditions"][0],
              "graph_create_incomplete");
    EXPECT_TRUE(fs::exists(cfg("graphs/knowledge.omni/_schema.pg"))) << "never auto-deleted";
    // The operator removes the root; the sweep retires the sidecar and apply re-creates.
    fs::remove_all(cfg("graphs/knowledge.omni"));
    applied = js({"apply"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    EXPECT_TRUE(root().sidecars().empty());
}

TEST_F(ClusterSpec, EmbeddingProviderProfile) {
    edit_file(cfg("cluster.yaml"), "graphs:\n",
              "providers:\n  embedding:\n    default:\n      provider: mock\n      model: m1\n"
              "graphs:\n");
    edit_file(cfg("cluster.yaml"), "    queries: queries/\n",
              "    queries: queries/\n    embedding_provider: default\n");
    import_and_apply();
    Json r = resources();
    std::string provider =
        sha256(std::string("embedding-provider") + '\0' + R"({"kind":"mock","model":"m1"})");
    EXPECT_EQ(r["provider.embedding.default"]["digest"], provider);
    EXPECT_EQ(r["provider.embedding.default"]["embedding_profile"],
              Json::parse(R"({"kind":"mock","model":"m1"})"));
    EXPECT_EQ(r["graph.knowledge"]["embedding_provider"], "provider.embedding.default");
    std::string in = "graph";
    for (const std::string& part :
         {std::string("knowledge"), std::string("schema"), sha256(kSchema), std::string("query"),
          std::string("find_person"), sha256(kQueries), std::string("embedding_provider"),
          std::string("provider.embedding.default"), provider})
        in += '\0' + part;
    in += '\0';
    EXPECT_EQ(r["graph.knowledge"]["digest"], sha256(in));

    edit_file(cfg("cluster.yaml"), "model: m1", "model: m2");
    Json applied = js({"apply"});
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.knowledge update derived",
                                        "provider.embedding.default update applied"}));
    EXPECT_TRUE(applied["converged"].get<bool>());
}

// ---------------------------------------------------------------------------------------------
// §16.5 Approvals and delete
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, GraphDeleteNeedsAFreshApproval) {
    add_old_graph();
    import_and_apply();
    remove_old_graph();
    Json before = root().ledger();
    Json plan = js({"plan"});
    EXPECT_EQ(plan["approvals_required"],
              Json::parse(std::string(R"([{"resource":"graph.old","reason":")") + kGateReason +
                          R"(","satisfied":false}])"));
    Json applied = js({"apply"});
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.old delete blocked:approval_required",
                                        "query.old.find_person delete blocked:approval_required",
                                        "schema.old delete blocked:approval_required"}));
    EXPECT_EQ(applied["deferred_count"], 3);
    EXPECT_FALSE(applied["converged"].get<bool>());
    EXPECT_EQ(diag(applied, "apply_dependency_blocked")["path"], "graph.old");
    EXPECT_EQ(root().ledger()["applied_revision"], before["applied_revision"]);
    EXPECT_EQ(root().ledger()["resource_statuses"]["graph.old"]["conditions"][0],
              "approval_required");
    EXPECT_TRUE(fs::exists(cfg("graphs/old.omni")));
    EXPECT_EQ(cluster({"apply", "--detailed-exitcode"}).exit_code, 2);
    EXPECT_EQ(cluster({"plan", "--detailed-exitcode"}).exit_code, 2);

    // Only graph and schema deletes are gated.
    Json refused = js({"approve", "query.knowledge.find_person", "--as", "andrew"}, 1);
    EXPECT_EQ(keys_of(refused), (std::vector<std::string>{"ok", "config_dir", "diagnostics"}));
    EXPECT_EQ(diag_codes(refused), std::vector<std::string>{"approval_not_required"});
    EXPECT_TRUE(has_diag(js({"approve", "query.old.find_person", "--as", "andrew"}, 1),
                         "approval_not_required"));
    EXPECT_TRUE(root().approvals().empty());

    Json approved = js({"approve", "graph.old", "--as", "andrew"});
    EXPECT_EQ(keys_of(approved),
              (std::vector<std::string>{"ok", "config_dir", "approval_id", "resource", "operation",
                                        "approved_by", "diagnostics"}));
    std::string id = approved["approval_id"];
    EXPECT_EQ(approved["resource"], "graph.old");
    EXPECT_EQ(approved["operation"], "delete");
    EXPECT_EQ(approved["approved_by"], "andrew");
    ASSERT_EQ(root().approvals(), std::vector<std::string>{id + ".json"});
    std::string artifact_bytes = root().text("__cluster/approvals/" + id + ".json");
    Json artifact = parse(artifact_bytes);
    EXPECT_EQ(keys_of(artifact),
              (std::vector<std::string>{"schema_version", "approval_id", "resource", "operation",
                                        "reason", "bound_config_digest", "bound_before_digest",
                                        "bound_after_digest", "approved_by", "created_at",
                                        "consumed_at", "consumed_by_operation"}));
    EXPECT_EQ(artifact["reason"], kGateReason);
    EXPECT_EQ(artifact["bound_config_digest"], plan["desired_revision"]["config_digest"]);
    EXPECT_EQ(artifact["bound_before_digest"],
              before["applied_revision"]["resources"]["graph.old"]["digest"]);
    EXPECT_TRUE(artifact["bound_after_digest"].is_null());
    EXPECT_TRUE(artifact["consumed_at"].is_null());
    EXPECT_TRUE(artifact_bytes.ends_with("}\n"));
    plan = js({"plan"});
    EXPECT_TRUE(plan["approvals_required"][0]["satisfied"].get<bool>());
    EXPECT_EQ(change_lines(plan), (std::vector<std::string>{"graph.old delete applied",
                                                            "query.old.find_person delete applied",
                                                            "schema.old delete applied"}));

    // Any config edit makes it stale.
    edit_file(cfg("base.policy.yaml"), "version: 1\n", "version: 1\n# edited\n");
    plan = js({"plan"});
    EXPECT_EQ(diag(plan, "approval_stale")["path"], "graph.old");
    EXPECT_FALSE(plan["approvals_required"][0]["satisfied"].get<bool>());
    applied = js({"apply"});
    EXPECT_EQ(change(applied, "graph.old")["reason"], "approval_required");
    EXPECT_TRUE(has_diag(applied, "approval_stale"));
    EXPECT_TRUE(fs::exists(cfg("graphs/old.omni")));
    EXPECT_EQ(root().text("__cluster/approvals/" + id + ".json"), artifact_bytes);

    // Approve again and apply: the subtree goes, the approval is consumed.
    std::string id2 = js({"approve", "graph.old", "--as", "andrew"})["approval_id"];
    applied = js({"apply", "--as", "carol"});
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.old delete applied",
                                        "query.old.find_person delete applied",
                                        "schema.old delete applied"}));
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_FALSE(fs::exists(cfg("graphs/old.omni")));
    Json ledger = root().ledger();
    EXPECT_EQ(ledger["observations"]["graph.old"]["kind"], "tombstone");
    EXPECT_EQ(ledger["observations"]["graph.old"]["approval_id"], id2);
    EXPECT_EQ(ledger["observations"]["graph.old"]["actor"], "carol");
    EXPECT_EQ(keys_of(ledger["observations"]["graph.old"]),
              (std::vector<std::string>{"kind", "deleted_at", "approval_id", "actor"}));
    EXPECT_EQ(ledger["approval_records"][id2]["consumed_by_operation"], "apply");
    EXPECT_TRUE(ledger["approval_records"][id2]["consumed_at"].is_string());
    EXPECT_FALSE(ledger["approval_records"].contains(id));
    EXPECT_TRUE(root().approval(id2 + ".json")["consumed_at"].is_string());
    EXPECT_TRUE(root().approval(id + ".json")["consumed_at"].is_null());
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_FALSE(js({"apply"})["state_written"].get<bool>());
}

TEST_F(ClusterSpec, ApproveNeedsAnApprover) {
    add_old_graph();
    import_and_apply();
    remove_old_graph();
    auto refused = cluster({"approve", "graph.old"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_EQ(refused.out, "");
    for (const char* needle : {"--as", "operator.actor", "config.yaml"})
        EXPECT_TRUE(contains(refused.err, needle)) << refused.err;
    EXPECT_TRUE(root().approvals().empty());

    // cli.actor in ./omnigraph.yaml (the process's working directory).
    write_file(dir_.path() + "/omnigraph.yaml", "cli:\n  actor: carol\n");
    EXPECT_EQ(js({"approve", "graph.old"})["approved_by"], "carol");
    // --as wins.
    EXPECT_EQ(js({"approve", "graph.old", "--as", "andrew"})["approved_by"], "andrew");
    fs::remove(dir_.path() + "/omnigraph.yaml");
    // operator.actor in $OMNIGRAPH_HOME/config.yaml.
    write_file(home_ + "/config.yaml", "operator:\n  actor: dave\n");
    Json approved = js({"approve", "graph.old"});
    EXPECT_EQ(approved["approved_by"], "dave");
    EXPECT_EQ(root().approval(approved["approval_id"].get<std::string>() + ".json")["approved_by"],
              "dave");
    EXPECT_TRUE(std::regex_match(cluster({"approve", "graph.old"}).out,
                                 std::regex("cluster approve: delete graph\\.old approved by dave "
                                            "\\(approval [0-9A-Z]{26}\\)\n")));
    // approve takes no lock it does not release, needs a ledger, and never sweeps.
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
    fs::remove(cfg("__cluster/state.json"));
    EXPECT_TRUE(has_diag(js({"approve", "graph.old"}, 1), "state_missing"));
}

// ---------------------------------------------------------------------------------------------
// §16.6 The recovery sweep, with hand-written sidecars
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, SweepCreateSidecars) {
    const std::string schema = sha256(kSchema);
    {
        SCOPED_TRACE("create, root absent: retired, apply converges");
        ASSERT_EQ(cluster({"import"}).exit_code, 0);
        write_sidecar(sidecar(kUlidA, "graph_create", "knowledge", schema));
        Json applied = js({"apply"});
        EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
        EXPECT_TRUE(root().sidecars().empty());
        EXPECT_TRUE(root().ledger()["recovery_records"].empty());
    }
    {
        SCOPED_TRACE("create, ledger already records the schema: retired, no record");
        write_sidecar(sidecar(kUlidA, "graph_create", "knowledge", schema));
        Json applied = js({"apply"});
        EXPECT_TRUE(applied["converged"].get<bool>());
        EXPECT_TRUE(root().sidecars().empty()) << "a retired sidecar is deleted";
        EXPECT_TRUE(root().ledger()["recovery_records"].empty());
    }
    {
        SCOPED_TRACE("create, graph exists with the desired schema, empty ledger: rolled forward");
        fs::remove_all(cfg("__cluster"));
        ASSERT_EQ(cluster({"import"}).exit_code, 0) << "import observes the live graph";
        Json l = root().ledger();
        l["applied_revision"]["resources"] = Json::object();
        l["resource_statuses"] = Json::object();
        root().write_ledger(l);
        write_sidecar(sidecar(kUlidB, "graph_create", "knowledge", schema));
        Json applied = js({"apply"});
        EXPECT_EQ(diag(applied, "cluster_recovery_rolled_forward")["path"],
                  cfg("__cluster/recoveries/" + kUlidB + ".json"));
        EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
        Json ledger = root().ledger();
        EXPECT_EQ(ledger["applied_revision"]["resources"]["schema.knowledge"]["digest"], schema);
        Json record = ledger["recovery_records"][kUlidB];
        EXPECT_EQ(keys_of(record), (std::vector<std::string>{"kind", "graph_id", "outcome",
                                                             "recovered_at", "actor"}));
        EXPECT_EQ(record["kind"], "graph_create");
        EXPECT_EQ(record["outcome"], "rolled_forward");
        EXPECT_EQ(record["actor"], "sweeper");
        EXPECT_TRUE(root().sidecars().empty());
    }
    {
        SCOPED_TRACE("create, graph has a different schema: kept, drifted");
        write_sidecar(sidecar(kUlidA, "graph_create", "knowledge", sha256("another schema")));
        schema_apply_out_of_band(std::string(kSchema) + "node Team {\n    name: String @key\n}\n");
        Json applied = js({"apply"});
        EXPECT_EQ(diag(applied, "cluster_recovery_pending")["path"],
                  cfg("__cluster/recoveries/" + kUlidA + ".json"));
        EXPECT_EQ(root().sidecars(), std::vector<std::string>{kUlidA + ".json"});
        Json statuses = root().ledger()["resource_statuses"];
        EXPECT_EQ(
            statuses["schema.knowledge"],
            Json::parse(R"({"status":"drifted","conditions":["actual_applied_state_pending"]})"));
        // The sweep's verdict must survive apply's own status bookkeeping (spec §10.3, §16.6).
        EXPECT_EQ(
            statuses["graph.knowledge"],
            Json::parse(R"({"status":"drifted","conditions":["actual_applied_state_pending"]})"))
            << "apply overwrote the pending graph's status";
        EXPECT_TRUE(applied["changes"].empty()) << pretty(applied);
        // The escape hatch: refresh records the live digest, the next sweep retires the sidecar.
        ASSERT_EQ(cluster({"refresh"}).exit_code, 0);
        EXPECT_EQ(root().sidecars().size(), 1u);
        EXPECT_EQ(resources()["schema.knowledge"]["digest"],
                  sha256(read_file(dir_.path() + "/oob.pg")));
        applied = js({"apply"});
        EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
        EXPECT_EQ(live_schema(), kSchema) << "apply migrated the graph back (soft drop)";
    }
}

TEST_F(ClusterSpec, SweepCreateSidecarOverAPartialRoot) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    write_file(cfg("graphs/knowledge.omni/_schema.pg"), "junk {");
    write_sidecar(sidecar(kUlidA, "graph_create", "knowledge", sha256(kSchema)));
    Json applied = js({"apply"}, 1);
    EXPECT_EQ(diag(applied, "graph_create_incomplete")["severity"], "error");
    EXPECT_TRUE(contains(diag(applied, "graph_create_incomplete")["message"],
                         "was not removed (the root " + cfg("graphs/knowledge.omni") +
                             " is not provably an abandoned init: it holds no init claim"))
        << pretty(applied);
    EXPECT_EQ(root().sidecars(), std::vector<std::string>{kUlidA + ".json"});
    EXPECT_TRUE(fs::exists(cfg("graphs/knowledge.omni/_schema.pg")));
    Json statuses = root().ledger()["resource_statuses"];
    EXPECT_EQ(statuses["graph.knowledge"]["status"], "error");
    EXPECT_EQ(statuses["graph.knowledge"]["conditions"][0], "graph_create_incomplete");
    // The pending create blocks the graph, its queries and its bound policy.
    EXPECT_EQ(
        change_lines(applied),
        (std::vector<std::string>{"graph.knowledge create blocked:cluster_recovery_pending",
                                  "policy.base create blocked:cluster_recovery_pending",
                                  "query.knowledge.find_person create "
                                  "blocked:cluster_recovery_pending",
                                  "schema.knowledge create blocked:cluster_recovery_pending"}));
    Json refreshed = js({"refresh"}, 1);
    EXPECT_TRUE(has_diag(refreshed, "graph_create_incomplete"));
    EXPECT_EQ(root().ledger()["resource_statuses"]["graph.knowledge"]["status"], "error");
    Json status = js({"status"});
    EXPECT_TRUE(has_diag(status, "cluster_recovery_pending"));
}

// A create killed inside its init (claim and schema files, no genesis version): the claim names
// the sidecar's operation and a process that is gone, so the sweep removes the root and the same
// apply creates the graph.
TEST_F(ClusterSpec, SweepRemovesARootWhoseInitWasKilled) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    char host[256] = {};
    ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
    pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    ::waitpid(child, nullptr, 0); // a pid no process has now
    write_file(cfg("graphs/knowledge.omni/__init_claim.json"),
               R"({"version":1,"attempt_id":"01J0000000000000000000000B","operation_id":")" +
                   kUlidA + R"(","host":")" + host + R"(","pid":)" + std::to_string(child) +
                   R"(,"created_at":1700000000000000})");
    write_file(cfg("graphs/knowledge.omni/_schema.pg"), kSchema);
    write_sidecar(sidecar(kUlidA, "graph_create", "knowledge", sha256(kSchema)));
    Json applied = js({"apply"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    Json rolled_back = diag(applied, "graph_create_rolled_back");
    EXPECT_EQ(rolled_back["severity"], "warning");
    EXPECT_EQ(rolled_back["path"], cfg("__cluster/recoveries/" + kUlidA + ".json"));
    EXPECT_EQ(change(applied, "graph.knowledge")["disposition"], "applied") << pretty(applied);
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_FALSE(fs::exists(cfg("graphs/knowledge.omni/__init_claim.json")));
    EXPECT_EQ(live_schema(), kSchema);

    // A claim of another operation is never taken.
    write_file(cfg("graphs/other.omni/__init_claim.json"),
               R"({"version":1,"attempt_id":"01J0000000000000000000000B","operation_id":")"
               "01J0000000000000000000000C"
               R"(","host":")" +
                   std::string(host) + R"(","pid":)" + std::to_string(child) +
                   R"(,"created_at":1700000000000000})");
    write_sidecar(sidecar(kUlidB, "graph_create", "other", sha256(kSchema)));
    Json kept = js({"apply"}, 1);
    EXPECT_TRUE(contains(diag(kept, "graph_create_incomplete")["message"],
                         "names operation 01J0000000000000000000000C, which is not an "
                         "interrupted one"))
        << pretty(kept);
    EXPECT_TRUE(fs::exists(cfg("graphs/other.omni/__init_claim.json")));
}

TEST_F(ClusterSpec, SweepSchemaSidecars) {
    import_and_apply();
    const std::string schema = sha256(kSchema);
    const std::string v2 = std::string(kSchema) + "node Team {\n    name: String @key\n}\n";
    {
        SCOPED_TRACE("schema sidecar, ledger == live: retired, no record");
        write_sidecar(sidecar(kUlidA, "schema_apply", "knowledge", sha256(v2)));
        Json applied = js({"apply"});
        EXPECT_TRUE(root().sidecars().empty());
        EXPECT_TRUE(root().ledger()["recovery_records"].empty());
        EXPECT_TRUE(applied["converged"].get<bool>());
    }
    {
        SCOPED_TRACE("schema applied out of process, config matches: rolled forward");
        write_file(cfg("people.pg"), v2);
        schema_apply_out_of_band(v2);
        write_sidecar(sidecar(kUlidA, "schema_apply", "knowledge", sha256(v2)));
        Json applied = js({"apply"});
        EXPECT_TRUE(has_diag(applied, "cluster_recovery_rolled_forward"));
        EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
        EXPECT_EQ(root().ledger()["recovery_records"][kUlidA]["kind"], "schema_apply");
        EXPECT_EQ(resources()["schema.knowledge"]["digest"], sha256(v2));
        EXPECT_TRUE(root().sidecars().empty());
    }
    {
        SCOPED_TRACE("schema sidecar, intent != live != recorded: kept, schema update blocked");
        const std::string v3 = v2 + "node Place {\n    name: String @key\n}\n";
        schema_apply_out_of_band(v3);
        write_file(cfg("people.pg"), kSchema);
        write_sidecar(sidecar(kUlidB, "schema_apply", "knowledge", sha256("v4")));
        Json applied = js({"apply"});
        EXPECT_TRUE(has_diag(applied, "cluster_recovery_pending"));
        EXPECT_EQ(root().sidecars(), std::vector<std::string>{kUlidB + ".json"});
        EXPECT_EQ(root().ledger()["resource_statuses"]["schema.knowledge"]["status"], "drifted");
        EXPECT_EQ(change(applied, "schema.knowledge")["disposition"], "blocked");
        EXPECT_EQ(change(applied, "schema.knowledge")["reason"], "cluster_recovery_pending");
        EXPECT_TRUE(contains(live_schema(), "Place"));
        root().remove("__cluster/recoveries/" + kUlidB + ".json");
    }
    {
        SCOPED_TRACE("schema sidecar, unopenable root: warning only, kept");
        fs::remove(cfg("graphs/knowledge.omni/_format.json"));
        write_sidecar(sidecar(kUlidA, "schema_apply", "knowledge", schema));
        Json applied = js({"apply"});
        EXPECT_EQ(diag(applied, "cluster_recovery_pending")["severity"], "warning");
        EXPECT_FALSE(has_diag(applied, "graph_create_incomplete"));
        EXPECT_EQ(root().sidecars(), std::vector<std::string>{kUlidA + ".json"});
    }
}

TEST_F(ClusterSpec, SweepDeleteSidecars) {
    add_old_graph();
    import_and_apply();
    const std::string schema = sha256(kSchema);
    {
        SCOPED_TRACE("delete sidecar, no graph in ledger, no root: retired, no record");
        write_sidecar(sidecar(kUlidA, "graph_delete", "gone", "", "01J0000000000000000000000A"));
        Json applied = js({"apply"});
        EXPECT_TRUE(root().sidecars().empty());
        EXPECT_TRUE(root().ledger()["recovery_records"].empty());
        EXPECT_TRUE(root().ledger()["approval_records"].empty());
    }
    remove_old_graph();
    std::string approval = js({"approve", "graph.old", "--as", "andrew"})["approval_id"];
    {
        SCOPED_TRACE("delete sidecar, root still present: graph_delete_incomplete, same apply "
                     "deletes the root");
        write_sidecar(sidecar(kUlidA, "graph_delete", "old", "", approval));
        Json applied = js({"apply", "--as", "andrew"});
        EXPECT_TRUE(has_diag(applied, "graph_delete_incomplete"));
        EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
        EXPECT_FALSE(fs::exists(cfg("graphs/old.omni")));
        EXPECT_TRUE(root().sidecars().empty());
        EXPECT_EQ(root().ledger()["approval_records"][approval]["consumed_by_operation"], "apply");
    }
}

TEST_F(ClusterSpec, SweepRollsAFinishedDeleteForward) {
    add_old_graph();
    import_and_apply();
    remove_old_graph();
    std::string approval = js({"approve", "graph.old", "--as", "andrew"})["approval_id"];
    // The root was removed (by a crashed delete), the ledger never heard of it.
    fs::remove_all(cfg("graphs/old.omni"));
    write_sidecar(sidecar(kUlidA, "graph_delete", "old", "", approval));
    Json applied = js({"apply"});
    EXPECT_TRUE(has_diag(applied, "cluster_recovery_rolled_forward"));
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    Json ledger = root().ledger();
    for (const char* gone : {"graph.old", "schema.old", "query.old.find_person"})
        EXPECT_FALSE(ledger["applied_revision"]["resources"].contains(gone)) << gone;
    EXPECT_EQ(ledger["observations"]["graph.old"]["kind"], "tombstone");
    EXPECT_EQ(ledger["observations"]["graph.old"]["actor"], "sweeper");
    EXPECT_EQ(ledger["approval_records"][approval]["consumed_by_operation"], kUlidA);
    EXPECT_EQ(ledger["recovery_records"][kUlidA]["kind"], "graph_delete");
    EXPECT_TRUE(root().approval(approval + ".json")["consumed_at"].is_string());
    EXPECT_TRUE(root().sidecars().empty());
}

// ---------------------------------------------------------------------------------------------
// §16.7 Bindings (policy metadata)
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, PolicyBindingsAreFirstClass) {
    // A bundle that is valid for both kinds of scope: no rules.
    write_file(cfg("base.policy.yaml"), "version: 1\nrules: []\n");
    import_and_apply();
    Json r = resources();
    EXPECT_EQ(r["policy.base"]["applies_to"], Json::parse(R"(["graph.knowledge"])"));
    for (const auto& [address, entry] : r.items())
        if (address != "policy.base")
            EXPECT_FALSE(entry.contains("applies_to")) << address;

    edit_file(cfg("cluster.yaml"), "[knowledge]", "[cluster]");
    Json plan = js({"plan"});
    ASSERT_EQ(plan["changes"].size(), 1u) << pretty(plan);
    Json c = plan["changes"][0];
    EXPECT_EQ(keys_of(c),
              (std::vector<std::string>{"resource", "operation", "before_digest", "after_digest",
                                        "disposition", "binding_change", "metadata_change"}));
    EXPECT_EQ(c["before_digest"], c["after_digest"]);
    EXPECT_EQ(c["metadata_change"], "policy_bindings");
    EXPECT_EQ(cluster({"plan"}).out, "cluster plan: 1 change(s), 0 approval gate(s)\n"
                                     "  Update policy.base [bindings]\n");
    Json applied = js({"apply"});
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_EQ(resources()["policy.base"]["applies_to"], Json::parse(R"(["cluster"])"));
    EXPECT_FALSE(js({"apply"})["state_written"].get<bool>());

    // Stripped from the ledger: plan shows the backfill, apply restores it.
    Json l = root().ledger();
    l["applied_revision"]["resources"]["policy.base"].erase("applies_to");
    root().write_ledger(l);
    EXPECT_EQ(change_lines(js({"plan"})),
              std::vector<std::string>{"policy.base update applied +bindings"});
    js({"apply"});
    EXPECT_EQ(resources()["policy.base"]["applies_to"], Json::parse(R"(["cluster"])"));
}

TEST_F(ClusterSpec, EmbeddingProfileIsBackfilled) {
    edit_file(cfg("cluster.yaml"), "graphs:\n",
              "providers:\n  embedding:\n    default:\n      kind: mock\n      model: m1\n"
              "graphs:\n");
    import_and_apply();
    Json l = root().ledger();
    l["applied_revision"]["resources"]["provider.embedding.default"].erase("embedding_profile");
    root().write_ledger(l);
    Json plan = js({"plan"});
    EXPECT_EQ(change(plan, "provider.embedding.default")["metadata_change"], "embedding_profile");
    js({"apply"});
    EXPECT_EQ(resources()["provider.embedding.default"]["embedding_profile"],
              Json::parse(R"({"kind":"mock","model":"m1"})"));
    EXPECT_TRUE(js({"plan"})["changes"].empty());
}

// ---------------------------------------------------------------------------------------------
// §16.8 Storage root
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, StorageRootRelocatesEverythingStored) {
    for (const std::string& storage :
         {std::string("../elsewhere"), "file://" + dir_.path() + "/elsewhere-abs"}) {
        SCOPED_TRACE(storage);
        std::string where =
            storage.starts_with("file://") ? storage.substr(7) : dir_.path() + "/elsewhere";
        write_file(cfg("cluster.yaml"),
                   "version: 1\nstorage: " + storage + "\n" + std::string(kClusterYaml).substr(11));
        std::set<std::string> config_files = tree(cfg());
        // Run from an unrelated working directory: the relative root follows the config dir.
        fs::create_directories(dir_.path() + "/cwd");
        Omni elsewhere(dir_.path() + "/cwd", home_);
        auto run = [&](std::vector<std::string> args) {
            args.insert(args.begin(), "cluster");
            args.insert(args.end(), {"--config", "../cfg"});
            return elsewhere.json(args);
        };
        run({"import"});
        Json applied = run({"apply"});
        EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
        EXPECT_EQ(applied["state_observations"]["state_path"], where + "/__cluster/state.json");
        EXPECT_TRUE(fs::exists(where + "/__cluster/state.json"));
        EXPECT_TRUE(fs::exists(where + "/__cluster/resources/query/knowledge/find_person/" +
                               sha256(kQueries) + ".gq"));
        EXPECT_TRUE(fs::exists(where + "/graphs/knowledge.omni/_schema.pg"));
        EXPECT_EQ(tree(cfg()), config_files) << "nothing under the config directory";
        EXPECT_TRUE(tree(dir_.path() + "/cwd").empty());
        Json status = run({"status"});
        EXPECT_EQ(status["observations"].size(), 1u);
        EXPECT_EQ(
            parse(read_file(where + "/graphs/knowledge.omni/_cluster_owner.json"))["cluster_root"],
            where);
    }
}

// ---------------------------------------------------------------------------------------------
// §16.10 CLI compositions
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, StuckLockThenForceUnlock) {
    import_and_apply();
    edit_file(cfg("queries/people.gq"), "$p.name, $p.age", "$p.name");
    write_lock("stuck-lock");
    auto failed = cluster({"apply"});
    EXPECT_EQ(failed.exit_code, 1);
    EXPECT_TRUE(failed.out.starts_with("cluster apply failed\n  no changes\nERROR state_lock_held"))
        << failed.out;
    EXPECT_EQ(cluster({"force-unlock", "stuck-lock"}).exit_code, 0);
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
}

TEST_F(ClusterSpec, LostLedgerIsReimported) {
    import_and_apply();
    std::string blob = cfg(root().query_blob("knowledge", "find_person", sha256(kQueries)));
    auto written = fs::last_write_time(blob);
    fs::remove(cfg("__cluster/state.json"));
    Json imported = js({"import"});
    EXPECT_EQ(imported["state_observations"]["state_revision"], 1);
    EXPECT_FALSE(imported["resource_digests"].contains("query.knowledge.find_person"));
    EXPECT_EQ(
        change_lines(js({"plan"})),
        (std::vector<std::string>{"graph.knowledge update derived", "policy.base create applied",
                                  "query.knowledge.find_person create applied"}));
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
    EXPECT_EQ(read_file(blob), kQueries);
    EXPECT_EQ(fs::last_write_time(blob), written) << "the identical blob is reused";
}

TEST_F(ClusterSpec, OutOfBandPropertyIsSoftDropped) {
    import_and_apply();
    schema_apply_out_of_band(std::string(kSchema).replace(std::string(kSchema).find("}\n"), 2,
                                                          "    nick: String?\n}\n"));
    Json refreshed = js({"refresh"});
    EXPECT_EQ(refreshed["resource_statuses"]["schema.knowledge"]["status"], "drifted");
    Json plan = js({"plan"});
    EXPECT_EQ(change(plan, "schema.knowledge")["disposition"], "applied");
    EXPECT_EQ(change(plan, "schema.knowledge")["migration"]["steps"],
              Json::parse(R"([{"kind":"drop_property","type_kind":"node","type_name":"Person",
                              "property_name":"nick","mode":"soft"}])"));
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
    EXPECT_EQ(live_schema(), kSchema);
}

TEST_F(ClusterSpec, MultiGraphDeleteWithQueryEditAndNarrowedBinding) {
    add_old_graph();
    edit_file(cfg("cluster.yaml"), "applies_to: [knowledge]", "applies_to: [knowledge, old]");
    import_and_apply();
    remove_old_graph();
    edit_file(cfg("cluster.yaml"), "applies_to: [knowledge, old]", "applies_to: [knowledge]");
    edit_file(cfg("queries/people.gq"), "$p.name, $p.age", "$p.name");
    Json applied = js({"apply"});
    EXPECT_TRUE(applied["ok"].get<bool>());
    EXPECT_FALSE(applied["converged"].get<bool>());
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.knowledge update derived",
                                        "graph.old delete blocked:approval_required",
                                        "policy.base update applied +bindings",
                                        "query.knowledge.find_person update applied",
                                        "query.old.find_person delete blocked:approval_required",
                                        "schema.old delete blocked:approval_required"}));
    EXPECT_EQ(applied["applied_count"], 2);
    EXPECT_EQ(applied["deferred_count"], 3);
    Json plan = js({"plan"});
    EXPECT_EQ(plan["approvals_required"].size(), 1u);
    ASSERT_EQ(cluster({"approve", "graph.old", "--as", "andrew"}).exit_code, 0);
    applied = js({"apply", "--as", "andrew"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    EXPECT_EQ(root().ledger()["observations"]["graph.old"]["kind"], "tombstone");
    EXPECT_TRUE(js({"plan"})["changes"].empty());
}

TEST_F(ClusterSpec, DeletedBlobIsRepublished) {
    import_and_apply();
    std::string blob = root().query_blob("knowledge", "find_person", sha256(kQueries));
    root().remove(blob);
    Json status = js({"status"});
    EXPECT_TRUE(status["ok"].get<bool>());
    EXPECT_EQ(diag(status, "catalog_payload_missing")["path"], "query.knowledge.find_person");
    EXPECT_EQ(js({"refresh"})["resource_statuses"]["query.knowledge.find_person"]["status"],
              "drifted");
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
    EXPECT_EQ(root().text(blob), kQueries);
    EXPECT_TRUE(diag_codes(js({"status"})).empty());
}

// ---------------------------------------------------------------------------------------------
// Saved plans, --detailed-exitcode, CLI refusals (ours)
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, SavedPlanAppliesExactlyWhatWasReviewed) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Json plan = js({"plan", "-out", dir_.path() + "/p1.plan"});
    EXPECT_TRUE(fs::exists(dir_.path() + "/p1.plan"));
    // The config moved since: stale.
    edit_file(cfg("queries/people.gq"), "$p.name, $p.age", "$p.name");
    Json stale = js({"apply", dir_.path() + "/p1.plan"}, 1);
    EXPECT_EQ(diag_codes(stale), std::vector<std::string>{"plan_stale"});
    EXPECT_FALSE(stale["state_written"].get<bool>());
    EXPECT_FALSE(fs::exists(cfg("__cluster/resources")));
    // A fresh plan (--out spelling) applies.
    Json reviewed = js({"plan", "--out", dir_.path() + "/p2.plan"});
    Json applied = js({"apply", dir_.path() + "/p2.plan"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    EXPECT_EQ(change_lines(applied), change_lines(reviewed));
    EXPECT_EQ(applied["desired_revision"], reviewed["desired_revision"]);
    // The ledger moved since: stale.
    Json again = js({"apply", dir_.path() + "/p2.plan"}, 1);
    EXPECT_TRUE(has_diag(again, "plan_stale"));
    EXPECT_FALSE(again["state_written"].get<bool>());
    // Not a plan at all.
    write_file(dir_.path() + "/junk.plan", "{\"format\":\"something else\"}");
    EXPECT_EQ(diag_codes(js({"apply", dir_.path() + "/junk.plan"}, 1)).size(), 1u);
    EXPECT_EQ(js({"apply", dir_.path() + "/missing.plan"}, 1)["state_written"], false);
    // A plan made while nothing was pending applies as a no-op.
    js({"plan", "-out", dir_.path() + "/p3.plan"});
    EXPECT_FALSE(js({"apply", dir_.path() + "/p3.plan"})["state_written"].get<bool>());
}

TEST_F(ClusterSpec, DetailedExitCodesAndRefusals) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    EXPECT_EQ(cluster({"plan", "--detailed-exitcode"}).exit_code, 2);
    EXPECT_EQ(cluster({"apply", "--detailed-exitcode"}).exit_code, 0) << "converged";
    EXPECT_EQ(cluster({"plan", "--detailed-exitcode"}).exit_code, 0);
    EXPECT_EQ(cluster({"apply", "--detailed-exitcode"}).exit_code, 0);
    write_file(cfg("cluster.yaml"), "version: 1\nwat: true\n");
    EXPECT_EQ(cluster({"plan", "--detailed-exitcode"}).exit_code, 1);
    EXPECT_EQ(cluster({"apply", "--detailed-exitcode"}).exit_code, 1);
    write_file(cfg("cluster.yaml"), kClusterYaml);

    // The addressing guard: exit 1, on stderr.
    for (const char* flag : {"--server", "--store", "--cluster", "--graph", "--profile"}) {
        auto r = cluster({"status", flag, "x"});
        EXPECT_EQ(r.exit_code, 1) << flag;
        EXPECT_TRUE(contains(r.err, flag)) << r.err;
        EXPECT_EQ(r.out, "");
    }
    // Usage errors: exit 2. --as is only for apply and approve.
    EXPECT_EQ(cluster({"plan", "--bogus"}).exit_code, 2);
    EXPECT_EQ(cluster({"plan", "--as", "andrew"}).exit_code, 2);
    EXPECT_EQ(cluster({"status", "--as", "andrew"}).exit_code, 2);
    EXPECT_EQ(og({"cluster"}).exit_code, 2);
    EXPECT_EQ(cluster({"force-unlock"}).exit_code, 2);
    // A missing config directory.
    Json missing = cli_->json({"cluster", "plan", "--config", "nowhere"}, 1);
    EXPECT_EQ(diag_codes(missing), std::vector<std::string>{"config_dir_not_found"});
}

TEST_F(ClusterSpec, ValidateShape) {
    Json v = js({"validate"});
    EXPECT_EQ(keys_of(v),
              (std::vector<std::string>{"ok", "config_dir", "config_file", "resource_digests",
                                        "resources", "dependencies", "diagnostics"}));
    EXPECT_EQ(v["config_file"], "cfg/cluster.yaml");
    EXPECT_EQ(v["resource_digests"]["schema.knowledge"], sha256(kSchema));
    EXPECT_EQ(v["resource_digests"]["query.knowledge.find_person"], sha256(kQueries));
    EXPECT_EQ(v["resource_digests"]["graph.knowledge"],
              composite("knowledge", sha256(kSchema), {{"find_person", sha256(kQueries)}}));
    EXPECT_EQ(keys_of(v["resources"][0]), (std::vector<std::string>{"address", "kind", "digest"}));
    EXPECT_EQ(diag_codes(v), std::vector<std::string>{"external_blob_ingress_default_deny"});
    EXPECT_FALSE(fs::exists(cfg("__cluster")));
}

// ---------------------------------------------------------------------------------------------
// Tampered state files
// ---------------------------------------------------------------------------------------------

TEST_F(ClusterSpec, TamperedLedgerIsRefused) {
    import_and_apply();
    Json good = root().ledger();
    auto refused_everywhere = [&](const Json& ledger, const std::string& code) {
        root().write_ledger(ledger);
        std::string bytes = root().ledger_bytes();
        for (const char* command : {"plan", "apply", "refresh", "status"}) {
            Json out = js({command}, 1);
            EXPECT_TRUE(has_diag(out, code)) << command << pretty(out);
        }
        EXPECT_EQ(root().ledger_bytes(), bytes);
        EXPECT_FALSE(root().exists("__cluster/lock.json"));
    };
    Json unknown = good;
    unknown["applied_revision"]["resources"]["policy.base"]["extra"] = true;
    refused_everywhere(unknown, "invalid_state_json");
    Json unknown_top = good;
    unknown_top["wat"] = 1;
    refused_everywhere(unknown_top, "invalid_state_json");
    Json version = good;
    version["version"] = 2;
    refused_everywhere(version, "unsupported_state_version");

    // An edited graph digest: the integrity gate refuses apply and refresh (not plan/status,
    // which only read), before sweeping, and leaves the bytes alone.
    Json edited = good;
    edited["applied_revision"]["resources"]["graph.knowledge"]["digest"] = sha256("forged");
    root().write_ledger(edited);
    std::string bytes = root().ledger_bytes();
    write_sidecar(sidecar(kUlidA, "graph_create", "ghost", sha256(kSchema)));
    for (const char* command : {"apply", "refresh"}) {
        Json out = js({command}, 1);
        EXPECT_EQ(diag(out, "external_blob_policy_digest_mismatch")["path"], "graph.knowledge")
            << command << pretty(out);
        EXPECT_FALSE(out["state_observations"]["locked"].get<bool>());
    }
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_EQ(root().sidecars(), std::vector<std::string>{kUlidA + ".json"}) << "no sweep";
    // An allow policy injected into the ledger without its digest is caught the same way.
    Json injected = good;
    injected["applied_revision"]["resources"]["graph.knowledge"]["external_blob_policy"] =
        Json::parse(R"({"mode":"allow","bases":[{"uri":"s3://evil/","scope":"server_safe"}]})");
    root().write_ledger(injected);
    EXPECT_TRUE(has_diag(js({"apply"}, 1), "external_blob_policy_digest_mismatch"));
    root().write_ledger(good);
    root().remove("__cluster/recoveries/" + kUlidA + ".json");
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
}

TEST_F(ClusterSpec, TamperedSidecarsAreSkippedAndKept) {
    import_and_apply();
    root().write("__cluster/recoveries/" + kUlidA + ".json", "not json");
    Json v2 = sidecar(kUlidB, "graph_create", "knowledge", sha256(kSchema));
    v2["schema_version"] = 2;
    write_sidecar(v2);
    Json unknown =
        sidecar("01J00000000000000000000003", "graph_create", "knowledge", sha256(kSchema));
    unknown["extra"] = 1;
    write_sidecar(unknown);
    Json applied = js({"apply"});
    EXPECT_EQ(diag(applied, "invalid_recovery_sidecar")["path"],
              "file://" + cfg("__cluster/recoveries/" + kUlidA + ".json"));
    EXPECT_EQ(diag(applied, "unsupported_recovery_sidecar_version")["path"],
              "file://" + cfg("__cluster/recoveries/" + kUlidB + ".json"));
    EXPECT_EQ(diag_codes(applied), (std::vector<std::string>{"invalid_recovery_sidecar",
                                                             "unsupported_recovery_sidecar_version",
                                                             "invalid_recovery_sidecar"}));
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_EQ(root().sidecars().size(), 3u) << "left for the operator";
    // plan/status only list them.
    Json status = js({"status"});
    EXPECT_EQ(diag_codes(status),
              (std::vector<std::string>{"cluster_recovery_pending", "cluster_recovery_pending",
                                        "cluster_recovery_pending"}));
}

TEST_F(ClusterSpec, TamperedApprovalsAreSkipped) {
    add_old_graph();
    import_and_apply();
    remove_old_graph();
    std::string id = js({"approve", "graph.old", "--as", "andrew"})["approval_id"];
    std::string key = "__cluster/approvals/" + id + ".json";
    Json artifact = root().approval(id + ".json");
    std::string good = root().text(key);
    auto blocked_with = [&](const std::string& bytes, const std::string& code) {
        root().write(key, bytes);
        Json plan = js({"plan"});
        EXPECT_TRUE(has_diag(plan, code)) << code << pretty(plan);
        EXPECT_EQ(change(plan, "graph.old")["reason"], "approval_required") << code;
        Json applied = js({"apply"});
        EXPECT_TRUE(fs::exists(cfg("graphs/old.omni"))) << code;
        EXPECT_EQ(root().text(key), bytes) << "never deleted or rewritten";
    };
    Json unknown = artifact;
    unknown["extra"] = true;
    blocked_with(pretty(unknown), "invalid_approval_artifact");
    blocked_with("{", "invalid_approval_artifact");
    Json version = artifact;
    version["schema_version"] = 2;
    blocked_with(pretty(version), "unsupported_approval_version");
    Json moved = artifact;
    moved["bound_before_digest"] = sha256("something else");
    blocked_with(pretty(moved), "approval_stale");
    Json consumed = artifact;
    consumed["consumed_at"] = "2026-01-01T00:00:00Z";
    root().write(key, pretty(consumed));
    EXPECT_EQ(change(js({"plan"}), "graph.old")["reason"], "approval_required");
    root().write(key, good);
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
}

// ---------------------------------------------------------------------------------------------
// §16.11 Failpoints: error mode (spec §9 semantics) and crash mode (the process dies; the lock
// stays; the next apply removes it, as its holder is gone, and recovers with nothing lost or
// applied twice)
// ---------------------------------------------------------------------------------------------

class ClusterFailpoints : public ClusterSpec {
  protected:
    Env fp(const std::string& name) const { return {{"OMNIGRAPH_FAILPOINTS", name}}; }
    // A crashed run: exit 86, lock left; status names it; the next apply removes the dead
    // holder's lock (state_lock_recovered) and recovers.
    Json crash_and_recover(const std::string& name, const std::vector<std::string>& apply_args) {
        std::vector<std::string> args = {"apply"};
        args.insert(args.end(), apply_args.begin(), apply_args.end());
        auto crashed = cluster(args, fp(name + "=crash"));
        EXPECT_EQ(crashed.exit_code, 86) << name << "\n" << crashed.out << crashed.err;
        EXPECT_EQ(crashed.out, "") << "died before printing";
        EXPECT_TRUE(root().exists("__cluster/lock.json")) << name;
        std::string id = js({"status"})["state_observations"].value("lock_id", "");
        EXPECT_EQ(id.size(), 26u) << name;
        Json recovered = js(args);
        EXPECT_TRUE(recovered["converged"].get<bool>()) << name << pretty(recovered);
        Json recovered_lock = diag(recovered, "state_lock_recovered");
        EXPECT_EQ(recovered_lock["severity"], "warning") << name << pretty(recovered);
        EXPECT_TRUE(contains(recovered_lock.value("message", ""), id)) << pretty(recovered_lock);
        EXPECT_FALSE(root().exists("__cluster/lock.json"));
        EXPECT_TRUE(root().sidecars().empty()) << name;
        EXPECT_TRUE(js({"plan"})["changes"].empty()) << name;
        return recovered;
    }
    size_t schema_commits(const std::string& g = "knowledge") const {
        auto r = og({"commit", "list", cfg("graphs/" + g + ".omni"), "--json"});
        Json list = parse("{\"c\":" + r.out + "}")["c"];
        size_t n = 0;
        for (const auto& c : list)
            n += c["message"] == "schema apply";
        return n;
    }
    void add_bio() {
        edit_file(cfg("people.pg"), "    age: I32?\n", "    age: I32?\n    bio: String?\n");
    }
    // knowledge + old applied, old removed from the config and approved.
    std::string prepare_delete() {
        add_old_graph();
        import_and_apply();
        remove_old_graph();
        return js({"approve", "graph.old", "--as", "andrew"})["approval_id"];
    }
};

TEST_F(ClusterFailpoints, BeforeGraphCreate) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Json failed = js({"apply"}, 1, fp("cluster_apply.before_graph_create"));
    EXPECT_EQ(diag(failed, "injected_failpoint")["path"], "graph.knowledge");
    EXPECT_EQ(root().sidecars().size(), 1u);
    EXPECT_FALSE(fs::exists(cfg("graphs/knowledge.omni")));
    EXPECT_TRUE(resources().empty()) << "no resource digest recorded";
    EXPECT_TRUE(failed["state_written"].get<bool>()) << "its blocked statuses are persisted";
    EXPECT_EQ(root().ledger()["resource_statuses"]["graph.knowledge"]["conditions"][0],
              "graph_create_failed");
    EXPECT_EQ(failed["resource_statuses"], root().ledger()["resource_statuses"]);
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_EQ(live_schema(), kSchema);
}

TEST_F(ClusterFailpoints, AfterGraphCreate) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    std::string bytes = root().ledger_bytes();
    Json failed = js({"apply"}, 1, fp("cluster_apply.after_graph_create"));
    EXPECT_TRUE(has_diag(failed, "injected_failpoint"));
    EXPECT_FALSE(failed["state_written"].get<bool>());
    EXPECT_TRUE(fs::exists(cfg("graphs/knowledge.omni/_schema.pg")));
    EXPECT_EQ(root().ledger_bytes(), bytes);
    ASSERT_EQ(root().sidecars().size(), 1u);
    EXPECT_TRUE(root().sidecar(root().sidecars()[0])["expected_manifest_version"].is_number());
    Json again = js({"apply"});
    EXPECT_TRUE(has_diag(again, "cluster_recovery_rolled_forward"));
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_EQ(root().ledger()["recovery_records"].size(), 1u);
}

TEST_F(ClusterFailpoints, AfterGraphCreateCrash) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    Json recovered = crash_and_recover("cluster_apply.after_graph_create", {"--as", "andrew"});
    EXPECT_TRUE(has_diag(recovered, "cluster_recovery_rolled_forward"));
    Json ledger = root().ledger();
    ASSERT_EQ(ledger["recovery_records"].size(), 1u);
    EXPECT_EQ(ledger["recovery_records"].begin().value()["kind"], "graph_create");
    EXPECT_EQ(ledger["recovery_records"].begin().value()["actor"], "andrew");
    EXPECT_EQ(live_schema(), kSchema);
    EXPECT_TRUE(resources().contains("query.knowledge.find_person"));
}

TEST_F(ClusterFailpoints, BeforeSchemaApply) {
    import_and_apply();
    add_bio();
    Json failed = js({"apply", "--as", "andrew"}, 1, fp("cluster_apply.before_schema_apply"));
    EXPECT_EQ(failed["actor"], "andrew");
    EXPECT_TRUE(has_diag(failed, "injected_failpoint"));
    EXPECT_EQ(change(failed, "schema.knowledge")["reason"], "schema_apply_failed");
    ASSERT_EQ(root().sidecars().size(), 1u);
    EXPECT_EQ(root().sidecar(root().sidecars()[0])["actor"], "andrew");
    EXPECT_EQ(root().sidecar(root().sidecars()[0])["kind"], "schema_apply");
    EXPECT_EQ(live_schema(), kSchema);
    Json again = js({"apply"});
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_TRUE(root().ledger()["recovery_records"].empty()) << "retired, not rolled forward";
    EXPECT_TRUE(contains(live_schema(), "bio"));
    EXPECT_EQ(schema_commits(), 1u);
}

TEST_F(ClusterFailpoints, AfterSchemaApply) {
    import_and_apply();
    add_bio();
    std::string bytes = root().ledger_bytes();
    Json failed = js({"apply"}, 1, fp("cluster_apply.after_schema_apply"));
    EXPECT_FALSE(failed["state_written"].get<bool>());
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_TRUE(contains(live_schema(), "bio"));
    ASSERT_EQ(root().sidecars().size(), 1u);
    EXPECT_TRUE(root().sidecar(root().sidecars()[0])["expected_manifest_version"].is_number());
    Json again = js({"apply"});
    EXPECT_TRUE(has_diag(again, "cluster_recovery_rolled_forward"));
    EXPECT_TRUE(again["converged"].get<bool>());
    EXPECT_EQ(schema_commits(), 1u);
}

TEST_F(ClusterFailpoints, AfterSchemaApplyCrash) {
    import_and_apply();
    add_bio();
    edit_file(cfg("queries/people.gq"), "$p.name, $p.age", "$p.name, $p.bio");
    crash_and_recover("cluster_apply.after_schema_apply", {});
    EXPECT_EQ(schema_commits(), 1u) << "applied once";
    EXPECT_TRUE(contains(live_schema(), "bio"));
    std::string gq = read_file(cfg("queries/people.gq"));
    EXPECT_EQ(root().text(root().query_blob("knowledge", "find_person", sha256(gq))), gq)
        << "the query published after the crash is not lost";
}

TEST_F(ClusterFailpoints, AfterPayloadPhase) {
    root().write_ledger(seeded_ledger());
    std::string bytes = root().ledger_bytes();
    Json failed = js({"apply"}, 1, fp("cluster_apply.after_payload_phase"));
    EXPECT_FALSE(failed["ok"].get<bool>());
    EXPECT_FALSE(failed["state_written"].get<bool>());
    EXPECT_EQ(failed["resource_statuses"], Json::object()) << "no phantom statuses";
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_EQ(root().text(root().query_blob("knowledge", "find_person", sha256(kQueries))),
              kQueries);
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
}

TEST_F(ClusterFailpoints, BeforeGraphDelete) {
    std::string approval = prepare_delete();
    Json failed = js({"apply"}, 1, fp("cluster_apply.before_graph_delete"));
    EXPECT_EQ(change(failed, "graph.old")["reason"], "graph_delete_failed");
    EXPECT_TRUE(fs::exists(cfg("graphs/old.omni")));
    EXPECT_TRUE(root().approval(approval + ".json")["consumed_at"].is_null());
    ASSERT_EQ(root().sidecars().size(), 1u);
    EXPECT_EQ(root().sidecar(root().sidecars()[0])["approval_id"], approval);
    Json again = js({"apply"});
    EXPECT_TRUE(has_diag(again, "graph_delete_incomplete"));
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_FALSE(fs::exists(cfg("graphs/old.omni")));
    EXPECT_TRUE(root().approval(approval + ".json")["consumed_at"].is_string());
}

TEST_F(ClusterFailpoints, AfterGraphDelete) {
    std::string approval = prepare_delete();
    std::string bytes = root().ledger_bytes();
    Json failed = js({"apply"}, 1, fp("cluster_apply.after_graph_delete"));
    EXPECT_FALSE(failed["state_written"].get<bool>());
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_FALSE(fs::exists(cfg("graphs/old.omni")));
    ASSERT_EQ(root().sidecars().size(), 1u);
    EXPECT_EQ(root().sidecar(root().sidecars()[0])["approval_id"], approval);
    Json again = js({"apply"});
    EXPECT_TRUE(has_diag(again, "cluster_recovery_rolled_forward"));
    EXPECT_TRUE(again["converged"].get<bool>());
    Json ledger = root().ledger();
    EXPECT_EQ(ledger["observations"]["graph.old"]["kind"], "tombstone");
    EXPECT_TRUE(ledger["approval_records"][approval]["consumed_at"].is_string());
    EXPECT_EQ(ledger["recovery_records"].begin().value()["kind"], "graph_delete");
    EXPECT_TRUE(root().approval(approval + ".json")["consumed_at"].is_string());
}

TEST_F(ClusterFailpoints, AfterGraphDeleteCrash) {
    std::string approval = prepare_delete();
    crash_and_recover("cluster_apply.after_graph_delete", {"--as", "andrew"});
    Json ledger = root().ledger();
    EXPECT_EQ(ledger["observations"]["graph.old"]["approval_id"], approval);
    EXPECT_EQ(ledger["observations"]["graph.old"]["actor"], "andrew");
    EXPECT_EQ(ledger["approval_records"].size(), 1u) << "consumed once";
    EXPECT_EQ(ledger["recovery_records"].size(), 1u);
    EXPECT_FALSE(fs::exists(cfg("graphs/old.omni")));
    EXPECT_TRUE(fs::exists(cfg("graphs/knowledge.omni")));
}

TEST_F(ClusterFailpoints, BeforeStateWrite) {
    root().write_ledger(seeded_ledger());
    std::string bytes = root().ledger_bytes();
    Json failed = js({"apply"}, 1, fp("cluster_apply.before_state_write"));
    EXPECT_EQ(diag(failed, "state_write_error")["path"], cfg("__cluster/state.json"));
    EXPECT_FALSE(failed["state_written"].get<bool>());
    EXPECT_EQ(failed["resource_statuses"], Json::object()) << "no phantom statuses";
    EXPECT_EQ(root().ledger_bytes(), bytes);
    EXPECT_TRUE(root().exists(root().query_blob("knowledge", "find_person", sha256(kQueries))))
        << "an inert blob";
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
}

TEST_F(ClusterFailpoints, BeforeStateWriteCrash) {
    ASSERT_EQ(cluster({"import"}).exit_code, 0);
    crash_and_recover("cluster_apply.before_state_write", {});
    EXPECT_EQ(live_schema(), kSchema);
    EXPECT_EQ(root().ledger()["recovery_records"].size(), 1u) << "the create rolled forward";
}

TEST_F(ClusterFailpoints, EngineBeforeStagingWrite) {
    import_and_apply();
    add_bio();
    Json failed = js({"apply"}, 1, fp("schema_apply.before_staging_write"));
    EXPECT_TRUE(has_diag(failed, "schema_apply_failed"));
    EXPECT_EQ(live_schema(), kSchema);
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_TRUE(js({"apply"})["converged"].get<bool>());
    EXPECT_EQ(schema_commits(), 1u);
}

TEST_F(ClusterFailpoints, EngineAfterManifestCommit) {
    import_and_apply();
    add_bio();
    Json failed = js({"apply"}, 1, fp("schema_apply.after_manifest_commit"));
    EXPECT_TRUE(has_diag(failed, "schema_apply_failed"));
    ASSERT_EQ(root().sidecars().size(), 1u);
    EXPECT_TRUE(root().sidecar(root().sidecars()[0])["expected_manifest_version"].is_null());
    Json again = js({"apply"});
    EXPECT_TRUE(has_diag(again, "cluster_recovery_rolled_forward"));
    EXPECT_TRUE(again["converged"].get<bool>());
    EXPECT_TRUE(contains(live_schema(), "bio"));
    EXPECT_EQ(schema_commits(), 1u);
}

TEST_F(ClusterFailpoints, EngineAfterManifestCommitCrash) {
    import_and_apply();
    add_bio();
    crash_and_recover("schema_apply.after_manifest_commit", {});
    EXPECT_TRUE(contains(live_schema(), "bio"));
    EXPECT_EQ(schema_commits(), 1u);
}

} // namespace
} // namespace omnigraph::testing::cluster_e2e
