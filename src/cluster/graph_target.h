// The graph root a direct maintenance verb works on when addressed through a cluster:
// `omnigraph optimize|cleanup|repair --cluster DIR --graph ID` (spec engine-cli §4.1).
//
// The cluster is named as `storage verify --cluster` names it (a config directory, a directory
// holding the stored state, or an s3:// storage root). The graph must be one the applied
// revision holds (`graph.<id>` in the ledger); its root is `<storage root>/graphs/<id>.omni`.
// While the cluster lock is held an apply may be creating or deleting that root, so the verbs
// are refused (conflict) until it is released.
#pragma once

#include "base/error.h"
#include "store/object_store.h"

#include <memory>
#include <string>

namespace omnigraph::cluster {

Result<std::unique_ptr<store::ObjectStore>>
open_cluster_graph(const std::string& source, const std::string& graph_id, std::string_view verb);

} // namespace omnigraph::cluster
