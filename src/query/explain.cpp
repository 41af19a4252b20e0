#include "query/explain.h"

#include "query/exec_context.h"
#include "query/match_plan.h"
#include "query/plan_cost.h"
#include "query/typecheck.h"
#include "query/vector_search.h"

#include <algorithm>

namespace omnigraph::query {

namespace {

std::string literal_text(const Literal& l) {
    switch (l.kind) {
    case LiteralKind::kString: {
        std::string out = "\"";
        for (char c : l.text)
            out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
        return out + "\"";
    }
    case LiteralKind::kBool:
        return l.boolean ? "true" : "false";
    case LiteralKind::kDate:
        return "date(\"" + l.text + "\")";
    case LiteralKind::kDateTime:
        return "datetime(\"" + l.text + "\")";
    case LiteralKind::kList: {
        std::string out = "[";
        for (size_t i = 0; i < l.items.size(); ++i)
            out += (i ? ", " : "") + literal_text(l.items[i]);
        return out + "]";
    }
    case LiteralKind::kInt:
    case LiteralKind::kFloat:
        return l.text;
    }
    return l.text;
}

// The rows of `v` that pass the block's pushed tests; null when every row does.
const RowSet* candidate_rows(const BlockPlan& b, const std::string& v) {
    auto it = b.candidates.find(v);
    if (it == b.candidates.end())
        return nullptr;
    const std::optional<RowSet>& rows = it->second;
    return rows ? &*rows : nullptr;
}

std::string var_text(const std::string& v) {
    return v.starts_with("_#") ? "$_" : "$" + v;
}

class Explainer {
  public:
    explicit Explainer(ExecContext& ctx) : ctx_(ctx) {}

    std::string run(const ReadPlan& plan) {
        line(0, "query " + ctx_.q.name);
        line(0, "match");
        BlockEstimate cost = estimate_block(ctx_, plan.match, 1);
        block(plan.match, cost, 1);
        // The whole plan's estimate, shown where it can explode: cartesian products, anti-joins.
        if (costly_)
            line(0, "cost: est. " + estimate_text(cost.produced) +
                        " intermediate rows (the row budget refuses more before running)");
        output(plan.output);
        if (const auto& cutoff = plan.match.top_k_cutoff; cutoff && cutoff->ranking) {
            const Expr& field = cutoff->ranking->args[0];
            auto v = plan.match.declared.find(field.var);
            if (v != plan.match.declared.end())
                if (auto p = v->second.property(field.name))
                    line(0, "nearest: " + vector_index_summary(*v->second.table, p->id));
        }
        return out_;
    }

  private:
    void line(int depth, const std::string& text) {
        out_ += std::string(2 * static_cast<size_t>(depth), ' ') + text + "\n";
    }

    // `scanned`: pushed into v's scan (a test on a variable bound outside runs row by row).
    std::string predicate(const std::string& v, const Predicate& p, bool scanned = true) const {
        std::string text =
            p.match ? var_text(v) + "." + p.match->property + " = " + expr_text(p.match->value)
                    : expr_text(p.filter->left) + " " + compare_op_text(p.filter->op) + " " +
                          expr_text(p.filter->right);
        if (!scanned)
            return text + " [per row]";
        if (key_of(ctx_, v, p))
            return text + " [key lookup]";
        return text + (column_test(ctx_, v, p) ? " [column]" : " [per row]");
    }

    // "3 of 8 rows pass $p.age > 30 [column]" for a variable with pushed tests.
    std::string selection(const BlockPlan& b, const std::string& v) const {
        size_t rows = ctx_.var(v).table->size();
        auto pushed = b.pushed.find(v);
        const RowSet* pass = candidate_rows(b, v);
        if (pushed == b.pushed.end() || !pass)
            return "all " + std::to_string(rows) + " rows";
        size_t n = pass->count();
        std::string text = std::to_string(n) + " of " + std::to_string(rows) + " rows pass ";
        for (size_t i = 0; i < pushed->second.size(); ++i)
            text += (i ? ", " : "") + predicate(v, pushed->second[i]);
        return text;
    }

    std::string typed(const std::string& v) const { return var_text(v) + ": " + ctx_.var(v).type; }

    void block(const BlockPlan& b, const BlockEstimate& cost, int depth) {
        ctx_.push_scope(b.declared);
        for (const auto& [v, list] : b.bound_tests) {
            std::string tests;
            for (size_t i = 0; i < list.size(); ++i)
                tests += (i ? ", " : "") + predicate(v, list[i], false);
            line(depth, "test " + var_text(v) + " (bound outside): " + tests);
        }
        for (size_t i = 0; i < b.steps.size(); ++i) {
            const PlanStep& step = b.steps[i];
            // A scan after rows are bound (or inside an anti-join) pairs it with every row.
            bool product = step.kind == PlanStep::Kind::kScan && (i > 0 || depth > 1);
            costly_ = costly_ || product;
            if (step.kind == PlanStep::Kind::kScan)
                line(depth, "scan " + typed(step.var) + " — " + selection(b, step.var) +
                                (product ? "; cross product: est. " +
                                               estimate_text(cost.after_step[i]) + " rows"
                                         : "") +
                                (step.count_only ? "; counted, not materialized" : ""));
            else
                line(depth, expand_text(b, step));
            for (const Clause* f : step.filters)
                line(depth + 1, "filter " + expr_text(f->left) + " " + compare_op_text(f->op) +
                                    " " + expr_text(f->right));
        }
        for (const Clause* f : b.final_filters)
            line(depth, "filter " + expr_text(f->left) + " " + compare_op_text(f->op) + " " +
                            expr_text(f->right));
        for (size_t i = 0; i < b.negations.size(); ++i) {
            costly_ = true;
            line(depth, "anti-join: drop the rows for which this block matches (est. " +
                            estimate_text(cost.rows_out) + " rows in, " +
                            estimate_text(cost.negations[i].produced) + " produced inside)");
            block(*b.negations[i].body, cost.negations[i], depth + 1);
        }
        ctx_.pop_scope();
    }

