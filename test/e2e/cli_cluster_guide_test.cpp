// End to end: the operator guide (shared/seed/cluster-operator-guide.md) replayed literally,
// section by section, with the real binary on the example cluster examples/company-brain — once
// with the default storage root (the config directory) and once with `storage: s3://…` on the S3
// test server, where nothing but the config files may ever appear in the config directory.
//
// "Serve it" starts the real omnigraph-server the way the guide does (same environment, same
// `--cluster company-brain` from the same directory; only the bind address is 127.0.0.1:0 so
// tests can run in parallel) and sends the guide's curl request.
#include "cluster_fixtures/cluster_e2e.h"
#include "server_fixtures/server_process.h"

#include <regex>

namespace omnigraph::testing::cluster_e2e {
namespace {

enum class Backend { kLocal, kS3 };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::kLocal ? "LocalRoot" : "S3Root";
}

const char* kScratchSchema = "node Note {\n    title: String @key\n}\n";
const char* kScratchQueries =
    "query notes() {\n    match { $n: Note }\n    return { $n.title }\n}\n";
const char* kBioQuery =
    "query person_bio($name: String) {\n    match { $p: Person { name: $name } }\n"
    "    return { $p.name, $p.bio }\n}\n";

class ClusterGuide : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        work_ = dir_.path() + "/work";
        std::string home = dir_.path() + "/home";
        fs::create_directories(work_);
        fs::create_directories(home);
        fs::copy(example_dir(), config_dir(), fs::copy_options::recursive);
        // The guide runs `omnigraph load --data seed.jsonl …` from the directory holding the
        // config directory.
        fs::copy_file(config_dir() + "/seed.jsonl", work_ + "/seed.jsonl");
        Env env;
        if (GetParam() == Backend::kS3) {
            auto& server = S3TestServer::instance();
            ASSERT_TRUE(server.ok()) << server.error();
            env = server.environment();
            root_uri_ = unique_s3_uri("cluster-guide");
            // The guide's commented-out storage line, switched on.
            edit_file(cluster_yaml(), "# storage: s3://omnigraph-local/clusters/company-brain",
                      "storage: " + root_uri_);
        } else {
            root_uri_ = config_dir();
        }
        cli_.emplace(work_, home, env);
        env_ = env;
        env_.emplace_back("OMNIGRAPH_HOME", home);
        root_.emplace(root_uri_);
        config_files_ = tree(config_dir());
    }

    Env env_; // the environment the guide's commands run in (S3 endpoint, OMNIGRAPH_HOME)
    std::string config_dir() const { return work_ + "/company-brain"; }
    std::string cluster_yaml() const { return config_dir() + "/cluster.yaml"; }
    bool s3() const { return GetParam() == Backend::kS3; }
    const Root& root() const { return *root_; }
    // The derived graph root as the guide's commands name it.
    std::string graph_root(const std::string& g) const {
        return s3() ? root().graph_root(g) : "company-brain/graphs/" + g + ".omni";
    }

    // One command of the guide. With an S3 root, the config directory must still hold exactly
    // the config files afterwards.
    ProcessResult og(const std::vector<std::string>& args, const Env& extra = {}) {
        ProcessResult r = cli_->run(args, extra);
        check_config_dir(args);
        return r;
    }
    Json og_json(const std::vector<std::string>& args, int expected_exit = 0,
                 const Env& extra = {}) {
        Json j = cli_->json(args, expected_exit, extra);
        check_config_dir(args);
        return j;
    }
    void check_config_dir(const std::vector<std::string>& args) {
        if (!s3())
            return;
        std::string cmd;
        for (const auto& a : args)
            cmd += " " + a;
        EXPECT_EQ(tree(config_dir()), config_files_)
            << "omnigraph" << cmd << " left files in the config directory";
    }
    // Config edits by the operator (they update what the config directory may hold).
    void edit_config(const std::string& file, const std::string& from, const std::string& to) {
        edit_file(config_dir() + "/" + file, from, to);
        config_files_ = tree(config_dir());
    }
    void write_config(const std::string& file, const std::string& text) {
        write_file(config_dir() + "/" + file, text);
        config_files_ = tree(config_dir());
    }
    void remove_config(const std::string& file) {
        fs::remove(config_dir() + "/" + file);
        config_files_ = tree(config_dir());
    }

    // §1: validate, import, plan, apply, exactly as the guide runs them.
    void deploy() {
        ASSERT_EQ(og({"cluster", "validate", "--config", "company-brain"}).exit_code, 0);
        ASSERT_EQ(og({"cluster", "import", "--config", "company-brain"}).exit_code, 0);
        ASSERT_EQ(og({"cluster", "plan", "--config", "company-brain"}).exit_code, 0);
        auto applied = og({"cluster", "apply", "--config", "company-brain"});
        ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
        ASSERT_TRUE(contains(applied.out, "converged: true")) << applied.out;
    }

    void add_scratch_graph() {
        write_config("scratch.pg", kScratchSchema);
        write_config("scratch.gq", kScratchQueries);
        edit_config("cluster.yaml", "policies:",
                    "  scratch:\n    schema: scratch.pg\n    queries: scratch.gq\npolicies:");
    }
    void remove_scratch_graph() {
        edit_config("cluster.yaml", "  scratch:\n    schema: scratch.pg\n    queries: scratch.gq\n",
                    "");
    }

    Json plan_json() { return og_json({"cluster", "plan", "--config", "company-brain"}); }
    Json apply_json(const std::vector<std::string>& extra = {}, int expected_exit = 0,
                    const Env& env = {}) {
        std::vector<std::string> args = {"cluster", "apply", "--config", "company-brain"};
        args.insert(args.end(), extra.begin(), extra.end());
        return og_json(args, expected_exit, env);
    }
    std::string live_schema(const std::string& g) {
        auto shown = og({"schema", "show", graph_root(g)});
        EXPECT_EQ(shown.exit_code, 0) << shown.err;
        return shown.out;
    }
    std::string find_person_csv(const std::string& name) {
        auto r = og({"query", "find_person", "--query", "company-brain/queries/people.gq",
                     "--params", "{\"name\":\"" + name + "\"}", "--store", graph_root("knowledge"),
                     "--format", "csv"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }
    std::string lock_id_from_status() {
        Json status = og_json({"cluster", "status", "--config", "company-brain"});
        EXPECT_TRUE(status["state_observations"]["locked"].get<bool>());
        return status["state_observations"].value("lock_id", "");
    }

    TempDir dir_;
    std::string work_, root_uri_;
    std::optional<Omni> cli_;
    std::optional<Root> root_;
    std::set<std::string> config_files_;
};

// §1. Deploy a cluster from zero.
TEST_P(ClusterGuide, DeployFromZero) {
    auto validate = og({"cluster", "validate", "--config", "company-brain"});
    EXPECT_EQ(validate.exit_code, 0) << validate.err;
    EXPECT_TRUE(
        validate.out.starts_with("cluster config valid: 5 resource(s), 6 dependency edge(s)\n"))
        << validate.out;

    auto import = og({"cluster", "import", "--config", "company-brain"});
    EXPECT_EQ(import.exit_code, 0) << import.out << import.err;
    EXPECT_TRUE(import.out.starts_with("cluster import: revision 1, 0 resource(s)\n  state_cas: "
                                       "sha256:"))
        << import.out;
    EXPECT_TRUE(
        std::regex_search(import.out, std::regex("\n  lock: acquired \\(id=[0-9A-Z]{26}\\)\n")))
        << import.out;
    EXPECT_TRUE(root().exists("__cluster/state.json"));
    EXPECT_FALSE(root().exists("__cluster/lock.json"));

    auto plan = og({"cluster", "plan", "--config", "company-brain"});
    EXPECT_EQ(plan.exit_code, 0) << plan.err;
    EXPECT_EQ(plan.out, "cluster plan: 5 change(s), 0 approval gate(s)\n"
                        "  Create graph.knowledge\n"
                        "  Create policy.base\n"
                        "  Create query.knowledge.find_person\n"
                        "  Create query.knowledge.team_members\n"
                        "  Create schema.knowledge\n");

    auto apply = og({"cluster", "apply", "--config", "company-brain"});
    EXPECT_EQ(apply.exit_code, 0) << apply.err;
    EXPECT_EQ(apply.out, "cluster apply: 5 applied, 0 deferred/blocked\n"
                         "  Create graph.knowledge [Applied]\n"
                         "  Create policy.base [Applied]\n"
                         "  Create query.knowledge.find_person [Applied]\n"
                         "  Create query.knowledge.team_members [Applied]\n"
                         "  Create schema.knowledge [Applied]\n"
                         "  state: revision 2, converged: true, written: true\n"
                         "  note: cluster-booted servers (--cluster) serve this on their next "
                         "restart; omnigraph.yaml deployments are unaffected\n");
    // The graph lives at the derived root, the query and policy in the content-addressed catalog.
    EXPECT_TRUE(root().graph_exists("knowledge"));
    if (!s3()) {
        EXPECT_TRUE(fs::is_directory(config_dir() + "/graphs/knowledge.omni"));
    }
    std::string gq = read_file(config_dir() + "/queries/people.gq");
    std::string policy = read_file(config_dir() + "/base.policy.yaml");
    EXPECT_EQ(root().text(root().query_blob("knowledge", "find_person", sha256(gq))), gq);
    EXPECT_EQ(root().text(root().query_blob("knowledge", "team_members", sha256(gq))), gq);
    EXPECT_EQ(root().text(root().policy_blob("base", sha256(policy))), policy);
    EXPECT_TRUE(root().sidecars().empty());

    // Re-running apply is safe and idempotent.
    std::string ledger = root().ledger_bytes();
    auto again = og({"cluster", "apply", "--config", "company-brain"});
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_TRUE(contains(again.out, "  no changes\n  state: revision 2, converged: true, "
                                    "written: false\n"))
        << again.out;
    EXPECT_EQ(root().ledger_bytes(), ledger);

    // Rows go through the normal graph plane.
    auto load = og({"load", "--data", "seed.jsonl", graph_root("knowledge")});
    EXPECT_EQ(load.exit_code, 0) << load.err;
    EXPECT_TRUE(contains(load.out, "5 entities")) << load.out;
    EXPECT_EQ(find_person_csv("Ada"), "p.name,p.role,p.email\nAda,engineer,ada@example.com\n");

    // Serve it:
    //   OMNIGRAPH_SERVER_BEARER_TOKENS_JSON='{"act-reader":"s3cret"}' \
    //     omnigraph-server --cluster company-brain --bind 0.0.0.0:8080
    Env server_env = env_;
    server_env.emplace_back("OMNIGRAPH_SERVER_BEARER_TOKENS_JSON", R"({"act-reader":"s3cret"})");
    ServerProcess server({"--cluster", "company-brain", "--bind", "127.0.0.1:0"}, server_env,
                         dir_.path(), work_);
    ASSERT_TRUE(server.serving()) << server.err();
    //   curl -H 'authorization: Bearer s3cret' \
    //     -X POST http://localhost:8080/graphs/knowledge/queries/find_person \
    //     -H 'content-type: application/json' -d '{"params":{"name":"Ada"}}'
    auto served = server.client().Post("/graphs/knowledge/queries/find_person",
                                       {{"authorization", "Bearer s3cret"}},
                                       R"({"params":{"name":"Ada"}})", "application/json");
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 200) << served->body;
    Json rows = Json::parse(served->body)["rows"];
    EXPECT_EQ(rows, Json::parse(R"([{"p.name":"Ada","p.role":"engineer",)"
                                R"("p.email":"ada@example.com"}])"))
        << served->body;
    EXPECT_EQ(server.stop(), 0) << server.err();
    // Loading rows is not a definition change: the cluster stays converged.
    EXPECT_TRUE(change_lines(plan_json()).empty());
}

