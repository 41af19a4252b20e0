// Segment files: immutable columnar files holding the rows of one table (docs/format/segment.md).
//
//   [column page]*  [key index block]*  footer (canonical JSON)  footer length (u32 LE)
//   footer checksum (u64 LE)  magic "OGS3"
//
// A column is stored as pages of at most `page_rows` rows, each optionally zstd-compressed; a
// column of one page is one chunk, as in format 2. Key indexes (node `id`, edge `src`/`dst`)
// are the column's values sorted, with the row each came from, in blocks whose first and last
// keys the footer lists. The footer records, per column, its name ("id", "src", "dst", or
// "p:<stable property id>"), physical type, byte range, raw size, null count, min/max and the
// xxh3-64 of its stored bytes, and the same per page and per index block, so a reader fetches
// the footer with one ranged read and then only the pages (or index blocks) a query needs.
// Every read verifies what it read: the footer checksum when opening, a page's or block's
// checksum before decoding it; a mismatch is segment_corrupt naming the byte range. Segments
// of format 2 ("OGS2": one chunk per column, no indexes) read as one page per column; those of
// format 1 ("OGS1", no checksums) are read unverified. Writers produce the bytes; readers go
// through store::ObjectStore.
// Thread-safety: SegmentReader is immutable after open and safe to share.
#pragma once

#include "base/error.h"
#include "format/column.h"
#include "format/text_index.h"
#include "format/vector_index.h"
#include "store/object_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace omnigraph::format {

inline constexpr std::string_view kSegmentCorrupt = "segment_corrupt";
inline constexpr int kSegmentFormatVersion = 3; // the version write_segment() writes
inline constexpr uint64_t kDefaultPageRows = 32768;
inline constexpr uint64_t kDefaultIndexBlockEntries = 8192;

using StatValue = std::variant<int64_t, uint64_t, double, std::string>;

// One stored chunk: a page of a column, or a whole column of one page.
struct PageInfo {
    uint64_t offset = 0;     // in the file
    uint64_t length = 0;     // stored bytes
    uint64_t raw_length = 0; // bytes after decompression
    bool compressed = false;
    uint64_t rows = 0;
    uint64_t null_count = 0;
    std::optional<StatValue> min, max; // numeric kinds, and strings of at most 64 bytes
    std::optional<uint64_t> checksum;  // xxh3-64 of the stored bytes; absent in format 1
};

struct SegmentColumnInfo {
    std::string name;
    ColumnType type;
    uint64_t offset = 0;     // of the column's bytes (all its pages) in the file
    uint64_t length = 0;     // stored bytes
    uint64_t raw_length = 0; // bytes after decompression (sum over pages)
    bool compressed = false; // one page: whether it is zstd; several: per page
    uint64_t null_count = 0;
    std::optional<StatValue> min, max; // numeric kinds, and strings of at most 64 bytes
    std::optional<uint64_t> checksum;  // xxh3-64 of the stored bytes; absent in format 1
    // Several pages of `page_rows` rows (the last may be shorter); empty: one page, the column.
    std::vector<PageInfo> pages;

    size_t page_count() const { return pages.empty() ? 1 : pages.size(); }
    PageInfo page(size_t i) const; // the column itself when it is one page
};

// One block of a key index: `entries` (key, row) pairs sorted by key then row.
struct IndexBlock {
    uint64_t offset = 0, length = 0, raw_length = 0;
    bool compressed = false;
    uint64_t entries = 0;
    std::string first, last; // the block's smallest and largest key
    uint64_t checksum = 0;
};

struct SegmentIndex {
    std::string column; // "id", "src", "dst"
    std::vector<IndexBlock> blocks;
};

// The full-text index of a string column (format/text_index.h), stored as one chunk; written
// by the analyzer the footer names (format/text_tokenizer.h, kTextAnalyzer).
struct SegmentTextIndex {
    std::string column; // "p:<stable property id>"
    std::string analyzer;
    uint64_t offset = 0, length = 0, raw_length = 0;
    bool compressed = false;
    uint64_t terms = 0;
    uint64_t checksum = 0;
};

// The vector index of a Vector column (format/vector_index.h): its header chunk, which lists
// where each list's chunk lies.
struct SegmentVectorIndex {
    std::string column; // "p:<stable property id>"
    std::string kind;   // "ivf_sq8"
    std::string metric; // "l2": squared Euclidean, nearest's distance
    uint32_t dim = 0, lists = 0;
    uint64_t rows = 0;                             // rows in some list (those with a finite vector)
    uint64_t offset = 0, length = 0, checksum = 0; // the header chunk (never compressed)
};

struct SegmentFooter {
    int version = kSegmentFormatVersion; // 1: written before checksums, read unverified
    uint64_t row_count = 0;
    uint64_t page_rows = 0; // rows per page of a paged column (format 3)
    std::vector<SegmentColumnInfo> columns;
    std::vector<SegmentIndex> indexes;
    std::vector<SegmentTextIndex> text_indexes;     // absent from the footer: none
    std::vector<SegmentVectorIndex> vector_indexes; // absent from the footer: none
    const SegmentColumnInfo* find(std::string_view name) const;
    const SegmentIndex* find_index(std::string_view column) const;
    const SegmentTextIndex* find_text_index(std::string_view column) const;
    const SegmentVectorIndex* find_vector_index(std::string_view column) const;
};

struct SegmentOptions {
    uint64_t page_rows = kDefaultPageRows;
    uint64_t index_block_entries = kDefaultIndexBlockEntries;
    std::vector<std::string> indexed;        // string columns to index ("id", "src", "dst")
    std::vector<std::string> text_indexed;   // string columns to index for full-text search
    std::vector<std::string> vector_indexed; // vector columns to index for nearest()
    uint64_t vector_index_min_rows = kDefaultVectorIndexMinRows; // fewer vectors: no index
};

