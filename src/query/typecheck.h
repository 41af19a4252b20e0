// The `.gq` type checker (spec query-language §2): checks a parsed query against a schema
// catalog and returns what execution needs — the type of every variable, the direction of
// every traversal, the output columns. Errors carry the spec's codes (T1-T24) as the Error
// code, or `query_type_error` for the uncoded ones, with the construct's position. Pure;
// thread-safe.
#pragma once

#include "base/error.h"
#include "query/ast.h"
#include "schema/catalog.h"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::query {

inline constexpr std::string_view kQueryTypeError = "query_type_error";

// What a `$name` stands for in a match block.
struct Binding {
    bool is_edge = false;
    std::string type; // node or edge type name (the catalog's spelling)
};

struct Column {
    std::string name;
    schema::PropType type; // the value type (aggregates: count I64, sum/avg F64)
};

struct CheckedQuery {
    const Query* query = nullptr;
    // The IR hash of the catalog it was checked against: execution refuses a snapshot whose
    // schema has another hash (a property or type the check saw may not exist there).
    std::string schema_ir_hash;
    std::map<std::string, Binding> bindings; // the top-level match block's variables
    // Per traversal clause (also inside negations): true when it follows the edge from its
    // target to its source. Keyed by the clause's address in `query`.
    std::map<const Clause*, bool> reverse;
    // Per traversal clause: the edge type's catalog name.
    std::map<const Clause*, std::string> edge_type;
    std::vector<Column> columns; // read queries: the output columns, in projection order
    bool aggregate = false;      // some projection is an aggregate
};

// `file` names the query file in error locations.
Result<CheckedQuery> check_query(const Query& query, const schema::Catalog& catalog,
                                 std::string_view file = "<query>");

// The output name of an unaliased projection: `p.name`, `p`, the parameter name, `literal`,
// `now`, or `<fn>_<argument name>` for an aggregate (`count_f`, `sum_p_age`).
std::string default_column_name(const Expr& e);

} // namespace omnigraph::query
