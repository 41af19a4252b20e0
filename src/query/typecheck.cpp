#include "query/typecheck.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace omnigraph::query {

using schema::PropType;
using schema::ScalarType;

namespace {

struct TypeFailure : std::runtime_error {
    TypeFailure(std::string c, const std::string& message, Pos at)
        : std::runtime_error(message), code(std::move(c)), pos(at) {}
    std::string code;
    Pos pos;
};

[[noreturn]] void fail(const char* code, const std::string& message, Pos pos) {
    throw TypeFailure(code, message, pos);
}

bool is_numeric(const PropType& t) {
    return !t.list && t.is_numeric();
}
bool is_string(const PropType& t) {
    return !t.list && t.scalar == ScalarType::kString;
}
bool is_vector(const PropType& t) {
    return !t.list && t.scalar == ScalarType::kVector;
}
bool is_blob(const PropType& t) {
    return t.scalar == ScalarType::kBlob;
}
PropType scalar_of(ScalarType s, bool nullable = false) {
    PropType t;
    t.scalar = s;
    t.nullable = nullable;
    return t;
}

// Compatible: both lists or both scalars, and the same scalar or both numeric (§2.2).
bool compatible(const PropType& a, const PropType& b) {
    if (a.list != b.list)
        return false;
    if (a.scalar == b.scalar)
        return a.scalar != ScalarType::kVector || a.vector_dim == b.vector_dim || !a.vector_dim ||
               !b.vector_dim;
    PropType sa = a, sb = b;
    sa.list = sb.list = false;
    return sa.is_numeric() && sb.is_numeric();
}

std::string type_text(const PropType& t) {
    PropType shown = t;
    shown.nullable = false;
    shown.enum_values.reset();
    return shown.display();
}

// The type of a literal (§2.2): Int → I64, Float → F64, a list → a list of its first item's type.
PropType literal_type(const Literal& l) {
    switch (l.kind) {
    case LiteralKind::kInt:
        return scalar_of(ScalarType::kI64);
    case LiteralKind::kFloat:
        return scalar_of(ScalarType::kF64);
    case LiteralKind::kString:
        return scalar_of(ScalarType::kString);
    case LiteralKind::kBool:
        return scalar_of(ScalarType::kBool);
    case LiteralKind::kDate:
        return scalar_of(ScalarType::kDate);
    case LiteralKind::kDateTime:
        return scalar_of(ScalarType::kDateTime);
    case LiteralKind::kList: {
        PropType t = l.items.empty() ? scalar_of(ScalarType::kString) : literal_type(l.items[0]);
        for (const auto& item : l.items) {
            if (item.kind == LiteralKind::kList)
                fail(kQueryTypeError.data(), "nested list literals are not supported", item.pos);
            if (!compatible(literal_type(item), t))
                fail(kQueryTypeError.data(),
                     "list literal mixes " + type_text(t) + " and " +
                         type_text(literal_type(item)) + " items",
                     item.pos);
        }
        t.list = true;
        return t;
    }
    }
    return {};
}

class Checker {
  public:
    Checker(const Query& q, const schema::Catalog& catalog) : q_(q), catalog_(catalog) {
        out_.query = &q;
    }

    CheckedQuery run() {
        for (const auto& p : q_.params) {
            if (p.name == "__nanograph_now")
                fail(kQueryTypeError.data(), "parameter name `$__nanograph_now` is reserved",
                     p.pos);
            for (const auto& other : q_.params)
                if (&other != &p && other.name == p.name && &other < &p)
                    fail(kQueryTypeError.data(), "parameter `$" + p.name + "` is declared twice",
                         p.pos);
        }
        if (q_.is_mutation())
            check_mutations();
        else
            check_read();
        return std::move(out_);
    }

  private:
    using Env = std::map<std::string, Binding>;

    // ---- read queries ----
    void check_read() {
        Env env;
        for (const auto& c : q_.match)
            clause(c, env, nullptr);
        out_.bindings = env;
        projections(env);
        ordering(env);
    }

