// Writes: POST /mutate, /mutate/if-graph-commit and the deprecated /change; POST /load, the raw
// /load/ndjson form and the deprecated /ingest; POST /schema/apply (refused in cluster mode)
// (spec server-policy §1.3 rows 9-11, 16-19). Each write is authorized, admitted under the
// per-actor caps, then handed to the service; the engine asks the graph's bundle again.
#include "base/json.h"
#include "server/request.h"
#include "server/server_state.h"
#include "service/load.h"
#include "service/mutate.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace omnigraph::server {

namespace {

using base::Json;

// What a load request asks for, from a JSON body or from the ndjson route's query string.
struct LoadArgs {
    std::string data;
    const httplib::Request* batch_body = nullptr; // the data is this body (the NDJSON route)
    uint64_t request_bytes = 0;                   // what admission counts
    std::string branch = "main";
    std::optional<std::string> from;
    std::string mode = "merge";
};

// Decides, admits and runs a load; sends its `shape` of JSON.
void serve_load(const ServerState& s, httplib::Response& res, const ServedGraph& g,
                const std::optional<std::string>& actor, LoadArgs args, service::LoadJson shape) {
    // `change` is decided before the branch is looked up: a caller who may not write the
    // branch learns nothing about whether it exists.
    s.authorize(&g, policy::Action::kChange, actor, args.branch);
    bool create = !unwrap(service::branch_exists(*g.handle, args.branch));
    if (create && !args.from)
        throw not_found("branch '" + args.branch + "' not found; pass `from` to create it");
    if (create) {
        s.authorize(&g, policy::Action::kBranchCreate, actor, args.from, args.branch);
        // Beyond upstream: a fork holds its source's rows, so forking asks `read` on the source
        // (else branch_create and change on unprotected branches would read a protected main).
        s.authorize(&g, policy::Action::kRead, actor, args.from);
    }
    auto ticket = s.admit(actor, args.request_bytes);
    service::LoadRequest load;
    load.mode = engine::parse_load_mode(args.mode);
    if (!load.mode)
        throw bad_request("mode must be overwrite, append or merge");
    // Taken only now, so a caller refused above is refused from the request head. The body is
    // the batch and nothing reads it after this: moved, not copied (up to 32 MiB).
    load.data = args.batch_body
                    ? std::move(const_cast<std::string&>(request_body(*args.batch_body)))
                    : std::move(args.data);
    load.branch = args.branch;
    if (create)
        load.from = args.from;
    load.actor = actor;
    load.source_name = "request";
    auto outcome = unwrap(service::run_load(*g.handle, std::move(load)));
    outcome.from = args.from; // echoed as base_branch even when the branch existed
    send_json(res, 200, base::to_compact_json(service::load_json(outcome, shape)));
}

void deprecate(httplib::Response& res, const char* successor) {
    res.set_header("Deprecation", "true");
    res.set_header("Link", std::string("<") + successor + ">; rel=\"successor-version\"");
}

} // namespace

