#include "query/match_plan.h"

#include "query/expand.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <set>

namespace omnigraph::query {

namespace {

// Keeps a block's variables visible while it is planned or run, also when it throws.
struct ScopeGuard {
    ScopeGuard(ExecContext& ctx, const Scope& scope) : ctx_(ctx) { ctx_.push_scope(scope); }
    ~ScopeGuard() { ctx_.pop_scope(); }
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;

  private:
    ExecContext& ctx_;
};

class Planner {
  public:
    Planner(ExecContext& ctx, bool count_only) : ctx_(ctx), count_only_(count_only) {}

    // Plans `clauses` with the variables in `bound` already bound by the enclosing block.
    std::unique_ptr<BlockPlan> block(const std::vector<Clause>& clauses,
                                     std::set<std::string> bound, int depth) {
        auto plan = std::make_unique<BlockPlan>();
        BlockPlan& b = *plan;
        ScopeGuard scope(ctx_, b.declared);
        std::vector<const Clause*> traversals, residual, negations;
        std::map<const Clause*, std::pair<std::string, std::string>> ends; // `_` renamed
        auto mention = [&](const std::string& v) {
            if (std::find(b.variables.begin(), b.variables.end(), v) == b.variables.end())
                b.variables.push_back(v);
        };
        for (const auto& c : clauses) {
            switch (c.kind) {
            case Clause::Kind::kBinding: {
                if (c.var == "_")
                    break;
                const auto* node = ctx_.catalog.find_node(c.type);
                if (!node)
                    runtime_fail("schema " + ctx_.snap.schema->hash + " declares no node type " +
                                 c.type);
                declare(b, c.var, false, node->name);
                mention(c.var);
                for (const auto& m : c.props)
                    b.pushed[c.var].push_back({nullptr, &m});
                break;
            }
            case Clause::Kind::kTraversal: {
                const auto* edge = ctx_.catalog.find_edge(c.edge);
                if (!edge)
                    runtime_fail("schema " + ctx_.snap.schema->hash + " declares no edge type " +
                                 c.edge);
                auto known = ctx_.checked.reverse.find(&c);
                bool reverse =
                    known != ctx_.checked.reverse.end() ? known->second : infer_reverse(c, *edge);
                reverse_[&c] = reverse;
                const std::string& src_type = reverse ? edge->to_type : edge->from_type;
                const std::string& dst_type = reverse ? edge->from_type : edge->to_type;
                std::string names[2] = {c.src, c.dst};
                const std::string* types[2] = {&src_type, &dst_type};
                for (int i = 0; i < 2; ++i) {
                    if (names[i] == "_")
                        names[i] = "_#" + std::to_string(anon_counter_++);
                    declare(b, names[i], false, *types[i]);
                    mention(names[i]);
                }
                if (!c.edge_var.empty())
                    declare(b, c.edge_var, true, edge->name);
                ends[&c] = {names[0], names[1]};
                traversals.push_back(&c);
                break;
            }
            case Clause::Kind::kFilter: {
                std::set<std::string> used;
                ctx_.vars_of(c.left, used);
                ctx_.vars_of(c.right, used);
                bool simple = used.size() == 1 && !ctx_.var(*used.begin()).is_edge &&
                              !bound.contains(*used.begin());
                if (simple)
                    b.pushed[*used.begin()].push_back({&c, nullptr});
                else
                    residual.push_back(&c);
                break;
            }
            case Clause::Kind::kNegation:
                negations.push_back(&c);
                break;
            }
        }
        // Variables already bound by the enclosing block: their tests filter its rows.
        for (auto& [v, list] : b.pushed)
            if (bound.contains(v))
                b.bound_tests.emplace_back(v, list);

        auto candidates = [&](const std::string& v) -> const std::optional<RowSet>& {
            auto it = b.candidates.find(v);
            if (it == b.candidates.end()) {
                auto pushed = b.pushed.find(v);
                it = b.candidates
                         .emplace(v, pushed == b.pushed.end()
                                         ? std::nullopt
                                         : passing_rows(ctx_, v, pushed->second))
                         .first;
            }
            return it->second;
        };
        auto candidate_count = [&](const std::string& v) {
            const auto& pass = candidates(v);
            return pass ? pass->count() : ctx_.var(v).table->size();
        };
        // Moves the residual filters whose variables are all bound into `into`.
        auto take_ready = [&](std::vector<const Clause*>& into) {
            std::erase_if(residual, [&](const Clause* c) {
                std::set<std::string> used;
                ctx_.vars_of(c->left, used);
                ctx_.vars_of(c->right, used);
                bool ready = std::all_of(used.begin(), used.end(),
                                         [&](const std::string& v) { return bound.contains(v); });
                if (ready)
                    into.push_back(c);
                return ready;
            });
        };

        std::vector<const Clause*> pending = traversals;
        while (true) {
            // Expand a traversal that touches a bound variable, in the order written.
            auto next = std::find_if(pending.begin(), pending.end(), [&](const Clause* t) {
                return bound.contains(ends[t].first) || bound.contains(ends[t].second);
            });
            if (next != pending.end()) {
                const Clause* t = *next;
                auto [src, dst] = ends[t];
                PlanStep step;
                step.kind = PlanStep::Kind::kExpand;
                step.traversal = t;
                step.forward = bound.contains(src);
                step.from = step.forward ? src : dst;
                step.to = step.forward ? dst : src;
                step.reverse = reverse_[t];
                step.to_bound = bound.contains(step.to);
                // The last expansion of a query that only counts rows is counted, not built.
                step.count_only =
                    count_only_ && depth == 1 && pending.size() == 1 && residual.empty() &&
                    negations.empty() && t->edge_var.empty() &&
                    std::all_of(b.variables.begin(), b.variables.end(), [&](const std::string& v) {
                        return v == step.to || bound.contains(v);
                    });
                if (!step.to_bound)
                    candidates(step.to);
                bound.insert(step.to);
                if (!t->edge_var.empty())
                    bound.insert(t->edge_var);
                pending.erase(next);
                take_ready(step.filters);
                b.steps.push_back(std::move(step));
                continue;
            }
            // Otherwise start a new component at its most selective variable.
            std::string root;
            size_t best = SIZE_MAX;
            for (const auto& v : b.variables) {
                if (bound.contains(v))
                    continue;
                size_t n = candidate_count(v);
                if (n < best) {
                    best = n;
                    root = v;
                }
            }
            if (root.empty())
                break;
            PlanStep step;
            step.var = root;
            bound.insert(root);
            take_ready(step.filters);
            // A query that only counts the rows of one variable counts its scan's candidates.
            step.count_only = count_only_ && depth == 1 && b.steps.empty() && pending.empty() &&
                              residual.empty() && negations.empty() && step.filters.empty() &&
                              std::all_of(b.variables.begin(), b.variables.end(),
                                          [&](const std::string& v) { return bound.contains(v); });
            b.steps.push_back(std::move(step));
        }
        take_ready(b.final_filters);
        if (!residual.empty())
            runtime_fail("a filter references a variable this match block never binds");
        for (const Clause* n : negations) {
            BlockPlan::AntiJoin join;
            join.tag = "#row" + std::to_string(anon_counter_++); // unique when nested
            std::set<std::string> inner = bound;
            inner.insert(join.tag);
            join.body = block(n->body, std::move(inner), depth + 1);
            b.negations.push_back(std::move(join));
        }
        return plan;
    }

