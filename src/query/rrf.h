// `rrf(a, b [, k])` as the first order key (spec query-language §3.8): reciprocal-rank fusion of
// two rankings (nearest, bm25) of the same variable.
//
// Each arm ranks the distinct entities (rows of the ranked variable) that the match produced,
// best first with ids breaking ties, and keeps the first `limit` (upstream's k = limit per
// arm); an entity's fused score is Σ_arms 1/(k + rank + 1) with 0-based ranks (absent: 0).
// Entities are sorted by fused score, descending, ties keeping "the primary arm's entities
// first, then the secondary-only ones"; the best `limit` entities contribute their rows (by
// ascending bound ids) and the rows are cut at `limit`. The match runs once: both arms rank
// the same rows, after every filter (prefilter), on any variable of the match.
#pragma once

#include "query/exec_context.h"

#include <functional>
#include <memory>

namespace omnigraph::query {

class RrfOutput {
  public:
    // `call` is the query's first order key; `limit` its limit.
    RrfOutput(const ExecContext& ctx, const Expr& call, uint64_t limit);
    ~RrfOutput();
    RrfOutput(const RrfOutput&) = delete;
    RrfOutput& operator=(const RrfOutput&) = delete;

    // Adds a morsel; `project(r)` is row r's projection (rrf() columns left for finish).
    // Returns the bytes it now holds in addition (for the caller's budget).
    uint64_t add(const Frame& f, const std::function<std::vector<Value>(size_t)>& project);
    // The fused, cut rows, with every rrf() projection filled in with its fused score.
    std::vector<std::vector<Value>> finish();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Whether `e` is an rrf() call.
inline bool is_rrf(const Expr& e) {
    return e.kind == ExprKind::kCall && e.name == "rrf";
}

} // namespace omnigraph::query
