// Converting the JSON value of one property of a load record into the next cell of its column,
// per the property's declared type (spec query-language §4.3): strict types (no coercion but
// Date/DateTime text and integers of an integer type's range), enum membership, list items,
// "base64:" blobs, Vector dimensions and Float32 range. Errors are LoadError with the spec's
// message.
//
// Internal to the load-input parser. Pure functions.
#pragma once

#include "format/column.h"
#include "schema/catalog.h"

#include <string>

namespace simdjson::dom {
class element;
} // namespace simdjson::dom

namespace omnigraph::engine {

// Appends `v` (absent when null) as the next row of `col`, the column of property `prop` of
// declared type `t`.
void append_value(format::Column& col, const std::string& prop, const schema::PropType& t,
                  const simdjson::dom::element* v);

// The canonical spelling, for @key ids, of the value just appended to `col` (rendered from the
// stored value, so 1.50 and 1.5 give the same id). Empty for blobs and vectors.
std::string key_spelling(const format::Column& col, const schema::PropType& t);

} // namespace omnigraph::engine
