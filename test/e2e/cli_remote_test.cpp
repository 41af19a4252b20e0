// The remote CLI (spec engine-cli §4.1-§4.4; issue 21 item 1) against a real omnigraph-server:
// the operator guide's cluster, served with two tokens, and an OMNIGRAPH_HOME holding
// config.yaml (a named server, defaults, a profile, an alias). Every verb that has a route runs
// with --server/--graph and prints what the local verb prints; login/logout keep the token in a
// 0600 credentials file; tokens resolve per server; scopes that name no graph list the
// candidates.
#include "server_fixtures/server_process.h"
#include "test_support.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

class CliRemote : public ::testing::Test {
  protected:
    void SetUp() override {
        deploy_example_cluster(cluster_);
        // Editors may also branch and merge; the cluster-bound bundle lets them list graphs.
        std::ofstream(cluster_ + "/base.policy.yaml", std::ios::app)
            << "  - id: editors-branch\n"
               "    allow:\n"
               "      actors: { group: editors }\n"
               "      actions: [branch_create, branch_delete, branch_merge, export]\n";
        std::ofstream(cluster_ + "/server.policy.yaml") << "version: 1\n"
                                                           "groups:\n"
                                                           "  editors: [act-editor]\n"
                                                           "rules:\n"
                                                           "  - id: editors-list\n"
                                                           "    allow:\n"
                                                           "      actors: { group: editors }\n"
                                                           "      actions: [graph_list]\n";
        std::ofstream(cluster_ + "/cluster.yaml", std::ios::app) << "  server:\n"
                                                                    "    file: server.policy.yaml\n"
                                                                    "    applies_to: [cluster]\n";
        auto applied = run_process({omnigraph(), "cluster", "apply", "--config", cluster_});
        ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
        server_ = std::make_unique<ServerProcess>(
            std::vector<std::string>{"--cluster", cluster_, "--bind", "127.0.0.1:0"},
            Env{{"OMNIGRAPH_SERVER_BEARER_TOKENS_JSON",
                 R"({"act-reader":"r-token","act-editor":"e-token"})"}},
            dir_.path());
        ASSERT_TRUE(server_->serving()) << server_->err();
        url_ = "http://127.0.0.1:" + std::to_string(server_->port());
        fs::create_directories(home_);
        std::ofstream(home_ + "/config.yaml")
            << "servers:\n"
               "  dev: { url: "
            << url_
            << " }\n"
               "profiles:\n"
               "  kb: { server: dev, default_graph: knowledge }\n"
               "aliases:\n"
               "  who: { server: dev, graph: knowledge, query: find_person, args: [name], "
               "format: csv }\n";
    }

    ProcessResult cli(std::vector<std::string> args, Env env = {}, const std::string& in = {}) {
        args.insert(args.begin(), omnigraph());
        env.emplace_back("OMNIGRAPH_HOME", home_);
        return run_process(args, env, in);
    }
    ProcessResult ok(std::vector<std::string> args, Env env = {}, const std::string& in = {}) {
        auto r = cli(std::move(args), std::move(env), in);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return r;
    }

