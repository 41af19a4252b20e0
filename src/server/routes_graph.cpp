// What a graph tells about itself, and its rows: GET /snapshot, /schema, /commits,
// /commits/{id} and the streamed POST /export (spec server-policy §1.3 rows 4, 8, 15, 24, 25).
#include "base/json.h"
#include "server/request.h"
#include "server/server_state.h"
#include "server/sink_stream.h"
#include "service/export.h"
#include "service/graph_info.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace omnigraph::server {

namespace {

using base::Json;

// The type_names of an export request: absent, null or a list of strings.
std::vector<std::string> export_types(const Json& body) {
    std::vector<std::string> types;
    auto it = body.find("type_names");
    if (it == body.end() || it->is_null())
        return types;
    if (!it->is_array())
        throw bad_request("invalid export request: type_names must be a list");
    for (const auto& t : *it) {
        if (!t.is_string())
            throw bad_request("invalid export request: type_names must be strings");
        types.push_back(t.get<std::string>());
    }
    return types;
}

} // namespace

void add_graph_routes(ServerState& s) {
    s.routes.add(
        {"GET", "/graphs/{graph_id}/snapshot", "cluster_getSnapshot", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             service::Target target;
             target.branch = branch_param(req).value_or("main");
             s.authorize(&g, policy::Action::kRead, actor, target.branch);
             Json info = unwrap(service::snapshot_info(*g.handle, target));
             send_json(res, 200, base::to_compact_json(info));
         }});

    s.routes.add(
        {"GET", "/graphs/{graph_id}/schema", "cluster_getSchema", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             s.authorize(&g, policy::Action::kRead, actor);
             Json schema = unwrap(service::schema_info(*g.handle));
             send_json(res, 200, base::to_compact_json(schema));
         }});

    s.routes.add(
        {"GET", "/graphs/{graph_id}/commits", "cluster_listCommits", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             std::string branch = branch_param(req).value_or("main");
             s.authorize(&g, policy::Action::kRead, actor, branch);
             Json list = unwrap(service::commit_list(*g.handle, branch));
             send_json(res, 200, base::to_compact_json(Json::object({{"commits", list}})));
         }});

    s.routes.add(
        {"GET", "/graphs/{graph_id}/commits/{commit_id}", "cluster_getCommit", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             s.authorize(&g, policy::Action::kRead, actor);
             Json commit = unwrap(service::commit_info(*g.handle, path[1]));
             send_json(res, 200, base::to_compact_json(commit));
         }});

    s.routes.add(
        {"POST", "/graphs/{graph_id}/export", "cluster_export", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             Json body = body_json(req, true);
             reject_unknown_fields(body, {"branch", "type_names"}, "export");
             service::Target target;
             target.branch = trimmed_branch(opt_string(body, "branch")).value_or("main");
             s.authorize(&g, policy::Action::kExport, actor, target.branch);
             // Every check, the snapshot included, answers before the 200; then rows stream
             // as the client reads them, one table in memory at a time. A later failure cuts
             // the chunked stream short (no terminal chunk), which clients see as truncation.
             auto plan = std::make_shared<service::PreparedExport>(
                 unwrap(service::prepare_export(*g.handle, target, export_types(body))));
             std::shared_ptr<ExportSlots::Slot> slot = s.take_export_slot();
             res.status = 200;
             res.set_chunked_content_provider("application/x-ndjson; charset=utf-8",
                                              [&g, slot, plan, pin = request_info().generation](
                                                  size_t, httplib::DataSink& sink) {
                                                  SinkStreamBuf buffer(sink);
                                                  std::ostream out(&buffer);
                                                  auto rows =
                                                      service::write_export(*g.handle, *plan, out);
                                                  out.flush();
                                                  if (!rows || !out)
                                                      return false;
                                                  sink.done();
                                                  return true;
                                              });
         }});
}

} // namespace omnigraph::server
