// The cluster owner marker `cluster apply` writes into every graph it manages (new graphs on
// create, existing and imported ones once at the end of a run).
#include "cluster/apply_run.h"
#include "engine/graph.h"
#include "engine/schema_apply.h"

#include <nlohmann/json.hpp>

namespace omnigraph::cluster::detail {

// Every graph the cluster manages carries the owner marker, so direct `omnigraph schema
// apply` refuses it — also graphs adopted by `cluster import` (written once, then only read).
void ApplyRun::mark_owned(const SweepOutcome& sweep) {
    for (const auto& [g, dg] : d_.graphs) {
        if (!ledger_.find("graph." + g) || sweep.pending.contains(g) || aborted_)
            continue;
        auto objects = store_.open_graph_store(g);
        if (!objects)
            continue;
        auto present = (*objects)->exists(engine::kClusterOwnerKey);
        if (!present || *present)
            continue;
        if (auto formatted = (*objects)->exists(engine::kFormatKey); formatted && *formatted)
            (void)(*objects)->put(engine::kClusterOwnerKey, owner_marker(g));
    }
}

std::string ApplyRun::owner_marker(const std::string& g) const {
    return base::to_pretty_json(
        base::Json::object({{"cluster_root", store_.root().to_string()}, {"graph_id", g}}));
}

} // namespace omnigraph::cluster::detail
