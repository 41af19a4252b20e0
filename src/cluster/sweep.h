// The recovery sweep (spec cluster §10): at the start of every state-mutating command, under the
// lock, each recovery sidecar left by an interrupted operation is reconciled with what the graph
// shows — roll forward when the operation landed, retire when nothing moved, keep (and block the
// graph) when it cannot tell. Decisions go by schema digest, never by manifest version.
#pragma once

#include "cluster/context.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace omnigraph::cluster {

struct SweepOutcome {
    std::set<std::string> pending;    // graphs whose sidecar is kept
    std::vector<std::string> retire;  // sidecar keys to delete once the ledger write succeeded
    std::vector<std::string> consume; // approval ids to mark consumed after the write
};

// Mutates `ledger` in memory; `desired` supplies the graph metadata of a rolled-forward create.
// A create that never reached its genesis version has its root removed when the engine proves
// it holds no data (engine::discard_unfinished_init); `locked`: the caller holds the cluster
// lock, so the operations of every sidecar are over, on any host.
SweepOutcome run_sweep(ClusterStore& store, Ledger& ledger, const DesiredState& desired,
                       const std::optional<std::string>& actor, bool locked, Diagnostics& diags);

// Removes graph `g`'s subtree (graph, schema, queries, their statuses) and leaves a tombstone
// observation.
void tombstone_graph(Ledger& ledger, const std::string& g, const std::string& approval_id,
                     const std::optional<std::string>& actor);

// The graph entry of `g` rebuilt from the ledger's schema/query digests, keeping its metadata.
void recompute_graph_entry(Ledger& ledger, const std::string& g,
                           const std::optional<std::string>& provider,
                           const std::optional<base::Json>& blob_policy);

} // namespace omnigraph::cluster