    void clause(const Clause& c, Env& env, const Env* outer) {
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

    static bool expr_mentions(const Expr& e, const Env& outer) {
        if ((e.kind == ExprKind::kProp || e.kind == ExprKind::kVar) && outer.count(e.var))
            return true;
        for (const auto& a : e.args)
            if (expr_mentions(a, outer))
                return true;
        return false;
    }
    static bool mentions_outer(const std::vector<Clause>& body, const Env& outer) {
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

    void bind_node(const std::string& var, const std::string& type, Env& env, Pos pos) {
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
            fail(kQueryTypeError.data(),
                 "variable `$" + var + "` already bound to type `" + it->second.type +
                     "`, cannot rebind to `" + type + "`",
                 pos);
    }

    void binding(const Clause& c, Env& env) {
        const schema::NodeCatalog* node = catalog_.find_node(c.type);
        if (!node)
            fail("T1", "unknown node type `" + c.type + "`", c.pos);
        if (q_.find_param(c.var))
            fail(kQueryTypeError.data(), "`$" + c.var + "` is a parameter, not a pattern variable",
                 c.pos);
        if (c.var == "_")
            fail(kQueryTypeError.data(),
                 "the anonymous variable `$_` cannot be bound to a type; name it", c.pos);
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
    void match_value(const Expr& v, const PropType& want, bool list_property,
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
                         "vector property `" + prop + "` expects " +
                             std::to_string(want.vector_dim) + " values, got " +
                             std::to_string(l.items.size()),
                         v.pos);
                return;
            }
            if (want.scalar == ScalarType::kBlob && l.kind == LiteralKind::kString)
                return;
            if (!compatible(t, want))
                fail(lit,
                     "property `" + prop + "` is " + type_text(want) + ", the value is " +
                         type_text(t),
                     v.pos);
            if (want.enum_values && l.kind == LiteralKind::kString &&
                !std::binary_search(want.enum_values->begin(), want.enum_values->end(), l.text))
                fail(lit, "invalid enum value '" + l.text + "' for property `" + prop + "`", v.pos);
            return;
        }
        case ExprKind::kVar: {
            const Param* p = q_.find_param(v.var);
            if (!p)
                fail(q_.is_mutation() ? "T14" : kQueryTypeError.data(),
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
                     "parameter `$" + v.var + "` is " + type_text(t) + ", property `" + prop +
                         "` is " + type_text(want),
                     v.pos);
            return;
        }
        case ExprKind::kNow:
            if (want.list || want.scalar != ScalarType::kDateTime)
                fail("T7", "now() is a DateTime; property `" + prop + "` is " + type_text(want),
                     v.pos);
            return;
        default:
            fail(lit, "expected a literal, a parameter or now()", v.pos);
        }
    }

