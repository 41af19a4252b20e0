// Rewrites a graph root of storage format 1 (no checksums) to the current format: every
// segment is written again as a current one, with checksums and the key indexes loads write
// (format/segment.h upgrade_segment), every
// manifest, commit, branch and pending record its seal (base/record_seal.h), each only after it
// reads back; then `_format.json` says the new version. Deletion vectors already carry a
// SHA-256 and are only checked.
//
// Segments are rewritten in place (same key, new size), so a manifest names the new size once
// it is rewritten too: until the run completes the graph may not read. The rewrite is
// idempotent, so an interrupted run is finished by running it again. It must run with no other
// writer on the graph (docs/cli.md, `omnigraph storage upgrade`).
#pragma once

#include "base/error.h"
#include "store/object_store.h"

#include <cstdint>

namespace omnigraph::engine {

struct StorageUpgradeReport {
    int from_version = 0; // the format `_format.json` said before the run
    uint64_t segments_rewritten = 0;
    uint64_t segments_current = 0; // already checksummed
    uint64_t deletion_vectors_checked = 0;
    uint64_t records_rewritten = 0; // manifests, commits, branch and pending records
    uint64_t records_current = 0;
};

// Refuses a root that does not open as a graph (Graph::open's errors) and stops at the first
// object that does not read (its family's corrupt code, naming the object), leaving the
// format stamp untouched.
Result<StorageUpgradeReport> upgrade_storage(store::ObjectStore& store);

} // namespace omnigraph::engine