  private:
    void declare(BlockPlan& b, const std::string& var, bool is_edge, const std::string& type) {
        if (ctx_.find_var(var))
            return; // bound by an enclosing block or earlier in this one
        b.declared.emplace(var, ctx_.make_var(is_edge, type));
    }

    // The direction of a traversal the checker did not record (inside negations its
    // environment was a copy): inferred from the variables known so far.
    bool infer_reverse(const Clause& c, const schema::EdgeCatalog& edge) const {
        if (c.undirected)
            return false;
        if (const VarInfo* v = c.src != "_" ? ctx_.find_var(c.src) : nullptr)
            return v->type != edge.from_type && v->type == edge.to_type;
        if (const VarInfo* v = c.dst != "_" ? ctx_.find_var(c.dst) : nullptr)
            return v->type != edge.to_type && v->type == edge.from_type;
        return false;
    }

    ExecContext& ctx_;
    bool count_only_;
    int anon_counter_ = 0;
    std::map<const Clause*, bool> reverse_;
};

// Keeps the rows of `f` for which the negated block finds no match.
Frame anti_join(ExecContext& ctx, const Frame& f, const BlockPlan::AntiJoin& join) {
    ctx.budget.charge_rows(f.rows, f.cols.size() + 1); // the seed: a copy of f, numbered
    Frame seed = f;
    seed.vars.push_back(join.tag);
    seed.cols.emplace_back(f.rows);
    std::iota(seed.cols.back().begin(), seed.cols.back().end(), 0u);
    Frame inner = run_block(ctx, *join.body, std::move(seed));
    std::vector<uint8_t> matched(f.rows, 0);
    int t = inner.index_of(join.tag);
    for (size_t r = 0; r < inner.rows; ++r)
        matched[inner.cols[t][r]] = 1;
    ctx.budget.release_bytes(inner.bytes());
    inner = Frame();
    std::vector<uint32_t> keep;
    for (size_t r = 0; r < f.rows; ++r)
        if (!matched[r])
            keep.push_back(static_cast<uint32_t>(r));
    ctx.budget.charge_rows(keep.size(), f.cols.size());
    return f.select(keep);
}

// Replaces `frame` by what `op` makes of it, releasing the old frame's bytes from the budget.
template <class Op> void replace(ExecContext& ctx, Frame& frame, Op op) {
    Frame next = op(frame);
    ctx.budget.release_bytes(frame.bytes());
    frame = std::move(next);
}

const std::optional<RowSet>& candidates_of(const BlockPlan& plan, const std::string& v) {
    static const std::optional<RowSet> kEveryRow;
    auto it = plan.candidates.find(v);
    return it == plan.candidates.end() ? kEveryRow : it->second;
}

// A step's residual filters on `frame`.
void run_filters(ExecContext& ctx, const std::vector<const Clause*>& filters, Frame& frame) {
    for (const Clause* f : filters)
        replace(ctx, frame, [&](const Frame& in) { return apply_filter(ctx, in, *f); });
}

// The block's steps from `first` on, its final filters and its anti-joins (scope pushed).
Frame run_steps(ExecContext& ctx, const BlockPlan& plan, Frame frame, size_t first) {
    for (size_t i = first; i < plan.steps.size(); ++i) {
        const PlanStep& step = plan.steps[i];
        replace(ctx, frame, [&](const Frame& in) {
            if (step.kind == PlanStep::Kind::kScan)
                return cross(ctx, in, step.var, candidates_of(plan, step.var));
            return expand(ctx, in, *step.traversal, step.from, step.to, step.forward, step.reverse,
                          step.to_bound ? nullptr : &candidates_of(plan, step.to), step.count_only);
        });
        run_filters(ctx, step.filters, frame);
    }
    run_filters(ctx, plan.final_filters, frame);
    for (const auto& join : plan.negations)
        replace(ctx, frame, [&](const Frame& in) { return anti_join(ctx, in, join); });
    return frame;
}

} // namespace

ReadPlan plan_read(ExecContext& ctx) {
    const Query& q = ctx.q;
    ReadPlan plan;
    // A query that only counts bound variables (`return { count($f) as n }`) needs the number
    // of rows, not the rows.
    plan.output.aggregate = ctx.checked.aggregate;
    plan.output.count_only = ctx.checked.aggregate;
    for (const auto& p : q.projections)
        plan.output.count_only = plan.output.count_only && p.expr.kind == ExprKind::kAgg &&
                                 p.expr.name == "count" && p.expr.args[0].kind == ExprKind::kVar &&
                                 !q.find_param(p.expr.args[0].var);
    plan.output.order_keys = q.order.size();
    plan.output.limit = q.limit;
    plan.output.top_k = q.limit && !q.order.empty() && !ctx.checked.aggregate;
    Planner planner(ctx, plan.output.count_only);
    plan.match = std::move(*planner.block(q.match, {}, 1));
    plan.match.top_k_cutoff = top_k_cutoff(plan.match, plan.output, q);
    return plan;
}

Frame run_block(ExecContext& ctx, const BlockPlan& plan, Frame frame) {
    ScopeGuard scope(ctx, plan.declared);
    for (const auto& [v, list] : plan.bound_tests)
        replace(ctx, frame, [&](const Frame& in) { return filter_bound(ctx, in, v, list); });
    return run_steps(ctx, plan, std::move(frame), 0);
}

void run_match(ExecContext& ctx, const BlockPlan& plan, const std::function<bool(Frame&)>& sink) {
    Frame seed;
    seed.rows = 1;
    if (plan.steps.empty() || plan.steps[0].kind != PlanStep::Kind::kScan ||
        !plan.bound_tests.empty()) {
        Frame all = run_block(ctx, plan, std::move(seed));
        sink(all);
        return;
    }
    ScopeGuard scope(ctx, plan.declared);
    const PlanStep& first = plan.steps[0];
    std::optional<RowSet> narrowed;
    if (plan.top_k_cutoff)
        narrowed = apply_cutoff(ctx, *plan.top_k_cutoff, candidates_of(plan, first.var));
    const auto& pass = plan.top_k_cutoff ? narrowed : candidates_of(plan, first.var);
    size_t n = ctx.var(first.var).table->size();
    if (first.count_only) { // the number of candidates is the answer: no frame is built
        Frame counted;
        counted.vars = {first.var};
        counted.cols.emplace_back();
        counted.rows = pass ? pass->count() : n;
        sink(counted);
        return;
    }
    // Morsels start small (a limit may stop after the first) and double while a morsel's
    // frames stay small against the memory budget, up to an eighth of the table: a full scan
    // then runs in a few morsels, so per-morsel work (an expansion's per-node marks) stays
    // rare, while a fanning-out plan keeps its morsels, and its frames, small.
    QueryBudget& budget = ctx.budget;
    size_t morsel = std::max<size_t>(1, budget.limits().morsel_rows);
    size_t largest = std::max(morsel, n / 8);
    uint64_t roomy = budget.limits().memory_bytes ? budget.limits().memory_bytes / 16 : UINT64_MAX;
    std::vector<uint32_t> rows;
    for (uint32_t r = 0; r < n;) {
        rows.clear();
        if (pass)
            r = pass->take(r, morsel, rows);
        else
            for (; r < n && rows.size() < morsel; ++r)
                rows.push_back(r);
        if (rows.empty())
            break;
        uint64_t held_before = budget.bytes_held();
        budget.reset_peak();
        Frame frame = cross_rows(ctx, seed, first.var, rows);
        run_filters(ctx, first.filters, frame);
        frame = run_steps(ctx, plan, std::move(frame), 1);
        if (!sink(frame))
            return;
        if (budget.peak_bytes() - held_before < roomy)
            morsel = std::min(largest, morsel * 2);
    }
}

} // namespace omnigraph::query
