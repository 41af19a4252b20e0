// Versions that `cleanup` reclaimed (docs/format/manifest.md, "Reclaimed versions").
//
// Cleanup removes old manifests of a branch's log. Before it removes any, it records which
// versions go in `_reclaimed/<encoded branch>.json`, so that "this version was removed by
// cleanup" can be told from "this version is damaged or never existed":
//   - Graph::at_version answers historical_version_reclaimed (HTTP 410) for such a version;
//   - a read whose segment or deletion vector vanished while it read an old snapshot
//     (explain_read_failure) answers historical_version_reclaimed when that snapshot's manifest
//     is gone from its log, and keeps segment_corrupt / deletion_vector_corrupt otherwise;
//   - `storage verify` does not report a reclaimed version as a missing manifest.
// The record only grows (ranges are merged); it is replaced by compare-and-swap so two
// cleanups do not lose each other's ranges. A record naming a version that is still there
// (cleanup crashed between the record and the removal) is harmless: the version reads.
// Thread-safety: stateless functions.
#pragma once

#include "base/error.h"
#include "base/record_seal.h"
#include "format/manifest.h"
#include "store/object_store.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace omnigraph::engine {

// A read of a version cleanup removed (spec engine-cli §2.4 `HistoricalVersionReclaimed`).
inline constexpr std::string_view kVersionReclaimed = "historical_version_reclaimed";
inline constexpr std::string_view kReclaimedPrefix = "_reclaimed/";

// Inclusive ranges of reclaimed versions of one branch log, sorted and disjoint.
struct ReclaimedVersions {
    std::string branch;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    bool contains(uint64_t version) const;
    // The smallest version >= `version` that is not reclaimed.
    uint64_t next_unreclaimed(uint64_t version) const;
    // Adds `versions` (any order), merging adjacent and overlapping ranges.
    void add(const std::vector<uint64_t>& versions);
};

std::string reclaimed_key(std::string_view branch);
// The branch's record; empty ranges when it has none.
Result<ReclaimedVersions> read_reclaimed(store::ObjectStore& store, std::string_view branch,
                                         base::Seal seal);
// Adds `versions` to the branch's record (create-if-absent or compare-and-swap, retried).
Status record_reclaimed(store::ObjectStore& store, std::string_view branch,
                        const std::vector<uint64_t>& versions, base::Seal seal);

// The error for reading reclaimed `version` of `branch`.
Error version_reclaimed(std::string_view branch, uint64_t version);

// `failure` came from reading the objects `manifest` names. When a referenced object was
// missing (a failure carrying the kMissingObjectDetail detail) and the version that manifest
// is no longer exists in its log, the snapshot was removed by cleanup while it was being
// read: historical_version_reclaimed. Otherwise `failure` unchanged (damage stays damage).
// The manifest's commit record tells which log holds it; it is read without requiring a seal,
// since it only chooses between two error codes.
Error explain_read_failure(store::ObjectStore& store, const format::Manifest& manifest,
                           Error failure);

// The detail table_data's readers put on a "referenced but missing" error (the object's key).
inline constexpr std::string_view kMissingObjectDetail = "missing_object";

} // namespace omnigraph::engine
