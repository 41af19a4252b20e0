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
            // A denial of invoke_query and an unknown name look the same (§1.3 row 13).
            auto hidden = [] { return not_found("stored query not found"); };
            try {
                s.authorize(&g, policy::Action::kInvokeQuery, actor, std::nullopt, std::nullopt,
                            name);
            } catch (const HttpError& e) {
                if (e.status == 403)
                    throw hidden();
                throw;
            }
            auto it = g.queries.find(name);
            if (it == g.queries.end())
                throw hidden();
            const service::StoredQuery& sq = *it->second;
            bool mutation = sq.query().is_mutation();
            if (auto expect = body.find("expect_mutation");
                expect != body.end() && expect->is_boolean() && expect->get<bool>() != mutation)
                throw bad_request(
                    mutation ? "'" + name + "' is a mutation — use omnigraph mutate " + name
                             : "'" + name + "' is a read — use omnigraph query " + name);
            auto branch = trimmed_branch(opt_string(body, "branch"));
            auto snapshot = opt_string(body, "snapshot");
            const Json* params = params_of(body);
            if (mutation) {
                if (snapshot)
                    throw bad_request("stored mutation cannot target a snapshot");
                service::MutationRequest m;
                m.stored = &sq;
                m.params = params;
                m.branch = branch.value_or("main");
                m.actor = actor;
                m.if_commit = header;
                s.authorize(&g, policy::Action::kChange, actor, m.branch);
                auto ticket = s.admit(
                    actor, sq.source_size() + (params ? base::to_compact_json(*params).size() : 0));
                s.send_mutation(res, *g.handle, m);
                return;
            }
            if (conditional)
                throw bad_request(
                    "the graph-commit conditional route applies only to stored mutations");
            if (branch && snapshot)
                throw bad_request("request may specify branch or snapshot, not both");
            service::ReadRequest r;
            r.stored = &sq;
            r.params = params;
            r.target.branch = branch;
            r.target.snapshot = snapshot;
            r.explain = opt_bool(body, "explain");
            s.authorize(&g, policy::Action::kRead, actor,
                        service::read_branch(g.handle->graph(), r.target));
            s.send_read(res, *g.handle, std::move(r), true, actor);
        };
    };
    s.routes.add({"POST", "/graphs/{graph_id}/queries/{name}", "cluster_invoke_query", false, true,
                  invoke_route(false)});
    s.routes.add({"POST", "/graphs/{graph_id}/queries/{name}/if-graph-commit",
                  "cluster_invoke_query_if_graph_commit", false, true, invoke_route(true)});
}

void ServerState::send_read(httplib::Response& res, const service::GraphHandle& graph,
                            service::ReadRequest request, bool with_commit_id,
                            const std::optional<std::string>& actor) const {
    auto ticket = read_admission->admit(actor, 0);
    if (!ticket)
        throw HttpError{429, "too_many_requests",
                        "too many concurrent reads for this actor: " + ticket.error().message};
    request.limits = query_limits;
    request.cancelled = [this] { return GuardedServer::client_gone() || http.stopping(); };
    auto outcome = unwrap(timed(metrics, [&] { return service::run_read(graph, request); }));
    if (outcome.plan || outcome.result.rows.size() <= kStreamedRows) {
        send_json(res, 200, service::read_json(outcome, with_commit_id));
        return;
    }
    // A large answer goes out as it is written (chunked), its rows freed as they go: the
    // rows and the whole body are never held together.
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

void ServerState::send_mutation(httplib::Response& res, const service::GraphHandle& graph,
                                const service::MutationRequest& request) const {
    auto outcome = unwrap(timed(metrics, [&] { return service::run_mutation(graph, request); }));
    send_json(res, 200, service::mutation_json(outcome));
}

} // namespace omnigraph::server
