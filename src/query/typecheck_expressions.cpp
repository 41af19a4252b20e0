// The types of operands: literals, parameters, variables, properties, aggregates, and the search
// and ranking calls with their argument rules.
#include "query/type_checker.h"

namespace omnigraph::query::detail {

// The type of an operand; `where` says what uses it (for messages).
PropType Checker::operand(const Expr& e, const Env& env, bool allow_aggregate) {
    switch (e.kind) {
    case ExprKind::kNow:
        return scalar_of(ScalarType::kDateTime);
    case ExprKind::kLiteral:
        return literal_type(e.literal);
    case ExprKind::kProp:
        return property(e, env);
    case ExprKind::kVar: {
        if (const Param* p = q_.find_param(e.var)) {
            PropType t = p->type;
            t.nullable = true;
            return t;
        }
        auto it = env.find(e.var);
        if (it == env.end())
            fail(kQueryTypeError, "variable `$" + e.var + "` is not bound", e.pos);
        if (it->second.is_edge)
            fail("T23", "edge variable `$" + e.var + "` cannot be used bare", e.pos);
        return scalar_of(ScalarType::kString); // a node variable stands for its id
    }
    case ExprKind::kAlias:
        fail(kQueryTypeError, "unknown identifier `" + e.name + "`", e.pos);
    case ExprKind::kAgg:
        if (!allow_aggregate)
            fail("T7", "aggregates are not allowed here", e.pos);
        return aggregate(e, env);
    case ExprKind::kCall:
        return call(e, env);
    }
    return {};
}

PropType Checker::property(const Expr& e, const Env& env) {
    auto it = env.find(e.var);
    if (it == env.end() || e.var == "_")
        fail("T6", "variable `$" + e.var + "` is not bound", e.pos);
    const std::map<std::string, PropType>* props = nullptr;
    if (it->second.is_edge)
        props = &catalog_.find_edge(it->second.type)->properties;
    else
        props = &catalog_.find_node(it->second.type)->properties;
    auto p = props->find(e.name);
    if (p == props->end())
        fail("T6",
             std::string(it->second.is_edge ? "edge" : "node") + " type `" + it->second.type +
                 "` has no property `" + e.name + "`",
             e.pos);
    if (is_blob(p->second))
        fail("T24", "Blob property `" + e.name + "` cannot be read in a query", e.pos);
    PropType t = p->second;
    t.enum_values.reset();
    return t;
}

PropType Checker::aggregate(const Expr& e, const Env& env) {
    const Expr& arg = e.args.at(0);
    PropType t = operand(arg, env);
    if (is_blob(t))
        fail("T24", "Blob values cannot be aggregated", arg.pos);
    if (e.name == "count")
        return scalar_of(ScalarType::kI64);
    if (e.name == "sum" || e.name == "avg") {
        if (!is_numeric(t))
            fail("T8", e.name + "() needs a numeric argument, got " + type_text(t), arg.pos);
        return scalar_of(ScalarType::kF64, true);
    }
    if (!is_numeric(t) && !is_string(t))
        fail("T8", e.name + "() needs a numeric or String argument, got " + type_text(t), arg.pos);
    t.nullable = true;
    return t;
}

// The search and ranking functions: type-checked now, executed by a later release.
PropType Checker::call(const Expr& e, const Env& env) {
    auto field = [&](const Expr& a, const char* code) {
        if (a.kind != ExprKind::kProp)
            fail(code, e.name + "() needs a property of a node variable", a.pos);
        auto it = env.find(a.var);
        if (it != env.end() && it->second.is_edge)
            fail("T23", e.name + "() cannot search an edge variable", a.pos);
        return operand(a, env);
    };
    if (e.name == "search" || e.name == "fuzzy" || e.name == "match_text" || e.name == "bm25") {
        const char* code = (e.name == "search" || e.name == "fuzzy") ? "T19" : "T20";
        if (!is_string(field(e.args[0], code)) || !is_string(operand(e.args[1], env)))
            fail(code, e.name + "() needs String field and query arguments", e.pos);
        if (e.name == "fuzzy" && e.args.size() > 2) {
            PropType m = operand(e.args[2], env);
            if (m.list || !(m.scalar == ScalarType::kI32 || m.scalar == ScalarType::kI64 ||
                            m.scalar == ScalarType::kU32 || m.scalar == ScalarType::kU64))
                fail("T19", "fuzzy() max_edits must be an integer", e.args[2].pos);
        }
        return e.name == "bm25" ? scalar_of(ScalarType::kF64) : scalar_of(ScalarType::kBool);
    }
    if (e.name == "nearest") {
        const Expr& f = e.args[0];
        if (f.kind != ExprKind::kProp)
            fail("T15", "nearest() needs a Vector property of a node variable", f.pos);
        auto it = env.find(f.var);
        if (it != env.end() && it->second.is_edge)
            fail("T23", "nearest() cannot rank an edge variable", f.pos);
        if (it == env.end())
            fail("T15", "variable `$" + f.var + "` is not bound", f.pos);
        PropType v = property(f, env);
        if (!is_vector(v))
            fail("T15", "nearest() needs a Vector property, `" + f.name + "` is " + type_text(v),
                 f.pos);
        const Expr& q = e.args[1];
        if (q.kind == ExprKind::kLiteral && q.literal.kind == LiteralKind::kList) {
            for (const auto& item : q.literal.items)
                if (item.kind != LiteralKind::kInt && item.kind != LiteralKind::kFloat)
                    fail("T15", "nearest() query vector needs numbers", q.pos);
            if (q.literal.items.size() != v.vector_dim)
                fail("T15",
                     "nearest() query has " + std::to_string(q.literal.items.size()) +
                         " values, the property is Vector(" + std::to_string(v.vector_dim) + ")",
                     q.pos);
        } else {
            PropType qt = operand(q, env);
            if (!(is_string(qt) || (is_vector(qt) && qt.vector_dim == v.vector_dim)))
                fail("T15",
                     "nearest() query must be a Vector(" + std::to_string(v.vector_dim) +
                         ") or a String, got " + type_text(qt),
                     q.pos);
        }
        return scalar_of(ScalarType::kF64);
    }
    // rrf(rank, rank [, k])
    for (size_t i = 0; i < 2; ++i)
        call(e.args[i], env);
    if (e.args.size() > 2) {
        const Expr& k = e.args[2];
        PropType kt = operand(k, env);
        if (kt.list || !(kt.scalar == ScalarType::kI32 || kt.scalar == ScalarType::kI64 ||
                         kt.scalar == ScalarType::kU32 || kt.scalar == ScalarType::kU64))
            fail("T21", "rrf() k must be an integer", k.pos);
        if (k.kind == ExprKind::kLiteral &&
            k.literal.text == std::string(k.literal.text.size(), '0'))
            fail("T21", "rrf() k must be greater than 0", k.pos);
    }
    return scalar_of(ScalarType::kF64);
}

} // namespace omnigraph::query::detail
