// `omnigraph optimize` (spec engine-cli §2.7): compaction of a branch's tables.
//
// A table version is a list of immutable segments, each with an optional deletion vector
// (docs/format/). Many small appends leave many small segments, and merges leave deletion
// vectors; both cost requests and bytes on every cold read. optimize rewrites, per table, the
// segments that are small (fewer than half the target rows and bytes) or carry a deletion
// vector: their live rows are read in groups of about the target size and each group is
// encoded as one new segment through the same encoder loads use (so whatever a segment
// carries besides its columns is rebuilt). It also rewrites, each on its own and in its place,
// the segments that lack the key indexes of their table kind (format 1 or 2, or upgraded from
// format 1 before upgrades built indexes): after optimize every segment of the branch head is
// current (format/segment.h has_key_indexes). Other large segments stay as they are.
// All changed tables are published in ONE new manifest version with a commit record, under a
// pending-operation record (kind "optimize") so a crash is rolled back by the next writer; a
// lost race for the next version redoes the work against the new head. Nothing changes when
// nothing needs compacting: no commit. optimize never removes an object: older versions keep
// their segments until `cleanup` (engine/cleanup.h) reclaims them.
//
// It settles abandoned pending records first, like any writer, and refuses (conflict) while a
// live operation is pending on the graph.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/graph.h"
#include "format/manifest.h"
#include "store/object_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::engine {

// A compacted segment holds at most about this many rows or bytes (whichever comes first).
inline constexpr uint64_t kCompactTargetRows = 1u << 20;
inline constexpr uint64_t kCompactTargetBytes = 128u << 20;
inline constexpr int kOptimizeAttempts = 8;

struct OptimizeOptions {
    std::string branch = "main";
    std::optional<std::string> actor;
    uint64_t target_rows = kCompactTargetRows;
    uint64_t target_bytes = kCompactTargetBytes;
};

// One table (the spec's "dataset"); segments are the spec's fragments.
struct OptimizedTable {
    std::string table_key;
    uint64_t segments_before = 0, segments_after = 0;
    uint64_t fragments_removed = 0, fragments_added = 0;
    // Segments rewritten only because they lacked their key indexes (compacted ones get theirs
    // anyway and are not counted).
    uint64_t segments_reindexed = 0;
    bool committed = false;
    std::optional<std::string> skipped; // why it was left alone, when it was
    uint64_t table_version = 0;         // the table version published (or kept)
};

struct OptimizeResult {
    std::string uri, branch;
    std::vector<OptimizedTable> tables;
    std::optional<format::CommitRecord> commit; // nullopt when nothing changed
};

Result<OptimizeResult> optimize_graph(store::ObjectStore& store, const Graph& graph,
                                      const OptimizeOptions& options = {});

// The spec's JSON shape and human lines.
base::Json optimize_json(const OptimizeResult& result);
std::vector<std::string> optimize_lines(const OptimizeResult& result);

} // namespace omnigraph::engine
