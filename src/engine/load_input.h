// Reading a strict JSONL graph batch (spec query-language §4, engine-cli §3.1-3.3) into typed
// per-table batches: envelope checks, value conversion per declared property type, node ids
// from @key, edge endpoints. No storage access: validations against committed data
// (uniqueness, endpoints, cardinality) and the commit happen in the loader that consumes this.
//
// Errors carry the spec's messages (envelope errors prefixed "line N: ") with code
// `invalid_load_input` and a location <file>:<line>:1 for every error, row-level ones included.
// Pure function of its inputs; thread-safe.
#pragma once

#include "base/error.h"
#include "engine/table_data.h"
#include "format/column.h"
#include "schema/catalog.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::engine {

class ExternalBlobPolicy;

inline constexpr std::string_view kInvalidLoadInput = "invalid_load_input";

// The rows of one table from one batch, in input order: the table's columns (TableData) plus
// where each row came from.
struct TableBatch : TableData {
    std::string table_key;          // "node:Person" / "edge:Knows"
    std::vector<uint64_t> origins;  // where each row came from: see LoadBatch::locate
    std::vector<bool> explicit_ids; // the row supplied data.id (or a @key derived it)
};

// A row whose @embed target is to be computed from `text` (engine/embed_fill.h); staged null.
struct PendingEmbedding {
    std::string table_key;
    std::string property; // the target
    size_t row = 0;       // in the table's batch
    std::string text;     // the source's value
};

struct LoadBatch {
    std::map<std::string, TableBatch> tables; // by table key
    uint64_t rows = 0;
    std::vector<PendingEmbedding> embeds;
    // A row's origin is its input line (1-based) in a parsed batch. A batch built from typed
    // rows (a mutation) names positions instead: origin n is positions[n - 1]. 0: no origin.
    std::vector<SourceLocation> positions;

    // Where a row of origin `origin` came from, in input `file`: <file>:<line>:1, the named
    // position, or nothing.
    std::optional<SourceLocation> locate(uint64_t origin, std::string_view file) const;
    // The same in words, for messages: "line 3" or "q.gq:2:5".
    std::string origin_text(uint64_t origin) const;
};

// `progress`, when set, is called every kProgressLines lines with (rows, bytes consumed).
inline constexpr uint64_t kProgressLines = 65536;
using ParseProgress = std::function<void(uint64_t rows, uint64_t bytes)>;

Result<LoadBatch> parse_load_input(std::string_view jsonl, const schema::Catalog& catalog,
                                   std::string_view file = "<input>",
                                   const ParseProgress& progress = nullptr);

// The same for one run of whole lines of a larger input, its first line being input line
// `first_line` (origins and error locations count from there): how a load reads its input in
// bounded parts (engine/load_source.h).
// `external_blobs` admits external Blob references (null: refused).
Result<LoadBatch> parse_load_lines(std::string_view lines, uint64_t first_line,
                                   const schema::Catalog& catalog,
                                   std::string_view file = "<input>",
                                   const ExternalBlobPolicy* external_blobs = nullptr);

} // namespace omnigraph::engine
