// The canonical, identity-free shape of a schema as JSON, and its digest (spec schema-language
// §3.3): schema_shape_hash = "sha256:" + hex(SHA-256(canonical compact JSON of the shape)).
// Byte-compatible with the original's digests. Pure functions; thread-safe.
#pragma once

#include "base/json.h"
#include "schema/model.h"

#include <string>

namespace omnigraph::schema {

base::Json shape_json(const Schema& schema);
std::string shape_hash(const Schema& schema);

// Pieces shared with the identity-bearing IR (ir.h).
base::Json prop_type_json(const PropType& type);
base::Json annotation_json(const AnnotationValue& annotation);
base::Json bound_json(const std::optional<Bound>& bound);
const char* property_constraint_name(PropertyConstraint c); // "key" | "unique" | "index"

} // namespace omnigraph::schema
