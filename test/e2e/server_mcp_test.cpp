// POST /graphs/{graph_id}/mcp (issue 21 item 4, upstream #654): the official MCP TypeScript
// SDK's client (test/e2e/mcp/mcp_client.mjs) connects over streamable HTTP to the example
// cluster, with per-query grants, and sees exactly the stored queries its caller may invoke as
// typed tools; it reads the seeded rows, writes through a stored mutation and reads the write
// back; a bad parameter is a tool error, an unknown or forbidden tool a JSON-RPC error, no
// token a 401. The transport's edges (notifications, GET, parse errors, Origin) are checked
// over raw HTTP.
#include "server_fixtures/server_process.h"
#include "test_support.h"

#include <algorithm>
#include <fstream>
#include <gtest/gtest.h>
#include <set>

namespace omnigraph::testing {
namespace {

// The guide's policy, plus a support group that may invoke only the find_* and joined_*
// queries (a per-query grant: docs/policy.md "Per-query grants").
constexpr const char* kPolicy = R"(version: 1
groups:
  readers: [act-reader]
  editors: [act-editor]
  support: [act-support]
rules:
  - id: readers-read
    allow:
      actors: { group: readers }
      actions: [read, invoke_query]
  - id: editors-write
    allow:
      actors: { group: editors }
      actions: [read, invoke_query, change]
  - id: support-read
    allow:
      actors: { group: support }
      actions: [read]
  - id: support-finds
    allow:
      actors: { group: support }
      actions: [invoke_query]
      queries: [find_*, joined_*]
)";

// Beside the guide's find_person and team_members: a mutation, a read with a description and
// an instruction, and a read whose parameters cover the types a tool's inputSchema maps.
constexpr const char* kQueries = R"(query add_person($name: String, $role: String?, $joined: Date?)
    @description("Add a person, or update the one of that name") {
    insert Person { name: $name, role: $role, joined: $joined }
}

query joined_since($since: Date) @description("People who joined on or after a date")
    @instruction("Give the date as YYYY-MM-DD") {
    match {
        $p: Person
        $p.joined >= $since
    }
    return { $p.name, $p.joined }
    order { $p.name asc }
}

query typed_probe($name: String, $age: I32?, $score: F64?, $ok: Bool?, $when: DateTime?,
                  $tags: [String]?, $emb: Vector(3)?, $big: U64?) {
    match { $p: Person { name: $name } }
    return { $p.name }
}
)";

const Env kTokens = {{"OMNIGRAPH_SERVER_BEARER_TOKENS_JSON",
                      R"({"act-reader":"r34der","act-editor":"ed1tor","act-support":"supp0rt"})"}};

class McpTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = new TempDir();
        cluster_ = dir_->path() + "/company-brain";
        ASSERT_NO_FATAL_FAILURE(deploy_example_cluster(cluster_));
        std::ofstream(cluster_ + "/base.policy.yaml") << kPolicy;
        std::ofstream(cluster_ + "/queries/mcp.gq") << kQueries;
        auto apply = run_process({omnigraph(), "cluster", "apply", "--config", cluster_});
        ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
        server_ = new ServerProcess({"--cluster", cluster_, "--bind", "127.0.0.1:0"}, kTokens,
                                    dir_->path());
        ASSERT_TRUE(server_->serving()) << server_->err();
    }
    void SetUp() override { ASSERT_TRUE(server_ && server_->serving()); }
    static void TearDownTestSuite() {
        delete server_;
        delete dir_;
    }

    static std::string url(const std::string& graph = "knowledge") {
        return "http://127.0.0.1:" + std::to_string(server_->port()) + "/graphs/" + graph + "/mcp";
    }
    // The SDK client's summary of a session as `token` ("-": none) making `calls`.
    static Json session(const std::string& token, const Json& calls = Json::array()) {
        auto r = run_process(
            {"node", source_dir() + "/test/e2e/mcp/mcp_client.mjs", url(), token, calls.dump()});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        Json summary = Json::parse(r.out, nullptr, false);
        EXPECT_FALSE(summary.is_discarded()) << r.out << r.err;
        return summary;
    }
    // The names of the stored queries `token`'s caller finds in the catalog route.
    static std::set<std::string> catalog(const std::string& token) {
        auto r = server_->client().Get("/graphs/knowledge/queries",
                                       {{"Authorization", "Bearer " + token}});
        EXPECT_TRUE(r && r->status == 200);
        std::set<std::string> names;
        Json list = body(r);
        for (const auto& q : list["queries"])
            names.insert(q["tool_name"].get<std::string>());
        return names;
    }
    static std::set<std::string> tool_names(const Json& summary) {
        std::set<std::string> names;
        for (const auto& t : summary["tools"])
            names.insert(t["name"].get<std::string>());
        return names;
    }
    static const Json& tool(const Json& summary, const std::string& name) {
        for (const auto& t : summary["tools"])
            if (t["name"] == name)
                return t;
        static const Json kNone;
        ADD_FAILURE() << "no tool " << name;
        return kNone;
    }
    // A raw JSON-RPC POST as the editor.
    static httplib::Result post(const std::string& body, httplib::Headers headers = {}) {
        headers.emplace("Authorization", "Bearer ed1tor");
        return server_->client().Post("/graphs/knowledge/mcp", headers, body, "application/json");
    }

    static TempDir* dir_;
    static std::string cluster_;
    static ServerProcess* server_;
};
TempDir* McpTest::dir_ = nullptr;
std::string McpTest::cluster_;
ServerProcess* McpTest::server_ = nullptr;

