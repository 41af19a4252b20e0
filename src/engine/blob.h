// One Blob cell of one node or edge (spec engine-cli §4.2 `blob get|stat`, server-policy §1.5
// "Blob"): found through the table's key index (one lookup per segment), then only that row's
// page of that one column is read.
#pragma once

#include "base/error.h"
#include "engine/external_blob.h"
#include "engine/graph.h"

#include <optional>
#include <string>
#include <string_view>

namespace omnigraph::engine {

struct BlobCell {
    std::string bytes; // managed cells
    // A strong validator of the bytes: "\"sha256:<32 hex>\"", the same for equal contents
    // wherever and whenever they are stored. Empty for an external reference.
    std::string etag;
    // Set for an external reference (engine/external_blob.h): the bytes are not ours to read.
    std::optional<ExternalBlob> external;
};

// The Blob property `property` of the node (or edge, `is_edge`) `id` of type `type` in
// `snapshot`. invalid_argument when the type or property is unknown or the property is not a
// Blob; not_found when there is no such entity or its cell is null.
Result<BlobCell> read_blob(store::ObjectStore& store, const Snapshot& snapshot, bool is_edge,
                           std::string_view type, std::string_view id, std::string_view property);

} // namespace omnigraph::engine
