// Parsing `.pg` source into a SchemaAst (phase 1 of spec schema-language §2.1: the grammar).
// A grammar error is one PG-SYN-001 diagnostic at the offending token; parsing stops there.
// Pure function of its input; thread-safe.
#pragma once

#include "base/error.h"
#include "schema/ast.h"
#include "schema/diagnostic.h"

#include <string_view>

namespace omnigraph::schema {

// `file` names the source in diagnostics. On failure the Error carries code PG-SYN-001 and
// the location of the first token that does not fit the grammar.
Result<SchemaAst> parse_schema(std::string_view source, std::string_view file = {});

} // namespace omnigraph::schema
