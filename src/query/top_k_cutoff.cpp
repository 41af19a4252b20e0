#include "query/top_k_cutoff.h"

#include "engine/cell_visit.h"
#include "query/match_plan.h"
#include "query/search_functions.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

namespace omnigraph::query {

namespace {

constexpr uint64_t kLargestK = 100'000; // beyond it the heap of keys outweighs the saving

bool fixed_width_number(const schema::PropType& type) {
    return !type.list && engine::visit_scalar(type.scalar, [](auto tag) {
        using Tag = decltype(tag);
        return Tag::is_integer || Tag::is_float || Tag::scalar == schema::ScalarType::kDate ||
               Tag::scalar == schema::ScalarType::kDateTime;
    });
}

// Calls fn(row) for each row of `pass`, or of a table of `n` rows when nullopt.
template <class Fn> void each_row(const std::optional<RowSet>& pass, size_t n, Fn fn) {
    if (!pass) {
        for (uint32_t r = 0; r < n; ++r)
            fn(r);
        return;
    }
    std::vector<uint32_t> rows;
    for (uint32_t from = 0; from < n;) {
        rows.clear();
        from = pass->take(from, 1 << 16, rows);
        for (uint32_t r : rows)
            fn(r);
        if (rows.empty())
            break;
    }
}

} // namespace

std::optional<TopKCutoff> top_k_cutoff(const BlockPlan& plan, const OutputPlan& output,
                                       const Query& q) {
    if (!output.top_k || output.aggregate || !output.limit || *output.limit == 0 ||
        *output.limit > kLargestK || q.order.empty())
        return std::nullopt;
    if (plan.steps.size() != 1 || plan.steps[0].kind != PlanStep::Kind::kScan ||
        !plan.steps[0].filters.empty() || !plan.final_filters.empty() || !plan.negations.empty() ||
        !plan.bound_tests.empty())
        return std::nullopt;
    const Expr& key = q.order[0].expr;
    const std::string& var = plan.steps[0].var;
    auto declared = plan.declared.find(var);
    if (key.kind == ExprKind::kCall && key.name == "nearest" && !key.args.empty() &&
        key.args[0].var == var)
        return TopKCutoff{var, &key, 0, nullptr, false, *output.limit};
    if (key.kind != ExprKind::kProp || key.var != var || declared == plan.declared.end())
        return std::nullopt;
    auto p = declared->second.property(key.name);
    if (!p || !fixed_width_number(*p->type))
        return std::nullopt;
    return TopKCutoff{var, nullptr, p->id, p->type, q.order[0].descending, *output.limit};
}

std::optional<RowSet> apply_cutoff(const ExecContext& ctx, const TopKCutoff& cutoff,
                                   const std::optional<RowSet>& pass) {
    if (cutoff.ranking) {
        auto narrowed = ctx.search().ranking(*cutoff.ranking).narrow(pass, cutoff.k);
        if (narrowed)
            return narrowed;
        return pass;
    }
    const LoadedTable& table = *ctx.var(cutoff.var).table;
    const format::Column& col = table.column(cutoff.property_id);
    size_t n = table.size();
    return engine::visit_scalar(cutoff.type->scalar, [&](auto tag) -> std::optional<RowSet> {
        using Tag = decltype(tag);
        using Stored = typename Tag::Storage;
        if constexpr (!std::is_arithmetic_v<Stored>) {
            return pass;
        } else {
            bool desc = cutoff.descending;
            auto better = [desc](Stored a, Stored b) { return desc ? a > b : a < b; };
            auto is_nan = [](Stored v) {
                if constexpr (std::is_floating_point_v<Stored>)
                    return std::isnan(v);
                else
                    return false;
            };
            // The best k keys, the worst of them on top of the heap.
            std::vector<Stored> best;
            best.reserve(cutoff.k);
            each_row(pass, n, [&](uint32_t r) {
                if (col.is_null(r))
                    return;
                auto v = col.fixed_at<Stored>(r);
                if (is_nan(v))
                    return;
                if (best.size() < cutoff.k) {
                    best.push_back(v);
                    std::push_heap(best.begin(), best.end(), better);
                } else if (better(v, best.front())) {
                    std::pop_heap(best.begin(), best.end(), better);
                    best.back() = v;
                    std::push_heap(best.begin(), best.end(), better);
                }
            });
            if (best.size() < cutoff.k)
                return pass;
            Stored worst = best.front();
            std::vector<uint32_t> kept;
            each_row(pass, n, [&](uint32_t r) {
                bool keep;
                if (col.is_null(r))
                    keep = !desc; // NULL ranks first ascending, last descending
                else {
                    auto v = col.fixed_at<Stored>(r);
                    keep = is_nan(v) || !better(worst, v);
                }
                if (keep)
                    kept.push_back(r);
            });
            return RowSet::of_rows(std::move(kept));
        }
    });
}

} // namespace omnigraph::query
