#include "server/server.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/text.h"
#include "cluster/desired_state.h"
#include "cluster/serving_snapshot.h"
#include "engine/export.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "policy/bundle.h"
#include "policy/engine.h"
#include "query/executor.h"
#include "query/lint.h"
#include "query/mutation.h"
#include "query/parser.h"
#include "query/typecheck.h"
#include "server/http_guard.h"
#include "server/operations.h"
#include "server/tokens.h"
#include "server/write_policy.h"
#include "store/object_store.h"

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <httplib.h>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <streambuf>
#include <sys/socket.h>
#include <thread>

namespace omnigraph::server {

namespace {

using base::Json;

constexpr size_t kBodyLimit = 1 << 20;       // buffered JSON bodies
constexpr size_t kLoadBodyLimit = 32u << 20; // load / ingest
constexpr std::string_view kVersion = "0.1.0";

// An HTTP failure with the spec's ErrorOutput body.
struct HttpError {
    int status;
    std::string code; // "" = omitted
    std::string message;
    Json detail = nullptr; // {"<field>": {...}} merged into the body
};

HttpError bad_request(std::string m) {
    return {400, "bad_request", std::move(m)};
}
HttpError not_found(std::string m) {
    return {404, "not_found", std::move(m)};
}

bool truthy(const char* v) {
    if (!v)
        return false;
    std::string s = base::trim(v);
    for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return !s.empty() && s != "0" && s != "false";
}

struct StoredQuery {
    std::string name;
    size_t source_size = 0;
    std::shared_ptr<query::QueryFile> file; // owns the Query
    const query::Query* query = nullptr;
    query::CheckedQuery checked;
};

// An ostream buffer that hands 64 KiB chunks to a chunked HTTP response; a write the client
// no longer reads fails the stream.
class SinkStreamBuf : public std::streambuf {
  public:
    explicit SinkStreamBuf(httplib::DataSink& sink) : sink_(sink) {
        setp(buffer_.data(), buffer_.data() + buffer_.size());
    }

  protected:
    int overflow(int ch) override {
        if (!drain())
            return traits_type::eof();
        if (ch != traits_type::eof()) {
            *pptr() = static_cast<char>(ch);
            pbump(1);
        }
        return ch == traits_type::eof() ? 0 : ch;
    }
    int sync() override { return drain() ? 0 : -1; }

  private:
    bool drain() {
        size_t n = static_cast<size_t>(pptr() - pbase());
        setp(buffer_.data(), buffer_.data() + buffer_.size());
        return n == 0 || sink_.write(buffer_.data(), n);
    }
    httplib::DataSink& sink_;
    std::array<char, 64 * 1024> buffer_;
};

struct GraphState {
    std::string id;
    std::string uri;
    std::unique_ptr<store::ObjectStore> store;
    std::optional<engine::Graph> graph;
    std::shared_ptr<query::TableCache> cache;
    std::optional<policy::PolicyEngine> policy;
    std::map<std::string, StoredQuery> queries;
};

Json commit_output(const format::CommitRecord& c) {
    Json j = Json::object();
    j["graph_commit_id"] = c.graph_commit_id;
    j["graph_branch"] = c.graph_branch;
    j["graph_manifest_version"] = c.graph_manifest_version;
    j["parent_commit_id"] = c.parent_commit_id ? Json(*c.parent_commit_id) : Json(nullptr);
    j["merged_parent_commit_id"] =
        c.merged_parent_commit_id ? Json(*c.merged_parent_commit_id) : Json(nullptr);
    j["actor_id"] = c.actor_id ? Json(*c.actor_id) : Json(nullptr);
    j["created_at"] = c.created_at;
    return j;
}

// "/graphs/a/query" -> {"graphs", "a", "query"}; empty segments are kept.
std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    size_t pos = path.starts_with('/') ? 1 : 0;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string_view::npos)
            next = path.size();
        out.emplace_back(path.substr(pos, next - pos));
        pos = next + 1;
    }
    return out;
}

// The route pattern of a path, for metrics and logs: ids and names become placeholders.
std::string route_label(const std::string& path) {
    std::vector<std::string> segs = split_path(path);
    if (segs.size() >= 2 && segs[0] == "graphs") {
        segs[1] = "{graph_id}";
        if (segs.size() >= 4 && segs[2] == "queries")
            segs[3] = "{name}";
        if (segs.size() >= 4 && segs[2] == "commits")
            segs[3] = "{commit_id}";
    }
    std::string out;
    for (const auto& s : segs)
        out += "/" + s;
    return out.empty() ? "/" : out;
}

// What the request log line and the metrics learn while a request runs (one per worker thread).
struct RequestInfo {
    std::string actor, graph, matched_rule;
};
thread_local RequestInfo request_info;

int64_t now_ms() {
    return base::unix_micros(base::now()) / 1000;
}

} // namespace

struct Server::State {
    ServerOptions options;
    TokenTable tokens;
    bool auth_required = false;
    std::optional<policy::PolicyEngine> server_policy;
    std::map<std::string, std::unique_ptr<GraphState>> graphs;
    std::set<std::string> quarantined;
    std::unique_ptr<Admission> admission;
    std::unique_ptr<ExportSlots> export_slots = ExportSlots::from_environment();
    Metrics metrics;
    GuardedServer http; // cpp-httplib with slow-client, size and framing limits (http_guard.h)
    int listen_fd = -1; // captured when cpp-httplib creates the listening socket

    // --- request plumbing -------------------------------------------------------------------

    // The actor of an authenticated request (nullopt in an open server).
    std::optional<std::string> authenticate(const httplib::Request& req) const {
        if (!auth_required)
            return std::nullopt;
        auto header = req.get_header_value("Authorization");
        if (!req.has_header("Authorization") || !header.starts_with("Bearer "))
            throw HttpError{401, "unauthorized", "missing bearer token"};
        for (char c : header)
            if (c < 0x20 || c > 0x7e)
                throw HttpError{401, "unauthorized", "missing bearer token"};
        auto actor = tokens.actor_for(std::string_view(header).substr(7));
        if (!actor)
            throw HttpError{401, "unauthorized", "invalid bearer token"};
        request_info.actor = *actor;
        return actor;
    }

    GraphState& graph(const std::string& id) const {
        if (!cluster::valid_route_graph_id(id)) {
            for (const char* reserved : {"graphs", "healthz", "openapi", "policies"})
                if (id == reserved)
                    throw bad_request("invalid graph id '" + id + "': '" + id +
                                      "' is reserved for a server route");
            throw bad_request("invalid graph id '" + id +
                              "': use 1-64 characters of letters, digits and '-'");
        }
        request_info.graph = id;
        auto it = graphs.find(id);
        if (it == graphs.end())
            throw not_found("graph '" + id + "' not found");
        return *it->second;
    }

