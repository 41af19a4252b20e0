// A graph root's lifecycle beyond init: which controller manages it, and its destruction.
//
// A controller (the cluster control plane) that manages a graph marks its root; a direct schema
// apply (one without SchemaApplyOptions::as_controller) then refuses the graph with
// kGraphManaged, so the graph's schema changes only through its controller. The marker's key and
// bytes are those `cluster apply` has always written (`_cluster_owner.json`, pretty JSON
// {"cluster_root", "graph_id"}), so graphs marked before keep working.
//
// destroy_graph removes a whole root, the format stamp first, so whatever an interruption leaves
// never opens as a half graph.
//
// Thread-safety: stateless functions over a store::ObjectStore (which is thread-safe). None of
// them takes a lock: the caller serializes lifecycle changes of one root (the cluster lock).
#pragma once

#include "base/error.h"
#include "store/object_store.h"

#include <optional>
#include <string>
#include <string_view>

namespace omnigraph::engine {

// The refusal's code (spec name: the controller is the cluster).
inline constexpr std::string_view kGraphManaged = "cluster_managed";
inline constexpr std::string_view kManagedMarkerKey = "_cluster_owner.json";

// Who manages a graph.
struct ManagedBy {
    std::string owner;    // the controller's identity: a cluster's storage root ("cluster_root")
    std::string graph_id; // the controller's name for the graph ("graph_id")

    bool operator==(const ManagedBy&) const = default;
};

// Marks the graph at `store`'s root as managed by `by` (replacing an existing marker).
// not_found when the root holds no graph (no format stamp): an empty root is not marked.
Status mark_managed(store::ObjectStore& store, const ManagedBy& by);

// The graph's controller, or nullopt when it has none. A marker that does not parse (or lacks
// a field) still marks the graph as managed, with the fields it could not read empty: damage to
// the marker must not open the graph to direct schema applies.
Result<std::optional<ManagedBy>> managed_by(store::ObjectStore& store);

// Removes every object of the graph at `store`'s root, and the root itself where the backend
// has one (the local directory). The format stamp goes first: from then on the root no longer
// opens (Graph::open fails with graph_invalid while anything is left), so an interrupted destroy
// leaves no half graph that opens, only remnants the next destroy finishes. Idempotent: an
// absent root succeeds.
Status destroy_graph(store::ObjectStore& store);

} // namespace omnigraph::engine