// §2. The day-2 loop, for every change kind in the guide's table.
TEST_P(ClusterGuide, DayTwoLoopForEveryChangeKind) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    const std::string note = "  note: cluster-booted servers (--cluster) serve this on their next "
                             "restart; omnigraph.yaml deployments are unaffected\n";
    auto plan_text = [&] { return og({"cluster", "plan", "--config", "company-brain"}).out; };

    // A .gq file: every query declared in the file updates (the digest is the whole file's).
    std::string old_gq = read_file(config_dir() + "/queries/people.gq");
    edit_config("queries/people.gq", "return { $p.name, $p.role, $p.email }",
                "return { $p.name, $p.role, $p.email, $p.joined }");
    std::string new_gq = read_file(config_dir() + "/queries/people.gq");
    EXPECT_EQ(plan_text(), "cluster plan: 3 change(s), 0 approval gate(s)\n"
                           "  Update graph.knowledge\n"
                           "  Update query.knowledge.find_person\n"
                           "  Update query.knowledge.team_members\n");
    auto apply = og({"cluster", "apply", "--config", "company-brain", "--as", "andrew"});
    EXPECT_EQ(apply.exit_code, 0) << apply.err;
    EXPECT_TRUE(contains(apply.out, "  Update query.knowledge.find_person [Applied]\n"))
        << apply.out;
    EXPECT_TRUE(contains(apply.out, "converged: true")) << apply.out;
    EXPECT_TRUE(contains(apply.out, note));
    EXPECT_EQ(root().text(root().query_blob("knowledge", "find_person", sha256(new_gq))), new_gq);
    EXPECT_EQ(root().text(root().query_blob("knowledge", "find_person", sha256(old_gq))), old_gq);
    Json ledger = root().ledger();
    EXPECT_EQ(ledger["applied_revision"]["resources"]["query.knowledge.find_person"]["digest"],
              sha256(new_gq));

    // A queries: entry: find_person now comes from another file.
    std::string v2 = "query find_person($name: String) {\n    match { $p: Person { name: $name } "
                     "}\n    return { $p.name, $p.email }\n}\n";
    write_config("find_person.gq", v2);
    edit_config("cluster.yaml",
                "    queries: queries/            # every `query <name>` in queries/*.gq registers",
                "    queries:\n      find_person: { file: find_person.gq }\n"
                "      team_members: { file: queries/people.gq }");
    EXPECT_EQ(plan_text(), "cluster plan: 2 change(s), 0 approval gate(s)\n"
                           "  Update graph.knowledge\n"
                           "  Update query.knowledge.find_person\n");
    Json applied = apply_json({"--as", "andrew"});
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.knowledge update derived",
                                        "query.knowledge.find_person update applied"}));
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_EQ(root().text(root().query_blob("knowledge", "find_person", sha256(v2))), v2);

    // A policy file: a new blob and a ledger update.
    std::string old_policy = read_file(config_dir() + "/base.policy.yaml");
    edit_config("base.policy.yaml", "actions: [read, invoke_query, change]",
                "actions: [read, invoke_query, change, branch_create]");
    std::string new_policy = read_file(config_dir() + "/base.policy.yaml");
    EXPECT_EQ(plan_text(), "cluster plan: 1 change(s), 0 approval gate(s)\n"
                           "  Update policy.base\n");
    applied = apply_json({"--as", "andrew"});
    EXPECT_EQ(change_lines(applied), (std::vector<std::string>{"policy.base update applied"}));
    EXPECT_EQ(root().text(root().policy_blob("base", sha256(new_policy))), new_policy);
    EXPECT_EQ(root().text(root().policy_blob("base", sha256(old_policy))), old_policy);
    EXPECT_EQ(root().ledger()["applied_revision"]["resources"]["policy.base"]["digest"],
              sha256(new_policy));

    // A .pg schema, with a query that uses the new field: one apply converges both, the plan
    // embeds the real migration steps.
    edit_config("people.pg", "    joined: Date?\n", "    joined: Date?\n    bio: String?\n");
    write_config("queries/bios.gq", kBioQuery);
    edit_config("cluster.yaml", "      team_members: { file: queries/people.gq }",
                "      team_members: { file: queries/people.gq }\n"
                "      person_bio: { file: queries/bios.gq }");
    EXPECT_EQ(plan_text(), "cluster plan: 3 change(s), 0 approval gate(s)\n"
                           "  Update graph.knowledge\n"
                           "  Create query.knowledge.person_bio\n"
                           "  Update schema.knowledge\n"
                           "      {\"kind\":\"add_property\",\"type_kind\":\"node\",\"type_name\":"
                           "\"Person\",\"property_name\":\"bio\",\"property_type\":{\"scalar\":"
                           "\"String\",\"nullable\":true,\"list\":false,\"enum_values\":null}}\n");
    applied = apply_json({"--as", "andrew"});
    EXPECT_EQ(change_lines(applied),
              (std::vector<std::string>{"graph.knowledge update derived",
                                        "query.knowledge.person_bio create applied",
                                        "schema.knowledge update applied"}));
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_TRUE(contains(live_schema("knowledge"), "bio: String?"));
    EXPECT_TRUE(root().sidecars().empty());
    // --as is threaded into the engine's commit history.
    auto commits = og({"commit", "list", graph_root("knowledge"), "--json"});
    ASSERT_EQ(commits.exit_code, 0) << commits.err;
    EXPECT_EQ(parse("{\"c\":" + commits.out + "}")["c"][0]["actor_id"], "andrew") << commits.out;

    // Soft drops only: removing the property shows a soft drop_property and applies it.
    edit_config("people.pg", "    bio: String?\n", "");
    remove_config("queries/bios.gq");
    edit_config("cluster.yaml", "\n      person_bio: { file: queries/bios.gq }", "");
    Json planned = plan_json();
    EXPECT_EQ(change_lines(planned),
              (std::vector<std::string>{"graph.knowledge update derived",
                                        "query.knowledge.person_bio delete applied",
                                        "schema.knowledge update applied"}));
    Json steps = change(planned, "schema.knowledge")["migration"]["steps"];
    ASSERT_EQ(steps.size(), 1u) << pretty(planned);
    EXPECT_EQ(steps[0]["kind"], "drop_property");
    EXPECT_EQ(steps[0]["mode"], "soft");
    applied = apply_json({"--as", "andrew"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    EXPECT_FALSE(contains(live_schema("knowledge"), "bio"));

    // graphs: gains an entry — the graph, its schema and queries in one run.
    add_scratch_graph();
    EXPECT_EQ(plan_text(), "cluster plan: 3 change(s), 0 approval gate(s)\n"
                           "  Create graph.scratch\n"
                           "  Create query.scratch.notes\n"
                           "  Create schema.scratch\n");
    applied = apply_json({"--as", "andrew"});
    EXPECT_EQ(change_lines(applied), (std::vector<std::string>{"graph.scratch create applied",
                                                               "query.scratch.notes create applied",
                                                               "schema.scratch create applied"}));
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_TRUE(root().graph_exists("scratch"));
    EXPECT_TRUE(contains(live_schema("scratch"), "node Note"));

    // A policy's applies_to: a bindings-only change (the file digest is unchanged).
    edit_config("cluster.yaml", "applies_to: [knowledge]", "applies_to: [knowledge, scratch]");
    EXPECT_EQ(plan_text(), "cluster plan: 1 change(s), 0 approval gate(s)\n"
                           "  Update policy.base [bindings]\n");
    planned = plan_json();
    EXPECT_EQ(change(planned, "policy.base")["before_digest"],
              change(planned, "policy.base")["after_digest"]);
    EXPECT_EQ(change(planned, "policy.base")["metadata_change"], "policy_bindings");
    auto bound = og({"cluster", "apply", "--config", "company-brain", "--as", "andrew"});
    EXPECT_TRUE(contains(bound.out, "  Update policy.base [bindings] [Applied]\n")) << bound.out;
    EXPECT_EQ(root().ledger()["applied_revision"]["resources"]["policy.base"]["applies_to"],
              Json::parse(R"(["graph.knowledge","graph.scratch"])"));

    // graphs: loses an entry — blocked until approved; nothing happens.
    edit_config("cluster.yaml", "applies_to: [knowledge, scratch]", "applies_to: [knowledge]");
    remove_scratch_graph();
    auto blocked = og({"cluster", "apply", "--config", "company-brain", "--as", "andrew"});
    EXPECT_EQ(blocked.exit_code, 0) << blocked.err;
    EXPECT_TRUE(contains(blocked.out, "  Delete graph.scratch [Blocked: approval_required]\n"))
        << blocked.out;
    EXPECT_TRUE(contains(blocked.out, "  Update policy.base [bindings] [Applied]\n"))
        << blocked.out;
    EXPECT_TRUE(contains(blocked.out, "converged: false")) << blocked.out;
    EXPECT_TRUE(root().graph_exists("scratch"));
    EXPECT_TRUE(root().ledger()["applied_revision"]["resources"].contains("graph.scratch"));
}

// §2: `cli: { actor: … }` in the operator's omnigraph.yaml is the default for --as; the flag
// always wins.
TEST_P(ClusterGuide, OperatorActorDefault) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    write_file(work_ + "/omnigraph.yaml", "cli:\n  actor: erin\n");
    edit_config("people.pg", "    joined: Date?\n", "    joined: Date?\n    bio: String?\n");
    Json applied = apply_json();
    EXPECT_EQ(applied["actor"], "erin");
    auto commits = og({"commit", "list", graph_root("knowledge"), "--json"});
    EXPECT_EQ(parse("{\"c\":" + commits.out + "}")["c"][0]["actor_id"], "erin") << commits.out;
    edit_config("people.pg", "    bio: String?\n", "");
    applied = apply_json({"--as", "andrew"});
    EXPECT_EQ(applied["actor"], "andrew");
}

