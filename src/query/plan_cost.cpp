#include "query/plan_cost.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace omnigraph::query {

namespace {

struct PushedScope {
    PushedScope(ExecContext& ctx, const Scope& scope) : ctx_(ctx) { ctx_.push_scope(scope); }
    ~PushedScope() { ctx_.pop_scope(); }
    PushedScope(const PushedScope&) = delete;
    PushedScope& operator=(const PushedScope&) = delete;

  private:
    ExecContext& ctx_;
};

double candidate_count(const ExecContext& ctx, const BlockPlan& plan, const std::string& v) {
    auto it = plan.candidates.find(v);
    if (it != plan.candidates.end() && it->second.has_value())
        // NOLINTNEXTLINE(bugprone-unchecked-optional-access): checked just above
        return static_cast<double>(it->second.value().count());
    return static_cast<double>(ctx.var(v).table->size());
}

// How many rows an expansion makes of one row.
double expand_factor(const ExecContext& ctx, const BlockPlan& plan, const PlanStep& s) {
    const Clause& t = *s.traversal;
    const auto* edge = ctx.catalog.find_edge(t.edge);
    if (!edge)
        return 1;
    // The edge count from the manifest: estimating must not read (or build) the adjacency.
    auto table = unwrap(ctx.cache.table(ctx.snap, "edge:" + edge->name));
    double edges = static_cast<double>(table->size()) * (t.undirected ? 2 : 1);
    double from_nodes = std::max(1.0, static_cast<double>(ctx.var(s.from).table->size()));
    double to_nodes = static_cast<double>(ctx.var(s.to).table->size());
    double degree = edges / from_nodes;
    bool same_type = edge->from_type == edge->to_type;
    uint64_t max_hops = same_type ? t.max_hops.value_or(1) : 1;
    double reached = 0, walk = 1;
    for (uint64_t hop = 1; hop <= max_hops && reached < to_nodes; ++hop) {
        walk *= degree;
        if (hop >= t.min_hops)
            reached += walk;
    }
    if (!t.edge_var.empty() || max_hops == 1)
        reached = degree; // one row per edge
    else
        reached = std::min(reached, to_nodes); // shortest distance: each node once
    if (s.to_bound)
        return std::min(1.0, reached);
    double share = to_nodes > 0 ? candidate_count(ctx, plan, s.to) / to_nodes : 0;
    return reached * share;
}

} // namespace

BlockEstimate estimate_block(ExecContext& ctx, const BlockPlan& plan, double input_rows) {
    PushedScope scope(ctx, plan.declared);
    BlockEstimate e;
    double rows = input_rows;
    for (const auto& step : plan.steps) {
        rows *= step.kind == PlanStep::Kind::kScan ? candidate_count(ctx, plan, step.var)
                                                   : expand_factor(ctx, plan, step);
        e.after_step.push_back(rows);
        e.produced += rows;
    }
    for (const auto& join : plan.negations) {
        e.negations.push_back(estimate_block(ctx, *join.body, rows));
        e.produced += rows + e.negations.back().produced;
    }
    e.rows_out = rows;
    return e;
}

std::string estimate_text(double rows) {
    if (rows < 1e15)
        return std::to_string(static_cast<uint64_t>(std::llround(rows)));
    char buf[32];
    (void)std::snprintf(buf, sizeof buf, "%.2g", rows);
    return buf;
}

} // namespace omnigraph::query
