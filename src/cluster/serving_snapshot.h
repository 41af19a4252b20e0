// The serving snapshot (spec cluster §14.2): what `omnigraph-server --cluster` boots from — only
// the APPLIED revision (the ledger plus verified catalog blobs), never the working-tree files.
// Read-only: no lock, no sweep. Graph-local problems (a pending recovery sidecar) quarantine
// that graph; anything that makes the revision untrustworthy is an error.
#pragma once

#include "base/uri.h"
#include "cluster/diagnostic.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace omnigraph::cluster {

struct ServedGraph {
    std::string graph_id;
    base::StorageUri root;
    std::optional<base::Json> embedding_profile;
    std::optional<base::Json> external_blob_policy; // nullopt = deny
};

struct ServedQuery {
    std::string graph_id, name, source;
};

struct ServedPolicy {
    std::string name, source;
    std::vector<std::string> applies_to; // "cluster" | "graph.<id>", quarantined graphs dropped
};

struct ServingSnapshot {
    base::StorageUri root;
    uint64_t state_revision = 0;      // the ledger's revision (what a server's watch compares)
    std::vector<ServedGraph> graphs;  // graph id order
    std::vector<ServedQuery> queries; // address order
    std::vector<ServedPolicy> policies;
    std::set<std::string> quarantined; // graph ids left out
};

// The storage root `source` names: a storage-root URI (anything containing "://"), a directory
// without cluster.yaml (itself), or a config directory (its cluster.yaml's `storage:` root). The
// reason it names none is an error in `diags`.
std::optional<base::StorageUri> cluster_root_of(const std::string& source, Diagnostics& diags);
// The same for a command that stops at the first problem: the first error diagnostic as an
// Error (`<path>: <message>`).
Result<base::StorageUri> resolve_cluster_root(const std::string& source);

// `source`: a storage-root URI (anything containing "://") or a config directory, whose
// cluster.yaml is read only for its `storage:` root. Errors and quarantine warnings go to
// `diags`; the snapshot is usable only when `diags` has no error.
ServingSnapshot load_serving_snapshot(const std::string& source, Diagnostics& diags);

// The applied ledger's revision at `source` (one read of state.json): what a server watching
// for a new apply compares.
Result<uint64_t> applied_state_revision(const std::string& source);

} // namespace omnigraph::cluster
