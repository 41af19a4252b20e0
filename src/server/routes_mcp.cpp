// POST /graphs/{graph_id}/mcp: the graph's stored queries as Model Context Protocol tools
// (upstream issue #654), over MCP's "streamable HTTP" transport — JSON-RPC 2.0, each POST
// answered with one application/json body (the transport allows it in place of an SSE stream).
//
// Stateless: no Mcp-Session-Id is issued, and one sent is ignored, so any replica answers any
// message. GET (the server-initiated SSE stream) and DELETE (ending a session) answer 405.
//
// Order: authenticate (401), the graph (404), the Origin check (403), `read(b=main)` as the
// catalog asks (403), the MCP-Protocol-Version header (400), then the body (413, 415). After
// that every answer is JSON-RPC: a malformed body is -32700 (HTTP 400); an unknown method
// -32601; bad params -32602. tools/list lists the stored queries the caller may invoke;
// tools/call runs one as POST …/queries/{name} does (ServerState::invocable_query and
// invoke_stored_*): a tool the caller may not invoke is -32602 like an unknown one, and a
// query that fails is a tool result with isError, not a JSON-RPC error.
#include "base/json.h"
#include "base/text.h"
#include "server/request.h"
#include "server/server_state.h"
#include "service/mutate.h"
#include "service/read.h"

#include <array>
#include <httplib.h>
#include <limits>
#include <nlohmann/json.hpp>

