// An ad-hoc query as a caller hands it over (`.gq` text and the name it is reported under),
// parsed, with the query to run picked from it and checked against the schema of the snapshot
// it will run on.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/graph.h"
#include "query/ast.h"
#include "query/executor.h"
#include "query/typecheck.h"

#include <memory>
#include <optional>
#include <string>

namespace omnigraph::service {

struct QueryText {
    std::string text;
    std::string file = "<request>"; // names the source in error locations
};

// A parsed source and the query picked from it (the file owns the query).
struct PickedQuery {
    std::shared_ptr<const query::QueryFile> file;
    const query::Query* query = nullptr;
};

// Parses `source` (parse errors carry file:line:col) and picks the query named `name`, or the
// only query when no name is given (kQueryNotFound otherwise).
Result<PickedQuery> parse_and_pick(const QueryText& source, const std::optional<std::string>& name);

// kWrongQueryKind unless `q` is a mutation exactly when `mutation` is asked for.
Status require_kind(const query::Query& q, bool mutation);

// Binds a JSON params object (or null, or nullptr for none) to the query's parameters.
Result<query::Params> bind(const query::Query& q, const base::Json* params);

// Type-checks `q` against the schema `snapshot` names (never another branch's or main's).
Result<query::CheckedQuery> check_at(const query::Query& q, const engine::Snapshot& snapshot,
                                     std::string_view file);

} // namespace omnigraph::service
