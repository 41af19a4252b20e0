// The output of a read query (spec query-language §3.5-§3.7): the projection of every row of
// the match, or its aggregation (group keys numbered once per distinct value, count-only
// queries answered from the row count), ordered by the user's keys with the bound ids as
// tie-breakers, and cut at the limit.
//
// It is built morsel by morsel as the match produces rows (run_match), so memory follows the
// answer, not the match: without an order a limit stops the match once k rows are projected;
// `order … limit k` keeps a bounded heap of the best k; aggregation folds each morsel into its
// groups. What it holds is charged to the query's budget.
#pragma once

#include "query/exec_context.h"
#include "query/match_plan.h"

#include <memory>

namespace omnigraph::query {

class OutputBuilder {
  public:
    OutputBuilder(const ExecContext& ctx, const OutputPlan& plan);
    ~OutputBuilder();
    OutputBuilder(const OutputBuilder&) = delete;
    OutputBuilder& operator=(const OutputBuilder&) = delete;

    // Adds a morsel of the match's rows; false once the answer is complete (the limit).
    bool add(const Frame& frame);
    // The answer: ordered and cut at the limit.
    QueryResult finish();

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace omnigraph::query