    void traversal(const Clause& c, Env& env) {
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
                fail(kQueryTypeError.data(),
                     "`$" + *end + "` is a parameter, not a pattern variable", c.pos);
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
                 "variable `$" + var + "` is a " + type + ", not an endpoint of edge `" +
                     edge->name + "` (" + edge->from_type + " -> " + edge->to_type + ")",
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

    // The type of an operand; `where` says what uses it (for messages).
    PropType operand(const Expr& e, const Env& env, bool allow_aggregate = false) {
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
                fail(kQueryTypeError.data(), "variable `$" + e.var + "` is not bound", e.pos);
            if (it->second.is_edge)
                fail("T23", "edge variable `$" + e.var + "` cannot be used bare", e.pos);
            return scalar_of(ScalarType::kString); // a node variable stands for its id
        }
        case ExprKind::kAlias:
            fail(kQueryTypeError.data(), "unknown identifier `" + e.name + "`", e.pos);
        case ExprKind::kAgg:
            if (!allow_aggregate)
                fail("T7", "aggregates are not allowed here", e.pos);
            return aggregate(e, env);
        case ExprKind::kCall:
            return call(e, env);
        }
        return {};
    }

    PropType property(const Expr& e, const Env& env) {
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

    PropType aggregate(const Expr& e, const Env& env) {
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
            fail("T8", e.name + "() needs a numeric or String argument, got " + type_text(t),
                 arg.pos);
        t.nullable = true;
        return t;
    }

    // The search and ranking functions: type-checked now, executed by a later release.
    PropType call(const Expr& e, const Env& env) {
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
                fail("T15",
                     "nearest() needs a Vector property, `" + f.name + "` is " + type_text(v),
                     f.pos);
            const Expr& q = e.args[1];
            if (q.kind == ExprKind::kLiteral && q.literal.kind == LiteralKind::kList) {
                for (const auto& item : q.literal.items)
                    if (item.kind != LiteralKind::kInt && item.kind != LiteralKind::kFloat)
                        fail("T15", "nearest() query vector needs numbers", q.pos);
                if (q.literal.items.size() != v.vector_dim)
                    fail("T15",
                         "nearest() query has " + std::to_string(q.literal.items.size()) +
                             " values, the property is Vector(" + std::to_string(v.vector_dim) +
                             ")",
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

    void filter(const Clause& c, const Env& env) {
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
                    fail("T7",
                         "contains compares " + type_text(item) + " items with " + type_text(r),
                         c.right.pos);
                return;
            }
            if (is_string(l)) {
                if (!is_string(r))
                    fail("T7", "String contains needs a String right operand, got " + type_text(r),
                         c.right.pos);
                return;
            }
            fail("T7", "contains needs a list or String left operand, got " + type_text(l),
                 c.left.pos);
        case CompareOp::kStartsWith:
            if (!is_string(l) || !is_string(r))
                fail("T7",
                     "starts_with needs String operands, got " + type_text(l) + " and " +
                         type_text(r),
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

    void projections(const Env& env) {
        if (q_.projections.empty())
            fail(kQueryTypeError.data(), "return { } needs at least one projection", q_.pos);
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
            if (e.kind == ExprKind::kCall && e.name != "nearest" && e.name != "bm25" &&
                e.name != "rrf")
                fail(kQueryTypeError.data(), e.name + "() is a filter, not a value", e.pos);
            PropType t = operand(e, env, true);
            if (is_blob(t))
                fail("T24", "Blob values cannot be returned", e.pos);
            std::string name = p.alias ? *p.alias : default_column_name(e);
            if (!names.insert(name).second)
                fail(kQueryTypeError.data(),
                     "duplicate output column `" + name + "` (give one of them an alias with `as`)",
                     p.pos);
            out_.columns.push_back({name, t});
        }
    }

    void ordering(const Env& env) {
        bool nearest = false, alias_key = false;
        for (size_t i = 0; i < q_.order.size(); ++i) {
            const Expr& e = q_.order[i].expr;
            if (e.kind == ExprKind::kAlias) {
                alias_key = true;
                auto it = std::find_if(out_.columns.begin(), out_.columns.end(),
                                       [&](const Column& c) { return c.name == e.name; });
                if (it == out_.columns.end())
                    fail(kQueryTypeError.data(),
                         "order key `" + e.name + "` is not an output column alias", e.pos);
                continue;
            }
            if (e.kind == ExprKind::kCall) {
                if (e.name != "nearest" && e.name != "bm25" && e.name != "rrf")
                    fail(kQueryTypeError.data(), e.name + "() cannot order rows", e.pos);
                if (i != 0)
                    fail(kQueryTypeError.data(), e.name + "() must be the first order key", e.pos);
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
                fail(kQueryTypeError.data(),
                     "order by an aggregate through its alias (`count($f) as n` … `order { n }`)",
                     e.pos);
            if (out_.aggregate && e.kind == ExprKind::kProp) {
                std::string name = default_column_name(e);
                bool projected = false;
                for (size_t j = 0; j < q_.projections.size(); ++j)
                    projected |= !q_.projections[j].alias && out_.columns[j].name == name;
                if (!projected)
                    fail(kQueryTypeError.data(),
                         "an aggregate query orders by its output columns; `" + name +
                             "` is not one",
                         e.pos);
            }
            PropType t = operand(e, env);
            if (is_blob(t))
                fail("T24", "Blob values cannot order rows", e.pos);
            if (t.list || is_vector(t))
                fail(kQueryTypeError.data(), "lists and vectors cannot order rows", e.pos);
        }
        if (nearest && alias_key)
            fail("T18", "nearest() ordering cannot be combined with alias order keys",
                 q_.order[0].pos);
    }

    // ---- mutations ----
    void check_mutations() {
        bool writes = false, deletes = false;
        for (const auto& m : q_.mutations)
            (m.kind == Mutation::Kind::kDelete ? deletes : writes) = true;
        for (const auto& m : q_.mutations)
            mutation(m);
        if (writes && deletes)
            fail(kQueryTypeError.data(),
                 "a mutation cannot mix inserts/updates and deletes; split into separate "
                 "mutations",
                 q_.pos);
    }

    void mutation(const Mutation& m) {
        const schema::NodeCatalog* node = catalog_.find_node(m.type);
        const schema::EdgeCatalog* edge = node ? nullptr : catalog_.find_edge(m.type);
        if (m.kind == Mutation::Kind::kUpdate && !node && edge)
            fail("T16", "update works on node types only; `" + m.type + "` is an edge type", m.pos);
        if (!node && !edge)
            fail("T10", "unknown type `" + m.type + "`", m.pos);
        if (m.kind != Mutation::Kind::kDelete && m.assignments.empty())
            fail("T10", "`" + m.type + "` needs at least one assignment", m.pos);
        const auto& props = node ? node->properties : edge->properties;
        std::set<std::string> assigned;
        for (const auto& a : m.assignments) {
            if (!assigned.insert(a.property).second)
                fail("T13", "property `" + a.property + "` is assigned twice", a.pos);
            bool endpoint = edge && (a.property == "from" || a.property == "to");
            if (endpoint) {
                match_value(a.value, scalar_of(ScalarType::kString), false, a.property, "T3", "T7");
                continue;
            }
            auto p = props.find(a.property);
            if (p == props.end())
                fail("T11", "type `" + m.type + "` has no property `" + a.property + "`", a.pos);
            if (m.kind == Mutation::Kind::kUpdate && node->key &&
                std::count(node->key->begin(), node->key->end(), a.property))
                fail(kQueryTypeError.data(),
                     "cannot update @key property `" + a.property + "` of `" + node->name +
                         "`; delete and re-insert instead",
                     a.pos);
            match_value(a.value, p->second, false, a.property, "T3", "T7");
        }
        if (m.kind == Mutation::Kind::kInsert) {
            if (edge) {
                for (const char* end : {"from", "to"})
                    if (!assigned.count(end))
                        fail("T12", "insert into edge `" + edge->name + "` needs `" + end + "`",
                             m.pos);
            }
            for (const auto& [name, type] : props) {
                if (type.nullable || assigned.count(name))
                    continue;
                if (node) {
                    auto embed = node->embed_sources.find(name);
                    if (embed != node->embed_sources.end()) {
                        // Our loader does not embed yet: the target itself is required.
                        fail("T12",
                             "insert into `" + m.type + "` misses required property `" + name +
                                 "` (its @embed source is not embedded on insert)",
                             m.pos);
                    }
                }
                fail("T12", "insert into `" + m.type + "` misses required property `" + name + "`",
                     m.pos);
            }
        }
        if (m.kind != Mutation::Kind::kInsert) {
            bool endpoint = edge && (m.where_property == "from" || m.where_property == "to");
            PropType want = scalar_of(ScalarType::kString);
            if (!endpoint) {
                auto p = props.find(m.where_property);
                if (p == props.end())
                    fail("T11", "type `" + m.type + "` has no property `" + m.where_property + "`",
                         m.where_pos);
                if (is_blob(p->second))
                    fail("T11", "Blob property `" + m.where_property + "` cannot be compared",
                         m.where_pos);
                want = p->second;
                if (want.list || is_vector(want))
                    fail("T7", "a where predicate needs a scalar property", m.where_pos);
            }
            match_value(m.where_value, want, false, m.where_property, "T3", "T7");
        }
    }

    const Query& q_;
    const schema::Catalog& catalog_;
    CheckedQuery out_;
};

} // namespace

std::string default_column_name(const Expr& e) {
    switch (e.kind) {
    case ExprKind::kProp:
        return e.var + "." + e.name;
    case ExprKind::kVar:
        return e.var;
    case ExprKind::kLiteral:
        return "literal";
    case ExprKind::kNow:
        return "now";
    case ExprKind::kAlias:
        return e.name;
    case ExprKind::kAgg: {
        std::string arg = default_column_name(e.args.at(0));
        std::replace(arg.begin(), arg.end(), '.', '_');
        return e.name + "_" + arg;
    }
    case ExprKind::kCall:
        return e.name;
    }
    return "?";
}

Result<CheckedQuery> check_query(const Query& query, const schema::Catalog& catalog,
                                 std::string_view file) {
    try {
        CheckedQuery checked = Checker(query, catalog).run();
        checked.schema_ir_hash = catalog.ir_hash;
        return checked;
    } catch (const TypeFailure& f) {
        std::string prefix = f.code == kQueryTypeError ? "" : f.code + ": ";
        return Error(f.code, "type error: " + prefix + f.what(),
                     SourceLocation{std::string(file), f.pos.line, f.pos.column});
    }
}

} // namespace omnigraph::query
