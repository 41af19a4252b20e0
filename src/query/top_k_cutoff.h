// A cutoff for `order … limit k` over one scanned variable, applied before the scan. When the
// first order key is a number (or date) property of that variable, the k-th best value T among
// the scan's candidates bounds the answer: a row whose key ranks strictly after T is beaten by
// k rows whatever the later keys say, so it is dropped before any frame is built. A top-3 of
// 10M users by age then ranks the rows that tie with the best ages, not every row. When the
// first key is a ranking of that variable (nearest), the ranking narrows the rows itself,
// through an index (Ranking::narrow).
#pragma once

#include "query/exec_context.h"
#include "query/row_set.h"

#include <cstdint>
#include <optional>
#include <string>

namespace omnigraph::query {

struct BlockPlan;
struct OutputPlan;

struct TopKCutoff {
    std::string var;                        // the scanned variable
    const Expr* ranking = nullptr;          // the first order key when it is a ranking call
    uint64_t property_id = 0;               // else the property that is the first order key
    const schema::PropType* type = nullptr; // a fixed-width number, date or datetime
    bool descending = false;
    uint64_t k = 0;
};

// The cutoff the query allows on `plan`: a match that is one scan without residual filters,
// ordered first by such a property of its variable, or by nearest() of one, with a limit.
// nullopt otherwise.
std::optional<TopKCutoff> top_k_cutoff(const BlockPlan& plan, const OutputPlan& output,
                                       const Query& q);

// The rows of `pass` (every row of the variable's table when nullopt) that may still be among
// the best k: those whose key ranks at or before the k-th best non-null key, the NULLs when
// they rank first (ascending), and NaNs (compared row by row later). `pass` itself when fewer
// than k rows have a key.
std::optional<RowSet> apply_cutoff(const ExecContext& ctx, const TopKCutoff& cutoff,
                                   const std::optional<RowSet>& pass);

} // namespace omnigraph::query
