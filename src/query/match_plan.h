// A read query's plan, computed before anything is materialized and printed by --explain:
// per match block, the variables with the predicates pushed into their scans (and how many
// rows pass them), the order of steps — start at the most selective variable, expand the
// traversals that touch a bound variable (direction, hops, semi-join when both ends are
// bound), apply each residual filter as soon as its variables are bound — and the negations
// as anti-joins planned the same way; then the output: projection or aggregation, ordering,
// limit and top-k.
//
// Planning reads the tables the query's variables range over (through the table cache) and
// evaluates the pushed predicates, so the candidate counts that pick each block's first
// variable are exact; the bitmaps are kept in the plan for execution to reuse.
#pragma once

#include "query/exec_context.h"
#include "query/scan.h"
#include "query/top_k_cutoff.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::query {

struct PlanStep {
    enum class Kind { kScan, kExpand } kind = Kind::kScan;
    std::string var;                    // kScan: the variable started from
    const Clause* traversal = nullptr;  // kExpand
    std::string from, to;               // kExpand: the bound variable and the one reached
    bool forward = true;                // from the clause's src to its dst
    bool reverse = false;               // the edge followed from its target to its source
    bool to_bound = false;              // both ends bound: keep the connected rows
    bool count_only = false;            // only counted, never materialized (count-only query)
    std::vector<const Clause*> filters; // residual filters applied after this step
};

struct BlockPlan {
    Scope declared;                     // the variables this block introduces
    std::vector<std::string> variables; // in order of first mention (hidden `_` ones included)
    std::map<std::string, std::vector<Predicate>> pushed; // single-variable tests, per variable
    // The rows of each variable this block binds that pass its pushed tests (nullopt: all).
    std::map<std::string, std::optional<RowSet>> candidates;
    // Tests on variables the enclosing block already bound (applied first).
    std::vector<std::pair<std::string, std::vector<Predicate>>> bound_tests;
    std::vector<PlanStep> steps;
    std::vector<const Clause*>
        final_filters; // residual filters whose variables were bound on entry
    struct AntiJoin {
        std::string tag; // the hidden variable that numbers the outer rows
        std::unique_ptr<BlockPlan> body;
    };
    std::vector<AntiJoin> negations;
    // The query's top-k bounds its first scan's rows (set on the query's own block only).
    std::optional<TopKCutoff> top_k_cutoff;
};

struct OutputPlan {
    bool aggregate = false;  // grouped by the non-aggregate projections
    bool count_only = false; // only counts bound variables: the last expansion is counted
    size_t order_keys = 0;
    std::optional<uint64_t> limit;
    bool top_k = false; // order … limit k: a partial sort keeps the first k
};

struct ReadPlan {
    BlockPlan match;
    OutputPlan output;
};

// Plans `ctx`'s query. Throws RuntimeFailure (reported by execute_read / explain_read).
ReadPlan plan_read(ExecContext& ctx);

// Runs a block's plan on `frame` (the enclosing block's rows, or one empty row). Every frame
// it builds is charged to ctx.budget; the bytes of the returned one are the caller's to release.
Frame run_block(ExecContext& ctx, const BlockPlan& plan, Frame frame);

// Runs the query's match block morsel by morsel: the candidate rows of its first scan go
// through the rest of the plan a morsel at a time (QueryLimits::morsel_rows first, growing
// while the morsels' frames stay small against the memory budget), and each morsel's rows
// reach `sink` in order — together exactly the rows run_block would build, never all held at
// once. `sink` releases a frame's bytes from the budget once done with it, and returns false to
// stop early (a limit was reached). A plan that does not start with a scan runs whole.
void run_match(ExecContext& ctx, const BlockPlan& plan, const std::function<bool(Frame&)>& sink);

} // namespace omnigraph::query
