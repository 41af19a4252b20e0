#include "query/search_functions.h"

#include "query/exec_context.h"
#include "query/explain.h"
#include "query/nearest.h"
#include "query/text_search.h"

#include <limits>

namespace omnigraph::query {

bool order_descending(const Ordering& o) {
    return o.expr.kind != ExprKind::kCall && o.descending;
}

std::unique_ptr<Ranking> make_ranking(const ExecContext& ctx, const Expr& e) {
    if (e.kind == ExprKind::kCall && e.name == "nearest")
        return make_nearest(ctx, e);
    if (e.kind == ExprKind::kCall && e.name == "bm25")
        return make_bm25(ctx, e);
    runtime_fail("`" + e.name + "` is not a ranking function (nearest, bm25)");
}

Ranking& SearchFunctions::ranking(const Expr& e) {
    Ranking*& known = by_expr_[&e];
    if (!known) {
        auto& slot = rankings_[expr_text(e)];
        if (!slot)
            slot = make_ranking(ctx_, e);
        known = slot.get();
    }
    return *known;
}

uint32_t SearchFunctions::row_of(const Ranking& k, const Frame& f, size_t r) const {
    int c = f.index_of(k.variable());
    if (c < 0)
        runtime_fail("variable `$" + k.variable() + "` is not bound");
    return f.cols[c][r];
}

Value SearchFunctions::value(const Expr& e, const Frame& f, size_t r) {
    Ranking& k = ranking(e);
    auto s = k.score(row_of(k, f, r));
    return s ? Value::of_float(*s) : Value::null();
}

bool SearchFunctions::ranks(const Expr& e, const Frame& f, size_t r) {
    Ranking& k = ranking(e);
    return !k.drops_unscored() || k.score(row_of(k, f, r)).has_value();
}

Value SearchFunctions::order_key(const Expr& e, const Frame& f, size_t r) {
    Ranking& k = ranking(e);
    auto s = k.score(row_of(k, f, r));
    if (!s)
        return Value::of_float(std::numeric_limits<double>::infinity());
    return Value::of_float(k.ascending() ? *s : -*s);
}

} // namespace omnigraph::query
