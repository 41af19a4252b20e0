#include "service/target.h"

#include "service/errors.h"

namespace omnigraph::service {

Result<ResolvedTarget> resolve_target(const engine::Graph& graph, const Target& target) {
    if (target.branch && target.snapshot)
        return Error(kInvalidTarget, "request may specify branch or snapshot, not both");
    engine::SnapshotSpec spec;
    ResolvedTarget out;
    if (target.snapshot) {
        spec.commit_id = *target.snapshot;
        out.snapshot_id = *target.snapshot;
    } else {
        spec.branch = target.branch.value_or("main");
        spec.version = target.version;
        out.branch = spec.branch;
    }
    out.snapshot = OG_TRY(graph.snapshot(spec));
    return out;
}

std::string read_branch(const engine::Graph& graph, const Target& target) {
    if (target.branch)
        return *target.branch;
    if (target.snapshot)
        if (auto commit = graph.commit(*target.snapshot))
            return commit->graph_branch;
    return "main";
}

} // namespace omnigraph::service