    std::string expand_text(const BlockPlan& b, const PlanStep& s) const {
        const Clause& t = *s.traversal;
        const auto* e = ctx_.catalog.find_edge(t.edge);
        // Which way the edge is followed from `from`: out (source to target) or in.
        bool out = s.forward != s.reverse;
        std::string edge =
            (e ? e->name : t.edge) + (t.edge_var.empty() ? "" : " as " + var_text(t.edge_var));
        std::string arrow = t.undirected ? " -[" + edge + "]- "
                            : out        ? " -[" + edge + "]-> "
                                         : " <-[" + edge + "]- ";
        std::string text = "expand " + var_text(s.from) + arrow + typed(s.to);
        bool same_type = e && e->from_type == e->to_type;
        uint64_t max_hops = same_type ? t.max_hops.value_or(1) : 1;
        text += " (" + std::string(t.undirected ? "both directions" : out ? "out" : "in");
        if (max_hops > 1 || t.min_hops != 1)
            text += ", hops " + std::to_string(t.min_hops) + ".." + std::to_string(max_hops) +
                    ", shortest distance";
        text += ")";
        if (s.to_bound)
            text += " — semi-join: both ends bound, keeps the connected rows";
        else
            text += " — " + selection(b, s.to);
        if (s.count_only)
            text += "; counted, not materialized";
        return text;
    }

    void output(const OutputPlan& o) {
        const Query& q = ctx_.q;
        std::string cols;
        for (size_t i = 0; i < ctx_.checked.columns.size(); ++i)
            cols += (i ? ", " : "") + ctx_.checked.columns[i].name;
        if (o.count_only)
            line(0, "count rows: " + cols);
        else if (o.aggregate)
            line(0, "aggregate: " + cols);
        else
            line(0, "return: " + cols);
        if (!q.order.empty()) {
            std::string keys;
            for (size_t i = 0; i < q.order.size(); ++i) {
                const Expr& key = q.order[i].expr;
                std::string how = key.kind != ExprKind::kCall ? ""
                                  : key.name == "nearest"     ? " (nearest first)"
                                  : key.name == "rrf"         ? " (highest fused score first)"
                                                              : " (best first)";
                keys += (i ? ", " : "") + expr_text(key) +
                        (!how.empty()            ? how
                         : q.order[i].descending ? " desc"
                                                 : " asc");
            }
            line(0, "order: " + keys + (o.aggregate ? "" : ", then the bound ids"));
        }
        bool fused = !q.order.empty() && q.order[0].expr.kind == ExprKind::kCall &&
                     q.order[0].expr.name == "rrf";
        if (fused && o.limit) // query/rrf.h: every row of the match is kept until it is fused
            line(0, "limit " + std::to_string(*o.limit) + " (rrf: each arm ranks the best " +
                        std::to_string(*o.limit) + " entities of the whole match)");
        else if (o.limit)
            line(0, "limit " + std::to_string(*o.limit) +
                        (o.top_k ? " (top-k: a bounded heap keeps the best " +
                                       std::to_string(*o.limit) + ")"
                         : !o.aggregate && q.order.empty()
                             ? " (stops the match after " + std::to_string(*o.limit) + " rows)"
                             : ""));
    }

    ExecContext& ctx_;
    std::string out_;
    bool costly_ = false; // a cartesian product or an anti-join: the cost line is printed
};

} // namespace

std::string expr_text(const Expr& e) {
    switch (e.kind) {
    case ExprKind::kNow:
        return "now()";
    case ExprKind::kProp:
        return var_text(e.var) + "." + e.name;
    case ExprKind::kVar:
        return var_text(e.var);
    case ExprKind::kLiteral:
        return literal_text(e.literal);
    case ExprKind::kAlias:
        return e.name;
    case ExprKind::kAgg:
    case ExprKind::kCall: {
        std::string out = e.name + "(";
        for (size_t i = 0; i < e.args.size(); ++i)
            out += (i ? ", " : "") + expr_text(e.args[i]);
        return out + ")";
    }
    }
    return "?";
}

Result<std::string> explain_read(TableCache& cache, const engine::Snapshot& snapshot,
                                 const CheckedQuery& checked, const Params& params) {
    OG_CHECK(require_schema(checked, *snapshot.schema));
    try {
        ExecContext ctx(cache, snapshot, checked, params, 0);
        ReadPlan plan = plan_read(ctx);
        return Explainer(ctx).run(plan);
    } catch (const RuntimeFailure& f) {
        return f.error();
    } catch (const std::exception& e) {
        return Error(codes::kInternal,
                     "explaining '" + checked.query->name + "' failed: " + std::string(e.what()));
    }
}

} // namespace omnigraph::query
