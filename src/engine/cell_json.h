// One stored cell in the load format's JSON spelling (spec engine-cli §3.3): what `export`
// writes and what change images hold, so an image reads like the row that was loaded.
#pragma once

#include "base/json.h"
#include "format/column.h"

#include <cstddef>

namespace omnigraph::engine {

// Null for a null cell; strings as they are, Blob as "base64:…" (an external reference as its
// URI; null if its checksummed descriptor does not read), Date as YYYY-MM-DD, DateTime
// as RFC 3339 with milliseconds, vectors and lists as arrays.
base::Json cell_json(const format::Column& column, size_t row);

} // namespace omnigraph::engine
