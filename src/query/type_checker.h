// The Checker behind check_query (typecheck.h) and the §2.2 type vocabulary it shares: its parts
// are defined in typecheck.cpp (order of checks), typecheck_match.cpp (match blocks),
// typecheck_expressions.cpp (operands), typecheck_results.cpp (return and order),
// typecheck_mutations.cpp and typecheck_types.cpp (type rules). Internal to the query layer.
#pragma once

#include "query/typecheck.h"

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::query::detail {

using schema::PropType;
using schema::ScalarType;

struct TypeFailure : std::runtime_error {
    TypeFailure(std::string c, const std::string& message, Pos at)
        : std::runtime_error(message), code(std::move(c)), pos(at) {}
    std::string code;
    Pos pos;
};

// Every check fails by throwing; check_query turns the TypeFailure into its Error.
[[noreturn]] inline void fail(std::string_view code, const std::string& message, Pos pos) {
    throw TypeFailure(std::string(code), message, pos);
}

inline bool is_numeric(const PropType& t) {
    return !t.list && t.is_numeric();
}
inline bool is_string(const PropType& t) {
    return !t.list && t.scalar == ScalarType::kString;
}
inline bool is_vector(const PropType& t) {
    return !t.list && t.scalar == ScalarType::kVector;
}
inline bool is_blob(const PropType& t) {
    return t.scalar == ScalarType::kBlob;
}
inline PropType scalar_of(ScalarType s, bool nullable = false) {
    PropType t;
    t.scalar = s;
    t.nullable = nullable;
    return t;
}

// ---- type rules (typecheck_types.cpp) ------------------------------------------------

// Compatible: both lists or both scalars, and the same scalar or both numeric (§2.2).
bool compatible(const PropType& a, const PropType& b);
std::string type_text(const PropType& t);
// The type of a literal (§2.2): Int → I64, Float → F64, a list → a list of its first item's type.
PropType literal_type(const Literal& l);

class Checker {
  public:
    Checker(const Query& q, const schema::Catalog& catalog) : q_(q), catalog_(catalog) {
        out_.query = &q;
    }

    CheckedQuery run();

  private:
    using Env = std::map<std::string, Binding>;

    // ---- read queries: the match block (typecheck_match.cpp) ----
    void check_read();
    void clause(const Clause& c, Env& env, const Env* outer);
    static bool expr_mentions(const Expr& e, const Env& outer);
    static bool mentions_outer(const std::vector<Clause>& body, const Env& outer);
    void bind_node(const std::string& var, const std::string& type, Env& env, Pos pos);
    void binding(const Clause& c, Env& env);
    void match_value(const Expr& v, const PropType& want, bool list_property,
                     const std::string& prop, const char* lit, const char* param_code);
    void traversal(const Clause& c, Env& env);
    void filter(const Clause& c, const Env& env);

    // ---- operands (typecheck_expressions.cpp) ----
    PropType operand(const Expr& e, const Env& env, bool allow_aggregate = false);
    PropType property(const Expr& e, const Env& env);
    PropType aggregate(const Expr& e, const Env& env);
    PropType call(const Expr& e, const Env& env);

    // ---- return and order (typecheck_results.cpp) ----
    void projections(const Env& env);
    void ordering(const Env& env);

    // ---- mutations (typecheck_mutations.cpp) ----
    void check_mutations();
    void mutation(const Mutation& m);

    const Query& q_;
    const schema::Catalog& catalog_;
    CheckedQuery out_;
};

} // namespace omnigraph::query::detail
