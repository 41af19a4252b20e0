// From syntax tree to validated Schema (spec schema-language §2: phases 2-8, in order, stopping
// at the first error). Warnings (non-fatal) are returned in Schema::warnings.
// Pure function of its input; thread-safe.
#pragma once

#include "base/error.h"
#include "schema/ast.h"
#include "schema/model.h"

#include <string_view>

namespace omnigraph::schema {

// `file` names the source in diagnostics. Errors carry the spec's PG-* code and a location.
Result<Schema> compile_schema(const SchemaAst& ast, std::string_view file = {});

// parse_schema + compile_schema.
Result<Schema> load_schema(std::string_view source, std::string_view file = {});

} // namespace omnigraph::schema