    void authorize(const GraphState* g, policy::Action action,
                   const std::optional<std::string>& actor,
                   const std::optional<std::string>& branch = std::nullopt,
                   const std::optional<std::string>& target = std::nullopt) const {
        const policy::PolicyEngine* engine =
            g ? (g->policy ? &*g->policy : nullptr) : (server_policy ? &*server_policy : nullptr);
        auto decision = policy::authorize_scope(engine, action, actor, branch, target);
        if (!decision)
            throw HttpError{401, "unauthorized", "missing bearer token"};
        base::log(base::LogLevel::kInfo, "policy decision",
                  {{"actor_id", actor.value_or("")},
                   {"action", policy::action_name(action)},
                   {"branch", branch.value_or("")},
                   {"target_branch", target.value_or("")},
                   {"allowed", decision->allowed ? "true" : "false"},
                   {"matched_rule_id", decision->matched_rule.value_or("")}});
        request_info.matched_rule = decision->matched_rule.value_or("");
        if (!decision->allowed)
            throw HttpError{403, "forbidden", decision->message};
    }

    // A write's slot under the per-actor caps (429 when full).
    Admission::Ticket admit(const std::optional<std::string>& actor, uint64_t bytes) const {
        auto ticket = admission->admit(actor, bytes);
        if (!ticket)
            throw HttpError{429, "too_many_requests", ticket.error().message};
        return std::move(*ticket);
    }

    // Branch names are trimmed before they are authorized or used, on every route, so " main "
    // cannot pass for an unprotected branch; a name that is blank after trimming is 400.
    static std::optional<std::string> trimmed_branch(std::optional<std::string> name,
                                                     std::string_view field = "branch") {
        if (!name)
            return name;
        name = base::trim(*name);
        if (name->empty())
            throw bad_request(std::string(field) + " name cannot be empty");
        return name;
    }
    static std::optional<std::string> branch_param(const httplib::Request& req) {
        if (!req.has_param("branch"))
            return std::nullopt;
        return trimmed_branch(req.get_param_value("branch"));
    }

    // The graph id of a `POST /graphs/{id}/load/ndjson` path, "" for any other path.
    static std::string ndjson_load_graph(const std::string& path) {
        auto segs = split_path(path);
        bool ndjson = segs.size() == 4 && segs[0] == "graphs" && !segs[1].empty() &&
                      segs[2] == "load" && segs[3] == "ndjson";
        return ndjson ? segs[1] : "";
    }
    // Whether the ndjson load's own checks (token, graph, `change` on the branch) would refuse
    // it; decided without logging (the refusal logs when it runs).
    bool refused_before_body(const httplib::Request& req) const {
        try {
            auto actor = authenticate(req);
            auto it = graphs.find(ndjson_load_graph(req.path));
            if (it == graphs.end())
                return true;
            const GraphState& g = *it->second;
            auto decision =
                policy::authorize_scope(g.policy ? &*g.policy : nullptr, policy::Action::kChange,
                                        actor, branch_param(req).value_or("main"));
            return !decision || !decision->allowed;
        } catch (const HttpError&) {
            return true;
        }
    }

    static Json body_json(const httplib::Request& req, bool optional = false) {
        if (req.body.size() > kBodyLimit)
            throw HttpError{413, "bad_request", "request body exceeds 1 MiB"};
        if (req.body.empty() && optional)
            return Json::object();
        check_json_type(req);
        auto parsed = base::parse_json(req.body);
        if (!parsed)
            throw bad_request("invalid JSON body: " + parsed.error().message);
        if (parsed->is_null() && optional)
            return Json::object();
        if (!parsed->is_object())
            throw bad_request("request body must be a JSON object");
        return *parsed;
    }

    // The Content-Type without parameters, lower-cased ("application/json").
    static std::string media_type(const httplib::Request& req) {
        std::string type = req.get_header_value("Content-Type");
        for (auto& c : type)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        type = type.substr(0, type.find(';'));
        type.erase(type.find_last_not_of(" \t") + 1);
        return type;
    }

    // A body in another format is refused, not guessed at (a missing type is accepted).
    static void check_json_type(const httplib::Request& req) {
        if (req.has_header("Content-Type")) {
            std::string type = media_type(req);
            if (type != "application/json")
                throw HttpError{415, "bad_request",
                                "request body must be application/json, not '" + type + "'"};
        }
    }

    static std::optional<std::string> opt_string(const Json& j, const char* key) {
        if (!j.contains(key) || j[key].is_null())
            return std::nullopt;
        if (!j[key].is_string())
            throw bad_request(std::string("field '") + key + "' must be a string");
        return j[key].get<std::string>();
    }

    // --- routes -------------------------------------------------------------------------------

    Json snapshot_output(GraphState& g, const std::string& branch) const {
        engine::SnapshotSpec spec;
        spec.branch = branch;
        auto snap = g.graph->snapshot(spec);
        if (!snap)
            throw engine_error(snap.error());
        Json j = Json::object();
        j["graph_branch"] = snap->manifest.branch;
        j["graph_manifest_version"] = snap->manifest.version;
        j["internal_schema_version"] = engine::kStorageFormatVersion;
        Json datasets = Json::array();
        for (const auto& t : snap->manifest.tables) {
            auto colon = t.table_key.find(':');
            datasets.push_back(Json::object({{"entity_kind", t.table_key.substr(0, colon)},
                                             {"type_name", t.table_key.substr(colon + 1)},
                                             {"dataset_path", t.path},
                                             {"published_dataset_version", t.table_version},
                                             {"native_dataset_branch", t.table_branch},
                                             {"entity_count", t.row_count}}));
        }
        j["datasets"] = datasets;
        return j;
    }

    static HttpError engine_error(const Error& e) {
        if (e.is(codes::kNotFound))
            return not_found(e.message);
        if (e.is(engine::kForbidden))
            return {403, "forbidden", e.message};
        if (e.is(policy::kUnauthorized))
            return {401, "unauthorized", e.message};
        if (e.is(query::kPreconditionFailure))
            return {
                412, "", e.message,
                Json::object({{"precondition_failure", Json::object({{"expected", e.message}})}})};
        if (e.is(query::kReadSetConflict))
            return {409, "conflict", e.message};
        if (e.code.starts_with("storage"))
            return {500, "internal", e.message};
        return bad_request(e.location ? e.location->to_string() + ": " + e.message : e.message);
    }

    // A query type-checked against the live schema (unless a stored query brings its check)
    // and its parameters bound.
    struct Prepared {
        std::optional<query::CheckedQuery> own;
        const query::CheckedQuery* stored = nullptr;
        query::Params params;
        const query::CheckedQuery& checked() const { return own ? *own : *stored; }
    };
    Prepared prepare(GraphState& g, const query::Query& q, const query::CheckedQuery* stored,
                     const Json& params) const {
        Prepared p;
        p.stored = stored;
        if (!stored) {
            auto c = query::check_query(q, g.graph->catalog(), "<request>");
            if (!c)
                throw engine_error(c.error());
            p.own = std::move(*c);
        }
        auto bound = query::bind_params(q, params);
        if (!bound)
            throw bad_request(bound.error().message);
        p.params = std::move(*bound);
        return p;
    }