Json call(const std::string& name, Json arguments) {
    return Json::object({{"name", name}, {"arguments", std::move(arguments)}});
}

TEST_F(McpTest, TheSdkClientSeesTheInvocableQueriesAsTypedTools) {
    Json editor = session("ed1tor");
    ASSERT_TRUE(editor.contains("tools")) << editor.dump();
    EXPECT_EQ(editor["server"]["name"], "omnigraph");
    EXPECT_NE(editor["instructions"].get<std::string>().find("'knowledge'"), std::string::npos);
    std::set<std::string> all = {"add_person", "find_person", "joined_since", "team_members",
                                 "typed_probe"};
    EXPECT_EQ(tool_names(editor), all);
    EXPECT_EQ(tool_names(editor), catalog("ed1tor"));

    // A per-query grant: the support group's tools are its two grants, as in its catalog.
    Json support = session("supp0rt");
    EXPECT_EQ(tool_names(support), (std::set<std::string>{"find_person", "joined_since"}));
    EXPECT_EQ(tool_names(support), catalog("supp0rt"));

    // The inputSchema is typed from the parameters; required = the non-nullable ones.
    const Json& probe = tool(editor, "typed_probe");
    const Json& schema = probe["inputSchema"];
    EXPECT_EQ(schema["type"], "object");
    EXPECT_EQ(schema["required"], Json::array({"name"}));
    EXPECT_EQ(schema["additionalProperties"], false);
    const Json& p = schema["properties"];
    EXPECT_EQ(p["name"], Json::parse(R"({"type":"string"})"));
    EXPECT_EQ(p["age"]["type"], Json::parse(R"(["integer","null"])"));
    EXPECT_EQ(p["age"]["maximum"], 2147483647);
    EXPECT_EQ(p["score"]["type"], Json::parse(R"(["number","null"])"));
    EXPECT_EQ(p["ok"]["type"], Json::parse(R"(["boolean","null"])"));
    EXPECT_EQ(p["when"]["format"], "date-time");
    EXPECT_EQ(p["tags"], Json::parse(R"({"type":["array","null"],"items":{"type":"string"}})"));
    EXPECT_EQ(p["emb"]["items"]["type"], "number");
    EXPECT_EQ(p["emb"]["minItems"], 3);
    EXPECT_EQ(p["emb"]["maxItems"], 3);
    EXPECT_EQ(p["big"]["minimum"], 0);
    EXPECT_EQ(tool(editor, "joined_since")["inputSchema"]["properties"]["since"],
              Json::parse(R"({"type":"string","format":"date"})"));
    EXPECT_EQ(tool(editor, "joined_since")["description"],
              "People who joined on or after a date\n\nGive the date as YYYY-MM-DD");

    // Reads are marked read-only, mutations destructive.
    EXPECT_EQ(tool(editor, "find_person")["annotations"]["readOnlyHint"], true);
    EXPECT_EQ(tool(editor, "add_person")["annotations"]["readOnlyHint"], false);
    EXPECT_EQ(tool(editor, "add_person")["annotations"]["destructiveHint"], true);
}

