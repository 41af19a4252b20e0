// Three-way merge of one branch into another (spec engine-cli §2.3).
//
// The base is the two heads' merge base (engine/commit_graph.h). A source that has not moved
// past it is already up to date; a target that has not is fast-forwarded (a new commit on the
// target naming both heads, whose tables are the source's). Otherwise each table is merged:
// one changed by the source alone takes the source's entry, one changed by the target alone
// keeps the target's, and one changed by both is merged row by row from the two sides' deltas
// (engine/table_delta.h), with conflicts where they changed the same id differently. The
// result is then checked where the two sides' changes meet (edge endpoints, @unique, @card)
// and published as one commit. The merged tables share the source's segments: a merge writes
// deletion vectors, never rows, so its cost follows the change, not the tables.
#pragma once

#include "engine/graph.h"

#include <optional>
#include <string>

namespace omnigraph::engine {

// A merge refused because the branches changed the same entities incompatibly, or because the
// merged graph would break a constraint (HTTP 409 with `merge_conflicts`).
inline constexpr std::string_view kMergeConflict = "merge_conflict";
// Error::details key holding the conflicts as a JSON array of MergeConflictOutput objects.
inline constexpr std::string_view kMergeConflictsDetail = "merge_conflicts";

enum class MergeOutcome { kAlreadyUpToDate, kFastForward, kMerged };
// "already_up_to_date", "fast_forward", "merged"
const char* merge_outcome_name(MergeOutcome outcome);

struct MergeOptions {
    std::string source;
    std::string target = "main";
    std::optional<std::string> actor;
};

struct MergeResult {
    std::string source, target;
    MergeOutcome outcome = MergeOutcome::kAlreadyUpToDate;
    std::string base_commit_id;
    std::optional<format::CommitRecord> commit; // none when already up to date
};

// Merges `source` into `target`. Refuses equal branches and unknown ones, and merges of
// branches whose heads have different schemas unless it is a fast-forward (conflict). Asks the
// graph's write authorizer for branch_merge (source into target) and for reading the source.
Result<MergeResult> merge_branch(store::ObjectStore& store, const Graph& graph,
                                 const MergeOptions& options);

} // namespace omnigraph::engine