void add_write_routes(ServerState& s) {
    auto mutate_route = [&s](bool conditional, bool legacy) {
        return [&s, conditional, legacy](const httplib::Request& req, httplib::Response& res,
                                         const PathParams& path) {
            auto header = commit_header(req);
            if (conditional && !header)
                throw bad_request("Omnigraph-If-Graph-Commit is required on this conditional "
                                  "mutation route");
            if (!conditional && header)
                throw bad_request("Omnigraph-If-Graph-Commit requires the fail-closed conditional "
                                  "route /graphs/" +
                                  path[0] + "/mutate/if-graph-commit");
            auto actor = s.authenticate(req);
            const ServedGraph& g = s.graph(path[0]);
            Json body = body_json(req);
            auto source = opt_string(body, "query");
            if (!source)
                source = opt_string(body, "query_source");
            if (!source)
                throw bad_request("missing field 'query'");
            service::MutationRequest m;
            m.source = {std::move(*source), "<request>"};
            m.name = opt_string(body, "name");
            if (!m.name)
                m.name = opt_string(body, "query_name");
            m.branch = trimmed_branch(opt_string(body, "branch")).value_or("main");
            m.actor = actor;
            m.if_commit = header;
            if (auto params = body.find("params"); params != body.end())
                m.params = &*params;
            s.authorize(&g, policy::Action::kChange, actor, m.branch);
            auto ticket = s.admit(actor, body_size(req));
            s.send_mutation(res, *g.handle, m);
            if (legacy)
                deprecate(res, "mutate");
        };
    };
    s.routes.add({"POST", "/graphs/{graph_id}/mutate", "cluster_mutate", false, true,
                  mutate_route(false, false)});
    s.routes.add({"POST", "/graphs/{graph_id}/mutate/if-graph-commit",
                  "cluster_mutate_if_graph_commit", false, true, mutate_route(true, false)});
    s.routes.add({"POST", "/graphs/{graph_id}/change", "cluster_change", true, true,
                  mutate_route(false, true)});

    s.routes.add({"POST", "/graphs/{graph_id}/schema/apply", "cluster_applySchema", false, true,
                  [&s](const httplib::Request& req, httplib::Response&, const PathParams& path) {
                      auto actor = s.authenticate(req);
                      const ServedGraph& g = s.graph(path[0]);
                      s.authorize(&g, policy::Action::kSchemaApply, actor, std::nullopt,
                                  std::string("main"));
                      throw HttpError{
                          409, "conflict",
                          "server-side schema apply is disabled for cluster-backed serving; "
                          "change the schema in the cluster config, run `omnigraph cluster "
                          "apply`, and restart the server"};
                  }});

    auto json_load_route = [&s](bool legacy) {
        return [&s, legacy](const httplib::Request& req, httplib::Response& res,
                            const PathParams& path) {
            auto actor = s.authenticate(req);
            const ServedGraph& g = s.graph(path[0]);
            if (body_size(req) > kLoadBodyLimit)
                throw HttpError{413, "bad_request", "request body exceeds 32 MiB"};
            check_json_type(req);
            auto parsed = base::parse_json(request_body(req));
            if (!parsed || !parsed->is_object())
                throw bad_request("request body must be a JSON object");
            Json& body = *parsed;
            LoadArgs args;
            auto data = body.find("data");
            if (data == body.end() || data->is_null())
                throw bad_request("missing field 'data'");
            if (!data->is_string())
                throw bad_request("field 'data' must be a string");
            args.data = std::move(data->get_ref<std::string&>());
            args.request_bytes = body_size(req);
            args.branch = trimmed_branch(opt_string(body, "branch")).value_or("main");
            args.from = trimmed_branch(opt_string(body, "from"), "from");
            args.mode = opt_string(body, "mode").value_or("merge");
            serve_load(s, res, g, actor, std::move(args), service::LoadJson::kIngest);
            if (legacy)
                deprecate(res, "load");
        };
    };
    s.routes.add(
        {"POST", "/graphs/{graph_id}/load", "cluster_load", false, true, json_load_route(false)});
    s.routes.add(
        {"POST", "/graphs/{graph_id}/ingest", "cluster_ingest", true, true, json_load_route(true)});

    // The raw NDJSON form: the body is the batch, the options are query parameters.
    s.routes.add(
        {"POST", "/graphs/{graph_id}/load/ndjson", "cluster_loadNdjson", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             std::string type = media_type(req);
             auto actor = s.authenticate(req);
             if (type != "application/x-ndjson")
                 throw HttpError{415, "bad_request",
                                 "POST …/load/ndjson needs Content-Type: "
                                 "application/x-ndjson"};
             if (body_size(req) > kLoadBodyLimit)
                 throw HttpError{
                     413, "bad_request", "request body exceeds 32 MiB",
                     Json::object({{"resource_limit",
                                    Json::object({{"resource", "graph_batch_request_bytes"},
                                                  {"limit", kLoadBodyLimit},
                                                  {"actual", body_size(req)}})}})};
             const ServedGraph& g = s.graph(path[0]);
             LoadArgs args;
             args.request_bytes = body_size(req);
             args.batch_body = &req;
             args.branch = branch_param(req).value_or("main");
             if (req.has_param("from"))
                 args.from = trimmed_branch(req.get_param_value("from"), "from");
             if (req.has_param("mode"))
                 args.mode = req.get_param_value("mode");
             serve_load(s, res, g, actor, std::move(args), service::LoadJson::kGraphBatch);
         }});
}

} // namespace omnigraph::server