// §3. Inspect: status, refresh, and drift converged back to the declaration.
TEST_P(ClusterGuide, StatusRefreshAndDrift) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    std::string ledger = root().ledger_bytes();
    Json status = og_json({"cluster", "status", "--config", "company-brain"});
    EXPECT_TRUE(status["ok"].get<bool>());
    EXPECT_EQ(status["state_observations"]["state_revision"], 2);
    EXPECT_FALSE(status["state_observations"]["locked"].get<bool>());
    EXPECT_EQ(status["resource_statuses"].size(), 5u);
    for (const auto& [address, s] : status["resource_statuses"].items())
        EXPECT_EQ(s["status"], "applied") << address;
    EXPECT_EQ(root().ledger_bytes(), ledger) << "status is read-only";
    EXPECT_FALSE(root().exists("__cluster/lock.json"));

    auto refresh = og({"cluster", "refresh", "--config", "company-brain"});
    EXPECT_EQ(refresh.exit_code, 0) << refresh.out;
    EXPECT_TRUE(
        std::regex_match(refresh.out, std::regex("cluster refresh: revision 3, 5 resource\\(s\\)\n"
                                                 "  state_cas: sha256:[0-9a-f]{64}\n"
                                                 "  lock: acquired \\(id=[0-9A-Z]{26}\\)\n"
                                                 "(  [a-z]+\\.[a-z_.]+: applied\n)+")))
        << refresh.out;
    Json observed = root().ledger()["observations"]["graph.knowledge"];
    EXPECT_TRUE(observed["exists"].get<bool>());
    EXPECT_TRUE(observed["schema_matches_desired"].get<bool>());
    EXPECT_TRUE(observed["graph_manifest_version"].is_number()) << pretty(observed);

    // A direct schema apply behind the control plane's back: refused while the root carries
    // its cluster owner marker…
    std::string oob = read_file(config_dir() + "/people.pg");
    oob.replace(oob.find("    joined: Date?\n"), 18, "    joined: Date?\n    nickname: String?\n");
    write_file(work_ + "/oob.pg", oob);
    auto refused = og({"schema", "apply", "--schema", "oob.pg", graph_root("knowledge")});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_TRUE(contains(refused.err, "cluster apply")) << refused.err;
    EXPECT_FALSE(contains(live_schema("knowledge"), "nickname"));
    // …so the operator removes it first, and then it goes through.
    root().remove("graphs/knowledge.omni/_cluster_owner.json");
    auto drifted = og({"schema", "apply", "--schema", "oob.pg", graph_root("knowledge")});
    ASSERT_EQ(drifted.exit_code, 0) << drifted.err;

    // refresh marks it drifted; plan proposes migrating back, soft drop visible; apply does it.
    Json refreshed = og_json({"cluster", "refresh", "--config", "company-brain"});
    EXPECT_EQ(refreshed["resource_statuses"]["schema.knowledge"],
              Json::parse(R"({"status":"drifted","conditions":["schema_mismatch"]})"));
    EXPECT_FALSE(
        refreshed["observations"]["graph.knowledge"]["schema_matches_desired"].get<bool>());
    // The plain text shows the drift too (issue 21 item 2), in status as in refresh.
    auto status_text = og({"cluster", "status", "--config", "company-brain"});
    EXPECT_TRUE(contains(status_text.out, "\n  schema.knowledge: drifted (schema_mismatch)\n"))
        << status_text.out;
    Json planned = plan_json();
    EXPECT_EQ(change_lines(planned), (std::vector<std::string>{"graph.knowledge update derived",
                                                               "schema.knowledge update applied"}));
    EXPECT_EQ(change(planned, "schema.knowledge")["migration"],
              Json::parse(R"({"supported":true,"steps":[{"kind":"drop_property","type_kind":"node",
                  "type_name":"Person","property_name":"nickname","mode":"soft"}]})"));
    Json applied = apply_json({"--as", "andrew"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    EXPECT_FALSE(contains(live_schema("knowledge"), "nickname"));
    EXPECT_TRUE(change_lines(plan_json()).empty());

    // Or: the out-of-band change is the wanted one — change the config to match and apply.
    root().remove("graphs/knowledge.omni/_cluster_owner.json");
    ASSERT_EQ(og({"schema", "apply", "--schema", "oob.pg", graph_root("knowledge")}).exit_code, 0);
    ASSERT_EQ(og({"cluster", "refresh", "--config", "company-brain"}).exit_code, 0);
    write_config("people.pg", oob);
    planned = plan_json();
    EXPECT_TRUE(change_lines(planned).empty()) << pretty(planned);
    applied = apply_json();
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_EQ(root().ledger()["applied_revision"]["config_digest"],
              applied["desired_revision"]["config_digest"]);
    EXPECT_TRUE(contains(live_schema("knowledge"), "nickname"));
}

// §3 / §5: a lost catalog blob is found by status, recorded by refresh and republished by apply.
TEST_P(ClusterGuide, LostCatalogBlobHeals) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    std::string gq = read_file(config_dir() + "/queries/people.gq");
    std::string blob = root().query_blob("knowledge", "find_person", sha256(gq));
    root().remove(blob);
    Json status = og_json({"cluster", "status", "--config", "company-brain"});
    EXPECT_EQ(diag(status, "catalog_payload_missing")["path"], "query.knowledge.find_person");
    // The plan proposes nothing yet, but says the catalog is damaged (issue 21 item 2).
    Json damaged = plan_json();
    EXPECT_TRUE(change_lines(damaged).empty()) << pretty(damaged);
    EXPECT_EQ(diag(damaged, "catalog_payload_missing")["path"], "query.knowledge.find_person");
    Json refreshed = og_json({"cluster", "refresh", "--config", "company-brain"});
    EXPECT_EQ(refreshed["resource_statuses"]["query.knowledge.find_person"],
              Json::parse(R"({"status":"drifted","conditions":["payload_missing"]})"));
    EXPECT_EQ(change_lines(plan_json()),
              (std::vector<std::string>{"graph.knowledge update derived",
                                        "query.knowledge.find_person create applied"}));
    EXPECT_TRUE(apply_json()["converged"].get<bool>());
    EXPECT_EQ(root().text(blob), gq);
    status = og_json({"cluster", "status", "--config", "company-brain"});
    EXPECT_TRUE(diag_codes(status).empty()) << pretty(status);
}