    // Runs a read query; `name` picks it out of a multi-query source.
    std::string run_read(GraphState& g, const query::QueryFile& file, const query::Query& q,
                         const query::CheckedQuery* pre_checked, const Json& params,
                         const std::optional<std::string>& branch,
                         const std::optional<std::string>& snapshot, bool with_commit) const {
        Prepared prepared = prepare(g, q, pre_checked, params);
        engine::SnapshotSpec spec;
        if (branch)
            spec.branch = *branch;
        if (snapshot)
            spec.commit_id = *snapshot;
        auto snap = g.graph->snapshot(spec);
        if (!snap)
            throw engine_error(snap.error());
        auto started = std::chrono::steady_clock::now();
        auto result =
            query::execute_read(*g.cache, *snap, prepared.checked(), prepared.params, now_ms());
        const_cast<Metrics&>(metrics).record_query(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (!result)
            throw engine_error(result.error());
        (void)file;
        return query::result_json(*result, q.name, branch, snapshot,
                                  with_commit ? snap->manifest.commit_id : std::string());
    }

    std::string run_mutation(GraphState& g, const query::Query& q,
                             const query::CheckedQuery* pre_checked, const Json& params,
                             const std::string& branch, const std::optional<std::string>& actor,
                             const std::optional<std::string>& if_commit) const {
        Prepared prepared = prepare(g, q, pre_checked, params);
        query::MutationOptions options;
        options.branch = branch;
        options.actor = actor;
        options.if_commit = if_commit;
        options.now_ms = now_ms();
        auto started = std::chrono::steady_clock::now();
        auto result = query::execute_mutation(*g.store, *g.graph, prepared.checked(),
                                              prepared.params, options);
        const_cast<Metrics&>(metrics).record_query(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        if (!result && result.error().is(query::kPreconditionFailure) && if_commit) {
            Json detail = Json::object({{"expected", *if_commit}});
            if (auto head = g.graph->head(branch))
                detail["actual"] = head->commit_id;
            throw HttpError{412, "",
                            "precondition failed on branch '" + branch + "': expected head '" +
                                *if_commit + "' but current is " +
                                detail.value("actual", std::string("<absent>")),
                            Json::object({{"precondition_failure", detail}})};
        }
        if (!result)
            throw engine_error(result.error());
        return query::mutation_json(*result, q.name, actor);
    }

    static const query::Query& pick(const query::QueryFile& file,
                                    const std::optional<std::string>& name) {
        if (name) {
            const query::Query* q = file.find(*name);
            if (!q)
                throw bad_request("query '" + *name + "' not found");
            return *q;
        }
        if (file.queries.size() != 1)
            throw bad_request(file.queries.empty()
                                  ? "query source declares no query"
                                  : "query file contains multiple queries; pass --name");
        return file.queries.front();
    }

    static std::optional<std::string> commit_header(const httplib::Request& req) {
        size_t n = req.get_header_value_count("Omnigraph-If-Graph-Commit");
        if (n == 0)
            return std::nullopt;
        if (n > 1)
            throw bad_request("Omnigraph-If-Graph-Commit was sent more than once");
        std::string v = req.get_header_value("Omnigraph-If-Graph-Commit");
        v.erase(0, v.find_first_not_of(" \t"));
        v.erase(v.find_last_not_of(" \t") + 1);
        bool visible = !v.empty();
        for (char c : v)
            visible = visible && c > 0x20 && c < 0x7f;
        if (!visible || v == "*" || v.starts_with("W/") || v.starts_with('"') || v.ends_with('"') ||
            v.find(',') != std::string::npos)
            throw bad_request("Omnigraph-If-Graph-Commit must be one graph commit id");
        return v;
    }

    void routes();

    // Routing by path segments: the route whose literal segments match is found by comparing
    // strings, and only its regex runs (to fill req.matches). cpp-httplib's own dispatch tries
    // every route's std::regex in turn, which made latency depend on registration order.
    struct Route {
        std::string method;
        std::vector<std::string> segments; // "" = a ([^/]+) parameter
        std::regex pattern;
        std::function<void(const httplib::Request&, httplib::Response&)> handler;
    };
    std::vector<Route> router;

    template <class Handler>
    void add_route(const char* method, const std::string& pattern, Handler handler) {
        // __polynomial (libstdc++): the BFS matcher; the default one recurses per byte of the
        // path, and a 7000-byte graph id overflowed a worker's stack.
        Route r{method,
                {},
                std::regex(pattern, std::regex::ECMAScript | std::regex_constants::__polynomial),
                std::move(handler)};
        std::string shape = pattern; // "([^/]+)" holds a '/': mark it before splitting
        for (size_t at; (at = shape.find("([^/]+)")) != std::string::npos;)
            shape.replace(at, 7, "*");
        for (const auto& seg : split_path(shape))
            r.segments.push_back(seg == "*" ? std::string() : seg);
        router.push_back(std::move(r));
    }

    // True when a route took the request.
    bool dispatch(const httplib::Request& req, httplib::Response& res) const {
        auto segs = split_path(req.path);
        for (const auto& r : router) {
            if (r.method != req.method || r.segments.size() != segs.size())
                continue;
            bool literal = true;
            for (size_t i = 0; i < segs.size() && literal; ++i)
                literal = r.segments[i].empty() ? !segs[i].empty() : r.segments[i] == segs[i];
            if (!literal)
                continue;
            auto& mutable_req = const_cast<httplib::Request&>(req);
            if (!std::regex_match(mutable_req.path, mutable_req.matches, r.pattern))
                continue;
            r.handler(req, res);
            return true;
        }
        return false;
    }

    // The OpenAPI 3.1 document of the routes this server has. Without auth the security scheme
    // and every operation's `security` are left out.
    Json openapi() const {
        struct Op {
            const char* method;
            const char* path;
            const char* id;
            bool nested, deprecated;
        };
        static const Op ops[] = {
            {"get", "/healthz", "health", false, false},
            {"get", "/graphs", "listGraphs", false, false},
            {"get", "/snapshot", "snapshot", true, false},
            {"post", "/query", "query", true, false},
            {"post", "/read", "read", true, true},
            {"post", "/export", "export", true, false},
            {"post", "/mutate", "mutate", true, false},
            {"post", "/mutate/if-graph-commit", "mutate_if_graph_commit", true, false},
            {"post", "/change", "change", true, true},
            {"get", "/queries", "list_queries", true, false},
            {"post", "/queries/{name}", "invoke_query", true, false},
            {"post", "/queries/{name}/if-graph-commit", "invoke_query_if_graph_commit", true,
             false},
            {"get", "/schema", "get_schema", true, false},
            {"post", "/schema/apply", "schema_apply", true, false},
            {"post", "/load", "load", true, false},
            {"post", "/load/ndjson", "load_ndjson", true, false},
            {"post", "/ingest", "ingest", true, true},
            {"get", "/commits", "list_commits", true, false},
            {"get", "/commits/{commit_id}", "get_commit", true, false},
        };
        Json paths = Json::object();
        for (const auto& op : ops) {
            std::string path = op.nested ? std::string("/graphs/{graph_id}") + op.path : op.path;
            Json o = Json::object();
            o["operationId"] = op.nested ? std::string("cluster_") + op.id : op.id;
            if (op.deprecated)
                o["deprecated"] = true;
            Json params = Json::array();
            if (op.nested)
                params.push_back(Json::object({{"name", "graph_id"},
                                               {"in", "path"},
                                               {"required", true},
                                               {"schema", Json::object({{"type", "string"}})}}));
            for (const char* p : {"{name}", "{commit_id}"})
                if (path.find(p) != std::string::npos)
                    params.push_back(
                        Json::object({{"name", std::string(p).substr(1, std::strlen(p) - 2)},
                                      {"in", "path"},
                                      {"required", true},
                                      {"schema", Json::object({{"type", "string"}})}}));
            if (!params.empty())
                o["parameters"] = params;
            if (auth_required && std::string(op.id) != "health")
                o["security"] = Json::array({Json::object({{"bearer_token", Json::array()}})});
            o["responses"] = Json::object({{"200", Json::object({{"description", "OK"}})}});
            paths[path][op.method] = o;
        }
        Json doc = Json::object();
        doc["openapi"] = "3.1.0";
        doc["info"] =
            Json::object({{"title", "OmniGraph server"}, {"version", std::string(kVersion)}});
        doc["paths"] = paths;
        if (auth_required)
            doc["components"] = Json::object(
                {{"securitySchemes",
                  Json::object({{"bearer_token",
                                 Json::object({{"type", "http"}, {"scheme", "bearer"}})}})}});
        return doc;
    }
};

namespace {

void send_json(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
}

void send_error(httplib::Response& res, const HttpError& e) {
    Json j = Json::object();
    j["error"] = e.message;
    if (!e.code.empty())
        j["code"] = e.code;
    if (e.detail.is_object())
        for (auto it = e.detail.begin(); it != e.detail.end(); ++it)
            j[it.key()] = it.value();
    if (e.status == 401)
        res.set_header("WWW-Authenticate", "Bearer");
    if (e.status == 429)
        res.set_header("Retry-After", "60");
    send_json(res, e.status, base::to_compact_json(j));
}

} // namespace

void Server::State::routes() {
    using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
    // Every handler runs inside this: uniform error bodies, one JSON log line, metrics.
    auto guarded = [this](Handler h, std::string route = "") {
        return [this, h, route](const httplib::Request& req, httplib::Response& res) {
            request_info = RequestInfo{};
            auto start = std::chrono::steady_clock::now();
            try {
                h(req, res);
            } catch (const HttpError& e) {
                send_error(res, e);
            } catch (const std::exception& e) {
                send_error(res, {500, "internal", std::string("internal error: ") + e.what()});
            }
            double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::string label = route.empty() ? route_label(req.path) : route;
            metrics.record_request(req.method + " " + label, res.status, seconds);
            if (!base::log_enabled(base::LogLevel::kInfo))
                return;
            char latency[32];
            std::snprintf(latency, sizeof latency, "%.3f", seconds * 1000);
            base::log(base::LogLevel::kInfo, "request",
                      {{"method", req.method},
                       {"route", label},
                       {"status", std::to_string(res.status)},
                       {"latency_ms", latency},
                       {"actor_id", request_info.actor},
                       {"graph_id", request_info.graph},
                       {"matched_rule_id", request_info.matched_rule}});
        };
    };

    add_route("GET", "/healthz", guarded([](const httplib::Request&, httplib::Response& res) {
                  Json j =
                      Json::object({{"status", "ok"},
                                    {"version", std::string(kVersion)},
                                    {"internal_schema_version", engine::kStorageFormatVersion}});
                  send_json(res, 200, base::to_compact_json(j));
              }));

    add_route("GET", "/graphs",
              guarded([this](const httplib::Request& req, httplib::Response& res) {
                  auto actor = authenticate(req);
                  authorize(nullptr, policy::Action::kGraphList, actor);
                  Json list = Json::array();
                  for (const auto& [id, g] : graphs)
                      list.push_back(Json::object({{"graph_id", id}, {"uri", g->uri}}));
                  send_json(res, 200, base::to_compact_json(Json::object({{"graphs", list}})));
              }));

    const std::string G = "/graphs/([^/]+)";
    add_route("GET", G + "/snapshot",
              guarded([this](const httplib::Request& req, httplib::Response& res) {
                  auto actor = authenticate(req);
                  GraphState& g = graph(req.matches[1]);
                  std::string branch = branch_param(req).value_or("main");
                  authorize(&g, policy::Action::kRead, actor, branch);
                  send_json(res, 200, base::to_compact_json(snapshot_output(g, branch)));
              }));

    auto read_route = [this](bool legacy) {
        return [this, legacy](const httplib::Request& req, httplib::Response& res) {
            auto actor = authenticate(req);
            GraphState& g = graph(req.matches[1]);
            Json body = body_json(req);
            auto source = opt_string(body, legacy ? "query_source" : "query");
            if (!source)
                throw bad_request(legacy ? "missing field 'query_source'"
                                         : "missing field 'query'");
            auto name = opt_string(body, legacy ? "query_name" : "name");
            auto branch = trimmed_branch(opt_string(body, "branch"));
            auto snapshot = opt_string(body, "snapshot");
            if (branch && snapshot)
                throw bad_request("request may specify branch or snapshot, not both");
            std::string policy_branch = branch.value_or("main");
            if (snapshot) {
                auto commit = g.graph->commit(*snapshot);
                if (commit)
                    policy_branch = commit->graph_branch;
            }
            authorize(&g, policy::Action::kRead, actor, policy_branch);
            auto file = query::parse_query_file(*source, "<request>");
            if (!file)
                throw engine_error(file.error());
            const query::Query& q = pick(*file, name);
            if (!legacy)
                for (const auto& candidate : file->queries)
                    if (candidate.is_mutation())
                        throw bad_request("query source contains mutations (insert/update/delete); "
                                          "use POST /mutate for write queries");
            if (q.is_mutation())
                throw bad_request("'" + q.name + "' is a mutation; use POST /mutate");
            std::optional<std::string> target_branch = branch;
            if (!snapshot && !branch)
                target_branch = "main";
            send_json(res, 200,
                      run_read(g, *file, q, nullptr, body.value("params", Json::object()),
                               target_branch, snapshot, !legacy));
            if (legacy) {
                res.set_header("Deprecation", "true");
                res.set_header("Link", "<query>; rel=\"successor-version\"");
            }
        };
    };
    add_route("POST", G + "/query", guarded(read_route(false)));
    add_route("POST", G + "/read", guarded(read_route(true)));

    auto mutate_route = [this](bool conditional, bool legacy) {
        return [this, conditional, legacy](const httplib::Request& req, httplib::Response& res) {
            auto header = commit_header(req);
            if (conditional && !header)
                throw bad_request("Omnigraph-If-Graph-Commit is required on this conditional "
                                  "mutation route");
            if (!conditional && header)
                throw bad_request("Omnigraph-If-Graph-Commit requires the fail-closed conditional "
                                  "route /graphs/" +
                                  std::string(req.matches[1]) + "/mutate/if-graph-commit");
            auto actor = authenticate(req);
            GraphState& g = graph(req.matches[1]);
            Json body = body_json(req);
            auto source = opt_string(body, "query");
            if (!source)
                source = opt_string(body, "query_source");
            if (!source)
                throw bad_request("missing field 'query'");
            auto name = opt_string(body, "name");
            if (!name)
                name = opt_string(body, "query_name");
            std::string branch = trimmed_branch(opt_string(body, "branch")).value_or("main");
            authorize(&g, policy::Action::kChange, actor, branch);
            auto ticket = admit(actor, req.body.size());
            auto file = query::parse_query_file(*source, "<request>");
            if (!file)
                throw engine_error(file.error());
            const query::Query& q = pick(*file, name);
            if (!q.is_mutation())
                throw bad_request("'" + q.name + "' is a read query; use POST /query");
            send_json(res, 200,
                      run_mutation(g, q, nullptr, body.value("params", Json::object()), branch,
                                   actor, header));
            if (legacy) {
                res.set_header("Deprecation", "true");
                res.set_header("Link", "<mutate>; rel=\"successor-version\"");
            }
        };
    };
    add_route("POST", G + "/mutate", guarded(mutate_route(false, false)));
    add_route("POST", G + "/mutate/if-graph-commit", guarded(mutate_route(true, false)));
    add_route("POST", G + "/change", guarded(mutate_route(false, true)));

    add_route("GET", G + "/queries",
              guarded([this](const httplib::Request& req, httplib::Response& res) {
                  auto actor = authenticate(req);
                  GraphState& g = graph(req.matches[1]);
                  authorize(&g, policy::Action::kRead, actor, std::string("main"));
                  Json list = Json::array();
                  for (const auto& [name, sq] : g.queries) {
                      Json e = Json::object();
                      e["name"] = name;
                      e["tool_name"] = name;
                      if (sq.query->description)
                          e["description"] = *sq.query->description;
                      if (sq.query->instruction)
                          e["instruction"] = *sq.query->instruction;
                      e["mutation"] = sq.query->is_mutation();
                      Json params = Json::array();
                      for (const auto& p : sq.query->params) {
                          Json pj = Json::object();
                          pj["name"] = p.name;
                          if (p.type.list) {
                              pj["kind"] = "list";
                              pj["item_kind"] = query::value_kind(p.type);
                          } else {
                              pj["kind"] = query::value_kind(p.type);
                          }
                          if (p.type.scalar == schema::ScalarType::kVector)
                              pj["vector_dim"] = p.type.vector_dim;
                          pj["nullable"] = p.type.nullable;
                          params.push_back(pj);
                      }
                      e["params"] = params;
                      list.push_back(e);
                  }
                  send_json(res, 200, base::to_compact_json(Json::object({{"queries", list}})));
              }));

    auto invoke_route = [this](bool conditional) {
        return [this, conditional](const httplib::Request& req, httplib::Response& res) {
            auto header = commit_header(req);
            std::string name = req.matches[2];
            if (!conditional && header)
                throw bad_request("Omnigraph-If-Graph-Commit requires the fail-closed conditional "
                                  "route /queries/" +
                                  name + "/if-graph-commit");
            if (conditional && !header)
                throw bad_request("Omnigraph-If-Graph-Commit is required on this conditional "
                                  "mutation route");
            auto actor = authenticate(req);
            GraphState& g = graph(req.matches[1]);
            Json body;
            try {
                body = body_json(req, true);
            } catch (const HttpError& e) {
                if (e.status == 400)
                    throw bad_request("invalid stored-query invocation body: " + e.message);
                throw;
            }
            const HttpError hidden = not_found("stored query not found");
            try {
                authorize(&g, policy::Action::kInvokeQuery, actor);
            } catch (const HttpError& e) {
                if (e.status == 403)
                    throw hidden;
                throw;
            }
            auto it = g.queries.find(name);
            if (it == g.queries.end())
                throw hidden;
            const StoredQuery& sq = it->second;
            bool mutation = sq.query->is_mutation();
            if (body.contains("expect_mutation") && body["expect_mutation"].is_boolean() &&
                body["expect_mutation"].get<bool>() != mutation)
                throw bad_request(
                    mutation ? "'" + name + "' is a mutation — use omnigraph mutate " + name
                             : "'" + name + "' is a read — use omnigraph query " + name);
            auto branch = trimmed_branch(opt_string(body, "branch"));
            auto snapshot = opt_string(body, "snapshot");
            Json params = body.contains("params") && !body["params"].is_null() ? body["params"]
                                                                               : Json::object();
            if (mutation) {
                if (snapshot)
                    throw bad_request("stored mutation cannot target a snapshot");
                std::string b = branch.value_or("main");
                authorize(&g, policy::Action::kChange, actor, b);
                auto ticket = admit(actor, sq.source_size + params.dump().size());
                send_json(res, 200,
                          run_mutation(g, *sq.query, &sq.checked, params, b, actor, header));
                return;
            }
            if (conditional)
                throw bad_request(
                    "the graph-commit conditional route applies only to stored mutations");
            if (branch && snapshot)
                throw bad_request("request may specify branch or snapshot, not both");
            std::string policy_branch = branch.value_or("main");
            if (snapshot) // a snapshot is read under the branch that published it
                if (auto commit = g.graph->commit(*snapshot))
                    policy_branch = commit->graph_branch;
            authorize(&g, policy::Action::kRead, actor, policy_branch);
            std::optional<std::string> target = branch;
            if (!snapshot && !branch)
                target = "main";
            send_json(
                res, 200,
                run_read(g, *sq.file, *sq.query, &sq.checked, params, target, snapshot, true));
        };
    };
    add_route("POST", G + "/queries/([^/]+)", guarded(invoke_route(false)));
    add_route("POST", G + "/queries/([^/]+)/if-graph-commit", guarded(invoke_route(true)));

    add_route(
        "GET", G + "/schema", guarded([this](const httplib::Request& req, httplib::Response& res) {
            auto actor = authenticate(req);
            GraphState& g = graph(req.matches[1]);
            authorize(&g, policy::Action::kRead, actor);
            send_json(
                res, 200,
                base::to_compact_json(Json::object({{"schema_source", g.graph->schema_source()}})));
        }));

    add_route("POST", G + "/schema/apply",
              guarded([this](const httplib::Request& req, httplib::Response&) {
                  auto actor = authenticate(req);
                  GraphState& g = graph(req.matches[1]);
                  authorize(&g, policy::Action::kSchemaApply, actor, std::nullopt,
                            std::string("main"));
                  throw HttpError{
                      409, "conflict",
                      "server-side schema apply is disabled for cluster-backed serving; change "
                      "the schema in the cluster config, run `omnigraph cluster apply`, and "
                      "restart the server"};
              }));

    // `internal`: called by the NDJSON route with a body it wrapped itself.
    auto load_route = [this](bool legacy, bool internal = false) {
        return [this, legacy, internal](const httplib::Request& req, httplib::Response& res) {
            auto actor = authenticate(req);
            GraphState& g = graph(req.matches[1]);
            if (req.body.size() > kLoadBodyLimit)
                throw HttpError{413, "bad_request", "request body exceeds 32 MiB"};
            if (!internal)
                check_json_type(req);
            auto parsed = base::parse_json(req.body);
            if (!parsed || !parsed->is_object())
                throw bad_request("request body must be a JSON object");
            Json body = *parsed;
            auto data = opt_string(body, "data");
            if (!data)
                throw bad_request("missing field 'data'");
            std::string branch = trimmed_branch(opt_string(body, "branch")).value_or("main");
            auto from = trimmed_branch(opt_string(body, "from"), "from");
            std::string mode = opt_string(body, "mode").value_or("merge");
            // `change` is decided before the branch is looked up: a caller who may not write
            // the branch learns nothing about whether it exists.
            authorize(&g, policy::Action::kChange, actor, branch);
            auto exists = g.graph->head(branch);
            if (!exists && !exists.error().is(codes::kNotFound))
                throw engine_error(exists.error());
            bool create = !exists;
            if (create && !from)
                throw not_found("branch '" + branch + "' not found; pass `from` to create it");
            if (create)
                authorize(&g, policy::Action::kBranchCreate, actor, *from, branch);
            auto ticket = admit(actor, req.body.size());
            engine::LoadOptions options;
            if (mode == "overwrite")
                options.mode = engine::LoadMode::kOverwrite;
            else if (mode == "append")
                options.mode = engine::LoadMode::kAppend;
            else if (mode == "merge")
                options.mode = engine::LoadMode::kMerge;
            else
                throw bad_request("mode must be overwrite, append or merge");
            options.branch = branch;
            if (create)
                options.from = from;
            options.actor = actor;
            options.source_name = "request";
            auto summary = engine::load_graph(*g.store, *g.graph, std::move(*data), options);
            if (!summary)
                throw engine_error(summary.error());
            Json out = Json::object();
            out["uri"] = g.uri;
            out["branch"] = summary->branch;
            out["base_branch"] = summary->created_from ? Json(*summary->created_from)
                                                       : (from ? Json(*from) : Json(nullptr));
            out["branch_created"] = summary->created_from.has_value();
            out["mode"] = mode;
            Json nodes = Json::array(), edges = Json::array();
            for (const auto& [name, n] : summary->nodes)
                nodes.push_back(Json::object({{"name", name}, {"entities_loaded", n}}));
            for (const auto& [name, n] : summary->edges)
                edges.push_back(Json::object({{"name", name}, {"entities_loaded", n}}));
            out["nodes"] = nodes;
            out["edges"] = edges;
            out["total_entities"] = summary->total_entities;
            out["actor_id"] = actor ? Json(*actor) : Json(nullptr);
            out["commit"] = commit_output(summary->commit);
            send_json(res, 200, base::to_compact_json(out));
            if (legacy) {
                res.set_header("Deprecation", "true");
                res.set_header("Link", "<load>; rel=\"successor-version\"");
            }
        };
    };
    add_route("POST", G + "/load", guarded(load_route(false)));
    // The raw NDJSON form: the body is the batch, the options are query parameters.
    add_route("POST", G + "/load/ndjson",
              guarded([this, load_route](const httplib::Request& req, httplib::Response& res) {
                  std::string type = media_type(req);
                  (void)authenticate(req);
                  if (type != "application/x-ndjson")
                      throw HttpError{415, "bad_request",
                                      "POST …/load/ndjson needs Content-Type: "
                                      "application/x-ndjson"};
                  if (req.body.size() > kLoadBodyLimit)
                      throw HttpError{
                          413, "bad_request", "request body exceeds 32 MiB",
                          Json::object({{"resource_limit",
                                         Json::object({{"resource", "graph_batch_request_bytes"},
                                                       {"limit", kLoadBodyLimit},
                                                       {"actual", req.body.size()}})}})};
                  Json wrapped = Json::object({{"data", req.body}});
                  for (const char* key : {"branch", "from", "mode"})
                      if (req.has_param(key))
                          wrapped[key] = req.get_param_value(key);
                  httplib::Request inner = req;
                  inner.body = base::to_compact_json(wrapped);
                  load_route(false, true)(inner, res);
                  if (res.status == 200) { // GraphBatchLoadOutput has no uri
                      Json out = Json::parse(res.body);
                      out.erase("uri");
                      res.set_content(base::to_compact_json(out), "application/json");
                  }
              }));
    add_route("POST", G + "/ingest", guarded(load_route(true)));

    // A raw NDJSON upload can be 32 MiB: a caller who may not write it is refused from the
    // request head, before the body is read (spec §6). The check that refuses runs again,
    // inside `guarded`, so the refusal is logged and counted like any other answer.
    auto ndjson_refusal = guarded(
        [this](const httplib::Request& req, httplib::Response&) {
            auto actor = authenticate(req);
            GraphState& g = graph(ndjson_load_graph(req.path));
            authorize(&g, policy::Action::kChange, actor, branch_param(req).value_or("main"));
            throw HttpError{500, "internal", "the early load check and the refusal disagree"};
        },
        "/graphs/{graph_id}/load/ndjson");
    http.set_before_body_handler(
        [this, ndjson_refusal](const httplib::Request& req, httplib::Response& res) {
            if (req.method != "POST" || ndjson_load_graph(req.path).empty() ||
                !refused_before_body(req))
                return httplib::Server::HandlerResponse::Unhandled;
            ndjson_refusal(req, res);
            return httplib::Server::HandlerResponse::Handled;
        });

    add_route("GET", G + "/commits",
              guarded([this](const httplib::Request& req, httplib::Response& res) {
                  auto actor = authenticate(req);
                  GraphState& g = graph(req.matches[1]);
                  std::string branch = branch_param(req).value_or("main");
                  authorize(&g, policy::Action::kRead, actor, branch);
                  auto commits = g.graph->commits(branch);
                  if (!commits)
                      throw engine_error(commits.error());
                  Json list = Json::array();
                  for (const auto& c : *commits)
                      list.push_back(commit_output(c));
                  send_json(res, 200, base::to_compact_json(Json::object({{"commits", list}})));
              }));
    add_route("GET", G + "/commits/([^/]+)",
              guarded([this](const httplib::Request& req, httplib::Response& res) {
                  auto actor = authenticate(req);
                  GraphState& g = graph(req.matches[1]);
                  authorize(&g, policy::Action::kRead, actor);
                  std::string id = req.matches[2];
                  auto commit = g.graph->commit(id);
                  if (!commit)
                      throw not_found("commit '" + id + "' not found");
                  send_json(res, 200, base::to_compact_json(commit_output(*commit)));
              }));

    add_route(
        "POST", G + "/export", guarded([this](const httplib::Request& req, httplib::Response& res) {
            auto actor = authenticate(req);
            GraphState& g = graph(req.matches[1]);
            Json body = body_json(req, true);
            for (auto it = body.begin(); it != body.end(); ++it)
                if (it.key() != "branch" && it.key() != "type_names")
                    throw bad_request("invalid export request: unknown field `" + it.key() + "`");
            std::string branch = trimmed_branch(opt_string(body, "branch")).value_or("main");
            authorize(&g, policy::Action::kExport, actor, branch);
            engine::ExportOptions options;
            options.snapshot.branch = branch;
            if (body.contains("type_names") && !body["type_names"].is_null()) {
                if (!body["type_names"].is_array())
                    throw bad_request("invalid export request: type_names must be a list");
                for (const auto& t : body["type_names"]) {
                    if (!t.is_string())
                        throw bad_request("invalid export request: type_names must be strings");
                    std::string name = t.get<std::string>();
                    if (!g.graph->catalog().find_node(name) && !g.graph->catalog().find_edge(name))
                        throw bad_request("unknown export type '" + name + "'");
                    options.types.push_back(name);
                }
            }
            // Every check, the snapshot included, answers before the 200; then rows stream
            // as the client reads them, one table in memory at a time. A later failure cuts
            // the chunked stream short (no terminal chunk), which clients see as truncation.
            auto snapshot = g.graph->snapshot(options.snapshot);
            if (!snapshot)
                throw engine_error(snapshot.error());
            std::shared_ptr<ExportSlots::Slot> slot = export_slots->try_take();
            if (!slot) {
                uint64_t limit = export_slots->capacity();
                throw HttpError{413, "bad_request", "every export slot is busy; retry later",
                                Json::object({{"resource_limit",
                                               Json::object({{"resource", "stream_export_slots"},
                                                             {"limit", limit},
                                                             {"actual", limit + 1}})}})};
            }
            res.status = 200;
            res.set_chunked_content_provider(
                "application/x-ndjson; charset=utf-8",
                [&g, slot, snap = std::move(*snapshot),
                 types = std::move(options.types)](size_t, httplib::DataSink& sink) {
                    SinkStreamBuf buffer(sink);
                    std::ostream out(&buffer);
                    auto rows = engine::export_snapshot(*g.store, snap, types, out);
                    out.flush();
                    if (!rows || !out)
                        return false;
                    sink.done();
                    return true;
                });
        }));

    add_route("GET", "/openapi.json",
              guarded([this](const httplib::Request&, httplib::Response& res) {
                  send_json(res, 200, base::to_compact_json(openapi()));
              }));

    // Ready when every applied graph is served; an authenticated admin (graph_list) or an open
    // server also sees which graphs are quarantined.
    add_route("GET", "/readyz",
              guarded([this](const httplib::Request& req, httplib::Response& res) {
                  Json j = Json::object({{"ready", quarantined.empty()},
                                         {"graphs_served", graphs.size()},
                                         {"graphs_quarantined", quarantined.size()}});
                  bool admin = !auth_required;
                  if (auth_required && req.has_header("Authorization"))
                      try {
                          auto actor = authenticate(req);
                          authorize(nullptr, policy::Action::kGraphList, actor);
                          admin = true;
                      } catch (const HttpError&) {
                      }
                  if (admin)
                      j["quarantined"] =
                          Json(std::vector<std::string>(quarantined.begin(), quarantined.end()));
                  send_json(res, quarantined.empty() ? 200 : 503, base::to_compact_json(j));
              }));
    add_route("GET", "/metrics", guarded([this](const httplib::Request&, httplib::Response& res) {
                  // Summed over graphs: graph ids are not for unauthenticated eyes (GET /graphs
                  // asks for graph_list).
                  query::CacheStats total;
                  for (const auto& [id, g] : graphs) {
                      auto stats = query::cache_stats(*g->cache);
                      total.hits += stats.hits;
                      total.misses += stats.misses;
                      total.entries += stats.entries;
                  }
                  std::string text = metrics.prometheus_text();
                  text += "# HELP omnigraph_table_cache_lookups_total Table and adjacency lookups, "
                          "answered from memory (hit) or storage (miss).\n"
                          "# TYPE omnigraph_table_cache_lookups_total counter\n"
                          "omnigraph_table_cache_lookups_total{result=\"hit\"} " +
                          std::to_string(total.hits) +
                          "\nomnigraph_table_cache_lookups_total{result=\"miss\"} " +
                          std::to_string(total.misses) +
                          "\n# HELP omnigraph_table_cache_entries Tables and adjacency lists "
                          "held in memory.\n# TYPE omnigraph_table_cache_entries gauge\n"
                          "omnigraph_table_cache_entries " +
                          std::to_string(total.entries) + "\n";
                  res.status = 200;
                  res.set_content(text, "text/plain; version=0.0.4");
              }));

    // One catch-all per method (after the body is read); the router does the rest.
    auto route_all = [this](const httplib::Request& req, httplib::Response& res) {
        if (!dispatch(req, res))
            res.status = 404; // answered by the error handler below
    };
    http.Get(".*", route_all);
    http.Post(".*", route_all);

    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty())
            return;
        if (res.status == 404)
            send_error(res, not_found("no route for " + req.method + " " + req.path));
        else if (res.status == 413)
            send_error(res, {413, "bad_request", "request body too large"});
        else if (res.status >= 400)
            send_error(res, {res.status, res.status >= 500 ? "internal" : "bad_request",
                             "request failed with status " + std::to_string(res.status)});
    });
    // A worker per connection up to OMNIGRAPH_SERVER_WORKERS (default 128): a keep-alive client
    // holds its worker, so fewer workers than clients would queue whole connections.
    size_t workers = 128;
    if (const char* v = std::getenv("OMNIGRAPH_SERVER_WORKERS"); v && std::atoi(v) > 0)
        workers = static_cast<size_t>(std::atoi(v));
    http.set_workers(workers);
    http.set_tcp_nodelay(true);
    http.set_keep_alive_max_count(1u << 20);
    // cpp-httplib's default sets SO_REUSEPORT, which lets a second server bind the same port and
    // silently take half the connections; a database server must fail to bind instead.
    http.set_socket_options([this](int sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        listen_fd = sock;
    });
    // Above the routes' own limits, so they answer 413 with their resource_limit detail.
    http.set_payload_max_length(2 * kLoadBodyLimit);
}

