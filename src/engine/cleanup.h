// `omnigraph cleanup` (spec engine-cli §2.7): version GC of a graph root.
//
// What is kept (docs/format/manifest.md, "Cleanup"):
//   - per live branch (main and every branch record), its history newest first — its own
//     versions, then its source's up to the fork point, recursively — filtered by the policy:
//     the first `keep` versions (`keep 0` behaves as 1) and/or the versions younger than
//     `older_than` (by their commit's time); with both, a version goes only when it is beyond
//     `keep` AND older than `older_than`. The head of every branch is always kept;
//   - the fork point of every live branch (the source's manifest the branch was created at);
//   - every version made or superseded less than `grace` ago: a reader or writer that read it
//     as a head moments ago may still be using it.
// What goes, in this order (a crash leaves only garbage, never a manifest naming a missing
// object):
//   1. the versions not kept: first the branch's `_reclaimed/` record (engine/reclaimed.h),
//      then the manifests; manifests of deleted branches' logs once older than `grace`;
//   2. segments and deletion vectors that no kept manifest of ANY branch names and that are
//      older than `grace` (their ULID name says when they were written): those of removed
//      versions, of hard-dropped tables and of failed writes;
//   3. commit records no branch's history reaches (lost commit races, deleted branches), older
//      than `grace`. Commit records of removed versions stay: they are the history
//      `commit list` walks;
//   4. `_reclaimed/` records of branches that no longer exist.
// Objects named by a pending-operation record are never removed. `_schemas/` files are kept
// (content-addressed and small). Like the other writers it settles abandoned pending records
// first and refuses (conflict) while a live operation is pending. Removal failures are isolated
// per table (`error`) and logged; the rest goes on.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/graph.h"
#include "store/object_store.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::engine {

inline constexpr std::chrono::seconds kDefaultCleanupGrace{3600};

struct CleanupPolicy {
    std::optional<uint64_t> keep;                   // versions per branch; 0 behaves as 1
    std::optional<std::chrono::seconds> older_than; // by the version's commit time
    std::chrono::seconds grace = kDefaultCleanupGrace;
};

// One table (the spec's dataset).
struct CleanedTable {
    std::string table_key;             // "node:Person"; a hard-dropped table's path otherwise
    uint64_t bytes_removed = 0;        // segments and deletion vectors
    uint64_t old_versions_removed = 0; // table versions no kept manifest names any more
    std::optional<std::string> error;  // the first removal that failed
};

struct CleanupResult {
    std::string uri;
    CleanupPolicy policy;
    std::vector<CleanedTable> tables; // by table key
    uint64_t manifests_removed = 0, segments_removed = 0, deletion_vectors_removed = 0,
             commits_removed = 0, bytes_removed = 0;
};

// invalid_argument when the policy has neither `keep` nor `older_than`.
Result<CleanupResult> cleanup_graph(store::ObjectStore& store, const Graph& graph,
                                    const CleanupPolicy& policy);

// "keep the newest 3 versions of each branch, older than 7d" — for the confirmation line.
std::string describe_policy(const CleanupPolicy& policy);
// A duration as the CLI takes it: an integer with an optional unit s m h d w (bare = seconds).
Result<std::chrono::seconds> parse_duration(std::string_view text);

base::Json cleanup_json(const CleanupResult& result);
std::vector<std::string> cleanup_lines(const CleanupResult& result);

} // namespace omnigraph::engine
