// The wire contract (spec README; issue 16 item 4): every body the server answers on an upstream
// route, success and error statuses, and every `--json` output of the CLI's graph commands must
// validate against the schema upstream's published OpenAPI document declares for it
// (contract/openapi-0.10.0.json, MIT, upstream commit 62a9c3fe). The bodies are collected
// from the real binaries, then checked by a JSON Schema validator (ajv, draft 2020-12, the
// dialect of OpenAPI 3.1) in test/contract/validate_openapi.mjs.
#include "server_fixtures/server_process.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

// The contract checks, one record per body (see validate_openapi.mjs).
class Records {
  public:
    // A live answer to METHOD on the route `path` (the document's template).
    void http(const std::string& name, const std::string& method, const std::string& path,
              const httplib::Result& r) {
        ASSERT_TRUE(r) << name << ": no response";
        Json record = Json::object(
            {{"name", name}, {"method", method}, {"path", path}, {"status", r->status}});
        record["body"] = Json::parse(r->body, nullptr, false);
        if (r->get_header_value("Content-Type").starts_with("application/json")) {
            EXPECT_FALSE(record["body"].is_discarded()) << name << ": " << r->body;
        } else {
            record["body"] = nullptr; // NDJSON streams: no JSON schema to check
        }
        statuses_.insert(method + " " + path + " " + std::to_string(r->status));
        records_.push_back(record);
    }
    // A CLI --json output, checked against a named component (each element when `items`).
    void cli(const std::string& name, const std::string& schema, const ProcessResult& r,
             bool items = false) {
        Json body = Json::parse(r.out, nullptr, false);
        ASSERT_FALSE(body.is_discarded()) << name << ": not JSON: " << r.out << r.err;
        records_.push_back(
            Json::object({{"name", name}, {"schema", schema}, {"items", items}, {"body", body}}));
    }
    const std::set<std::string>& statuses() const { return statuses_; }
    size_t size() const { return records_.size(); }

    // Runs the validator; "" when every body conforms.
    std::string validate(const std::string& dir) const {
        std::string file = dir + "/records.json";
        std::ofstream(file) << records_.dump();
        auto r = run_process({"node", source_dir() + "/test/contract/validate_openapi.mjs",
                              source_dir() + "/contract/openapi-0.10.0.json", file});
        std::cout << r.out;
        return r.exit_code == 0 ? "" : r.out + r.err;
    }

  private:
    Json records_ = Json::array();
    std::set<std::string> statuses_;
};

class ContractTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(deploy_example_cluster(cluster_));
        // A stored mutation beside the guide's reads, for the stored-mutation routes, and an
        // administrator who may export and ask for a schema apply (refused in cluster mode).
        std::ofstream(cluster_ + "/base.policy.yaml", std::ios::app)
            << "  - id: admins-all\n    allow:\n      actors: { group: admins }\n"
               "      actions: [read, export, change, schema_apply, branch_create, "
               "branch_delete, branch_merge]\n";
        std::string policy = read_file(cluster_ + "/base.policy.yaml");
        policy.replace(policy.find("groups:\n"), 8, "groups:\n  admins: [act-admin]\n");
        std::ofstream(cluster_ + "/base.policy.yaml") << policy;
        std::ofstream(cluster_ + "/queries/changes.gq")
            << "query add_person($name: String, $role: String?) {\n"
               "    insert Person { name: $name, role: $role }\n}\n";
        ASSERT_EQ(run_process({omnigraph(), "cluster", "apply", "--config", cluster_}).exit_code,
                  0);
    }
    std::string root() const { return cluster_ + "/graphs/knowledge.omni"; }

    TempDir dir_;
    std::string cluster_ = dir_.path() + "/company-brain";
};

