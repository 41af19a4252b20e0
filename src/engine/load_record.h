// One record of a JSONL graph batch (spec query-language §4.2, engine-cli §3.1-3.3) into the
// rows of a LoadBatch: the node/edge envelope, the record's fields sorted into the slots of its
// table's declared properties (reserved and unknown names refused), node ids from @key (or
// data.id, or a fresh ULID), edge endpoints. Errors are LoadError with the spec's message,
// envelope errors prefixed "line N: ".
//
// Internal to the load-input parser. One RecordParser per thread and batch; not thread-safe.
#pragma once

#include "engine/load_input.h"
#include "schema/catalog.h"

#include <cstdint>
#include <memory>
#include <string_view>

namespace omnigraph::engine {

class ExternalBlobPolicy;

class RecordParser {
  public:
    // Rows go to `batch`, which must outlive the parser.
    // `blobs` admits external Blob references (null: refused).
    RecordParser(const schema::Catalog& catalog, LoadBatch& batch,
                 const ExternalBlobPolicy* blobs = nullptr);
    ~RecordParser();
    RecordParser(const RecordParser&) = delete;
    RecordParser& operator=(const RecordParser&) = delete;

    // Parses `line` (input line `number`) and appends its row. Throws LoadError.
    void parse(std::string_view line, uint64_t number);

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace omnigraph::engine
