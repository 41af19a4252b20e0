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
// An init runs under its claim (`__init_claim.json`, taken first with a create-only write,
// released after the genesis version). A controller that runs init for an operation of its own
// passes that operation's id (InitOptions::operation_id), and the claim records it. When the
// controller later finds the operation interrupted, discard_unfinished_init removes the root
// only if the engine can prove it holds no data: the claim names that operation, its process is
// gone, and the root has no version at all.
//
// Thread-safety: stateless functions over a store::ObjectStore (which is thread-safe). None of
// them takes a lock: the caller serializes lifecycle changes of one root (the cluster lock).
#pragma once

#include "base/error.h"
#include "store/object_store.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::engine {

// The refusal's code (spec name: the controller is the cluster).
// discard_unfinished_init's refusal: the root is not provably an abandoned, empty init.
inline constexpr std::string_view kInitNotAbandoned = "init_not_abandoned";
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

// The init claim an init of this process writes (compact JSON, keys in this order):
// {"version":1,"attempt_id","operation_id","host","pid","created_at"}, where operation_id is
// present only when `operation_id` is not empty (claims written before it existed have none).
std::string init_claim_text(std::string_view operation_id);

// What a controller knows about the inits it ran: the ids of its operations that were
// interrupted, and whether its own lock serialized them across hosts (the cluster lock: while
// the caller holds it, an operation of another host that left its record is over).
struct InterruptedInits {
    std::vector<std::string> operation_ids;
    bool serialized_across_hosts = false;
};

// Removes the root of an init that never reached its genesis version, when the engine can prove
// it holds no data. The proof, checked in this order (a failure refuses with kInitNotAbandoned,
// naming what is missing, and removes nothing):
//   1. the root holds an init claim that records an operation id, one of `inits.operation_ids`
//      (a claim of an older version, of a plain `omnigraph init`, or of another operation is
//      never taken);
//   2. the claiming process is over: on this host its pid no longer exists (a claim naming this
//      process counts as running); a claim of another host is taken when
//      `inits.serialized_across_hosts`, otherwise once older than kPendingLease;
//   3. the root has no version: main's genesis manifest is absent (read directly, not only
//      listed) and nothing is under `_log/`, so no load, branch or schema apply ever ran there;
//   4. every object in it is one an init writes (the claim, the root schema files, the format
//      stamp, `_schemas/`, `_commits/`): nothing else was put there.
// Then it removes every object but the claim, the claim last, and the root itself: a removal
// that is interrupted leaves the claim, so the next call proves and finishes it. Storage errors
// are returned as they are.
Status discard_unfinished_init(store::ObjectStore& store, const InterruptedInits& inits);

// An init killed after its genesis manifest leaves its claim in a graph that opens. Removes the
// claim when it names `operation_id` and main's genesis version exists; anything else is left.
// Storage errors are returned.
Status release_finished_init_claim(store::ObjectStore& store, std::string_view operation_id);

} // namespace omnigraph::engine