TEST_F(McpTest, ToolCallsReadWriteAndFailAsTheInvokeRouteDoes) {
    Json calls = Json::array(
        {call("find_person", {{"name", "Ada"}}),
         call("add_person", {{"name", "Linus"}, {"role", "kernel"}, {"joined", "2024-05-01"}}),
         call("joined_since", {{"since", "2024-01-01"}}), call("find_person", Json::object()),
         call("find_person", {{"name", 5}}), call("no_such_tool", Json::object())});
    Json editor = session("ed1tor", calls);
    ASSERT_EQ(editor["calls"].size(), 6u) << editor.dump();
    auto result = [&](size_t i) { return editor["calls"][i]["result"]; };

    // The read answers the seeded row, as text and as structured content.
    Json ada = result(0);
    EXPECT_EQ(ada["isError"], false) << ada.dump();
    Json rows = ada["structuredContent"]["rows"];
    ASSERT_EQ(rows.size(), 1u) << ada.dump();
    EXPECT_EQ(rows[0],
              Json::parse(R"({"p.name":"Ada","p.role":"engineer","p.email":"ada@example.com"})"));
    EXPECT_EQ(Json::parse(ada["content"][0]["text"].get<std::string>()), ada["structuredContent"]);

    // The mutation writes (actor recorded); the next read sees it.
    Json added = result(1);
    EXPECT_EQ(added["isError"], false) << added.dump();
    EXPECT_EQ(added["structuredContent"]["actor_id"], "act-editor") << added.dump();
    Json joined = result(2)["structuredContent"]["rows"];
    ASSERT_EQ(joined.size(), 1u) << result(2).dump();
    EXPECT_EQ(joined[0]["p.name"], "Linus");

    // Bad parameters are the tool's error, with the reason.
    for (size_t i : {3u, 4u}) {
        EXPECT_EQ(result(i)["isError"], true) << result(i).dump();
        EXPECT_NE(result(i)["content"][0]["text"].get<std::string>().find("param 'name'"),
                  std::string::npos)
            << result(i).dump();
    }
    // An unknown tool is a JSON-RPC error (invalid params).
    EXPECT_EQ(editor["calls"][5]["error"]["code"], -32602) << editor["calls"][5].dump();

    // A tool outside the caller's grants answers exactly like an unknown one.
    Json support = session("supp0rt", Json::array({call("team_members", {{"team", "Compilers"}}),
                                                   call("find_person", {{"name", "Grace"}})}));
    ASSERT_EQ(support["calls"].size(), 2u) << support.dump();
    EXPECT_EQ(support["calls"][0]["error"]["code"], -32602);
    EXPECT_NE(support["calls"][0]["error"]["message"].get<std::string>().find(
                  "unknown tool 'team_members'"),
              std::string::npos);
    EXPECT_EQ(support["calls"][1]["result"]["structuredContent"]["rows"][0]["p.role"], "admiral");

    // A reader may invoke the mutation but not change the graph: the inner check's refusal.
    Json reader = session("r34der", Json::array({call("add_person", {{"name", "Eve"}})}));
    Json refused = reader["calls"][0]["result"];
    EXPECT_EQ(refused["isError"], true) << reader.dump();

    // No token: the SDK's connect fails with the 401.
    Json nobody = session("-");
    EXPECT_EQ(nobody["connect_error"]["code"], 401) << nobody.dump();
}

// The transport's edges, over raw HTTP.
TEST_F(McpTest, TransportEdges) {
    // initialize echoes a revision it speaks, else names its newest.
    auto init = [&](const std::string& version) {
        auto r = post(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{)"
                      R"("protocolVersion":")" +
                      version + R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
        EXPECT_TRUE(r && r->status == 200);
        return body(r);
    };
    Json old = init("2024-11-05");
    EXPECT_EQ(old["id"], 1);
    EXPECT_EQ(old["result"]["protocolVersion"], "2024-11-05");
    EXPECT_EQ(old["result"]["capabilities"]["tools"]["listChanged"], false);
    EXPECT_EQ(init("1999-01-01")["result"]["protocolVersion"], "2025-11-25");

    // A notification is accepted with no body; ping answers {}.
    auto note = post(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
    ASSERT_TRUE(note);
    EXPECT_EQ(note->status, 202);
    EXPECT_EQ(note->body, "");
    EXPECT_EQ(body(post(R"({"jsonrpc":"2.0","id":"p","method":"ping"})"))["result"],
              Json::object());

    // JSON-RPC errors: parse error, unknown method, bad params, an invalid message in a batch.
    auto garbled = post("{not json");
    ASSERT_TRUE(garbled);
    EXPECT_EQ(garbled->status, 400);
    EXPECT_EQ(body(garbled)["error"]["code"], -32700);
    EXPECT_EQ(body(post(R"({"jsonrpc":"2.0","id":2,"method":"resources/list"})"))["error"]["code"],
              -32601);
    EXPECT_EQ(
        body(post(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":1}})"))["error"]
                                                                                           ["code"],
        -32602);
    Json batch = body(post(R"([{"jsonrpc":"2.0","id":4,"method":"ping"},{"id":5},)"
                           R"({"jsonrpc":"2.0","method":"notifications/initialized"}])"));
    ASSERT_EQ(batch.size(), 2u) << batch.dump();
    EXPECT_EQ(batch[0]["id"], 4);
    EXPECT_EQ(batch[1]["error"]["code"], -32600);

    // No server-initiated stream: GET is 405.
    auto get = server_->client().Get("/graphs/knowledge/mcp", {{"Authorization", "Bearer ed1tor"}});
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 405);
    EXPECT_EQ(get->get_header_value("Allow"), "POST");

    // HTTP refusals before any JSON-RPC: a bad token, an unknown graph, a foreign Origin, a
    // protocol revision we do not speak.
    auto bad_token = server_->client().Post(
        "/graphs/knowledge/mcp", {{"Authorization", "Bearer nope"}}, "{}", "application/json");
    ASSERT_TRUE(bad_token);
    EXPECT_EQ(bad_token->status, 401);
    auto unknown = server_->client().Post(
        "/graphs/nowhere/mcp", {{"Authorization", "Bearer ed1tor"}}, "{}", "application/json");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    auto foreign =
        post(R"({"jsonrpc":"2.0","id":6,"method":"ping"})", {{"Origin", "http://evil.example"}});
    ASSERT_TRUE(foreign);
    EXPECT_EQ(foreign->status, 403);
    auto version = post(R"({"jsonrpc":"2.0","id":7,"method":"ping"})",
                        {{"MCP-Protocol-Version", "1999-01-01"}});
    ASSERT_TRUE(version);
    EXPECT_EQ(version->status, 400);
}

} // namespace
} // namespace omnigraph::testing
