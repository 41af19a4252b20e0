// omnigraph-server end to end: the real binary booted from an applied cluster on 127.0.0.1,
// driven over HTTP — boot refusals, the operator guide's serve example, bearer auth, Cedar on
// routes, stored-query invocation (deny == unknown), cluster-mode schema apply, error bodies.
#include "server_fixtures/server_process.h"
#include "test_support.h"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <httplib.h>
#include <mutex>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

// The example cluster, imported, applied and seeded.
class ServerTest : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_NO_FATAL_FAILURE(deploy_example_cluster(cluster_)); }
    std::unique_ptr<ServerProcess> start(std::vector<std::string> extra, const Env& env) {
        std::vector<std::string> args = {"--cluster", cluster_, "--bind", "127.0.0.1:0"};
        args.insert(args.end(), extra.begin(), extra.end());
        return std::make_unique<ServerProcess>(args, env, dir_.path());
    }
    const Env kTokens = {{"OMNIGRAPH_SERVER_BEARER_TOKENS_JSON",
                          R"({"act-reader":"s3cret","act-editor":"ed1tor"})"}};

    TempDir dir_;
    std::string cluster_ = dir_.path() + "/company-brain";
};

TEST_F(ServerTest, TheOperatorGuidesServeExample) {
    auto server =
        start({}, {{"OMNIGRAPH_SERVER_BEARER_TOKENS_JSON", R"({"act-reader":"s3cret"})"}});
    ASSERT_TRUE(server->serving()) << server->err();
    auto c = server->client();
    auto r = c.Post("/graphs/knowledge/queries/find_person", {{"authorization", "Bearer s3cret"}},
                    R"({"params":{"name":"Ada"}})", "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    Json j = body(r);
    EXPECT_EQ(j["query_name"], "find_person");
    EXPECT_EQ(j["row_count"], 1);
    EXPECT_EQ(j["rows"][0]["p.name"], "Ada");
    auto ready = c.Get("/readyz");
    EXPECT_EQ(ready->status, 200);
    EXPECT_EQ(body(ready)["ready"], true);
    auto metrics = c.Get("/metrics");
    ASSERT_EQ(metrics->status, 200);
    EXPECT_NE(metrics->body.find("omnigraph_http_requests_total{route=\"POST "
                                 "/graphs/{graph_id}/queries/{name}\",status=\"200\"} 1"),
              std::string::npos)
        << metrics->body;
    EXPECT_NE(metrics->body.find("omnigraph_query_execution_seconds_count 1"), std::string::npos);
    EXPECT_EQ(server->stop(), 0); // SIGTERM is a clean stop
    // One JSON line per request, with the actor and the rule that allowed it; never the token.
    std::string log = server->err();
    EXPECT_NE(log.find(R"("route":"/graphs/{graph_id}/queries/{name}")"), std::string::npos) << log;
    EXPECT_NE(log.find(R"("actor_id":"act-reader")"), std::string::npos);
    EXPECT_NE(log.find(R"("matched_rule_id":"readers-read")"), std::string::npos);
    EXPECT_EQ(log.find("s3cret"), std::string::npos);
}

TEST_F(ServerTest, BootRefusals) {
    auto none = run_process({server_binary()});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_NE(none.err.find("boots from a cluster"), std::string::npos) << none.err;
    auto uri = run_process({server_binary(), cluster_ + "/graphs/knowledge.omni"});
    EXPECT_EQ(uri.exit_code, 1);

    TempDir empty;
    auto s = run_process({server_binary(), "--cluster", empty.path(), "--unauthenticated"});
    EXPECT_EQ(s.exit_code, 1);
    EXPECT_NE(s.err.find("cluster_state_missing"), std::string::npos) << s.err;

    // A bundle is bound but there are no tokens: every request would 401.
    auto p = run_process({server_binary(), "--cluster", cluster_});
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_NE(p.err.find("every request would 401"), std::string::npos) << p.err;

    // Tampered catalog blob.
    for (const auto& e : fs::recursive_directory_iterator(cluster_ + "/__cluster/resources/query"))
        if (e.is_regular_file())
            std::ofstream(e.path()) << "query x() { match { $p: Person } return { $p.name } }";
    auto t = run_process({server_binary(), "--cluster", cluster_}, kTokens);
    EXPECT_EQ(t.exit_code, 1);
    EXPECT_NE(t.err.find("catalog_payload_digest_mismatch"), std::string::npos) << t.err;
    EXPECT_NE(t.err.find("cluster refresh"), std::string::npos) << t.err;
}

TEST_F(ServerTest, BearerAuthAndErrorBodies) {
    auto server = start({}, kTokens);
    ASSERT_TRUE(server->serving()) << server->err();
    auto c = server->client();
    auto health = c.Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(body(health)["status"], "ok");

    auto missing = c.Get("/graphs/knowledge/queries");
    EXPECT_EQ(missing->status, 401);
    EXPECT_EQ(missing->get_header_value("WWW-Authenticate"), "Bearer");
    EXPECT_EQ(body(missing)["code"], "unauthorized");
    EXPECT_EQ(body(missing)["error"], "missing bearer token");
    auto wrong = c.Get("/graphs/knowledge/queries", {{"authorization", "Bearer nope"}});
    EXPECT_EQ(wrong->status, 401);
    EXPECT_EQ(body(wrong)["error"], "invalid bearer token");
    // Authentication comes before routing: no leak of which graphs exist.
    EXPECT_EQ(c.Get("/graphs/secret/snapshot")->status, 401);

    httplib::Headers reader = {{"authorization", "Bearer s3cret"}};
    EXPECT_EQ(c.Get("/graphs/knowledge/queries", reader)->status, 200);
    auto unknown_graph = c.Get("/graphs/nope/snapshot", reader);
    EXPECT_EQ(unknown_graph->status, 404);
    EXPECT_EQ(body(unknown_graph)["code"], "not_found");
    EXPECT_EQ(c.Get("/graphs/bad_id/snapshot", reader)->status, 400);
    auto no_route = c.Get("/snapshot", reader);
    EXPECT_EQ(no_route->status, 404);
    EXPECT_EQ(body(no_route)["code"], "not_found");
    auto malformed = c.Post("/graphs/knowledge/query", reader, "{bad", "application/json");
    EXPECT_EQ(malformed->status, 400);
    EXPECT_EQ(body(malformed)["code"], "bad_request");
    auto form =
        c.Post("/graphs/knowledge/query", reader, "query=x", "application/x-www-form-urlencoded");
    EXPECT_EQ(form->status, 415);
    EXPECT_EQ(body(form)["code"], "bad_request");
    // A client-chosen identity header changes nothing.
    auto spoof =
        c.Post("/graphs/knowledge/mutate",
               {{"authorization", "Bearer s3cret"}, {"X-Actor-Id", "act-editor"}},
               R"({"query":"query q() { insert Person { name: \"Eve\" } }"})", "application/json");
    EXPECT_EQ(spoof->status, 403);
}

TEST_F(ServerTest, PolicyOnRoutesAndStoredQueries) {
    auto server = start({}, kTokens);
    ASSERT_TRUE(server->serving()) << server->err();
    auto c = server->client();
    httplib::Headers reader = {{"authorization", "Bearer s3cret"}};
    httplib::Headers editor = {{"authorization", "Bearer ed1tor"}};

    // No cluster-bound bundle: GET /graphs is refused even for a known actor.
    EXPECT_EQ(c.Get("/graphs", reader)->status, 403);
    // The reader may read but not change.
    auto denied =
        c.Post("/graphs/knowledge/mutate", reader,
               R"({"query":"query q() { insert Person { name: \"Eve\" } }"})", "application/json");
    EXPECT_EQ(denied->status, 403);
    EXPECT_NE(body(denied)["error"].get<std::string>().find("policy denied action 'change'"),
              std::string::npos);
    auto changed =
        c.Post("/graphs/knowledge/mutate", editor,
               R"({"query":"query q() { insert Person { name: \"Eve\" } }"})", "application/json");
    ASSERT_EQ(changed->status, 200) << changed->body;
    EXPECT_EQ(body(changed)["actor_id"], "act-editor");
    // After a write, the next read sees it.
    auto read = c.Post("/graphs/knowledge/queries/find_person", reader,
                       R"({"params":{"name":"Eve"}})", "application/json");
    EXPECT_EQ(body(read)["row_count"], 1) << read->body;

    // Unknown stored query and a denied one answer the same 404.
    auto unknown = c.Post("/graphs/knowledge/queries/nope", reader, "", "application/json");
    EXPECT_EQ(unknown->status, 404);
    EXPECT_EQ(unknown->body, R"({"error":"stored query not found","code":"not_found"})");
    auto wrong_param = c.Post("/graphs/knowledge/queries/find_person", reader,
                              R"({"params":{"name":123}})", "application/json");
    EXPECT_EQ(wrong_param->status, 400);
    EXPECT_NE(wrong_param->body.find("name"), std::string::npos);
    auto expect = c.Post("/graphs/knowledge/queries/find_person", reader,
                         R"({"params":{"name":"Ada"},"expect_mutation":true})", "application/json");
    EXPECT_EQ(expect->status, 400);

    // Schema changes go through the control plane.
    auto apply = c.Post("/graphs/knowledge/schema/apply", editor,
                        R"({"schema_source":"node X { name: String @key }"})", "application/json");
    EXPECT_EQ(apply->status, 403); // editors lack schema_apply: 403, never the topology 409
}

TEST_F(ServerTest, OpenModeSchemaApplyIsAConflictAndGraphListIsRefused) {
    // Remove the bundle from the applied revision: an open server needs no tokens.
    std::string yaml = read_file(cluster_ + "/cluster.yaml");
    yaml = yaml.substr(0, yaml.find("policies:"));
    std::ofstream(cluster_ + "/cluster.yaml") << yaml;
    ASSERT_EQ(run_process({omnigraph(), "cluster", "apply", "--config", cluster_}).exit_code, 0);
    auto refused = run_process({server_binary(), "--cluster", cluster_});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("--unauthenticated"), std::string::npos) << refused.err;

    auto server = start({"--unauthenticated"}, {});
    ASSERT_TRUE(server->serving()) << server->err();
    auto c = server->client();
    EXPECT_EQ(c.Get("/graphs")->status, 403);
    auto apply = c.Post("/graphs/knowledge/schema/apply",
                        R"({"schema_source":"node X { n: String }"})", "application/json");
    EXPECT_EQ(apply->status, 409);
    EXPECT_NE(apply->body.find("cluster apply"), std::string::npos);
    auto invoke = c.Post("/graphs/knowledge/queries/team_members",
                         R"({"params":{"team":"Compilers"}})", "application/json");
    EXPECT_EQ(invoke->status, 200) << invoke->body;
    EXPECT_EQ(body(invoke)["row_count"], 1);
}

// Branch names are trimmed on every route before they are decided and used, and a load decides
// `change` before it looks the branch up, so a caller without it cannot probe which branches
// exist.
TEST_F(ServerTest, BranchesAreTrimmedAndLoadsDecideBeforeTheyLook) {
    auto server = start({}, kTokens);
    ASSERT_TRUE(server->serving()) << server->err();
    auto c = server->client();
    httplib::Headers reader = {{"authorization", "Bearer s3cret"}};
    httplib::Headers editor = {{"authorization", "Bearer ed1tor"}};

    auto snap = c.Get("/graphs/knowledge/snapshot?branch=%20main%20", reader);
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->status, 200) << snap->body;
    EXPECT_EQ(body(snap)["graph_branch"], "main");
    auto reserved = c.Get("/graphs/healthz/snapshot", reader);
    ASSERT_TRUE(reserved);
    EXPECT_EQ(reserved->status, 400);
    EXPECT_EQ(body(reserved)["error"],
              "invalid graph id 'healthz': 'healthz' is reserved for a server route");
    auto commits = c.Get("/graphs/knowledge/commits?branch=%09main", reader);
    ASSERT_TRUE(commits);
    EXPECT_EQ(commits->status, 200) << commits->body;
    auto blank = c.Post("/graphs/knowledge/mutate", editor,
                        R"({"query":"query q() { insert Team { name: \"X\" } }","branch":"  "})",
                        "application/json");
    ASSERT_TRUE(blank);
    EXPECT_EQ(blank->status, 400);
    EXPECT_EQ(body(blank)["error"], "branch name cannot be empty");

    const std::string row = R"({"type":"Team","data":{"name":"Ops"}})";
    auto load = [&](const httplib::Headers& who, const std::string& branch) {
        Json req = {{"data", row + "\n"}, {"branch", branch}};
        auto r = c.Post("/graphs/knowledge/load", who, req.dump(), "application/json");
        EXPECT_TRUE(r);
        return r ? std::make_pair(r->status, r->body) : std::make_pair(0, std::string());
    };
    auto missing = load(reader, "no-such-branch");
    auto existing = load(reader, "main");
    EXPECT_EQ(missing.first, 403) << missing.second;
    EXPECT_EQ(existing.first, 403) << existing.second;
    EXPECT_EQ(load(editor, "no-such-branch").first, 404) << "a writer may learn it is missing";
    EXPECT_EQ(load(editor, " main ").first, 200);
    EXPECT_EQ(server->stop(), 0);
}

// A raw NDJSON load the caller may not make is refused from its head: the server answers 403
// at once, without reading (or waiting for) the body it announced (spec §6).
TEST_F(ServerTest, DeniedNdjsonLoadIsRefusedBeforeItsBodyIsRead) {
    auto server = start({}, kTokens);
    ASSERT_TRUE(server->serving()) << server->err();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    timeval timeout{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    // 10 MB announced, one line sent: a server that read the body first would wait for the
    // rest and time out.
    std::string head = "POST /graphs/knowledge/load/ndjson?branch=main HTTP/1.1\r\n"
                       "Host: 127.0.0.1\r\nAuthorization: Bearer s3cret\r\n"
                       "Content-Type: application/x-ndjson\r\nContent-Length: 10000000\r\n\r\n"
                       R"({"type":"Team","data":{"name":"Ops"}})"
                       "\n";
    auto started = std::chrono::steady_clock::now();
    ASSERT_EQ(send(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;)
        answer.append(buf, static_cast<size_t>(n));
    auto waited = std::chrono::steady_clock::now() - started;
    close(fd);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 403")) << answer;
    EXPECT_NE(answer.find(R"("code":"forbidden")"), std::string::npos) << answer;
    EXPECT_LT(waited, std::chrono::seconds(2));
    // The editor's load (allowed) still reads its body and loads.
    auto ok = server->client().Post("/graphs/knowledge/load/ndjson?branch=main",
                                    {{"authorization", "Bearer ed1tor"}},
                                    R"({"type":"Team","data":{"name":"Ops"}})"
                                    "\n",
                                    "application/x-ndjson");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << ok->body;
    EXPECT_EQ(server->stop(), 0);
}

// A read never waits for a write, and the next read after a write sees it: a load held in
// flight (failpoint delay before its manifest is published) does not slow reads down, and
// reads return the previous commit until it lands.
TEST_F(ServerTest, ReadsDoNotWaitForWritesAndSeeThemOnceCommitted) {
    Env env = kTokens;
    env.emplace_back("OMNIGRAPH_FAILPOINTS", "load.before_publish=delay:2000");
    auto server = start({}, env);
    ASSERT_TRUE(server->serving()) << server->err();
    const std::string teams = R"({"query":"query t() { match { $t: Team } return { $t.name } }"})";
    auto team_names = [&] {
        auto r =
            server->client().Post("/graphs/knowledge/query", {{"authorization", "Bearer s3cret"}},
                                  teams, "application/json");
        EXPECT_TRUE(r);
        EXPECT_EQ(r ? r->status : 0, 200) << (r ? r->body : "");
        return r ? r->body : std::string();
    };
    ASSERT_EQ(team_names().find("Ops"), std::string::npos);
    std::thread writer([&] {
        auto r = server->client().Post(
            "/graphs/knowledge/load", {{"authorization", "Bearer ed1tor"}},
            R"({"data":"{\"type\":\"Team\",\"data\":{\"name\":\"Ops\"}}\n"})", "application/json");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << r->body;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // the load is in its delay
    for (int i = 0; i < 5; ++i) {
        auto started = std::chrono::steady_clock::now();
        EXPECT_EQ(team_names().find("Ops"), std::string::npos) << "not committed yet";
        EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(500))
            << "a read waited for the write";
    }
    writer.join();
    EXPECT_NE(team_names().find("Ops"), std::string::npos) << "the next read sees the write";
    EXPECT_EQ(server->stop(), 0);
}

// Graceful shutdown (issue 20 item 4): on SIGTERM /readyz turns 503 `draining` at once; after
// the drain delay new connections are refused; the write in flight finishes and is durable;
// the log says so and the process exits 0. Past the shutdown timeout it leaves with 1.
TEST_F(ServerTest, SigtermDrainsInFlightRequestsThenExits) {
    Env env = kTokens;
    env.emplace_back("OMNIGRAPH_FAILPOINTS", "load.before_publish=delay:2500");
    env.emplace_back("OMNIGRAPH_SERVER_DRAIN_DELAY_MS", "800");
    auto server = start({}, env);
    ASSERT_TRUE(server->serving()) << server->err();
    int port = server->port();
    std::thread writer([&] {
        auto r = server->client().Post(
            "/graphs/knowledge/load", {{"authorization", "Bearer ed1tor"}},
            R"({"data":"{\"type\":\"Team\",\"data\":{\"name\":\"Late\"}}\n"})", "application/json");
        ASSERT_TRUE(r) << "the in-flight write was cut";
        EXPECT_EQ(r->status, 200) << r->body;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500)); // the load is in its delay
    server->signal(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto ready = httplib::Client("127.0.0.1", port).Get("/readyz");
    ASSERT_TRUE(ready) << "the listener stays open for the drain delay";
    EXPECT_EQ(ready->status, 503);
    EXPECT_EQ(body(ready)["draining"], true);
    EXPECT_EQ(ready->get_header_value("Connection"), "close");
    std::this_thread::sleep_for(std::chrono::milliseconds(1000)); // past the drain delay
    httplib::Client late("127.0.0.1", port);
    late.set_connection_timeout(1);
    EXPECT_FALSE(late.Get("/healthz")) << "a new connection after the drain delay is refused";
    writer.join();
    EXPECT_EQ(server->wait_exit(std::chrono::seconds(20)), 0);
    std::string log = server->err();
    for (const char* event : {"shutdown.begin", "shutdown.listener_closed", "shutdown.done"})
        EXPECT_NE(log.find(event), std::string::npos) << event << " missing from\n" << log;
    // The acknowledged write is there for the next reader.
    auto exported = run_process({omnigraph(), "export", cluster_ + "/graphs/knowledge.omni"});
    EXPECT_NE(exported.out.find("\"Late\""), std::string::npos);

    env = kTokens;
    env.emplace_back("OMNIGRAPH_FAILPOINTS", "load.before_publish=delay:20000");
    env.emplace_back("OMNIGRAPH_SERVER_SHUTDOWN_TIMEOUT_MS", "300");
    auto stuck = start({}, env);
    ASSERT_TRUE(stuck->serving()) << stuck->err();
    std::thread cut([&] {
        auto r = stuck->client().Post(
            "/graphs/knowledge/load", {{"authorization", "Bearer ed1tor"}},
            R"({"data":"{\"type\":\"Team\",\"data\":{\"name\":\"Never\"}}\n"})",
            "application/json");
        EXPECT_FALSE(r && r->status == 200) << "a request past the deadline is not acknowledged";
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto started = std::chrono::steady_clock::now();
    stuck->signal(SIGTERM);
    EXPECT_EQ(stuck->wait_exit(std::chrono::seconds(10)), 1);
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
    cut.join();
    EXPECT_NE(stuck->err().find("\"event\":\"shutdown.timeout\",\"in_flight\":\"1\""),
              std::string::npos)
        << stuck->err();
    exported = run_process({omnigraph(), "export", cluster_ + "/graphs/knowledge.omni"});
    EXPECT_EQ(exported.out.find("\"Never\""), std::string::npos);
}

// Hot reload (issue 20 item 1): under a steady load of reads, stored-query calls and writes, a
// cluster apply (a new stored query, a schema change, a policy change, a graph added, then
// removed), rotated tokens and the admin route each become a new generation without one
// failed request; a reload that cannot
// build its generation (a tampered catalog blob, a broken tokens file) keeps the old one and
// says why in /readyz and the metrics.
TEST_F(ServerTest, ReloadSwapsGenerationsUnderLoadWithoutFailedRequests) {
    std::string tokens = dir_.path() + "/tokens.json";
    std::ofstream(tokens) << R"({"act-reader":"s3cret","act-editor":"ed1tor","act-admin":"adm1n"})";
    std::ofstream(cluster_ + "/admin.policy.yaml")
        << "version: 1\ngroups:\n  admins: [act-admin]\nrules:\n  - id: admins-reload\n"
           "    allow:\n      actors: { group: admins }\n      actions: [graph_list, reload]\n";
    std::ofstream(cluster_ + "/cluster.yaml", std::ios::app)
        << "  admin:\n    file: admin.policy.yaml\n    applies_to: [cluster]\n";
    auto apply = [&] {
        auto r = run_process({omnigraph(), "cluster", "apply", "--config", cluster_});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    };
    ASSERT_NO_FATAL_FAILURE(apply());
    auto server = start({}, {{"OMNIGRAPH_SERVER_BEARER_TOKENS_FILE", tokens}});
    ASSERT_TRUE(server->serving()) << server->err();
    const httplib::Headers reader = {{"Authorization", "Bearer s3cret"}};
    const httplib::Headers editor = {{"Authorization", "Bearer ed1tor"}};
    const httplib::Headers admin = {{"Authorization", "Bearer adm1n"}};

    std::atomic<bool> stop{false};
    std::atomic<int> sent{0}, failed{0};
    std::mutex failures_mutex;
    std::string failures;
    auto load = [&](int id) {
        auto c = server->client();
        for (int i = 0; !stop.load(); ++i) {
            httplib::Result r =
                i % 3 == 0 ? c.Get("/graphs/knowledge/queries", reader)
                : i % 3 == 1
                    ? c.Post("/graphs/knowledge/queries/find_person", reader,
                             R"({"params":{"name":"Ada"}})", "application/json")
                    : c.Post("/graphs/knowledge/mutate", editor,
                             R"({"query":"query m($n: String) { insert Person { name: $n } }",)"
                             R"("params":{"n":"L)" +
                                 std::to_string(id) + "-" + std::to_string(i) + R"("}})",
                             "application/json");
            ++sent;
            if (!r || r->status != 200) {
                ++failed;
                std::lock_guard lock(failures_mutex);
                if (failures.size() < 2000)
                    failures +=
                        (r ? std::to_string(r->status) + " " + r->body : "no answer") + "\n";
            }
        }
    };
    std::vector<std::thread> clients;
    struct Join { // the load stops and joins however the test ends
        std::atomic<bool>& stop;
        std::vector<std::thread>& threads;
        ~Join() {
            stop = true;
            for (auto& t : threads)
                if (t.joinable())
                    t.join();
        }
    } join{stop, clients};
    for (int t = 0; t < 3; ++t)
        clients.emplace_back(load, t);
    auto readyz = [&] { return body(server->client().Get("/readyz")); };
    auto wait_generation = [&](int n) {
        for (int i = 0; i < 100 && readyz()["generation"] != n; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return readyz()["generation"] == n;
    };
    std::this_thread::sleep_for(std::chrono::milliseconds(300));

    // 1. A cluster apply: a new stored query, a schema change, a policy change; then SIGHUP.
    std::ofstream(cluster_ + "/queries/count.gq")
        << "query count_people() {\n    match { $p: Person }\n    return { count($p) }\n}\n";
    std::string schema = read_file(cluster_ + "/people.pg");
    schema.replace(schema.find("    name: String @key"), 0, "    nickname: String?\n");
    std::ofstream(cluster_ + "/people.pg") << schema;
    std::ofstream(cluster_ + "/base.policy.yaml", std::ios::app)
        << "  - id: auditors-read\n    allow:\n      actors: { group: editors }\n"
           "      actions: [export]\n";
    // ... and a new graph.
    std::ofstream(cluster_ + "/scratch.pg") << "node Note {\n    title: String @key\n}\n";
    std::string yaml = read_file(cluster_ + "/cluster.yaml");
    yaml.replace(yaml.find("policies:"), 0, "  scratch:\n    schema: scratch.pg\n");
    std::ofstream(cluster_ + "/cluster.yaml") << yaml;
    EXPECT_EQ(server->client().Get("/graphs/scratch/snapshot", reader)->status, 404);
    ASSERT_NO_FATAL_FAILURE(apply());
    server->signal(SIGHUP);
    ASSERT_TRUE(wait_generation(2)) << readyz().dump();
    EXPECT_EQ(server->client().Get("/graphs/scratch/snapshot", reader)->status, 200);
    auto queries = body(server->client().Get("/graphs/knowledge/queries", reader));
    EXPECT_NE(queries.dump().find("count_people"), std::string::npos) << queries.dump();
    auto exported =
        server->client().Post("/graphs/knowledge/export", editor, "{}", "application/json");
    ASSERT_TRUE(exported);
    EXPECT_EQ(exported->status, 200) << "the new policy grants export";
    auto nick = server->client().Post(
        "/graphs/knowledge/query", reader,
        R"({"query":"query q() { match { $p: Person { name: \"Ada\" } } return { $p.nickname } }"})",
        "application/json");
    ASSERT_TRUE(nick);
    EXPECT_EQ(nick->status, 200) << nick->body;

    // 2. Rotated tokens: a new actor's token works after the reload, through the admin route.
    std::ofstream(tokens)
        << R"({"act-reader":"s3cret","act-editor":"ed1tor","act-admin":"adm1n","act-late":"l4te"})";
    EXPECT_EQ(server->client()
                  .Get("/graphs/knowledge/queries", {{"Authorization", "Bearer l4te"}})
                  ->status,
              401);
    auto denied = server->client().Post("/admin/reload", reader, "", "application/json");
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 403) << denied->body;
    auto reloaded = server->client().Post("/admin/reload", admin, "", "application/json");
    ASSERT_TRUE(reloaded);
    EXPECT_EQ(reloaded->status, 200) << reloaded->body;
    EXPECT_EQ(body(reloaded)["generation"], 3);
    EXPECT_NE(server->client()
                  .Get("/graphs/knowledge/queries", {{"Authorization", "Bearer l4te"}})
                  ->status,
              401);

    // A removed graph (the deletion approved, then applied) is no longer served after a reload.
    yaml = read_file(cluster_ + "/cluster.yaml");
    const std::string entry = "  scratch:\n    schema: scratch.pg\n";
    yaml.erase(yaml.find(entry), entry.size());
    std::ofstream(cluster_ + "/cluster.yaml") << yaml;
    auto approved = run_process({omnigraph(), "cluster", "approve", "graph.scratch", "--config",
                                 cluster_, "--as", "andrew"});
    ASSERT_EQ(approved.exit_code, 0) << approved.out << approved.err;
    ASSERT_NO_FATAL_FAILURE(apply());
    server->signal(SIGHUP);
    ASSERT_TRUE(wait_generation(4)) << readyz().dump();
    EXPECT_EQ(server->client().Get("/graphs/scratch/snapshot", reader)->status, 404);

    // 3. A reload that fails keeps generation 4 serving, and says why.
    std::ofstream(tokens) << "not json";
    server->signal(SIGHUP);
    for (int i = 0; i < 100 && !readyz().contains("last_reload"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (int i = 0; i < 100 && readyz()["last_reload"]["ok"] != false; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto after = readyz();
    EXPECT_EQ(after["generation"], 4) << after.dump();
    EXPECT_EQ(after["last_reload"]["ok"], false) << after.dump();
    EXPECT_NE(after["last_reload"]["error"].get<std::string>().find("invalid_tokens"),
              std::string::npos);
    auto refused = server->client().Post("/admin/reload", admin, "", "application/json");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 409) << refused->body;
    std::string metrics = server->client().Get("/metrics")->body;
    EXPECT_NE(metrics.find("omnigraph_reloads_total{result=\"failure\"} 2"), std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("omnigraph_generation 4"), std::string::npos);

    stop = true;
    for (auto& t : clients)
        t.join();
    EXPECT_GT(sent.load(), 30);
    EXPECT_EQ(failed.load(), 0) << failures;
    std::cout << "[ reload ] " << sent.load() << " requests across 3 reloads and 2 refused "
              << "reloads, " << failed.load() << " failed\n";
    EXPECT_EQ(server->stop(), 0);
}

// --watch-interval: a new applied revision is picked up without a signal.
TEST_F(ServerTest, WatchIntervalPicksUpANewApply) {
    auto server = start({"--watch-interval", "1"}, kTokens);
    ASSERT_TRUE(server->serving()) << server->err();
    std::ofstream(cluster_ + "/queries/count.gq")
        << "query count_people() {\n    match { $p: Person }\n    return { count($p) }\n}\n";
    ASSERT_EQ(run_process({omnigraph(), "cluster", "apply", "--config", cluster_}).exit_code, 0);
    const httplib::Headers reader = {{"Authorization", "Bearer s3cret"}};
    bool seen = false;
    for (int i = 0; i < 100 && !seen; ++i) {
        auto r = server->client().Get("/graphs/knowledge/queries", reader);
        seen = r && r->body.find("count_people") != std::string::npos;
        if (!seen)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_TRUE(seen) << server->err();
    EXPECT_NE(server->err().find("\"trigger\":\"watch\""), std::string::npos);
    EXPECT_EQ(server->stop(), 0);
}

// Export streams: every check (auth, policy, body, the branch) answers before the 200, then
// the rows go out chunked, one table in memory at a time; the slot cap answers 413.
TEST_F(ServerTest, ExportStreamsAfterEveryCheck) {
    std::string policy = read_file(cluster_ + "/base.policy.yaml");
    std::string grant = "actions: [read, invoke_query, change]";
    ASSERT_NE(policy.find(grant), std::string::npos);
    policy.replace(policy.find(grant), grant.size(),
                   "actions: [read, invoke_query, change, export]");
    std::ofstream(cluster_ + "/base.policy.yaml", std::ios::binary) << policy;
    ASSERT_EQ(run_process({omnigraph(), "cluster", "apply", "--config", cluster_}).exit_code, 0);
    std::string rows;
    for (int i = 0; i < 20000; ++i)
        rows += R"({"type":"Person","data":{"name":"p)" + std::to_string(i) + R"("}})" + "\n";
    std::ofstream(dir_.path() + "/many.jsonl", std::ios::binary) << rows;
    ASSERT_EQ(run_process({omnigraph(), "load", "--quiet", "--mode", "merge", "--data",
                           dir_.path() + "/many.jsonl", cluster_ + "/graphs/knowledge.omni"})
                  .exit_code,
              0);

    auto server = start({}, kTokens);
    ASSERT_TRUE(server->serving()) << server->err();
    auto c = server->client();
    httplib::Headers editor = {{"authorization", "Bearer ed1tor"}};
    auto r = c.Post("/graphs/knowledge/export", editor, "{}", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->get_header_value("Transfer-Encoding"), "chunked");
    EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-ndjson; charset=utf-8");
    size_t people = 0, lines = 0;
    std::istringstream in(r->body);
    for (std::string line; std::getline(in, line); ++lines)
        people += Json::parse(line).value("type", "") == "Person";
    EXPECT_EQ(people, 20000u + 2u) << "the seed's people and the loaded ones";
    auto only = c.Post("/graphs/knowledge/export", editor, R"({"type_names":["Team"]})",
                       "application/json");
    ASSERT_TRUE(only);
    EXPECT_EQ(only->status, 200);
    EXPECT_EQ(only->body.find("Person"), std::string::npos);

    // Failures before the stream are ordinary JSON errors.
    auto missing =
        c.Post("/graphs/knowledge/export", editor, R"({"branch":"nope"})", "application/json");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(body(missing)["code"], "not_found");
    auto denied = c.Post("/graphs/knowledge/export", {{"authorization", "Bearer s3cret"}}, "{}",
                         "application/json");
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->status, 403);
    EXPECT_EQ(server->stop(), 0);

    Env no_slots = kTokens;
    no_slots.emplace_back("OMNIGRAPH_SERVER_EXPORT_SLOTS", "0");
    auto capped = start({}, no_slots);
    ASSERT_TRUE(capped->serving()) << capped->err();
    auto busy = capped->client().Post("/graphs/knowledge/export", editor, "{}", "application/json");
    ASSERT_TRUE(busy);
    EXPECT_EQ(busy->status, 413);
    EXPECT_EQ(body(busy)["resource_limit"]["resource"], "stream_export_slots");
}

} // namespace
} // namespace omnigraph::testing