// §3 / §5: a tampered catalog file is marked drifted by refresh, and the guide's remedy
// ("cluster refresh, then apply") must leave a catalog that verifies again.
TEST_P(ClusterGuide, TamperedCatalogBlobHeals) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    std::string gq = read_file(config_dir() + "/queries/people.gq");
    std::string blob = root().query_blob("knowledge", "find_person", sha256(gq));
    root().write(blob, "query find_person() { match { $p: Person } return { $p.name } }\n");
    Json status = og_json({"cluster", "status", "--config", "company-brain"});
    EXPECT_EQ(diag(status, "catalog_payload_mismatch")["path"], "query.knowledge.find_person");
    Json refreshed = og_json({"cluster", "refresh", "--config", "company-brain"});
    EXPECT_EQ(refreshed["resource_statuses"]["query.knowledge.find_person"],
              Json::parse(R"({"status":"drifted","conditions":["payload_mismatch"]})"));
    EXPECT_TRUE(apply_json()["converged"].get<bool>());
    EXPECT_EQ(root().text(blob), gq) << "apply kept the tampered blob";
    status = og_json({"cluster", "status", "--config", "company-brain"});
    EXPECT_TRUE(diag_codes(status).empty()) << pretty(status);
}

// §4. Destructive changes: the approval gate.
TEST_P(ClusterGuide, ApprovalGate) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    add_scratch_graph();
    ASSERT_TRUE(apply_json()["converged"].get<bool>());
    remove_scratch_graph();

    auto blocked = og({"cluster", "apply", "--config", "company-brain"});
    EXPECT_EQ(blocked.exit_code, 0);
    EXPECT_TRUE(contains(blocked.out, "  Delete graph.scratch [Blocked: approval_required]\n"))
        << blocked.out;
    EXPECT_TRUE(root().graph_exists("scratch"));
    Json planned = plan_json();
    ASSERT_EQ(planned["approvals_required"].size(), 1u);
    EXPECT_EQ(planned["approvals_required"][0]["resource"], "graph.scratch");
    EXPECT_EQ(planned["approvals_required"][0]["reason"],
              "delete may remove deployed graph or schema definition");
    EXPECT_FALSE(planned["approvals_required"][0]["satisfied"].get<bool>());

    auto approve =
        og({"cluster", "approve", "graph.scratch", "--config", "company-brain", "--as", "andrew"});
    EXPECT_EQ(approve.exit_code, 0) << approve.out << approve.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_match(
        approve.out, m,
        std::regex("cluster approve: delete graph\\.scratch approved by andrew \\(approval "
                   "([0-9A-Z]{26})\\)\n")))
        << approve.out;
    std::string approval_id = m[1];
    ASSERT_EQ(root().approvals(), std::vector<std::string>{approval_id + ".json"});
    Json artifact = root().approval(approval_id + ".json");
    EXPECT_EQ(artifact["resource"], "graph.scratch");
    EXPECT_EQ(artifact["approved_by"], "andrew");
    EXPECT_EQ(artifact["bound_before_digest"],
              root().ledger()["applied_revision"]["resources"]["graph.scratch"]["digest"]);
    EXPECT_TRUE(artifact["consumed_at"].is_null());

    // Digest-bound: any config movement makes it stale; undoing the movement revives it.
    std::string policy = read_file(config_dir() + "/base.policy.yaml");
    write_config("base.policy.yaml", policy + "# reviewed\n");
    planned = plan_json();
    EXPECT_EQ(diag(planned, "approval_stale")["path"], "graph.scratch");
    EXPECT_EQ(change(planned, "graph.scratch")["reason"], "approval_required");
    Json stale = apply_json();
    EXPECT_TRUE(root().graph_exists("scratch"));
    EXPECT_FALSE(stale["converged"].get<bool>());
    write_config("base.policy.yaml", policy);

    auto deleted = og({"cluster", "apply", "--config", "company-brain", "--as", "andrew"});
    EXPECT_EQ(deleted.exit_code, 0) << deleted.out;
    EXPECT_TRUE(contains(deleted.out, "  Delete graph.scratch [Applied]\n")) << deleted.out;
    EXPECT_TRUE(contains(deleted.out, "  Delete query.scratch.notes [Applied]\n")) << deleted.out;
    EXPECT_TRUE(contains(deleted.out, "  Delete schema.scratch [Applied]\n")) << deleted.out;
    EXPECT_TRUE(contains(deleted.out, "converged: true")) << deleted.out;
    EXPECT_FALSE(root().graph_exists("scratch"));
    if (!s3()) {
        EXPECT_FALSE(fs::exists(config_dir() + "/graphs/scratch.omni"));
    }
    Json ledger = root().ledger();
    for (const auto& address : {"graph.scratch", "schema.scratch", "query.scratch.notes"}) {
        EXPECT_FALSE(ledger["applied_revision"]["resources"].contains(address)) << address;
        EXPECT_FALSE(ledger["resource_statuses"].contains(address)) << address;
    }
    Json tombstone = ledger["observations"]["graph.scratch"];
    EXPECT_EQ(tombstone["kind"], "tombstone");
    EXPECT_EQ(tombstone["approval_id"], approval_id);
    EXPECT_EQ(tombstone["actor"], "andrew");
    EXPECT_TRUE(ledger["approval_records"][approval_id]["consumed_at"].is_string());
    // The consumed artifact is kept, rewritten with consumed_at.
    EXPECT_TRUE(root().approval(approval_id + ".json")["consumed_at"].is_string());
    EXPECT_TRUE(root().sidecars().empty());

    // A consumed approval never authorizes again.
    add_scratch_graph();
    ASSERT_TRUE(apply_json()["converged"].get<bool>());
    remove_scratch_graph();
    planned = plan_json();
    EXPECT_EQ(change(planned, "graph.scratch")["reason"], "approval_required");
    EXPECT_FALSE(has_diag(planned, "approval_stale"));
}

