// The output of a read query (spec query-language §3.5-§3.7): the projection of every row of
// the match, or its aggregation (group keys numbered once per distinct value, count-only
// queries answered from the row count), ordered by the user's keys with the bound ids as
// tie-breakers, and cut at the limit (a partial sort keeps the first k).
#pragma once

#include "query/exec_context.h"
#include "query/match_plan.h"

namespace omnigraph::query {

QueryResult produce_output(const ExecContext& ctx, const OutputPlan& plan, const Frame& frame);

} // namespace omnigraph::query
