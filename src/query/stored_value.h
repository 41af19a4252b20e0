// A query Value as a stored column cell: the inverse of value_at, with the checks the loader makes
// on a value of the load format (spec query-language §4.3), so a value a mutation writes is
// accepted or refused exactly as the same value in a JSONL load would be: strict types (integers
// within the declared type's range, numbers for floats, "YYYY-MM-DD" text or integer days for
// Date, RFC 3339 text or integer ms for DateTime), enum members, finite floats (Float32 range for
// F32), "base64:" text for blobs, exact Vector dimensions, no null list items, no null in a
// non-nullable property. Pure functions; thread-safe.
#pragma once

#include "base/error.h"
#include "format/column.h"
#include "query/value.h"
#include "schema/model.h"

#include <string>

namespace omnigraph::engine {
class ExternalBlobPolicy;
} // namespace omnigraph::engine

namespace omnigraph::query {

// Appends `v` as the next row of `col`, the column of property `property` of declared type
// `type`. Errors: invalid_load_input with the loader's message for the property; a non-finite
// float is query_runtime_error ("a non-finite float cannot be stored").
// A Blob that is not "base64:" text is an external reference, admitted by `blobs` (null:
// refused); one read from storage (Value::external) is carried as it is.
Status append_stored(format::Column& col, const Value& v, const schema::PropType& type,
                     const std::string& property,
                     const engine::ExternalBlobPolicy* blobs = nullptr);

} // namespace omnigraph::query
