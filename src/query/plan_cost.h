// What a read plan is estimated to cost, in rows, before it runs: `--explain` prints it for
// cartesian products and anti-joins, and execute_read refuses a plan whose estimate already
// exceeds the query's row budget (resource_limit) instead of finding out by running it.
//
// The estimate: a scan multiplies the rows by its candidates (exact for a cartesian product);
// an expansion by the edge type's mean out-degree per hop (summed over the hop range, at most
// the target's node count), times the share of target rows passing its pushed tests; a
// semi-join and a filter keep the rows (an upper bound); an anti-join runs its block once over
// the rows it receives and keeps them.
#pragma once

#include "query/match_plan.h"

#include <string>
#include <vector>

namespace omnigraph::query {

struct BlockEstimate {
    std::vector<double> after_step;       // rows after each step, before its filters
    double rows_out = 0;                  // rows the block returns (upper bound)
    double produced = 0;                  // rows all its operators produce, nested included
    std::vector<BlockEstimate> negations; // per anti-join, fed the block's rows
};

// The estimate of `plan` fed `input_rows` rows (1 for a query's match block).
BlockEstimate estimate_block(ExecContext& ctx, const BlockPlan& plan, double input_rows);

// A row estimate as text: an integer below 10^15, else "1.2e+30".
std::string estimate_text(double rows);

} // namespace omnigraph::query
