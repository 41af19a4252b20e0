// Scanning one variable's table: the single-variable predicates a plan pushes down (binding
// property matches and filters over one variable), evaluated straight on the column when they
// compare a property with a constant and row by row otherwise, into a candidate bitmap; then
// the frame operators that start from it (cross) or filter by it.
#pragma once

#include "query/exec_context.h"
#include "query/row_set.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::query {

// A single-variable test pushed to that variable's rows.
struct Predicate {
    const Clause* filter = nullptr;   // a filter clause over one variable
    const PropMatch* match = nullptr; // or a binding's property match
};

// `property op constant` in a form evaluated on the raw column, no Value per row.
struct ColumnTest {
    std::string property;
    CompareOp op = CompareOp::kEq;
    Value constant;
    const schema::PropType* type = nullptr;
    uint64_t property_id = 0;
    const format::Column* column = nullptr; // what apply runs on: a page, or the whole column
};

// The column form of `p` on variable `v`, or nullopt when it must run row by row (another
// shape, a list/vector/blob property, or a constant of a kind the column loop does not compare).
std::optional<ColumnTest> column_test(const ExecContext& ctx, const std::string& v,
                                      const Predicate& p);

// The id a predicate pins `v` to (a key lookup): a match or `==` of the whole one-property
// @key of a node type with a constant whose spelling is the id; nullopt otherwise.
std::optional<std::string> key_of(const ExecContext& ctx, const std::string& v, const Predicate& p);

// Whether row `row` of `v`'s table passes every predicate of `list` (the row-by-row path).
bool passes(const ExecContext& ctx, const std::string& v, const std::vector<Predicate>& list,
            uint32_t row);

// The rows of `v`'s table that pass `list`, nullopt when `list` is empty. A match or `==` on
// the whole @key of a node type is a lookup through the key index (a list of at most one row);
// a column test reads only the pages whose footer min/max (and null count) admit a passing row.
std::optional<RowSet> passing_rows(const ExecContext& ctx, const std::string& v,
                                   const std::vector<Predicate>& list);

// The rows of `f` whose `v` (already bound) passes `list`.
Frame filter_bound(const ExecContext& ctx, const Frame& f, const std::string& v,
                   const std::vector<Predicate>& list);

// Every row of `f` paired with every candidate row of `v` (all rows when `pass` is nullopt).
// Every operator here charges the rows it produces to ctx.budget (budget.h).
Frame cross(const ExecContext& ctx, const Frame& f, const std::string& v,
            const std::optional<RowSet>& pass);

// Every row of `f` paired with each of `rows` of `v`'s table (a morsel of a first scan).
Frame cross_rows(const ExecContext& ctx, const Frame& f, const std::string& v,
                 const std::vector<uint32_t>& rows);
// The rows of `f` for which the filter clause holds (its variables are bound in `f`).
Frame apply_filter(const ExecContext& ctx, const Frame& f, const Clause& filter);

} // namespace omnigraph::query