    TempDir dir_;
    std::string cluster_ = dir_.path() + "/company-brain";
    std::string home_ = dir_.path() + "/home";
    std::string url_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_F(CliRemote, LoginStoresAPrivateTokenAndEveryServedVerbRuns) {
    // No token yet: the server's 401, as an error.
    auto anonymous = cli({"query", "find_person", "--server", "dev", "--graph", "knowledge",
                          "--params", R"({"name":"Ada"})"});
    EXPECT_EQ(anonymous.exit_code, 1);
    EXPECT_NE(anonymous.err.find("missing bearer token"), std::string::npos) << anonymous.err;

    // login from stdin; the file is 0600.
    auto login = ok({"login", "dev"}, {}, "e-token\n");
    EXPECT_EQ(login.out, "stored credential for 'dev' in " + home_ + "/credentials\n");
    struct stat st {};
    ASSERT_EQ(::stat((home_ + "/credentials").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    // The stored-query lane and an inline read, in the local verb's formats.
    auto stored = ok({"query", "find_person", "--server", "dev", "--graph", "knowledge", "--params",
                      R"({"name":"Ada"})", "--format", "csv"});
    EXPECT_EQ(stored.out, "p.name,p.role,p.email\nAda,engineer,ada@example.com\n");
    auto inline_read =
        ok({"query", "--server", "dev", "--graph", "knowledge", "-e",
            "query q() { match { $p: Person } return { $p.name } order { $p.name asc } }"});
    EXPECT_EQ(inline_read.out, "2 rows from branch main via q\np.name\n------\nAda\nGrace\n");
    auto as_json = ok({"query", "find_person", "--server", "dev", "--graph", "knowledge",
                       "--params", R"({"name":"Grace"})", "--json"});
    EXPECT_EQ(Json::parse(as_json.out)["rows"][0]["p.role"], "admiral");

    // Writes: mutate, load, branch create/merge/delete; a lost --if-commit exits 4.
    auto mutated = ok({"mutate", "--server", "dev", "--graph", "knowledge", "-e",
                       "query m() { insert Person { name: \"Linus\", role: \"kernel\" } }"});
    EXPECT_EQ(mutated.out, "changed main via m: 1 nodes, 0 edges\nactor_id: act-editor\n");
    auto stale =
        cli({"mutate", "--server", "dev", "--graph", "knowledge", "--if-commit",
             "01JZZZZZZZZZZZZZZZZZZZZZZZ", "-e", "query m() { insert Person { name: \"Ken\" } }"});
    EXPECT_EQ(stale.exit_code, 4) << stale.out << stale.err;
    std::ofstream(dir_.path() + "/more.jsonl")
        << R"({"type":"Person","data":{"name":"Barbara","role":"researcher"}})"
        << "\n";
    auto loaded = ok({"load", "--server", "dev", "--graph", "knowledge", "--data",
                      dir_.path() + "/more.jsonl", "--mode", "merge", "--branch", "review",
                      "--from", "main"});
    EXPECT_EQ(loaded.out, "loaded " + url_ +
                              "/graphs/knowledge on branch review with merge: 1 entities "
                              "across 1 node types and 0 edge types\nbranch review created "
                              "from main\n");
    EXPECT_NE(loaded.err.find("omnigraph load \u2192 " + url_ + "/graphs/knowledge (served)"),
              std::string::npos)
        << loaded.err;
    auto branches = ok({"branch", "list", "--server", "dev", "--graph", "knowledge"});
    EXPECT_EQ(branches.out, "main\nreview\n");
    auto merged = ok({"branch", "merge", "review", "--server", "dev", "--graph", "knowledge"});
    EXPECT_EQ(merged.out, "merged review into main: fast_forward\n");
    auto unconfirmed =
        cli({"branch", "delete", "review", "--server", "dev", "--graph", "knowledge"});
    EXPECT_EQ(unconfirmed.exit_code, 1);
    EXPECT_NE(unconfirmed.err.find("refusing destructive `branch delete`"), std::string::npos);
    auto deleted =
        ok({"branch", "delete", "review", "--server", "dev", "--graph", "knowledge", "--yes"});
    EXPECT_EQ(deleted.out, "deleted branch review\n");

    // Reads of the history and the data.
    auto commits = ok({"commit", "list", "--server", "dev", "--graph", "knowledge", "--json"});
    Json list = Json::parse(commits.out);
    ASSERT_TRUE(list.is_array());
    ASSERT_GE(list.size(), 3u);
    std::string head = list[0]["graph_commit_id"];
    auto shown = ok({"commit", "show", head, "--server", "dev", "--graph", "knowledge"});
    EXPECT_NE(shown.out.find("graph_commit_id: " + head), std::string::npos) << shown.out;
    auto snapshot = ok({"snapshot", "--server", "dev", "--graph", "knowledge"});
    EXPECT_NE(snapshot.out.find("node type 'Person'"), std::string::npos) << snapshot.out;
    EXPECT_NE(snapshot.out.find("entities=4"), std::string::npos) << snapshot.out;
    auto schema = ok({"schema", "show", "--server", "dev", "--graph", "knowledge"});
    EXPECT_EQ(schema.out, read_file(cluster_ + "/people.pg"));
    auto exported = ok({"export", "--server", "dev", "--graph", "knowledge", "--type", "Team"});
    EXPECT_NE(exported.out.find("\"Compilers\""), std::string::npos) << exported.out;
    EXPECT_EQ(exported.out.find("Person"), std::string::npos) << exported.out;

    // The change feed through the server is the local one, page for page.
    std::string root = cluster_ + "/graphs/knowledge.omni";
    auto served_diff = ok({"commit", "changes", head, "--server", "dev", "--graph", "knowledge",
                           "--limit", "1", "--json"});
    auto local_diff = ok({"commit", "changes", head, "--uri", root, "--limit", "1", "--json"});
    EXPECT_EQ(Json::parse(served_diff.out), Json::parse(local_diff.out));
    auto served_feed = ok({"changes", "poll", "--server", "dev", "--graph", "knowledge", "--start",
                           "beginning", "--kind", "node", "--json"});
    auto local_feed =
        ok({"changes", "poll", "--uri", root, "--start", "beginning", "--kind", "node", "--json"});
    EXPECT_EQ(Json::parse(served_feed.out), Json::parse(local_feed.out));
    auto served_base = ok({"changes", "baseline", "--server", "dev", "--graph", "knowledge",
                           "--out", dir_.path() + "/served.jsonl", "--json"});
    auto local_base =
        ok({"changes", "baseline", "--uri", root, "--out", dir_.path() + "/local.jsonl", "--json"});
    EXPECT_EQ(Json::parse(served_base.out), Json::parse(local_base.out));
    EXPECT_EQ(read_file(dir_.path() + "/served.jsonl"), read_file(dir_.path() + "/local.jsonl"));
    EXPECT_NE(read_file(dir_.path() + "/served.jsonl").find("\"Linus\""), std::string::npos);
    auto feed_text =
        ok({"changes", "poll", "--server", "dev", "--graph", "knowledge", "--start", "beginning"});
    EXPECT_NE(feed_text.out.find("insert node Person Linus"), std::string::npos) << feed_text.out;

    // logout: the token is gone, requests are anonymous again.
    auto logout = ok({"logout", "dev"});
    EXPECT_EQ(logout.out, "removed credential for 'dev' from " + home_ + "/credentials\n");
    EXPECT_EQ(cli({"branch", "list", "--server", "dev", "--graph", "knowledge"}).exit_code, 1);
}

TEST_F(CliRemote, TokensScopesProfilesAndAliases) {
    // OMNIGRAPH_TOKEN_<NAME> names the server's token; the reader may read but not write.
    Env reader = {{"OMNIGRAPH_TOKEN_DEV", "r-token"}};
    ok({"query", "find_person", "--server", "dev", "--graph", "knowledge", "--params",
        R"({"name":"Ada"})"},
       reader);
    auto denied = cli({"mutate", "--server", "dev", "--graph", "knowledge", "-e",
                       "query m() { insert Person { name: \"Eve\" } }"},
                      reader);
    EXPECT_EQ(denied.exit_code, 1);
    EXPECT_NE(denied.err.find("policy denied"), std::string::npos) << denied.err;
    // A URL that is not a named server's gets no keyed token, only OMNIGRAPH_BEARER_TOKEN.
    std::string other_url = "http://localhost:" + std::to_string(server_->port());
    auto keyed = cli({"branch", "list", "--server", other_url, "--graph", "knowledge"},
                     {{"OMNIGRAPH_TOKEN_DEV", "e-token"}});
    EXPECT_EQ(keyed.exit_code, 1);
    EXPECT_NE(keyed.err.find("missing bearer token"), std::string::npos) << keyed.err;
    auto bearer = ok({"branch", "list", "--server", other_url, "--graph", "knowledge"},
                     {{"OMNIGRAPH_BEARER_TOKEN", "r-token"}});
    EXPECT_EQ(bearer.out, "main\n");

    // No graph named: the server's graphs are listed.
    Env editor = {{"OMNIGRAPH_TOKEN_DEV", "e-token"}};
    auto unscoped = cli({"snapshot", "--server", "dev"}, editor);
    EXPECT_EQ(unscoped.exit_code, 1);
    EXPECT_NE(unscoped.err.find("server scope 'dev' has 1 graph(s): [knowledge]; pass --graph"),
              std::string::npos)
        << unscoped.err;
    auto graphs = ok({"graphs", "list", "--server", "dev"}, editor);
    EXPECT_EQ(graphs.out.substr(0, 10), "knowledge\t") << graphs.out;

    // A profile supplies server and graph; a graph root with --server is refused.
    auto profiled = ok({"query", "find_person", "--profile", "kb", "--params",
                        R"({"name":"Grace"})", "--format", "kv"},
                       editor);
    EXPECT_NE(profiled.out.find("p.role: admiral"), std::string::npos) << profiled.out;
    auto env_profile =
        ok({"branch", "list"}, {{"OMNIGRAPH_TOKEN_DEV", "e-token"}, {"OMNIGRAPH_PROFILE", "kb"}});
    EXPECT_EQ(env_profile.out, "main\n");
    auto both = cli({"snapshot", cluster_ + "/graphs/knowledge.omni", "--server", "dev"}, editor);
    EXPECT_EQ(both.exit_code, 1);
    EXPECT_NE(both.err.find("mutually exclusive"), std::string::npos) << both.err;
    auto profiles = ok({"profile", "list"});
    EXPECT_EQ(profiles.out, "kb\n");
    auto profile = ok({"profile", "show", "kb"});
    EXPECT_EQ(profile.out, "name: kb\nserver: dev\ndefault_graph: knowledge\nstore: -\n");

    // The alias runs its stored query with the positional argument, in its format.
    auto alias = ok({"alias", "who", "Ada"}, editor);
    EXPECT_EQ(alias.out, "p.name,p.role,p.email\nAda,engineer,ada@example.com\n");
    auto unknown = cli({"alias", "nope"});
    EXPECT_EQ(unknown.exit_code, 1);

    // A credentials file others may read is refused with the fix.
    std::ofstream(home_ + "/credentials") << "[dev]\ntoken = e-token\n";
    ::chmod((home_ + "/credentials").c_str(), 0644);
    auto open = cli({"branch", "list", "--server", "dev", "--graph", "knowledge"});
    EXPECT_EQ(open.exit_code, 1);
    EXPECT_NE(open.err.find("chmod 600"), std::string::npos) << open.err;
    ::chmod((home_ + "/credentials").c_str(), 0600);
    EXPECT_EQ(ok({"branch", "list", "--server", "dev", "--graph", "knowledge"}).out, "main\n");

    // A malformed config.yaml is an error with its place.
    std::ofstream(home_ + "/config.yaml") << "servers:\n  dev: [oops\n";
    auto broken = cli({"profile", "list"});
    EXPECT_EQ(broken.exit_code, 1);
    EXPECT_NE(broken.err.find(home_ + "/config.yaml:"), std::string::npos) << broken.err;
}

// `policy …` and `queries …` read the bundle and the stored queries a cluster declares.
TEST_F(CliRemote, PolicyAndQueriesReadTheClusterTheyAreGiven) {
    auto graph_bundle = ok({"policy", "validate", "--cluster", cluster_, "--graph", "knowledge"});
    EXPECT_EQ(graph_bundle.out, "policy valid: bundle 'base' [2 actors]\n");
    auto server_bundle = ok({"policy", "validate", "--cluster", cluster_});
    EXPECT_EQ(server_bundle.out, "policy valid: bundle 'server' [1 actors]\n");
    auto explained = ok({"policy", "explain", "--cluster", cluster_, "--graph", "knowledge",
                         "--actor", "act-reader", "--action", "change", "--branch", "main"});
    EXPECT_EQ(explained.out.substr(0, 15), "decision: deny\n") << explained.out;
    auto none = cli({"policy", "validate", "--cluster", cluster_, "--graph", "nope"});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.err.find("applies to graph 'nope'"), std::string::npos) << none.err;

    auto listed = ok({"queries", "list", "--cluster", cluster_});
    EXPECT_EQ(listed.out, "knowledge\tfind_person\t" + cluster_ +
                              "/queries/people.gq\nknowledge\tteam_members\t" + cluster_ +
                              "/queries/people.gq\n");
    EXPECT_EQ(ok({"queries", "validate", "--cluster", cluster_}).out,
              "queries valid: 2 stored queries\n");
    std::ofstream(cluster_ + "/queries/broken.gq")
        << "query broken() { match { $p: Nobody } return { $p.name } }\n";
    auto broken = cli({"queries", "validate", "--cluster", cluster_});
    EXPECT_EQ(broken.exit_code, 1);
    EXPECT_NE(broken.err.find("query_typecheck_error"), std::string::npos) << broken.err;
}

} // namespace
} // namespace omnigraph::testing