namespace {

std::string first_error_code(const cluster::Diagnostics& diags) {
    for (const auto& d : diags.items())
        if (d.error)
            return d.code;
    return "strict_boot"; // strict mode promoted a warning
}

} // namespace

namespace {

// Opens one applied graph: its store, the engine handle, every stored query type-checked
// against its schema, its policy. An error quarantines the graph (or fails a strict boot).
Result<std::unique_ptr<GraphState>>
open_served_graph(const cluster::ServedGraph& sg, const std::vector<cluster::ServedQuery>& queries,
                  const cluster::ServedPolicy* policy) {
    auto fail = [](std::string why) { return Error("graph_unavailable", std::move(why)); };
    if (!cluster::valid_route_graph_id(sg.graph_id))
        return fail("invalid graph id for HTTP routing");
    auto g = std::make_unique<GraphState>();
    g->id = sg.graph_id;
    g->uri = sg.root.to_string();
    auto store = store::open_store(sg.root);
    if (!store)
        return fail(store.error().message);
    g->store = std::move(*store);
    auto graph = engine::Graph::open(*g->store);
    if (!graph)
        return fail(graph.error().message);
    g->graph.emplace(std::move(*graph));
    g->cache = query::make_table_cache(*g->store);
    for (const auto& q : queries) {
        if (q.graph_id != sg.graph_id)
            continue;
        auto file = query::parse_query_file(q.source, q.name + ".gq");
        if (!file)
            return fail("stored query '" + q.name + "' does not parse: " + file.error().message);
        auto shared = std::make_shared<query::QueryFile>(std::move(*file));
        const query::Query* query = shared->find(q.name);
        if (!query)
            return fail("stored query '" + q.name + "' is not declared in its source");
        auto checked = query::check_query(*query, g->graph->catalog(), q.name + ".gq");
        if (!checked)
            return fail("stored query '" + q.name +
                        "' does not pass the schema check: " + checked.error().message);
        g->queries[q.name] =
            StoredQuery{q.name, q.source.size(), shared, query, std::move(*checked)};
    }
    if (policy) {
        auto bundle =
            policy::parse_bundle(policy->source, policy->name, policy::BindingKind::kGraph);
        if (!bundle)
            return fail("policy '" + policy->name + "': " + bundle.error().message);
        g->policy.emplace(policy::PolicyEngine::compile(*bundle, sg.graph_id));
    }
    // The engine repeats the routes' decision for every write (GraphState does not move).
    g->graph->set_write_authorizer(write_authorizer(g->policy ? &*g->policy : nullptr));
    return g;
}

} // namespace

