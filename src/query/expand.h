// Expanding a frame over a traversal: CSR adjacency from the table cache, one hop or a hop
// range with the spec's shortest-distance and set semantics (a BFS per distinct source), an
// edge variable bound per matching edge row, or — when the destination is already bound — a
// semi-join that keeps the rows whose pair is connected.
#pragma once

#include "query/exec_context.h"
#include "query/row_set.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::query {

// Expands `f` over traversal `t` from the bound variable `from` to `to`. `forward`: from the
// clause's src to its dst; `reverse`: the checker's direction (the edge followed from its
// target to its source). `to_pass` filters new destinations (null when `to` is already bound:
// the traversal then only keeps rows whose `to` is reachable). `count_only`: only the number
// of rows is read from the result (its columns are left empty).
Frame expand(const ExecContext& ctx, const Frame& f, const Clause& t, const std::string& from,
             const std::string& to, bool forward, bool reverse,
             const std::optional<RowSet>* to_pass, bool count_only);

} // namespace omnigraph::query
