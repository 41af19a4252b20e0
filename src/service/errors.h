// Codes the data-plane service adds to those of the layers below (engine, query). The programs
// map every code to their own surface: the CLI's exit codes and the server's status table.
#pragma once

#include <string_view>

namespace omnigraph::service {

// A query name not in the source, or a source without exactly one query to pick.
inline constexpr std::string_view kQueryNotFound = "query_not_found";
// A read asked to run a mutation, or a mutation call given a read query.
inline constexpr std::string_view kWrongQueryKind = "wrong_query_kind";
// A stored query that does not type-check against the schema of the snapshot it targets (the
// schema changed since the query was applied). HTTP 409 `conflict`.
inline constexpr std::string_view kStoredQuerySchemaConflict = "stored_query_schema_conflict";
// A request that names incompatible or malformed targets (branch and snapshot together).
inline constexpr std::string_view kInvalidTarget = "invalid_target";

} // namespace omnigraph::service