Result<std::unique_ptr<Server>> Server::boot(const ServerOptions& options) {
    auto state = std::make_unique<State>();
    state->options = options;
    if (options.cluster.empty())
        return Error("cluster_required",
                     "omnigraph-server boots from a cluster: pass --cluster <config dir | "
                     "s3://storage-root> (graph URIs, --target and --config are not boot sources)");
    bool strict = options.require_all_graphs || truthy(std::getenv("OMNIGRAPH_REQUIRE_ALL_GRAPHS"));
    bool open = options.unauthenticated || truthy(std::getenv("OMNIGRAPH_UNAUTHENTICATED"));

    cluster::Diagnostics diags;
    cluster::ServingSnapshot snap = cluster::load_serving_snapshot(options.cluster, diags);
    std::string problems;
    for (const auto& d : diags.items()) {
        if (d.error || strict)
            problems += "\n  [" + d.code + "] " + d.path + ": " + d.message;
        else
            base::log(base::LogLevel::kWarn, "graph quarantined",
                      {{"code", d.code}, {"path", d.path}, {"message", d.message}});
    }
    if (!problems.empty())
        return Error(first_error_code(diags),
                     "cannot serve cluster " + options.cluster + ":" + problems);
    state->quarantined = snap.quarantined;

    // Policies by scope.
    std::map<std::string, const cluster::ServedPolicy*> graph_policy;
    for (const auto& p : snap.policies)
        for (const auto& scope : p.applies_to) {
            if (scope == "cluster") {
                if (state->server_policy)
                    return Error("policy_binding_conflict",
                                 "multiple policy bundles bind the cluster scope");
                auto bundle = policy::parse_bundle(p.source, p.name, policy::BindingKind::kCluster);
                if (!bundle)
                    return Error("policy_invalid",
                                 "server policy '" + p.name + "': " + bundle.error().message);
                state->server_policy.emplace(policy::PolicyEngine::compile(*bundle, "root"));
            } else if (scope.starts_with("graph.")) {
                if (!graph_policy.emplace(scope.substr(6), &p).second)
                    return Error("policy_binding_conflict",
                                 "multiple policy bundles bind graph '" + scope.substr(6) + "'");
            } else {
                return Error("policy_binding_conflict",
                             "unrecognized policy binding '" + scope + "'");
            }
        }

    auto tokens = TokenTable::from_environment();
    if (!tokens)
        return tokens.error();
    state->tokens = std::move(*tokens);
    bool any_policy = state->server_policy.has_value() || !graph_policy.empty();
    if (state->tokens.empty() && any_policy)
        return Error("no_tokens", "a policy file is configured but no bearer tokens are: every "
                                  "request would 401; set OMNIGRAPH_SERVER_BEARER_TOKEN(S_*)");
    if (state->tokens.empty() && !open)
        return Error("no_tokens", "no bearer tokens and no policy: pass --unauthenticated (or "
                                  "OMNIGRAPH_UNAUTHENTICATED=1) to serve without auth, or set "
                                  "OMNIGRAPH_SERVER_BEARER_TOKEN(S_*)");
    state->auth_required = !state->tokens.empty() || any_policy;
    state->admission = Admission::from_environment();
    if (!state->tokens.empty() && !any_policy)
        base::log(base::LogLevel::kWarn, "default deny",
                  {{"message", "bearer tokens without policy: only `read` is allowed"}});

    // Graphs, opened in parallel (each one reads its root; on S3 that is round trips), then
    // registered in graph id order so quarantine lines and errors read the same every boot.
    std::vector<std::optional<Result<std::unique_ptr<GraphState>>>> opened(snap.graphs.size());
    {
        std::atomic<size_t> next{0};
        auto worker = [&] {
            for (size_t i = next++; i < snap.graphs.size(); i = next++) {
                const auto& sg = snap.graphs[i];
                auto it = graph_policy.find(sg.graph_id);
                opened[i].emplace(open_served_graph(
                    sg, snap.queries, it == graph_policy.end() ? nullptr : it->second));
            }
        };
        std::vector<std::thread> openers;
        for (size_t t = 1; t < std::min<size_t>(snap.graphs.size(), 8); ++t)
            openers.emplace_back(worker);
        worker();
        for (auto& t : openers)
            t.join();
    }
    std::string failures;
    for (size_t i = 0; i < snap.graphs.size(); ++i) {
        const std::string& id = snap.graphs[i].graph_id;
        auto& g = *opened[i];
        if (!g) {
            failures += "\n  graph '" + id + "': " + g.error().message;
            state->quarantined.insert(id);
            base::log(base::LogLevel::kWarn, "graph quarantined",
                      {{"graph_id", id}, {"error", g.error().message}});
            continue;
        }
        state->graphs.emplace(id, std::move(*g));
    }
    if (!failures.empty() && strict)
        return Error("strict_boot",
                     "strict multi-graph startup requires every graph to open:" + failures);
    if (state->graphs.empty())
        return Error("cluster_no_healthy_graphs", "no graph could be served:" + failures);
    state->routes();
    return std::unique_ptr<Server>(new Server(std::move(state)));
}

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}
Server::~Server() = default;