struct NamedColumn {
    std::string name;
    Column column;
};

// Encodes columns (all of the same length) into segment bytes. Chunks smaller than 64 bytes or
// that do not shrink are stored uncompressed. Indexed columns must be non-null strings.
Result<std::string> write_segment(const std::vector<NamedColumn>& columns,
                                  const SegmentOptions& options = {});

// The key indexes a segment carries: `id` for a node table, `src` and `dst` for an edge table.
std::vector<std::string> key_index_columns(bool is_edge);
// Whether a segment is current: format 3 with every key index of its table kind. Segments of
// format 1 and 2, and those format-1 upgrades wrote before indexes, are not (`optimize`
// rewrites them).
bool has_key_indexes(const SegmentFooter& footer, bool is_edge);

// Rewrites a format-1 segment (no checksums) as a current one: every column decoded, then
// written again by write_segment with the key indexes of its kind (an edge segment is one with
// a `src` column), rows in the same order. nullopt when `bytes` is already checksummed (format
// 2 or 3); segment_corrupt when it does not read.
Result<std::optional<std::string>> upgrade_segment(std::string_view bytes);

// Parses the footer from the last bytes of a segment (`tail` ends at the end of the file).
// Fails with segment_corrupt when the tail does not hold a whole, consistent footer; sets
// *needed to the tail length required when `tail` is too short.
Result<SegmentFooter> parse_segment_footer(std::string_view tail, uint64_t file_size,
                                           uint64_t* needed = nullptr);

// Decodes one column (its stored bytes [offset, offset + length)) into a column of `rows`
// rows, after verifying its checksum and, when paged, every page's.
Result<Column> decode_chunk(const SegmentColumnInfo& info, std::string_view stored, uint64_t rows);
// Decodes one page of `info` from its stored bytes, after verifying its checksum.
Result<Column> decode_page(const SegmentColumnInfo& info, const PageInfo& page,
                           std::string_view stored);
// Decodes one index block from its stored bytes: its keys and rows, in order.
struct IndexEntries {
    Column keys{ColumnType{PhysicalKind::kString}};
    Column rows{ColumnType{PhysicalKind::kU32}};
};
Result<IndexEntries> decode_index_block(const SegmentIndex& index, const IndexBlock& block,
                                        std::string_view stored);
// The blocks of `index` whose key range holds `key`, as [first, last) (usually one block).
std::pair<size_t, size_t> index_blocks_for(const SegmentIndex& index, std::string_view key);
// Appends the rows of `entries` whose key is `key`.
void rows_for_key(const IndexEntries& entries, std::string_view key, std::vector<uint32_t>& rows);

class SegmentReader {
  public:
    // Reads the footer with one ranged read (two when the footer is larger than 32 KiB).
    // `size` is the file size when known (from a manifest), else a HEAD finds it.
    static Result<SegmentReader> open(store::ObjectStore& store, std::string key,
                                      std::optional<uint64_t> size = std::nullopt);

    const SegmentFooter& footer() const { return footer_; }
    uint64_t row_count() const { return footer_.row_count; }
    const std::string& key() const { return key_; }
    // One ranged read of all of that column's pages.
    Result<Column> read_column(std::string_view name) const;
    // One ranged read of page `page` of `column` (rows [page * page_rows, ...)).
    Result<Column> read_page(const SegmentColumnInfo& column, size_t page) const;
    // The first row of page `page` (0 for a column of one page).
    uint64_t page_first_row(size_t page) const { return page * footer_.page_rows; }
    // The rows whose `column` equals `key`, ascending, through the column's key index: one
    // ranged read per block whose key range holds `key` (usually one). nullopt when the
    // segment has no index on `column`.
    Result<std::optional<std::vector<uint32_t>>> lookup(std::string_view column,
                                                        std::string_view key) const;
    // The rows holding each of several keys in String column `column`: per key (in the order
    // given), its rows ascending. Through the column's key index, reading each block the keys
    // need once; a segment without one (older formats) has the whole column read instead.
    Result<std::vector<std::vector<uint32_t>>>
    lookup_many(std::string_view column, const std::vector<std::string_view>& keys) const;
    // Block `b` of index `index`.
    Result<IndexEntries> read_index_block(const SegmentIndex& index, size_t b) const;
    // The full-text index `index` (one ranged read), verified and decoded.
    Result<TextIndex> read_text_index(const SegmentTextIndex& index) const;
    // The header of vector index `index` (one ranged read), verified and decoded.
    Result<VectorIndexHeader> read_vector_header(const SegmentVectorIndex& index) const;
    // The codes of list `list` of that index (one ranged read), verified and decoded.
    Result<VectorCodes> read_vector_codes(const SegmentVectorIndex& index,
                                          const VectorIndexHeader& header, uint32_t list) const;
    // The exact vector of the `j`th row of list `list` (one ranged read), verified against
    // `sum` (from its codes).
    Result<std::vector<float>> read_vector_value(const SegmentVectorIndex& index,
                                                 const VectorIndexHeader& header, uint32_t list,
                                                 uint32_t j, uint64_t sum) const;

  private:
    SegmentReader(store::ObjectStore& store, std::string key, SegmentFooter footer)
        : store_(&store), key_(std::move(key)), footer_(std::move(footer)) {}

    store::ObjectStore* store_;
    std::string key_;
    SegmentFooter footer_;
};

} // namespace omnigraph::format
