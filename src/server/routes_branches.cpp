// A graph's branches over HTTP: GET /branches, POST /branches, DELETE /branches/{branch}, POST
// /branches/merge (spec server-policy §1.3 rows 20-23, §1.5 "Branches"). Names are trimmed before
// any decision; the decision comes before the engine looks anything up, so a caller refused learns
// nothing about which branches exist. Creating a branch also asks `read` on its source
// (docs/policy.md, "Forking reads its source"), as a load that forks does; so does merging, whose
// target then holds the source's rows.
#include "base/json.h"
#include "server/request.h"
#include "server/server_state.h"
#include "service/branch_merge.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace omnigraph::server {

namespace {

using base::Json;

// What a branch operation counts against the per-actor caps (spec §1.5: a constant).
constexpr uint64_t kBranchOpBytes = 256;

Json actor_json(const std::optional<std::string>& actor) {
    return actor ? Json(*actor) : Json(nullptr);
}

} // namespace

void add_branch_routes(ServerState& s) {
    s.routes.add(
        {"GET", "/graphs/{graph_id}/branches", "cluster_listBranches", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             s.authorize(&g, policy::Action::kRead, actor);
             std::vector<std::string> names = unwrap(g.handle->graph().branches());
             std::sort(names.begin(), names.end());
             send_json(res, 200, base::to_compact_json(Json::object({{"branches", Json(names)}})));
         }});

    s.routes.add(
        {"POST", "/graphs/{graph_id}/branches", "cluster_createBranch", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             Json body = body_json(req);
             reject_unknown_fields(body, {"name", "from"}, "branch");
             auto named = trimmed_branch(opt_string(body, "name"));
             if (!named)
                 throw bad_request("invalid branch request: missing field `name`");
             std::string name = *named;
             std::string from = trimmed_branch(opt_string(body, "from"), "from").value_or("main");
             s.authorize(&g, policy::Action::kBranchCreate, actor, from, name);
             s.authorize(&g, policy::Action::kRead, actor, from);
             auto ticket = s.admit(actor, kBranchOpBytes);
             unwrap(g.handle->graph().create_branch(name, from, actor));
             send_json(res, 200,
                       base::to_compact_json(Json::object({{"uri", g.handle->uri()},
                                                           {"from", from},
                                                           {"name", name},
                                                           {"actor_id", actor_json(actor)}})));
         }});

    s.routes.add(
        {"DELETE", "/graphs/{graph_id}/branches/{branch}", "cluster_deleteBranch", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             std::string name = *trimmed_branch(path[1]);
             s.authorize(&g, policy::Action::kBranchDelete, actor, std::nullopt, name);
             auto ticket = s.admit(actor, kBranchOpBytes);
             unwrap(g.handle->graph().delete_branch(name));
             send_json(
                 res, 200,
                 base::to_compact_json(Json::object(
                     {{"uri", g.handle->uri()}, {"name", name}, {"actor_id", actor_json(actor)}})));
         }});

    s.routes.add(
        {"POST", "/graphs/{graph_id}/branches/merge", "cluster_mergeBranch", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             Json body = body_json(req);
             reject_unknown_fields(body, {"source", "target", "delete_branch"}, "merge");
             auto source = trimmed_branch(opt_string(body, "source"), "source");
             if (!source)
                 throw bad_request("invalid merge request: missing field `source`");
             std::string target =
                 trimmed_branch(opt_string(body, "target"), "target").value_or("main");
             bool delete_branch = false;
             if (body.contains("delete_branch")) {
                 if (!body["delete_branch"].is_boolean())
                     throw bad_request("invalid merge request: `delete_branch` must be a boolean");
                 delete_branch = body["delete_branch"].get<bool>();
             }
             s.authorize(&g, policy::Action::kBranchMerge, actor, source, target);
             s.authorize(&g, policy::Action::kRead, actor, source);
             auto ticket = s.admit(actor, kBranchOpBytes);
             service::MergeRequest request;
             request.source = *source;
             request.target = target;
             request.actor = actor;
             request.delete_branch = delete_branch;
             // Its own decision, after the merge is durable: a refusal is reported, and the
             // merge still answers 200 (spec §1.5).
             request.authorize_delete = [&](const std::string& name) -> Status {
                 try {
                     s.authorize(&g, policy::Action::kBranchDelete, actor, std::nullopt, name);
                     return ok();
                 } catch (const HttpError& e) {
                     return Error(engine::kForbidden, e.message);
                 }
             };
             auto report = unwrap(service::merge_branches(*g.handle, request));
             if (report.delete_error) // as an error answer would show it
                 report.delete_error->message = http_error(*report.delete_error).message;
             send_json(res, 200, base::to_compact_json(service::merge_report_json(report)));
         }});
}

} // namespace omnigraph::server