TEST_F(ContractTest, EveryServedRouteAnswersWithTheDocumentsSchemas) {
    ServerProcess server({"--cluster", cluster_, "--bind", "127.0.0.1:0"},
                         {{"OMNIGRAPH_SERVER_BEARER_TOKENS_JSON",
                           R"({"act-reader":"s3cret","act-editor":"ed1tor","act-admin":"adm1n"})"}},
                         dir_.path());
    ASSERT_TRUE(server.serving()) << server.err();
    auto c = server.client();
    const httplib::Headers reader = {{"Authorization", "Bearer s3cret"}};
    const httplib::Headers editor = {{"Authorization", "Bearer ed1tor"}};
    const httplib::Headers admin = {{"Authorization", "Bearer adm1n"}};
    const httplib::Headers nobody = {};
    const std::string J = "application/json";
    const std::string G = "/graphs/knowledge";
    Records rec;
    auto post = [&](const std::string& name, const std::string& route, const std::string& url,
                    const httplib::Headers& h, const std::string& body,
                    const std::string& type = "application/json") {
        rec.http(name, "POST", route, c.Post(url, h, body, type));
    };
    auto get = [&](const std::string& name, const std::string& route, const std::string& url,
                   const httplib::Headers& h) { rec.http(name, "GET", route, c.Get(url, h)); };

    get("health", "/healthz", "/healthz", nobody);
    get("graphs: no cluster bundle", "/graphs", "/graphs", reader);
    get("graphs: no token", "/graphs", "/graphs", nobody);

    const std::string S = "/graphs/{graph_id}/snapshot";
    get("snapshot", S, G + "/snapshot", reader);
    get("snapshot: unknown branch", S, G + "/snapshot?branch=nope", reader);
    get("snapshot: no token", S, G + "/snapshot", nobody);

    const std::string Q = "/graphs/{graph_id}/query";
    const std::string people =
        R"({"query":"query q() { match { $p: Person } return { $p.name } order { $p.name } }")";
    post("query", Q, G + "/query", reader, people + "}");
    post("query: type error", Q, G + "/query", reader,
         R"({"query":"query q() { match { $p: Nope } return { $p.name } }"})");
    post("query: bad token", Q, G + "/query", {{"Authorization", "Bearer wrong"}}, people + "}");
    post("read (deprecated)", "/graphs/{graph_id}/read", G + "/read", reader,
         R"({"query_source":"query q() { match { $p: Person } return { $p.name } }"})");
    post("read: missing source", "/graphs/{graph_id}/read", G + "/read", reader, "{}");

    const std::string M = "/graphs/{graph_id}/mutate";
    const std::string add =
        R"({"query":"query m($n: String) { insert Person { name: $n } }","params":{"n":"Zed"}})";
    post("mutate", M, G + "/mutate", editor, add);
    post("mutate: reader denied", M, G + "/mutate", reader, add);
    post("mutate: read query", M, G + "/mutate", editor, people + "}");
    post("change (deprecated)", "/graphs/{graph_id}/change", G + "/change", editor,
         R"({"query":"query m($n: String) { insert Person { name: $n } }","params":{"n":"Yan"}})");

    auto head = c.Get(G + "/commits", reader);
    ASSERT_TRUE(head && head->status == 200);
    std::string commit = Json::parse(head->body)["commits"][0]["graph_commit_id"];
    const std::string MC = "/graphs/{graph_id}/mutate/if-graph-commit";
    httplib::Headers conditional = editor;
    conditional.emplace("Omnigraph-If-Graph-Commit", commit);
    post("mutate if-graph-commit", MC, G + "/mutate/if-graph-commit", conditional,
         R"({"query":"query m($n: String) { insert Person { name: $n } }","params":{"n":"Xia"}})");
    post("mutate if-graph-commit: stale", MC, G + "/mutate/if-graph-commit", conditional,
         R"({"query":"query m($n: String) { insert Person { name: $n } }","params":{"n":"Wes"}})");

    const std::string QS = "/graphs/{graph_id}/queries";
    get("queries", QS, G + "/queries", reader);
    const std::string INV = "/graphs/{graph_id}/queries/{name}";
    post("invoke read", INV, G + "/queries/find_person", reader, R"({"params":{"name":"Ada"}})");
    post("invoke mutation", INV, G + "/queries/add_person", editor,
         R"({"params":{"name":"Vic","role":"intern"}})");
    post("invoke: unknown", INV, G + "/queries/nope", reader, "{}");
    post("invoke: missing param", INV, G + "/queries/find_person", reader, "{}");
    head = c.Get(G + "/commits", reader);
    ASSERT_TRUE(head && head->status == 200);
    commit = Json::parse(head->body)["commits"][0]["graph_commit_id"];
    httplib::Headers stored_conditional = editor;
    stored_conditional.emplace("Omnigraph-If-Graph-Commit", commit);
    const std::string INVC = "/graphs/{graph_id}/queries/{name}/if-graph-commit";
    post("invoke if-graph-commit", INVC, G + "/queries/add_person/if-graph-commit",
         stored_conditional, R"({"params":{"name":"Uma"}})");
    post("invoke if-graph-commit: stale", INVC, G + "/queries/add_person/if-graph-commit",
         stored_conditional, R"({"params":{"name":"Tom"}})");

    get("schema", "/graphs/{graph_id}/schema", G + "/schema", reader);
    post("schema apply: cluster mode", "/graphs/{graph_id}/schema/apply", G + "/schema/apply",
         admin, R"({"schema_source":"node A { name: String @key }"})");

    const std::string row = R"({\"type\":\"Person\",\"data\":{\"name\":\"Sam\"}})";
    post("load", "/graphs/{graph_id}/load", G + "/load", editor,
         R"({"data":")" + row + R"(","mode":"merge"})");
    post("load: bad row", "/graphs/{graph_id}/load", G + "/load", editor,
         R"({"data":"{\"type\":\"Nope\"}","mode":"merge"})");
    post("load: missing branch", "/graphs/{graph_id}/load", G + "/load", editor,
         R"({"data":")" + row + R"(","branch":"nope"})");
    post("ingest (deprecated)", "/graphs/{graph_id}/ingest", G + "/ingest", editor,
         R"({"data":")" + row + R"(","mode":"merge"})");
    post("load ndjson", "/graphs/{graph_id}/load/ndjson", G + "/load/ndjson?mode=merge", editor,
         R"({"type":"Person","data":{"name":"Rae"}})", "application/x-ndjson");
    post("load ndjson: wrong type", "/graphs/{graph_id}/load/ndjson", G + "/load/ndjson", editor,
         R"({"type":"Person","data":{"name":"Rae"}})", "text/plain");

    get("commits", "/graphs/{graph_id}/commits", G + "/commits", reader);
    get("commit", "/graphs/{graph_id}/commits/{commit_id}", G + "/commits/" + commit, reader);
    get("commit: unknown", "/graphs/{graph_id}/commits/{commit_id}",
        G + "/commits/01M8WB70TR8Z71D0CYBNPR5XT3", reader);

    post("export", "/graphs/{graph_id}/export", G + "/export", admin, "{}");
    post("export: unknown field", "/graphs/{graph_id}/export", G + "/export", admin,
         R"({"nope":1})");
    post("export: editor denied", "/graphs/{graph_id}/export", G + "/export", editor, "{}");

    const std::string B = "/graphs/{graph_id}/branches";
    const std::string BD = "/graphs/{graph_id}/branches/{branch}";
    post("branch create", B, G + "/branches", admin, R"({"name":"contract","from":"main"})");
    post("branch create: exists", B, G + "/branches", admin, R"({"name":"contract"})");
    post("branch create: reader denied", B, G + "/branches", reader, R"({"name":"other"})");
    get("branches", B, G + "/branches", reader);
    const std::string BM = "/graphs/{graph_id}/branches/merge";
    post("branch merge: up to date", BM, G + "/branches/merge", admin, R"({"source":"contract"})");
    post(
        "mutate on a branch", M, G + "/mutate", admin,
        R"({"query":"query m() { insert Person { name: \"Zed\", role: \"a\" } }","branch":"contract"})");
    post("mutate on main", M, G + "/mutate", admin,
         R"({"query":"query m() { insert Person { name: \"Zed\", role: \"b\" } }"})");
    post("branch merge: conflict", BM, G + "/branches/merge", admin, R"({"source":"contract"})");
    post("branch merge: reader denied", BM, G + "/branches/merge", reader,
         R"({"source":"contract"})");
    const std::string CC = "/graphs/{graph_id}/commits/{commit_id}/changes";
    get("commit changes", CC, G + "/commits/" + commit + "/changes", reader);
    get("commit changes: one per page", CC, G + "/commits/" + commit + "/changes?limit=1&op=insert",
        reader);
    get("commit changes: unknown", CC, G + "/commits/01M8WB70TR8Z71D0CYBNPR5XT3/changes", reader);
    get("commit changes: bad kind", CC, G + "/commits/" + commit + "/changes?kind=vertex", reader);
    get("commit changes: over the ceiling", CC, G + "/commits/" + commit + "/changes?limit=8193",
        reader);
    auto all = c.Get(G + "/commits", reader);
    ASSERT_TRUE(all && all->status == 200);
    std::string genesis = Json::parse(all->body)["commits"].back()["graph_commit_id"];
    get("commit changes: genesis", CC, G + "/commits/" + genesis + "/changes", reader);
    const std::string CH = "/graphs/{graph_id}/changes";
    get("changes: from the beginning", CH, G + "/changes?start=beginning&limit=3", reader);
    get("changes: now", CH, G + "/changes", reader);
    get("changes: bad start", CH, G + "/changes?start=yesterday", reader);
    get("changes: bad cursor", CH, G + "/changes?cursor=nope", reader);
    get("changes: unknown branch", CH, G + "/changes?branch=nope", reader);
    get("changes: no token", CH, G + "/changes", nobody);
    const std::string CB = "/graphs/{graph_id}/changes/baseline";
    post("changes baseline", CB, G + "/changes/baseline", admin, R"({"kind":["node"]})");
    post("changes baseline: editor denied", CB, G + "/changes/baseline", editor, "{}");
    post("changes baseline: unknown field", CB, G + "/changes/baseline", admin, R"({"nope":1})");
    const std::string BL = "/graphs/{graph_id}/blob";
    get("blob: not a Blob property", BL, G + "/blob?entity=node&type=Person&id=Ada&property=name",
        reader);
    get("blob: bad selector", BL, G + "/blob?entity=vertex", reader);
    rec.http("branch delete", "DELETE", BD, c.Delete(G + "/branches/contract", admin));
    rec.http("branch delete: unknown", "DELETE", BD, c.Delete(G + "/branches/contract", admin));

    // Every route of the document this server serves, and the error statuses seen.
    for (const char* route : {"GET /healthz 200",
                              "GET /graphs/{graph_id}/snapshot 200",
                              "POST /graphs/{graph_id}/query 200",
                              "POST /graphs/{graph_id}/read 200",
                              "POST /graphs/{graph_id}/mutate 200",
                              "POST /graphs/{graph_id}/mutate/if-graph-commit 200",
                              "POST /graphs/{graph_id}/mutate/if-graph-commit 412",
                              "POST /graphs/{graph_id}/change 200",
                              "GET /graphs/{graph_id}/queries 200",
                              "POST /graphs/{graph_id}/queries/{name} 200",
                              "POST /graphs/{graph_id}/queries/{name}/if-graph-commit 200",
                              "POST /graphs/{graph_id}/queries/{name}/if-graph-commit 412",
                              "GET /graphs/{graph_id}/schema 200",
                              "POST /graphs/{graph_id}/schema/apply 409",
                              "POST /graphs/{graph_id}/load 200",
                              "POST /graphs/{graph_id}/ingest 200",
                              "POST /graphs/{graph_id}/load/ndjson 200",
                              "GET /graphs/{graph_id}/commits 200",
                              "GET /graphs/{graph_id}/commits/{commit_id} 200",
                              "POST /graphs/{graph_id}/export 200",
                              "GET /graphs 403",
                              "GET /graphs 401",
                              "POST /graphs/{graph_id}/query 400",
                              "POST /graphs/{graph_id}/mutate 403",
                              "POST /graphs/{graph_id}/queries/{name} 404",
                              "GET /graphs/{graph_id}/commits/{commit_id} 404",
                              "GET /graphs/{graph_id}/branches 200",
                              "POST /graphs/{graph_id}/branches 200",
                              "POST /graphs/{graph_id}/branches 409",
                              "POST /graphs/{graph_id}/branches 403",
                              "DELETE /graphs/{graph_id}/branches/{branch} 200",
                              "DELETE /graphs/{graph_id}/branches/{branch} 404",
                              "POST /graphs/{graph_id}/branches/merge 200",
                              "POST /graphs/{graph_id}/branches/merge 409",
                              "POST /graphs/{graph_id}/branches/merge 403",
                              "GET /graphs/{graph_id}/commits/{commit_id}/changes 200",
                              "GET /graphs/{graph_id}/commits/{commit_id}/changes 400",
                              "GET /graphs/{graph_id}/commits/{commit_id}/changes 404",
                              "GET /graphs/{graph_id}/commits/{commit_id}/changes 409",
                              "GET /graphs/{graph_id}/commits/{commit_id}/changes 413",
                              "GET /graphs/{graph_id}/changes 200",
                              "GET /graphs/{graph_id}/changes 400",
                              "GET /graphs/{graph_id}/changes 401",
                              "GET /graphs/{graph_id}/changes 404",
                              "POST /graphs/{graph_id}/changes/baseline 200",
                              "POST /graphs/{graph_id}/changes/baseline 403",
                              "POST /graphs/{graph_id}/changes/baseline 400",
                              "GET /graphs/{graph_id}/blob 400"})
        EXPECT_TRUE(rec.statuses().contains(route)) << "not exercised: " << route;
    EXPECT_EQ(rec.validate(dir_.path()), "");
}

TEST_F(ContractTest, TheCliJsonOutputsAreTheDocumentsShapes) {
    Records rec;
    auto og = [&](std::vector<std::string> args) {
        args.insert(args.begin(), omnigraph());
        return run_process(args);
    };
    rec.cli("snapshot --json", "SnapshotOutput", og({"snapshot", "--json", root()}));
    rec.cli("query --json", "ReadOutput",
            og({"query", "--json", "--store", root(), "-e",
                "query q() { match { $p: Person } return { $p.name, $p.role } }"}));
    rec.cli("mutate --json", "ChangeOutput",
            og({"mutate", "--json", "--store", root(), "--as", "ops", "-e",
                "query m() { insert Person { name: \"Quinn\" } }"}));
    rec.cli("commit list --json", "CommitOutput", og({"commit", "list", "--json", root()}), true);
    std::string id =
        Json::parse(og({"commit", "list", "--json", root()}).out)[0]["graph_commit_id"];
    rec.cli("commit show --json", "CommitOutput",
            og({"commit", "show", "--json", "--uri", root(), id}));
    std::string data = dir_.path() + "/more.jsonl";
    std::ofstream(data) << R"({"type":"Person","data":{"name":"Pia"}})"
                        << "\n";
    rec.cli("load --json", "IngestOutput",
            og({"load", "--json", "--mode", "merge", "--data", data, root()}));
    rec.cli("branch create --json", "BranchCreateOutput",
            og({"branch", "create", "--json", "--uri", root(), "feature"}));
    rec.cli("branch merge --json", "BranchMergeOutput",
            og({"branch", "merge", "--json", "--uri", root(), "feature", "--delete-branch"}));
    rec.cli("commit changes --json", "CommitChangesOutput",
            og({"commit", "changes", "--json", "--uri", root(), id}));
    rec.cli("changes poll --json", "ChangeFeedOutput",
            og({"changes", "poll", "--json", "--uri", root(), "--start", "beginning"}));
    rec.cli("changes baseline --json", "ChangeBaselineOutput",
            og({"changes", "baseline", "--json", "--uri", root(), "--out",
                dir_.path() + "/baseline.ndjson"}));
    // (A failing command's --json is the CLI's own envelope {error, code, location?}: its `code`
    // is the precise one (`T1`, `invalid_params`), not HTTP's closed ErrorCode enum.)
    EXPECT_EQ(rec.size(), 11u);
    EXPECT_EQ(rec.validate(dir_.path()), "");
}

// GET /openapi.json serves the contract's operations for every route of the route table, with
// their request and response schemas: a client generated from it (swagger-client) reads,
// invokes, mutates and is refused as documented.
TEST_F(ContractTest, AClientGeneratedFromTheServedDocumentWorks) {
    ServerProcess server({"--cluster", cluster_, "--bind", "127.0.0.1:0"},
                         {{"OMNIGRAPH_SERVER_BEARER_TOKENS_JSON",
                           R"({"act-reader":"s3cret","act-editor":"ed1tor"})"}},
                         dir_.path());
    ASSERT_TRUE(server.serving()) << server.err();
    auto r = run_process({"node", source_dir() + "/test/contract/generated_client.mjs",
                          "http://127.0.0.1:" + std::to_string(server.port()), "s3cret", "ed1tor"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    std::cout << r.out;

    // The served document: every operation's schemas are the contract's, and every $ref
    // resolves within the document.
    auto doc = server.client().Get("/openapi.json");
    ASSERT_TRUE(doc && doc->status == 200);
    Json served = Json::parse(doc->body);
    Json contract = Json::parse(read_file(source_dir() + "/contract/openapi-0.10.0.json"));
    for (const auto& [path, ops] : served["paths"].items())
        for (const auto& [method, op] : ops.items()) {
            ASSERT_TRUE(contract["paths"].contains(path)) << path;
            EXPECT_EQ(op["responses"], contract["paths"][path][method]["responses"]) << path;
        }
    EXPECT_EQ(served["components"]["schemas"], contract["components"]["schemas"]);
}

} // namespace
} // namespace omnigraph::testing
