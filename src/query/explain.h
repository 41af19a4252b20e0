// `omnigraph query --explain` and `"explain": true` over HTTP: the plan of a read query as
// text, one line per decision — which variable each block starts from and why (rows passing
// its pushed tests, and whether a test runs on the raw column or row by row), each traversal
// with its direction and hops, where each residual filter applies, the anti-joins, and the
// output (projection or aggregation, order, limit, top-k). Nothing is executed past planning.
#pragma once

#include "base/error.h"
#include "engine/graph.h"
#include "query/executor.h"

#include <string>

namespace omnigraph::query {

// The plan of `checked` on `snapshot` (which must have the schema it was checked against).
Result<std::string> explain_read(TableCache& cache, const engine::Snapshot& snapshot,
                                 const CheckedQuery& checked, const Params& params);

// An expression as written in `.gq` (`$p.name`, `$name`, `"Ada"`, `now()`, `count($f)`).
std::string expr_text(const Expr& e);

} // namespace omnigraph::query