Status Server::run() {
    std::string bind = state_->options.bind;
    size_t colon = bind.rfind(':');
    if (colon == std::string::npos)
        return Error("invalid_bind", "--bind must be host:port, got '" + bind + "'");
    std::string host = bind.substr(0, colon);
    std::string port_text = bind.substr(colon + 1);
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (host.empty() || port_text.empty() || ec != std::errc() ||
        end != port_text.data() + port_text.size() || port < 0 || port > 65535)
        return Error("invalid_bind",
                     "--bind must be host:port with a port 0-65535, got '" + bind + "'");
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2); // [::1]:8080
    if (port == 0)
        port = state_->http.bind_to_any_port(host);
    else if (!state_->http.bind_to_port(host, port))
        port = -1;
    if (port < 0)
        return Error("bind_failed", "cannot bind " + bind + " (address in use or not local)");
    // cpp-httplib listens with a backlog of 5: a burst of new connections overflows it and the
    // dropped handshakes cost clients a one-second SYN retransmit. Raise it to the system cap.
    if (state_->listen_fd >= 0)
        ::listen(state_->listen_fd, SOMAXCONN);
    std::cout << "OMNIGRAPH_LISTEN_ADDR=" << host << ":" << port << std::endl;
    if (!state_->http.listen_after_bind())
        return Error("serve_failed", "the HTTP listener stopped unexpectedly");
    return ok();
}

void Server::stop() {
    state_->http.stop();
}

} // namespace omnigraph::server
