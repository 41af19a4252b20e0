// Blob delivery (spec engine-cli §4.2 `blob get|stat`, server-policy §1.3 row 5, §1.5 "Blob"):
// one Blob cell of one node or edge at a target, with the snapshot it was read from. The CLI
// writes its bytes or its facts; the server adds the HTTP validators and ranges.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/blob.h"
#include "service/graph_handle.h"
#include "service/target.h"

#include <string>

namespace omnigraph::service {

struct BlobRequest {
    Target target;      // a branch (default main) or a snapshot
    std::string entity; // "node" | "edge"
    std::string type, id, property;
};

struct BlobRead {
    engine::BlobCell cell;
    ResolvedTarget target;
    std::string resolved_snapshot; // the commit whose snapshot was read
};

// invalid_argument for an entity other than node/edge, an unknown type or property, or a
// property that is not a Blob; not_found for an unknown branch, commit or entity, or a null
// cell.
Result<BlobRead> read_blob(const GraphHandle& graph, const BlobRequest& request);

// `blob stat --json`: {entity, type, id, property, kind: "managed"|"external", size, etag
// (null for external), uri (null for managed), branch, snapshot, resolved_snapshot}.
base::Json blob_stat_json(const BlobRequest& request, const BlobRead& read);

} // namespace omnigraph::service
