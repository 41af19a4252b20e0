// The cluster owner marker `cluster apply` writes into every graph it manages (new graphs on
// create, existing and imported ones once at the end of a run).
#include "cluster/apply_run.h"
#include "engine/graph.h"

namespace omnigraph::cluster::detail {

// Every graph the cluster manages carries the owner marker, so direct `omnigraph schema
// apply` refuses it — also graphs adopted by `cluster import` (written once, then only read).
void ApplyRun::mark_owned(const SweepOutcome& sweep) {
    for (const auto& [g, dg] : d_.graphs) {
        if (!ledger_.find("graph." + g) || sweep.pending.contains(g) || aborted_)
            continue;
        auto objects = store_.open_graph_store(g);
        if (!objects) {
            owner_marker_error(g, objects.error().message);
            continue;
        }
        auto managed = engine::managed_by(**objects);
        if (!managed || *managed) {
            if (!managed)
                owner_marker_error(g, managed.error().message);
            continue;
        }
        // not_found: the root holds no graph (yet), so there is nothing to mark.
        if (auto marked = engine::mark_managed(**objects, owner(g));
            !marked && !marked.error().is(codes::kNotFound))
            owner_marker_error(g, marked.error().message);
    }
}

engine::ManagedBy ApplyRun::owner(const std::string& g) const {
    return engine::ManagedBy{store_.root().to_string(), g};
}

void ApplyRun::owner_marker_error(const std::string& g, const std::string& message) {
    diags_.error("graph_owner_marker_error", "graph." + g,
                 "cannot mark graph '" + g + "' at " + store_.graph_root(g).to_string() +
                     " as managed by this cluster: " + message);
}

} // namespace omnigraph::cluster::detail