namespace omnigraph::server {

namespace {

using base::Json;

// The protocol revisions spoken, newest first: an initialize that asks for one of them gets it,
// any other gets the newest (the client then decides whether it can go on).
constexpr std::array<std::string_view, 4> kProtocolVersions = {"2025-11-25", "2025-06-18",
                                                               "2025-03-26", "2024-11-05"};

// JSON-RPC 2.0 error codes.
constexpr int kParseError = -32700;
constexpr int kInvalidRequest = -32600;
constexpr int kMethodNotFound = -32601;
constexpr int kInvalidParams = -32602;

// A message's JSON-RPC error: thrown while it is handled, answered as its error response.
struct RpcError {
    int code;
    std::string message;
};

Json rpc_result(const Json& id, Json result) {
    return Json::object({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

Json rpc_error(const Json& id, int code, const std::string& message) {
    return Json::object({{"jsonrpc", "2.0"},
                         {"id", id},
                         {"error", Json::object({{"code", code}, {"message", message}})}});
}

// --- tools: the stored queries -------------------------------------------------------------------

// The JSON Schema of one value of a parameter's scalar type (what query/params.cpp binds).
Json scalar_schema(const schema::PropType& t) {
    using schema::ScalarType;
    auto integer = [](auto lo, auto hi) {
        return Json::object({{"type", "integer"}, {"minimum", lo}, {"maximum", hi}});
    };
    switch (t.scalar) {
    case ScalarType::kString:
        if (t.enum_values)
            return Json::object({{"type", "string"}, {"enum", *t.enum_values}});
        return Json::object({{"type", "string"}});
    case ScalarType::kBlob:
        return Json::object({{"type", "string"}});
    case ScalarType::kBool:
        return Json::object({{"type", "boolean"}});
    case ScalarType::kI32:
        return integer(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max());
    case ScalarType::kU32:
        return integer(0, std::numeric_limits<uint32_t>::max());
    case ScalarType::kI64:
        return Json::object({{"type", "integer"}});
    case ScalarType::kU64: // bound at 2^63-1 like I64 (query/params.cpp)
        return Json::object({{"type", "integer"}, {"minimum", 0}});
    case ScalarType::kF32:
    case ScalarType::kF64:
        return Json::object({{"type", "number"}});
    case ScalarType::kDate:
        return Json::object({{"type", "string"}, {"format", "date"}});
    case ScalarType::kDateTime:
        return Json::object({{"type", "string"}, {"format", "date-time"}});
    case ScalarType::kVector:
        return Json::object({{"type", "array"},
                             {"items", Json::object({{"type", "number"}})},
                             {"minItems", t.vector_dim},
                             {"maxItems", t.vector_dim}});
    }
    return Json::object();
}

// A parameter's schema: lists are arrays of their items; a nullable one also takes null.
Json param_schema(const schema::PropType& t) {
    Json s = scalar_schema(t);
    if (t.list)
        s = Json::object({{"type", "array"}, {"items", std::move(s)}});
    if (t.nullable) {
        s["type"] = Json::array({s["type"], "null"});
        if (s.contains("enum"))
            s["enum"].push_back(nullptr);
    }
    return s;
}

Json input_schema(const query::Query& q) {
    Json properties = Json::object();
    Json required = Json::array();
    for (const auto& p : q.params) {
        properties[p.name] = param_schema(p.type);
        if (!p.type.nullable)
            required.push_back(p.name);
    }
    return Json::object({{"type", "object"},
                         {"properties", properties},
                         {"required", required},
                         {"additionalProperties", false}});
}

// One tool of tools/list; its name is the catalog's `tool_name` (GET …/queries).
Json tool_entry(const service::StoredQuery& sq, const std::string& graph_id) {
    const query::Query& q = sq.query();
    bool mutation = q.is_mutation();
    std::string description;
    if (q.description)
        description = *q.description;
    if (q.instruction)
        description += (description.empty() ? "" : "\n\n") + *q.instruction;
    if (description.empty())
        description = base::concat("Stored ", mutation ? "mutation" : "read", " '", sq.name(),
                                   "' of graph '", graph_id, "'.");
    // A mutation may update or delete (a keyed insert upserts): destructive, not idempotent.
    Json annotations = Json::object({{"readOnlyHint", !mutation}, {"openWorldHint", false}});
    if (mutation) {
        annotations["destructiveHint"] = true;
        annotations["idempotentHint"] = false;
    }
    return Json::object({{"name", sq.name()},
                         {"description", description},
                         {"inputSchema", input_schema(q)},
                         {"annotations", annotations}});
}

// Every stored query `actor` may invoke, per-query grants or not: a tool the caller cannot call
// is no use to it, and tools/call would answer it as unknown.
Json list_tools(const ServerState& s, const ServedGraph& g,
                const std::optional<std::string>& actor) {
    Json tools = Json::array();
    for (const auto& [name, sq] : g.queries)
        if (s.may_invoke(g, actor, name))
            tools.push_back(tool_entry(*sq, g.id));
    return Json::object({{"tools", tools}});
}

Json tool_result(const std::string& text, bool error, const Json* structured = nullptr) {
    Json result = Json::object(
        {{"content", Json::array({Json::object({{"type", "text"}, {"text", text}})})}});
    if (structured)
        result["structuredContent"] = *structured;
    result["isError"] = error;
    return result;
}

// tools/call: the stored query `name` with `arguments` as its params, on main.
Json call_tool(const ServerState& s, const ServedGraph& g, const std::optional<std::string>& actor,
               const Json& params) {
    auto name = params.find("name");
    if (name == params.end() || !name->is_string())
        throw RpcError{kInvalidParams, "tools/call needs the tool's 'name'"};
    auto arguments = params.find("arguments");
    if (arguments != params.end() && !arguments->is_null() && !arguments->is_object())
        throw RpcError{kInvalidParams, "tools/call 'arguments' must be an object"};
    const std::string& tool = name->get_ref<const std::string&>();
    const service::StoredQuery* sq = nullptr;
    try {
        sq = &s.invocable_query(g, actor, tool);
    } catch (const HttpError& e) {
        if (e.status == 404) // unknown or not the caller's to invoke: the same answer
            throw RpcError{kInvalidParams, "unknown tool '" + tool + "'"};
        throw;
    }
    StoredCall call;
    call.params = arguments == params.end() ? nullptr : &*arguments;
    std::string answer;
    try {
        answer = sq->query().is_mutation()
                     ? service::mutation_json(s.invoke_stored_mutation(g, *sq, call, actor))
                     : service::read_json(s.invoke_stored_read(g, *sq, call, actor));
    } catch (const HttpError& e) {
        // A server failure stays one (a 500 the operator sees); the query's own failure —
        // bad params, a conflict, a refusal, a budget — is the tool's answer to the model.
        if (e.status >= 500 || e.status == 401)
            throw;
        RequestInfo& info = request_info();
        info.error_code = e.cause.empty() ? e.code : e.cause;
        info.error = e.log_message.empty() ? e.message : e.log_message;
        return tool_result(e.message, true);
    }
    Json structured = Json::parse(answer);
    return tool_result(answer, false, &structured);
}

// --- messages ------------------------------------------------------------------------------------

Json initialize(const Json& params, const ServedGraph& g) {
    std::string_view version = kProtocolVersions.front();
    if (auto asked = params.find("protocolVersion"); asked != params.end() && asked->is_string())
        for (std::string_view known : kProtocolVersions)
            if (asked->get_ref<const std::string&>() == known)
                version = known;
    return Json::object(
        {{"protocolVersion", version},
         {"capabilities", Json::object({{"tools", Json::object({{"listChanged", false}})}})},
         {"serverInfo", Json::object({{"name", "omnigraph"}, {"version", kVersion}})},
         {"instructions",
          base::concat("The tools are the stored queries of the OmniGraph graph '", g.id,
                       "' that you may invoke; each answers JSON rows (reads) or what it "
                       "changed (mutations).")}});
}

// The response to one message; nullopt for a notification or a client's response, which get
// none.
std::optional<Json> handle_message(const ServerState& s, const ServedGraph& g,
                                   const std::optional<std::string>& actor, const Json& message) {
    if (!message.is_object())
        return rpc_error(nullptr, kInvalidRequest, "a JSON-RPC message must be an object");
    auto id_it = message.find("id");
    Json id = id_it == message.end() ? Json(nullptr) : *id_it;
    auto method = message.find("method");
    if (method == message.end() && id_it != message.end() &&
        (message.contains("result") || message.contains("error")))
        return std::nullopt; // a response to a request we never send: accepted, ignored
    bool valid_id = id_it == message.end() || id.is_string() || id.is_number_integer();
    auto jsonrpc = message.find("jsonrpc");
    if (jsonrpc == message.end() || *jsonrpc != "2.0" || method == message.end() ||
        !method->is_string() || !valid_id)
        return rpc_error(valid_id ? id : Json(nullptr), kInvalidRequest,
                         "not a JSON-RPC 2.0 request");
    if (id_it == message.end())
        return std::nullopt; // notifications/initialized, …/cancelled: nothing to do
    const std::string& name = method->get_ref<const std::string&>();
    static const Json kNoParams = Json::object();
    auto params_it = message.find("params");
    const Json& params =
        params_it == message.end() || params_it->is_null() ? kNoParams : *params_it;
    try {
        if (!params.is_object())
            throw RpcError{kInvalidParams, "params must be an object"};
        if (name == "initialize")
            return rpc_result(id, initialize(params, g));
        if (name == "ping")
            return rpc_result(id, Json::object());
        if (name == "tools/list") // one page: a graph has tens of stored queries, not thousands
            return rpc_result(id, list_tools(s, g, actor));
        if (name == "tools/call")
            return rpc_result(id, call_tool(s, g, actor, params));
        throw RpcError{kMethodNotFound, "method '" + name + "' not found"};
    } catch (const RpcError& e) {
        return rpc_error(id, e.code, e.message);
    }
}

// --- HTTP ----------------------------------------------------------------------------------------

std::string lower(std::string text) {
    for (auto& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// A web page of another site must not drive a server on the user's machine (DNS rebinding; the
// transport asks servers to check Origin): a request with an Origin must come from this host.
void check_origin(const httplib::Request& req) {
    if (!req.has_header("Origin"))
        return;
    std::string origin = req.get_header_value("Origin");
    size_t scheme = origin.find("://");
    std::string host = scheme == std::string::npos ? "" : lower(origin.substr(scheme + 3));
    if (host.empty() || host != lower(req.get_header_value("Host")))
        throw HttpError{403, "forbidden",
                        "cross-origin MCP request refused: Origin '" + origin +
                            "' is not this server"};
}

// The revision a client names on every request after initialize (absent: it predates the
// header); one we do not speak is a 400, as the transport asks.
void check_protocol_header(const httplib::Request& req) {
    if (!req.has_header("MCP-Protocol-Version"))
        return;
    std::string version = req.get_header_value("MCP-Protocol-Version");
    for (std::string_view known : kProtocolVersions)
        if (version == known)
            return;
    throw bad_request("unsupported MCP-Protocol-Version '" + version + "'");
}

void serve_post(const ServerState& s, const httplib::Request& req, httplib::Response& res,
                const PathParams& path) {
    auto actor = s.authenticate(req);
    const ServedGraph& g = s.graph(path[0]);
    check_origin(req);
    s.authorize(&g, policy::Action::kRead, actor, std::string("main"));
    check_protocol_header(req);
    if (body_size(req) > kBodyLimit)
        throw HttpError{413, "bad_request", "request body exceeds 1 MiB"};
    check_json_type(req);
    auto body = base::parse_json(request_body(req));
    if (!body) {
        send_json(res, 400,
                  base::to_compact_json(
                      rpc_error(nullptr, kParseError, "parse error: " + body.error().message)));
        return;
    }
    // A batch (2025-03-26; later revisions send one message a POST) answers an array of the
    // responses its requests have.
    std::optional<Json> answer;
    if (body->is_array() && !body->empty()) {
        Json responses = Json::array();
        for (const auto& message : *body)
            if (auto response = handle_message(s, g, actor, message))
                responses.push_back(std::move(*response));
        if (!responses.empty())
            answer = std::move(responses);
    } else if (body->is_object()) {
        answer = handle_message(s, g, actor, *body);
    } else {
        send_json(res, 400,
                  base::to_compact_json(rpc_error(nullptr, kInvalidRequest,
                                                  "the body must be a JSON-RPC message or batch")));
        return;
    }
    if (!answer) {
        res.status = 202; // notifications and responses only: accepted, no body
        return;
    }
    send_json(res, 200, base::to_compact_json(*answer));
}

// GET would open a server-initiated SSE stream and DELETE end a session: there are neither.
void refuse_method(const ServerState& s, const httplib::Request& req, httplib::Response& res,
                   const PathParams& path) {
    (void)s.authenticate(req);
    (void)s.graph(path[0]);
    res.set_header("Allow", "POST");
    throw HttpError{405, "method_not_allowed",
                    "the MCP endpoint takes POST only: it has no SSE stream and no sessions"};
}

} // namespace

// Not in /openapi.json (operation id ""): the document serves the contract's operations only.
void add_mcp_routes(ServerState& s) {
    s.routes.add({"POST", "/graphs/{graph_id}/mcp", "", false, true,
                  [&s](const httplib::Request& req, httplib::Response& res,
                       const PathParams& path) { serve_post(s, req, res, path); }});
    for (const char* method : {"GET", "DELETE"})
        s.routes.add({method, "/graphs/{graph_id}/mcp", "", false, true,
                      [&s](const httplib::Request& req, httplib::Response& res,
                           const PathParams& path) { refuse_method(s, req, res, path); }});
}

} // namespace omnigraph::server
