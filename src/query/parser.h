// The `.gq` parser (spec query-language §1.2-1.3): a file of queries, each a read body or
// mutation statements. Errors are `query_parse_error` with the message "expected …, found …"
// and the file:line:column of the offending token. Pure function; thread-safe.
#pragma once

#include "base/error.h"
#include "query/ast.h"

#include <string_view>

namespace omnigraph::query {

inline constexpr std::string_view kQueryParseError = "query_parse_error";

Result<QueryFile> parse_query_file(std::string_view source, std::string_view file = "<query>");

} // namespace omnigraph::query
