// Type checking what a read query returns: its projections (output columns, aggregate rules)
// and its order keys (aliases, ranking calls, limits).
#include "query/type_checker.h"

#include <algorithm>
#include <set>

namespace omnigraph::query::detail {

void Checker::projections(const Env& env) {
    if (q_.projections.empty())
        fail(kQueryTypeError, "return { } needs at least one projection", q_.pos);
    for (const auto& p : q_.projections)
        if (p.expr.kind == ExprKind::kAgg)
            out_.aggregate = true;
    std::set<std::string> names;
    for (const auto& p : q_.projections) {
        const Expr& e = p.expr;
        if (out_.aggregate && e.kind != ExprKind::kAgg && e.kind != ExprKind::kProp &&
            e.kind != ExprKind::kVar)
            fail("T9",
                 "in an aggregate query every other projection must be a property or "
                 "a variable",
                 e.pos);
        if (e.kind == ExprKind::kCall && e.name != "nearest" && e.name != "bm25" && e.name != "rrf")
            fail(kQueryTypeError, e.name + "() is a filter, not a value", e.pos);
        PropType t = operand(e, env, true);
        if (is_blob(t))
            fail("T24", "Blob values cannot be returned", e.pos);
        std::string name = p.alias ? *p.alias : default_column_name(e);
        if (!names.insert(name).second)
            fail(kQueryTypeError,
                 "duplicate output column `" + name + "` (give one of them an alias with `as`)",
                 p.pos);
        out_.columns.push_back({name, t});
    }
}

void Checker::ordering(const Env& env) {
    bool nearest = false, alias_key = false;
    for (size_t i = 0; i < q_.order.size(); ++i) {
        const Expr& e = q_.order[i].expr;
        if (e.kind == ExprKind::kAlias) {
            alias_key = true;
            auto it = std::find_if(out_.columns.begin(), out_.columns.end(),
                                   [&](const Column& c) { return c.name == e.name; });
            if (it == out_.columns.end())
                fail(kQueryTypeError, "order key `" + e.name + "` is not an output column alias",
                     e.pos);
            continue;
        }
        if (e.kind == ExprKind::kCall) {
            if (e.name != "nearest" && e.name != "bm25" && e.name != "rrf")
                fail(kQueryTypeError, e.name + "() cannot order rows", e.pos);
            if (i != 0)
                fail(kQueryTypeError, e.name + "() must be the first order key", e.pos);
            call(e, env);
            if (e.name == "nearest") {
                nearest = true;
                if (!q_.limit)
                    fail("T17", "ordering by nearest() needs a limit", e.pos);
            }
            if (e.name == "rrf" && !q_.limit)
                fail("T21", "ordering by rrf() needs a limit", e.pos);
            continue;
        }
        if (e.kind == ExprKind::kAgg)
            fail(kQueryTypeError,
                 "order by an aggregate through its alias (`count($f) as n` … `order { n }`)",
                 e.pos);
        if (out_.aggregate && e.kind == ExprKind::kProp) {
            std::string name = default_column_name(e);
            bool projected = false;
            for (size_t j = 0; j < q_.projections.size(); ++j)
                projected |= !q_.projections[j].alias && out_.columns[j].name == name;
            if (!projected)
                fail(kQueryTypeError,
                     "an aggregate query orders by its output columns; `" + name + "` is not one",
                     e.pos);
        }
        PropType t = operand(e, env);
        if (is_blob(t))
            fail("T24", "Blob values cannot order rows", e.pos);
        if (t.list || is_vector(t))
            fail(kQueryTypeError, "lists and vectors cannot order rows", e.pos);
    }
    if (nearest && alias_key)
        fail("T18", "nearest() ordering cannot be combined with alias order keys", q_.order[0].pos);
}

} // namespace omnigraph::query::detail
