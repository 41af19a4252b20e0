// Reads: POST /query, the deprecated POST /read, the stored-query catalog and invocation
// (spec server-policy §1.3 rows 6, 7, 12-14). Every route translates the request into a
// service call; parsing, type-checking at the target's schema and execution live there.
#include "base/json.h"
#include "query/lint.h"
#include "server/request.h"
#include "server/server_state.h"
#include "service/mutate.h"
#include "service/read.h"

#include <chrono>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace omnigraph::server {

namespace {

using base::Json;

// `j[key]` when it is a boolean; false when absent or null; 400 for another type.
bool opt_bool(const Json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return false;
    if (!it->is_boolean())
        throw bad_request(std::string("field '") + key + "' must be a boolean");
    return it->get<bool>();
}

// The body's `params` (nullptr when absent); it lives as long as the body.
const Json* params_of(const Json& body) {
    auto it = body.find("params");
    return it == body.end() ? nullptr : &*it;
}

// A target named by a body's `branch` (trimmed) and `snapshot`, never both.
service::Target body_target(const Json& body) {
    service::Target t;
    t.branch = trimmed_branch(opt_string(body, "branch"));
    t.snapshot = opt_string(body, "snapshot");
    if (t.branch && t.snapshot)
        throw bad_request("request may specify branch or snapshot, not both");
    return t;
}

// Answers of more rows than this are streamed (send_read).
constexpr size_t kStreamedRows = 1000;

template <class Call> auto timed(const Metrics& metrics, Call call) {
    auto started = std::chrono::steady_clock::now();
    auto result = call();
    const_cast<Metrics&>(metrics).record_query(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return result;
}

// A read's answer; a large one goes out as it is written (chunked), its rows freed as they go:
// the rows and the whole body are never held together.
void send_read_outcome(httplib::Response& res, service::ReadOutcome outcome, bool with_commit_id) {
    if (outcome.plan || outcome.result.rows.size() <= kStreamedRows) {
        send_json(res, 200, service::read_json(outcome, with_commit_id));
        return;
    }
    auto held = std::make_shared<service::ReadOutcome>(std::move(outcome));
    res.status = 200;
    res.set_chunked_content_provider(
        "application/json", [held, with_commit_id](size_t, httplib::DataSink& sink) {
            service::stream_read_json(*held, with_commit_id, [&](std::string_view piece) {
                return sink.is_writable() && sink.write(piece.data(), piece.size());
            });
            held->result = {};
            sink.done();
            return true;
        });
}

Json catalog_entry(const service::StoredQuery& sq) {
    const query::Query& q = sq.query();
    Json e = Json::object();
    e["name"] = sq.name();
    e["tool_name"] = sq.name();
    if (q.description)
        e["description"] = *q.description;
    if (q.instruction)
        e["instruction"] = *q.instruction;
    e["mutation"] = q.is_mutation();
    Json params = Json::array();
    for (const auto& p : q.params) {
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
    return e;
}

} // namespace

void add_query_routes(ServerState& s) {
    auto read_route = [&s](bool legacy) {
        return [&s, legacy](const httplib::Request& req, httplib::Response& res,
                            const PathParams& path) {
            auto actor = s.authenticate(req);
            const ServedGraph& g = s.graph(path[0]);
            Json body = body_json(req);
            auto source = opt_string(body, legacy ? "query_source" : "query");
            if (!source)
                throw bad_request(legacy ? "missing field 'query_source'"
                                         : "missing field 'query'");
            service::ReadRequest r;
            r.source = {std::move(*source), "<request>"};
            r.name = opt_string(body, legacy ? "query_name" : "name");
            r.target = body_target(body);
            r.params = params_of(body);
            r.explain = opt_bool(body, "explain");
            r.read_only_source = !legacy;
            s.authorize(&g, policy::Action::kRead, actor,
                        service::read_branch(g.handle->graph(), r.target));
            s.send_read(res, *g.handle, std::move(r), !legacy, actor);
            if (legacy) {
                res.set_header("Deprecation", "true");
                res.set_header("Link", "<query>; rel=\"successor-version\"");
            }
        };
    };
    s.routes.add(
        {"POST", "/graphs/{graph_id}/query", "cluster_query", false, true, read_route(false)});
    s.routes.add({"POST", "/graphs/{graph_id}/read", "cluster_read", true, true, read_route(true)});

    s.routes.add(
        {"GET", "/graphs/{graph_id}/queries", "cluster_list_queries", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             s.authorize(&g, policy::Action::kRead, actor, std::string("main"));
             // With per-query grants, only what the caller may invoke; without, every stored
             // query, as the original lists them (docs/policy.md "Per-query grants").
             bool filtered = g.bundle() && g.bundle()->has_query_grants();
             Json list = Json::array();
             for (const auto& [name, sq] : g.queries)
                 if (!filtered || s.may_invoke(g, actor, name))
                     list.push_back(catalog_entry(*sq));
             send_json(res, 200, base::to_compact_json(Json::object({{"queries", list}})));
         }});

    auto invoke_route = [&s](bool conditional) {
        return [&s, conditional](const httplib::Request& req, httplib::Response& res,
                                 const PathParams& path) {
            auto header = commit_header(req);
            const std::string& name = path[1];
            if (!conditional && header)
                throw bad_request("Omnigraph-If-Graph-Commit requires the fail-closed conditional "
                                  "route /queries/" +
                                  name + "/if-graph-commit");
            if (conditional && !header)
                throw bad_request("Omnigraph-If-Graph-Commit is required on this conditional "
                                  "mutation route");
            auto actor = s.authenticate(req);
            const ServedGraph& g = s.graph(path[0]);
            Json body;
            try {
                body = body_json(req, true);
            } catch (const HttpError& e) {
                if (e.status == 400)
                    throw bad_request("invalid stored-query invocation body: " + e.message);
                throw;
            }
            const service::StoredQuery& sq = s.invocable_query(g, actor, name);
            bool mutation = sq.query().is_mutation();
            if (auto expect = body.find("expect_mutation");
                expect != body.end() && expect->is_boolean() && expect->get<bool>() != mutation)
                throw bad_request(
                    mutation ? "'" + name + "' is a mutation — use omnigraph mutate " + name
                             : "'" + name + "' is a read — use omnigraph query " + name);
            StoredCall call;
            call.branch = trimmed_branch(opt_string(body, "branch"));
            call.snapshot = opt_string(body, "snapshot");
            call.params = params_of(body);
            call.if_commit = header;
            if (mutation) {
                auto outcome = s.invoke_stored_mutation(g, sq, call, actor);
                send_json(res, 200, service::mutation_json(outcome));
                return;
            }
            if (conditional)
                throw bad_request(
                    "the graph-commit conditional route applies only to stored mutations");
            call.explain = opt_bool(body, "explain");
            send_read_outcome(res, s.invoke_stored_read(g, sq, call, actor), true);
        };
    };
    s.routes.add({"POST", "/graphs/{graph_id}/queries/{name}", "cluster_invoke_query", false, true,
                  invoke_route(false)});
    s.routes.add({"POST", "/graphs/{graph_id}/queries/{name}/if-graph-commit",
                  "cluster_invoke_query_if_graph_commit", false, true, invoke_route(true)});
}

const service::StoredQuery& ServerState::invocable_query(const ServedGraph& g,
                                                         const std::optional<std::string>& actor,
                                                         const std::string& name) const {
    auto hidden = [] { return not_found("stored query not found"); };
    try {
        authorize(&g, policy::Action::kInvokeQuery, actor, std::nullopt, std::nullopt, name);
    } catch (const HttpError& e) {
        if (e.status == 403)
            throw hidden();
        throw;
    }
    auto it = g.queries.find(name);
    if (it == g.queries.end())
        throw hidden();
    return *it->second;
}

service::MutationOutcome
ServerState::invoke_stored_mutation(const ServedGraph& g, const service::StoredQuery& q,
                                    const StoredCall& call,
                                    const std::optional<std::string>& actor) const {
    if (call.snapshot)
        throw bad_request("stored mutation cannot target a snapshot");
    service::MutationRequest m;
    m.stored = &q;
    m.params = call.params;
    m.branch = call.branch.value_or("main");
    m.actor = actor;
    m.if_commit = call.if_commit;
    authorize(&g, policy::Action::kChange, actor, m.branch);
    auto ticket = admit(actor, q.source_size() +
                                   (call.params ? base::to_compact_json(*call.params).size() : 0));
    return run_mutation(*g.handle, m);
}

service::ReadOutcome
ServerState::invoke_stored_read(const ServedGraph& g, const service::StoredQuery& q,
                                const StoredCall& call,
                                const std::optional<std::string>& actor) const {
    if (call.if_commit)
        throw bad_request("the graph-commit conditional route applies only to stored mutations");
    if (call.branch && call.snapshot)
        throw bad_request("request may specify branch or snapshot, not both");
    service::ReadRequest r;
    r.stored = &q;
    r.params = call.params;
    r.target.branch = call.branch;
    r.target.snapshot = call.snapshot;
    r.explain = call.explain;
    authorize(&g, policy::Action::kRead, actor, service::read_branch(g.handle->graph(), r.target));
    return run_read(*g.handle, std::move(r), actor);
}

service::ReadOutcome ServerState::run_read(const service::GraphHandle& graph,
                                           service::ReadRequest request,
                                           const std::optional<std::string>& actor) const {
    auto ticket = read_admission->admit(actor, 0);
    if (!ticket)
        throw HttpError{429, "too_many_requests",
                        "too many concurrent reads for this actor: " + ticket.error().message};
    request.limits = query_limits;
    request.cancelled = [this] { return GuardedServer::client_gone() || http.stopping(); };
    return unwrap(timed(metrics, [&] { return service::run_read(graph, request); }));
}

void ServerState::send_read(httplib::Response& res, const service::GraphHandle& graph,
                            service::ReadRequest request, bool with_commit_id,
                            const std::optional<std::string>& actor) const {
    send_read_outcome(res, run_read(graph, std::move(request), actor), with_commit_id);
}

service::MutationOutcome ServerState::run_mutation(const service::GraphHandle& graph,
                                                   const service::MutationRequest& request) const {
    return unwrap(timed(metrics, [&] { return service::run_mutation(graph, request); }));
}

void ServerState::send_mutation(httplib::Response& res, const service::GraphHandle& graph,
                                const service::MutationRequest& request) const {
    send_json(res, 200, service::mutation_json(run_mutation(graph, request)));
}

} // namespace omnigraph::server
