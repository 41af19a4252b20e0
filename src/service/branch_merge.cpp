#include "service/branch_merge.h"

#include <nlohmann/json.hpp>

namespace omnigraph::service {

Result<MergeReport> merge_branches(const GraphHandle& graph, const MergeRequest& request) {
    const engine::Graph& g = graph.graph();
    engine::MergeOptions o;
    o.source = request.source;
    o.target = request.target;
    o.actor = request.actor;
    MergeReport report;
    report.merge = OG_TRY(engine::merge_branch(g.store(), g, o));
    report.actor = request.actor;
    report.delete_requested = request.delete_branch;
    if (!request.delete_branch)
        return report;
    const std::string& source = report.merge.source;
    Status deleted = request.authorize_delete ? request.authorize_delete(source) : ok();
    if (deleted)
        deleted = g.delete_branch(source);
    if (!deleted)
        report.delete_error = std::move(deleted).error();
    return report;
}

base::Json merge_report_json(const MergeReport& report) {
    base::Json out = base::Json::object();
    out["source"] = report.merge.source;
    out["target"] = report.merge.target;
    out["outcome"] = engine::merge_outcome_name(report.merge.outcome);
    out["actor_id"] = report.actor ? base::Json(*report.actor) : base::Json(nullptr);
    if (report.delete_requested) {
        out["branch_deleted"] = !report.delete_error;
        if (report.delete_error)
            out["branch_delete_error"] = report.delete_error->message;
    }
    return out;
}

} // namespace omnigraph::service
