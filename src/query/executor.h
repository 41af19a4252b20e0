// Executing read queries (spec query-language §3) against one snapshot of a graph: binds the
// parameters, plans the match block (most selective binding first, single-variable filters
// pushed into scans, traversals over CSR adjacency with the spec's shortest-distance hop
// semantics, anti-joins for `not`), then projects, aggregates, orders (top-k under a limit)
// and returns typed rows. Tables and adjacency are read once per table version and kept in a
// TableCache that callers may share across queries of the same graph.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/graph.h"
#include "query/budget.h"
#include "query/query_embedder.h"
#include "query/table_cache.h"
#include "query/typecheck.h"
#include "query/value.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace omnigraph::query {

inline constexpr std::string_view kQueryRuntimeError = "query_runtime_error";
inline constexpr std::string_view kInvalidParams = "invalid_params";
inline constexpr std::string_view kNotSupported = "not_supported";
// A checked query run on a snapshot of another schema than the one it was checked against.
inline constexpr std::string_view kSchemaMismatch = "query_schema_mismatch";

// kSchemaMismatch when `checked` was not checked against `schema` (names both hashes).
Status require_schema(const CheckedQuery& checked, const engine::SchemaVersion& schema);

using Params = std::map<std::string, Value>;

// Binds a JSON params object (or null) to the query's declared parameters (§3.11). Errors are
// `invalid_params` with the message "param '<name>': <reason>".
Result<Params> bind_params(const Query& query, const base::Json& params);

struct QueryResult {
    std::vector<Column> columns;
    std::vector<std::vector<Value>> rows;
};

// Runs a checked read query on `snapshot`, which must have the schema the query was checked
// against (else kSchemaMismatch). `now_ms` is now() for this query (one value per query).
// `budget` (nullptr: unlimited) bounds its memory, rows and time: resource_limit,
// query_timeout or query_cancelled when exceeded (query/budget.h). `embedder` (nullptr: none
// configured) embeds nearest()'s String queries (query/query_embedder.h).
Result<QueryResult> execute_read(TableCache& cache, const engine::Snapshot& snapshot,
                                 const CheckedQuery& checked, const Params& params, int64_t now_ms,
                                 QueryBudget* budget = nullptr,
                                 const QueryEmbedder* embedder = nullptr);

// One result row as a JSON object keyed by column name, in column order (§3.10 encodings).
void write_row(const QueryResult& result, size_t row, base::JsonWriter& out);

// The read output envelope of §3.10 as compact JSON text: query_name, target, row_count,
// columns, rows, and graph_commit_id (the commit read) when given.
std::string result_json(const QueryResult& result, std::string_view query_name,
                        const std::optional<std::string>& branch,
                        const std::optional<std::string>& snapshot,
                        std::string_view graph_commit_id = {});

// Receives a JSON text a piece at a time; false: stop (the reader went away).
using JsonSink = std::function<bool(std::string_view)>;

// result_json's text handed to `sink` in pieces of about 64 KiB, each row freed once written,
// so a large answer is never held twice (as rows and as text).
void stream_result_json(QueryResult& result, std::string_view query_name,
                        const std::optional<std::string>& branch,
                        const std::optional<std::string>& snapshot,
                        std::string_view graph_commit_id, const JsonSink& sink);

} // namespace omnigraph::query
