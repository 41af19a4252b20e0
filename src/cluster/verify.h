// Storage verification of a whole cluster: what `omnigraph storage verify --cluster` runs
// (docs/cli.md, `storage verify`; docs/cluster.md, "When things go wrong").
//
// Besides every graph root (engine::verify_graph), it checks the control plane's stored state:
// the ledger `__cluster/state.json` must exist, parse strictly and pass the integrity gate (each
// graph entry binds its own metadata); every catalog blob under `__cluster/resources/` must hash
// to the digest its name carries, and every blob the ledger names must exist; the lock, recovery
// sidecars and approval artefacts must parse. Every graph the ledger names must exist and verify;
// a graph root under `graphs/` that the ledger does not name is reported unreferenced (one
// entry per root, with its total size). Catalog blobs the ledger no longer names are unreferenced
// too (blobs are never deleted). Only `__cluster/` and `graphs/` are listed: a storage root that
// is also the config directory holds the working tree's files, which are not stored state.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/verify.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::cluster {

struct GraphVerdict {
    std::string graph_id;
    std::string uri;
    bool ok = false;
    uint64_t missing = 0, corrupt = 0, unreferenced = 0;
};

struct ClusterVerifyReport {
    engine::VerifyReport report; // every finding, keys relative to the cluster's storage root
    std::optional<uint64_t> state_revision; // nullopt when the ledger is missing or unreadable
    std::vector<GraphVerdict> graphs;       // the graphs verified, in id order
};

// The per-kind counters the cluster adds to the graph walk's.
inline constexpr std::string_view kClusterCounters[] = {"ledger", "catalog_objects",
                                                        "cluster_records", "graphs"};

// `source` names the cluster as `omnigraph-server --cluster` does: a config directory, a
// directory holding the stored state, or an s3:// storage root. `only_graph` (a graph id, or a
// graph root's URI) limits the graph walk to that applied graph; empty verifies every applied
// graph and looks for stray graph roots. When the ledger is missing or does not parse, every
// graph root found under `graphs/` is verified instead. invalid_argument when `only_graph` is
// not a graph of the cluster; storage failures are returned as they happened.
Result<ClusterVerifyReport> verify_cluster(const std::string& source,
                                           const std::string& only_graph);

// The graph report's JSON plus "state_revision" and "graphs"; text: the findings, one line
// per graph, then the summary line.
base::Json cluster_verify_json(const ClusterVerifyReport& report);
std::vector<std::string> cluster_verify_lines(const ClusterVerifyReport& report);

} // namespace omnigraph::cluster