// §5. A crashed apply: the lock stays behind, status names its holder, force-unlock needs the
// exact id, and running apply again reconciles — nothing lost, nothing applied twice.
TEST_P(ClusterGuide, CrashRecoveryWithLockAndForceUnlock) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    edit_config("people.pg", "    joined: Date?\n", "    joined: Date?\n    bio: String?\n");
    auto crashed = og({"cluster", "apply", "--config", "company-brain", "--as", "andrew"},
                      {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.after_schema_apply=crash"}});
    ASSERT_EQ(crashed.exit_code, 86) << crashed.out << crashed.err;
    EXPECT_EQ(root().sidecars().size(), 1u);

    auto status = og({"cluster", "status", "--config", "company-brain"});
    EXPECT_EQ(status.exit_code, 0);
    EXPECT_TRUE(std::regex_search(
        status.out, std::regex("\n  lock: held \\(id=[0-9A-Z]{26}, operation=apply, pid=[0-9]+, "
                               "host=[^,]+, actor=andrew, created_at=")))
        << status.out;
    EXPECT_TRUE(contains(status.out, "WARN  cluster_recovery_pending ")) << status.out;
    std::string lock_id = lock_id_from_status();
    ASSERT_EQ(lock_id.size(), 26u);

    // As if the crash had been on another machine: such a lock is never broken automatically
    // (a dead process of this host loses it to the next command: CrashedApplyNeedsNoHands).
    Json lock = parse(root().text("__cluster/lock.json"));
    lock["host"] = "db-host-2";
    root().write("__cluster/lock.json", pretty(lock));
    auto held = og({"cluster", "apply", "--config", "company-brain"});
    EXPECT_EQ(held.exit_code, 1);
    EXPECT_TRUE(contains(held.out, "ERROR state_lock_held ")) << held.out;
    EXPECT_TRUE(
        contains(held.out, "omnigraph cluster force-unlock " + lock_id + " --config company-brain"))
        << held.out;

    // No blind unlock.
    auto wrong =
        og({"cluster", "force-unlock", "01AAAAAAAAAAAAAAAAAAAAAAAA", "--config", "company-brain"});
    EXPECT_EQ(wrong.exit_code, 1);
    EXPECT_TRUE(contains(wrong.out, "state_lock_id_mismatch")) << wrong.out;
    EXPECT_TRUE(root().exists("__cluster/lock.json"));

    auto unlocked = og({"cluster", "force-unlock", lock_id, "--config", "company-brain"});
    EXPECT_EQ(unlocked.exit_code, 0) << unlocked.out;
    EXPECT_TRUE(unlocked.out.starts_with("cluster force-unlock: removed lock (id=" + lock_id))
        << unlocked.out;
    EXPECT_FALSE(root().exists("__cluster/lock.json"));

    Json recovered = apply_json({"--as", "andrew"});
    EXPECT_TRUE(recovered["converged"].get<bool>()) << pretty(recovered);
    EXPECT_TRUE(has_diag(recovered, "cluster_recovery_rolled_forward")) << pretty(recovered);
    EXPECT_TRUE(change_lines(recovered).empty()) << "the migration ran before the crash";
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_TRUE(contains(live_schema("knowledge"), "bio: String?"));
    auto commits = og({"commit", "list", graph_root("knowledge"), "--json"});
    Json list = parse("{\"c\":" + commits.out + "}")["c"];
    size_t schema_commits = 0;
    for (const auto& c : list)
        schema_commits += c["message"] == "schema apply";
    EXPECT_EQ(schema_commits, 1u) << "the schema apply ran once: " << commits.out;
    Json ledger = root().ledger();
    ASSERT_EQ(ledger["recovery_records"].size(), 1u);
    EXPECT_EQ(ledger["recovery_records"].begin().value()["kind"], "schema_apply");
    EXPECT_EQ(ledger["recovery_records"].begin().value()["actor"], "andrew");
}

// §5: an apply killed on this host: the next apply removes its lock (its process is gone) and
// rolls the sidecar forward.
TEST_P(ClusterGuide, CrashedApplyNeedsNoHands) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    edit_config("people.pg", "    joined: Date?\n", "    joined: Date?\n    bio: String?\n");
    auto crashed = og({"cluster", "apply", "--config", "company-brain", "--as", "andrew"},
                      {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.after_schema_apply=crash"}});
    ASSERT_EQ(crashed.exit_code, 86) << crashed.out << crashed.err;
    std::string lock_id = lock_id_from_status();
    ASSERT_EQ(lock_id.size(), 26u);
    auto again = og({"cluster", "apply", "--config", "company-brain"});
    EXPECT_EQ(again.exit_code, 0) << again.out;
    EXPECT_TRUE(contains(again.out, "WARN  state_lock_recovered ")) << again.out;
    EXPECT_TRUE(contains(again.out, "removed the lock " + lock_id + " left by `apply` (pid "))
        << again.out;
    EXPECT_TRUE(contains(again.out, "WARN  cluster_recovery_rolled_forward ")) << again.out;
    EXPECT_FALSE(root().exists("__cluster/lock.json"));
    EXPECT_TRUE(root().sidecars().empty());
    EXPECT_TRUE(contains(live_schema("knowledge"), "bio: String?"));
}

// §5: an interrupted (not crashed) apply is fixed by running apply again.
TEST_P(ClusterGuide, InterruptedApplyIsFixedByApplyingAgain) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    add_scratch_graph();
    Json failed =
        apply_json({}, 1, {{"OMNIGRAPH_FAILPOINTS", "cluster_apply.before_graph_create"}});
    EXPECT_TRUE(has_diag(failed, "injected_failpoint"));
    EXPECT_FALSE(root().exists("__cluster/lock.json")) << "a failed run releases its lock";
    EXPECT_EQ(root().sidecars().size(), 1u);
    Json again = apply_json();
    EXPECT_TRUE(again["converged"].get<bool>()) << pretty(again);
    EXPECT_TRUE(root().graph_exists("scratch"));
    EXPECT_TRUE(root().sidecars().empty());
}

// §5: a lost or corrupted ledger is rebuilt by import; the next apply re-converges onto the same
// content-addressed catalog.
TEST_P(ClusterGuide, LostLedgerIsRebuiltByImport) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    ASSERT_EQ(og({"load", "--data", "seed.jsonl", graph_root("knowledge")}).exit_code, 0);
    std::vector<std::string> blobs = root().keys("__cluster/resources/");
    ASSERT_EQ(blobs.size(), 3u);
    std::map<std::string, std::string> before;
    for (const auto& k : blobs)
        before[k] = root().text(k);

    root().write("__cluster/state.json", "{");
    Json corrupt = og_json({"cluster", "status", "--config", "company-brain"}, 1);
    EXPECT_TRUE(has_diag(corrupt, "invalid_state_json"));

    root().remove("__cluster/state.json");
    auto imported = og({"cluster", "import", "--config", "company-brain"});
    EXPECT_EQ(imported.exit_code, 0) << imported.out;
    EXPECT_TRUE(imported.out.starts_with("cluster import: revision 1, 2 resource(s)\n"))
        << imported.out;
    Json planned = plan_json();
    EXPECT_EQ(
        change_lines(planned),
        (std::vector<std::string>{"graph.knowledge update derived", "policy.base create applied",
                                  "query.knowledge.find_person create applied",
                                  "query.knowledge.team_members create applied"}));
    Json applied = apply_json();
    EXPECT_TRUE(applied["converged"].get<bool>());
    EXPECT_EQ(root().keys("__cluster/resources/"), blobs);
    for (const auto& [k, text] : before)
        EXPECT_EQ(root().text(k), text) << k;
    // The data survived: only the ledger was lost.
    EXPECT_EQ(find_person_csv("Ada"), "p.name,p.role,p.email\nAda,engineer,ada@example.com\n");
    Json status = og_json({"cluster", "status", "--config", "company-brain"});
    EXPECT_TRUE(diag_codes(status).empty()) << pretty(status);
}

