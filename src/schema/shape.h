// The canonical, identity-free shape of a schema and its digest (spec schema-language §3.3):
// schema_shape_hash = "sha256:" + hex(SHA-256(canonical compact JSON of the shape)), byte-
// compatible with the original's digests. The text is streamed (base::JsonWriter); the JSON
// document form is for views and tests. Pure functions; thread-safe.
#pragma once

#include "base/json.h"
#include "base/json_writer.h"
#include "schema/model.h"

#include <string>

namespace omnigraph::schema {

std::string shape_text(const Schema& schema); // the hashed bytes
base::Json shape_json(const Schema& schema);  // the same, as a document
std::string shape_hash(const Schema& schema);

// Pieces shared with the IR (ir.h) and migration steps (plan.h).
void write_prop_type(base::JsonWriter& w, const PropType& type);
void write_annotation(base::JsonWriter& w, const AnnotationValue& annotation);
void write_annotations(base::JsonWriter& w, const std::vector<AnnotationValue>& annotations);
void write_bound(base::JsonWriter& w, const std::optional<Bound>& bound);
base::Json prop_type_json(const PropType& type);
base::Json annotation_json(const AnnotationValue& annotation);
const char* property_constraint_name(PropertyConstraint c); // "key" | "unique" | "index"

// Parses writer output back into a document (the text is always valid JSON).
base::Json json_of(const std::string& canonical_text);

} // namespace omnigraph::schema
