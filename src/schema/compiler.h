// From syntax tree to validated Schema (spec schema-language §2: phases 2-8, in order, stopping
// at the first error). Warnings (non-fatal) are returned in Schema::warnings.
// Pure function of its input; thread-safe.
#pragma once

#include "base/error.h"
#include "schema/ast.h"
#include "schema/model.h"

#include <string_view>

namespace omnigraph::schema {

struct CompileOptions {
    // Stop after phase 5 (what upstream's offline parse path checks): no shape-level checks.
    bool validation_only = false;
    // Parse an accepted _schema.pg when reopening a graph: tolerates the one historical
    // admission bug the spec names (body @unique over a Blob property).
    bool persisted_contract = false;
};

// `file` names the source in diagnostics. Errors carry the spec's PG-* code and a location.
Result<Schema> compile_schema(const SchemaAst& ast, std::string_view file = {},
                              CompileOptions options = {});

// A written type as the model holds it (phase-2 checks: Vector bounds, [Blob], enum values).
Result<PropType> resolve_type(const TypeRef& type, std::string_view file = {});

// parse_schema + compile_schema.
Result<Schema> load_schema(std::string_view source, std::string_view file = {});

} // namespace omnigraph::schema
