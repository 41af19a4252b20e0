// The full-text (inverted) index of one string column of one segment: per row its length in
// terms, and per term (format/text_tokenizer.h) the rows holding it with the term's count in
// each. A segment stores it as one checksummed chunk per indexed column
// (docs/format/segment.md, "File layout", "Full-text indexes"); query execution merges the indexes
// of a table version's segments and scores them with BM25.
//
// Raw encoding (before the chunk's optional zstd), every integer an unsigned LEB128 varint in
// its shortest form:
//   rows  length[rows]  term_count  { term_bytes  term  postings  { row_gap  frequency }* }*
// Terms are strictly increasing (byte order); a posting's row is the previous row + 1 +
// row_gap (the first: row_gap), so rows strictly increase; each frequency is >= 1 and the
// frequencies of a row add up to its length.
// Plain values; the functions are pure and thread-safe.
#pragma once

#include "base/error.h"
#include "format/column.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::format {

struct TextPosting {
    uint32_t row = 0;
    uint32_t frequency = 0;
};

struct TextIndex {
    uint64_t rows = 0;
    std::vector<uint32_t> lengths;  // terms per row: 0 for a NULL or a text without terms
    std::vector<std::string> terms; // sorted, unique
    std::vector<std::vector<TextPosting>> postings; // per term, rows ascending

    // The postings of `term`, or null when no row holds it.
    const std::vector<TextPosting>* find(std::string_view term) const;
};

// Indexes a string column (NULL rows have no terms). Fails on a non-string column or one of
// more than 2^32 - 1 rows.
Result<TextIndex> build_text_index(const Column& strings);

std::string encode_text_index(const TextIndex& index);

// Decodes raw bytes written by encode_text_index for a segment of `rows` rows, checking every
// invariant above; segment_corrupt when they do not hold.
Result<TextIndex> decode_text_index(std::string_view raw, uint64_t rows);

} // namespace omnigraph::format
