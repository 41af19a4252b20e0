// The syntax tree of a `.gq` file (spec query-language §1): queries with parameters, a read
// body (match / return / order / limit) or mutation statements. Positions are 1-based
// line:column of the construct's first token. Plain values.
#pragma once

#include "schema/model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::query {

struct Pos {
    int line = 0;
    int column = 0;
};

enum class LiteralKind { kInt, kFloat, kString, kBool, kDate, kDateTime, kList };

struct Literal {
    LiteralKind kind = LiteralKind::kString;
    std::string text;           // digits of Int/Float, unescaped String, Date/DateTime argument
    bool boolean = false;       // kBool
    std::vector<Literal> items; // kList
    Pos pos;
};

enum class ExprKind {
    kNow,     // now()
    kProp,    // $var.prop
    kVar,     // $var (a parameter or a bound variable)
    kLiteral, // literal
    kAlias,   // a bare identifier: a projection alias (order keys)
    kAgg,     // count/sum/avg/min/max(arg)
    kCall,    // nearest/search/fuzzy/match_text/bm25/rrf(args)
};

struct Expr {
    ExprKind kind = ExprKind::kLiteral;
    Pos pos;
    std::string var;  // kProp, kVar: the variable name without '$'
    std::string name; // kProp: property; kAlias: the identifier; kAgg/kCall: function name
    Literal literal;  // kLiteral
    std::vector<Expr> args;
};

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kContains, kStartsWith };
const char* compare_op_text(CompareOp op); // "=", "!=", ..., "contains", "starts_with"

struct PropMatch {
    std::string property;
    Expr value; // literal, $var or now()
    Pos pos;
};

struct Clause {
    enum class Kind { kBinding, kTraversal, kFilter, kNegation } kind = Kind::kBinding;
    Pos pos;
    // kBinding: $var: Type { props }
    std::string var, type;
    std::vector<PropMatch> props;
    // kTraversal: $src [$edge_var:] edge|<edge> [{min,max}] $dst
    std::string src, dst, edge, edge_var;
    bool undirected = false;
    uint64_t min_hops = 1;
    std::optional<uint64_t> max_hops = 1; // nullopt: written `{n,}` (rejected by the checker)
    bool has_hops = false;
    // kFilter: left op right
    Expr left, right;
    CompareOp op = CompareOp::kEq;
    // kNegation: not { body }
    std::vector<Clause> body;
};

struct Projection {
    Expr expr;
    std::optional<std::string> alias;
    Pos pos;
};

struct Ordering {
    Expr expr;
    bool descending = false;
    Pos pos;
};

// A declared parameter type: a scalar, a list of scalars or Vector(N); `?` = nullable.
using ParamType = schema::PropType;

struct Param {
    std::string name; // without '$'
    ParamType type;
    Pos pos;
};

struct Assignment {
    std::string property;
    Expr value; // literal, $param or now()
    Pos pos;
};

struct Mutation {
    enum class Kind { kInsert, kUpdate, kDelete } kind = Kind::kInsert;
    std::string type;
    std::vector<Assignment> assignments; // insert, update
    // update, delete: where <property> <op> <value>
    std::string where_property;
    CompareOp where_op = CompareOp::kEq;
    Expr where_value;
    Pos pos, where_pos;
};

struct Query {
    std::string name;
    std::vector<Param> params;
    std::optional<std::string> description, instruction;
    // Read body.
    std::vector<Clause> match;
    std::vector<Projection> projections;
    std::vector<Ordering> order;
    std::optional<uint64_t> limit;
    // Mutation body (non-empty for a mutation query).
    std::vector<Mutation> mutations;
    Pos pos;

    bool is_mutation() const { return !mutations.empty(); }
    const Param* find_param(std::string_view param) const {
        for (const auto& p : params)
            if (p.name == param)
                return &p;
        return nullptr;
    }
};

struct QueryFile {
    std::vector<Query> queries;
    // The first query named `name` (names are not unique; the first wins), or null.
    const Query* find(std::string_view name) const {
        for (const auto& q : queries)
            if (q.name == name)
                return &q;
        return nullptr;
    }
};

} // namespace omnigraph::query
