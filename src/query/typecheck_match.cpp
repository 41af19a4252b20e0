// Type checking a read query's match block (spec query-language §2.3): node bindings and the
// values they match, traversals and their direction, filters, and negations (which must reach
// a variable bound outside them).
#include "query/type_checker.h"

#include <algorithm>

namespace omnigraph::query::detail {

void Checker::check_read() {
    Env env;
    for (const auto& c : q_.match)
        clause(c, env, nullptr);
    out_.bindings = env;
    projections(env);
    ordering(env);
}

void Checker::clause(const Clause& c, Env& env, const Env* outer) {
    switch (c.kind) {
    case Clause::Kind::kBinding:
        binding(c, env);
        return;
    case Clause::Kind::kTraversal:
        traversal(c, env);
        return;
    case Clause::Kind::kFilter:
        filter(c, env);
        return;
    case Clause::Kind::kNegation: {
        Env inner = env;
        for (const auto& b : c.body)
            clause(b, inner, &env);
        if (!mentions_outer(c.body, env))
            fail("T9", "a not { } block must reference a variable bound outside it", c.pos);
        return;
    }
    }
    (void)outer;
}

bool Checker::expr_mentions(const Expr& e, const Env& outer) {
    if ((e.kind == ExprKind::kProp || e.kind == ExprKind::kVar) && outer.count(e.var))
        return true;
    for (const auto& a : e.args)
        if (expr_mentions(a, outer))
            return true;
    return false;
}
bool Checker::mentions_outer(const std::vector<Clause>& body, const Env& outer) {
    for (const auto& c : body) {
        switch (c.kind) {
        case Clause::Kind::kBinding:
            if (outer.count(c.var))
                return true;
            for (const auto& m : c.props)
                if (expr_mentions(m.value, outer))
                    return true;
            break;
        case Clause::Kind::kTraversal:
            if (outer.count(c.src) || outer.count(c.dst))
                return true;
            break;
        case Clause::Kind::kFilter:
            if (expr_mentions(c.left, outer) || expr_mentions(c.right, outer))
                return true;
            break;
        case Clause::Kind::kNegation:
            if (mentions_outer(c.body, outer))
                return true;
            break;
        }
    }
    return false;
}

void Checker::bind_node(const std::string& var, const std::string& type, Env& env, Pos pos) {
    if (var == "_")
        return; // the anonymous variable never binds
    auto it = env.find(var);
    if (it == env.end()) {
        env[var] = Binding{false, type};
        return;
    }
    if (it->second.is_edge)
        fail("T23",
             "variable `$" + var + "` is bound to edge type `" + it->second.type +
                 "` and cannot be used as a node",
             pos);
    if (it->second.type != type)
        fail(kQueryTypeError,
             "variable `$" + var + "` already bound to type `" + it->second.type +
                 "`, cannot rebind to `" + type + "`",
             pos);
}

void Checker::binding(const Clause& c, Env& env) {
    const schema::NodeCatalog* node = catalog_.find_node(c.type);
    if (!node)
        fail("T1", "unknown node type `" + c.type + "`", c.pos);
    if (q_.find_param(c.var))
        fail(kQueryTypeError, "`$" + c.var + "` is a parameter, not a pattern variable", c.pos);
    if (c.var == "_")
        fail(kQueryTypeError, "the anonymous variable `$_` cannot be bound to a type; name it",
             c.pos);
    bind_node(c.var, node->name, env, c.pos);
    for (const auto& m : c.props) {
        auto p = node->properties.find(m.property);
        if (p == node->properties.end())
            fail("T2", "node type `" + node->name + "` has no property `" + m.property + "`",
                 m.pos);
        const PropType& prop = p->second;
        if (is_blob(prop))
            fail("T3", "Blob property `" + m.property + "` cannot be matched", m.pos);
        // A list property matches by membership: the value is one item.
        PropType want = prop;
        want.list = false;
        match_value(m.value, want, prop.list, m.property, "T3", "T7");
    }
}

// A value matched or assigned to a property of type `want` (§2.3): literals are T3 (`lit`),
// parameters `param_code`; `now()` only fits DateTime.
void Checker::match_value(const Expr& v, const PropType& want, bool list_property,
                          const std::string& prop, const char* lit, const char* param_code) {
    switch (v.kind) {
    case ExprKind::kLiteral: {
        const Literal& l = v.literal;
        if (l.kind == LiteralKind::kList && list_property)
            fail(lit,
                 "list property `" + prop +
                     "` matches one item at a time; a list value is not allowed",
                 v.pos);
        PropType t = literal_type(l);
        if (want.scalar == ScalarType::kVector && l.kind == LiteralKind::kList) {
            for (const auto& item : l.items)
                if (item.kind != LiteralKind::kInt && item.kind != LiteralKind::kFloat)
                    fail(lit, "vector property `" + prop + "` needs numbers", v.pos);
            if (l.items.size() != want.vector_dim)
                fail(lit,
                     "vector property `" + prop + "` expects " + std::to_string(want.vector_dim) +
                         " values, got " + std::to_string(l.items.size()),
                     v.pos);
            return;
        }
        if (want.scalar == ScalarType::kBlob && l.kind == LiteralKind::kString)
            return;
        if (!compatible(t, want))
            fail(lit,
                 "property `" + prop + "` is " + type_text(want) + ", the value is " + type_text(t),
                 v.pos);
        if (want.enum_values && l.kind == LiteralKind::kString &&
            !std::binary_search(want.enum_values->begin(), want.enum_values->end(), l.text))
            fail(lit, "invalid enum value '" + l.text + "' for property `" + prop + "`", v.pos);
        return;
    }
    case ExprKind::kVar: {
        const Param* p = q_.find_param(v.var);
        if (!p)
            fail(q_.is_mutation() ? std::string_view("T14") : kQueryTypeError,
                 "`$" + v.var + "` is not a declared parameter", v.pos);
        PropType t = p->type;
        if (want.scalar == ScalarType::kBlob && t.scalar == ScalarType::kString && !t.list)
            return; // a String parameter may be assigned to a Blob property
        if (list_property && t.list)
            fail(lit,
                 "list property `" + prop +
                     "` matches one item at a time; a list parameter is not allowed",
                 v.pos);
        if (!compatible(t, want))
            fail(param_code,
                 "parameter `$" + v.var + "` is " + type_text(t) + ", property `" + prop + "` is " +
                     type_text(want),
                 v.pos);
        return;
    }
    case ExprKind::kNow:
        if (want.list || want.scalar != ScalarType::kDateTime)
            fail("T7", "now() is a DateTime; property `" + prop + "` is " + type_text(want), v.pos);
        return;
    default:
        fail(lit, "expected a literal, a parameter or now()", v.pos);
    }
}

void Checker::traversal(const Clause& c, Env& env) {
    const schema::EdgeCatalog* edge = catalog_.find_edge(c.edge);
    if (!edge)
        fail("T4", "unknown edge type `" + c.edge + "`", c.pos);
    out_.edge_type[&c] = edge->name;
    if (c.min_hops < 1)
        fail("T15", "hop bounds need min >= 1", c.pos);
    if (!c.max_hops)
        fail("T15", "hop bounds need a maximum ({min,max})", c.pos);
    if (*c.max_hops < c.min_hops)
        fail("T15", "hop bounds need max >= min", c.pos);
    if (c.undirected && edge->from_type != edge->to_type)
        fail("T22",
             "undirected traversal <" + c.edge +
                 "> needs an edge whose endpoints have "
                 "the same type (" +
                 edge->name + ": " + edge->from_type + " -> " + edge->to_type + ")",
             c.pos);
    for (const std::string* end : {&c.src, &c.dst}) {
        if (auto it = env.find(*end); it != env.end() && it->second.is_edge)
            fail("T23", "edge variable `$" + *end + "` cannot be a traversal endpoint", c.pos);
        if (q_.find_param(*end))
            fail(kQueryTypeError, "`$" + *end + "` is a parameter, not a pattern variable", c.pos);
    }
    if (!c.edge_var.empty()) {
        if (c.has_hops && !(c.min_hops == 1 && c.max_hops == 1u))
            fail("T23", "an edge binding needs a single hop", c.pos);
        if (c.edge_var == c.src || c.edge_var == c.dst || env.count(c.edge_var) ||
            c.edge_var == "_")
            fail("T23", "edge variable `$" + c.edge_var + "` must be a fresh name", c.pos);
    }
    auto bound = [&](const std::string& v) -> const Binding* {
        if (v == "_")
            return nullptr;
        auto it = env.find(v);
        return it == env.end() ? nullptr : &it->second;
    };
    const Binding* src = bound(c.src);
    const Binding* dst = bound(c.dst);
    bool reverse = false;
    auto mismatch = [&](const std::string& var, const std::string& type) {
        fail("T5",
             "variable `$" + var + "` is a " + type + ", not an endpoint of edge `" + edge->name +
                 "` (" + edge->from_type + " -> " + edge->to_type + ")",
             c.pos);
    };
    if (src) {
        if (src->type == edge->from_type)
            reverse = false;
        else if (src->type == edge->to_type && !c.undirected)
            reverse = true;
        else
            mismatch(c.src, src->type);
    } else if (dst) {
        if (dst->type == edge->to_type)
            reverse = false;
        else if (dst->type == edge->from_type && !c.undirected)
            reverse = true;
        else
            mismatch(c.dst, dst->type);
    }
    const std::string& src_type = reverse ? edge->to_type : edge->from_type;
    const std::string& dst_type = reverse ? edge->from_type : edge->to_type;
    if (dst && dst->type != dst_type)
        mismatch(c.dst, dst->type);
    bind_node(c.src, src_type, env, c.pos);
    bind_node(c.dst, dst_type, env, c.pos);
    if (!c.edge_var.empty())
        env[c.edge_var] = Binding{true, edge->name};
    out_.reverse[&c] = reverse;
}

void Checker::filter(const Clause& c, const Env& env) {
    // A search call standing alone is `call = true`.
    PropType l = operand(c.left, env);
    PropType r = operand(c.right, env);
    auto blob = [&](const PropType& t) { return is_blob(t); };
    if (blob(l) || blob(r))
        fail("T7", "blob comparisons are not supported", c.pos);
    switch (c.op) {
    case CompareOp::kContains:
        if (l.list) {
            if (r.list || is_vector(r))
                fail("T7", "contains on a list needs a scalar right operand", c.right.pos);
            PropType item = l;
            item.list = false;
            if (!compatible(item, r))
                fail("T7", "contains compares " + type_text(item) + " items with " + type_text(r),
                     c.right.pos);
            return;
        }
        if (is_string(l)) {
            if (!is_string(r))
                fail("T7", "String contains needs a String right operand, got " + type_text(r),
                     c.right.pos);
            return;
        }
        fail("T7", "contains needs a list or String left operand, got " + type_text(l), c.left.pos);
    case CompareOp::kStartsWith:
        if (!is_string(l) || !is_string(r))
            fail("T7",
                 "starts_with needs String operands, got " + type_text(l) + " and " + type_text(r),
                 c.pos);
        return;
    default:
        if (c.left.kind == ExprKind::kVar && !q_.find_param(c.left.var))
            fail("T7", "filter comparisons require scalar operands", c.left.pos);
        if (c.right.kind == ExprKind::kVar && !q_.find_param(c.right.var))
            fail("T7", "filter comparisons require scalar operands", c.right.pos);
        if (l.list || r.list || is_vector(l) || is_vector(r))
            fail("T7", "filter comparisons require scalar operands", c.pos);
        if (!compatible(l, r))
            fail("T7", "cannot compare " + type_text(l) + " with " + type_text(r), c.pos);
        return;
    }
}

} // namespace omnigraph::query::detail
