// The commit DAG (spec engine-cli §2.2): every commit names its parent and, for a merge, its
// merged parent. The merge base of two commits is their common ancestor with the smallest sum
// of distances from both (parent and merged-parent edges count one each), ties going to the
// highest manifest version.
#pragma once

#include "base/error.h"
#include "engine/graph.h"

#include <string>
#include <string_view>

namespace omnigraph::engine {

// Reads commit records breadth-first from both commits, a level at a time on the shallower
// side, and stops as soon as no unseen ancestor can beat the best common one: the cost grows
// with how far the two histories diverged, not with their length.
Result<format::CommitRecord> merge_base(const Graph& graph, std::string_view a, std::string_view b);

} // namespace omnigraph::engine