// §6. Deployment patterns: validate and plan --json are read-only; CI applies exactly the
// reviewed plan; omnigraph.yaml keeps its per-operator job (targets, actor) and never changes
// what the cluster commands do.
TEST_P(ClusterGuide, DeploymentPatterns) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    edit_config("people.pg", "    joined: Date?\n", "    joined: Date?\n    bio: String?\n");
    std::string ledger = root().ledger_bytes();
    std::vector<std::string> stored = root().keys("");
    ASSERT_EQ(og({"cluster", "validate", "--config", "company-brain"}).exit_code, 0);
    Json planned = og_json({"cluster", "plan", "--config", "company-brain"});
    EXPECT_EQ(change_lines(planned), (std::vector<std::string>{"graph.knowledge update derived",
                                                               "schema.knowledge update applied"}));
    EXPECT_EQ(root().ledger_bytes(), ledger);
    EXPECT_EQ(root().keys(""), stored) << "validate/plan wrote to the storage root";

    // Gate apply on plan review: apply exactly the saved plan.
    auto saved = og({"cluster", "plan", "--config", "company-brain", "-out", "reviewed.plan"});
    ASSERT_EQ(saved.exit_code, 0) << saved.out;
    Json applied =
        og_json({"cluster", "apply", "--config", "company-brain", "--as", "ci", "reviewed.plan"});
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    EXPECT_EQ(applied["actor"], "ci");
    // The saved plan is spent: the ledger moved.
    Json stale = og_json({"cluster", "apply", "--config", "company-brain", "reviewed.plan"}, 1);
    EXPECT_TRUE(has_diag(stale, "plan_stale")) << pretty(stale);

    // omnigraph.yaml: graphs.<name>.uri at a derived root, for --target loads; a cluster command
    // run next to it is unaffected.
    write_file(work_ + "/omnigraph.yaml", "graphs:\n  knowledge:\n    uri: " +
                                              graph_root("knowledge") + "\ncli:\n  actor: dana\n");
    auto load =
        og({"load", "--target", "knowledge", "--config", "omnigraph.yaml", "--data", "seed.jsonl"});
    EXPECT_EQ(load.exit_code, 0) << load.err;
    EXPECT_EQ(find_person_csv("Grace"), "p.name,p.role,p.email\nGrace,admiral,null\n");
    Json noop = apply_json();
    EXPECT_EQ(noop["actor"], "dana");
    EXPECT_FALSE(noop["state_written"].get<bool>());
    write_file(work_ + "/omnigraph.yaml", "graphs: [this is: not valid\n");
    EXPECT_TRUE(change_lines(plan_json()).empty());
    EXPECT_FALSE(apply_json()["state_written"].get<bool>());
}

INSTANTIATE_TEST_SUITE_P(Guide, ClusterGuide, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing::cluster_e2e
