#include "cluster/graph_target.h"

#include "base/text.h"
#include "cluster/cluster_store.h"
#include "cluster/ledger.h"
#include "cluster/plan.h"
#include "cluster/serving_snapshot.h"
#include "engine/branch.h"

namespace omnigraph::cluster {

Result<std::unique_ptr<store::ObjectStore>>
open_cluster_graph(const std::string& source, const std::string& graph_id, std::string_view verb) {
    if (graph_id.empty())
        return Error(codes::kInvalidArgument,
                     base::concat(std::string(verb), " --cluster needs --graph ID"));
    auto root = resolve_cluster_root(source);
    if (!root)
        return std::move(root).error();
    auto store = OG_TRY(ClusterStore::open(*root));
    auto state = OG_TRY(store.read_state());
    if (!state)
        return Error(codes::kNotFound, "the cluster at " + root->to_string() +
                                           " has no applied state (run `omnigraph cluster "
                                           "apply` first)");
    auto ledger = OG_TRY(parse_ledger(state->text));
    std::string names;
    for (const auto& [address, entry] : ledger.resources) {
        if (kind_of(address) != "graph")
            continue;
        if (address.substr(6) == graph_id) {
            if (OG_TRY(store.objects().exists(kLockKey)))
                return Error(engine::kConflict,
                             base::concat(std::string(verb), " refused: the cluster lock ",
                                          store.display(kLockKey),
                                          " is held (an apply may be changing graph '", graph_id,
                                          "'); run it again once the apply has finished"));
            return store.open_graph_store(graph_id);
        }
        names += (names.empty() ? "" : ", ") + address.substr(6);
    }
    return Error(codes::kInvalidArgument,
                 base::concat("'", graph_id, "' is not a graph of the cluster at ",
                              root->to_string(), " (its graphs: ", names.empty() ? "none" : names,
                              ")"));
}

} // namespace omnigraph::cluster
