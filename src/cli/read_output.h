// How `query` prints an answer (spec engine-cli §4.4): `table` (a header line, ` | ` columns, a
// `-+-` rule, cells capped at 80 characters with newlines shown as `\n`), `kv` (`row i` blocks),
// `csv` (RFC 4180 quoting), `jsonl` (a metadata line, then one object per row) and `json` (the
// ReadOutput document). The local verb renders from the query's rows; a served query, and an
// alias, from the ReadOutput JSON the server answers.
#pragma once

#include "base/json.h"

#include <string>
#include <vector>

namespace omnigraph::cli {

// An answer as text cells, for the table, kv and csv formats.
struct RowsText {
    std::string header; // the table's first line: "<n> rows from branch <b> via <query>"
    std::vector<std::string> columns;
    std::vector<std::vector<std::string>> cells;
};

void print_rows_text(const RowsText& rows, const std::string& format);

// A ReadOutput document (or a ChangeOutput, for a stored mutation) in `format`.
void print_read_output(const base::Json& output, const std::string& format);

} // namespace omnigraph::cli
