// Segment files: immutable columnar files holding the rows of one table (docs/format/segment.md).
//
//   [column chunk]*  footer (canonical JSON)  footer length (u32 LE)  footer checksum (u64 LE)
//   magic "OGS2"
//
// Each chunk is one column, optionally zstd-compressed; the footer records, per column, its
// name ("id", "src", "dst", or "p:<stable property id>"), physical type, byte range, raw size,
// null count, min/max and the xxh3-64 of its stored bytes, so a reader fetches the footer with
// one ranged read and then only the columns a query needs. Every read verifies what it read:
// the footer checksum when opening, the chunk's checksum before decoding it; a mismatch is
// segment_corrupt naming the byte range. Segments of format 1 ("OGS1", no checksums) are read
// unverified. Writers produce the bytes; readers go through store::ObjectStore.
// Thread-safety: SegmentReader is immutable after open and safe to share.
#pragma once

#include "base/error.h"
#include "format/column.h"
#include "store/object_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace omnigraph::format {

inline constexpr std::string_view kSegmentCorrupt = "segment_corrupt";
inline constexpr int kSegmentFormatVersion = 2; // the version write_segment() writes

using StatValue = std::variant<int64_t, uint64_t, double, std::string>;

struct SegmentColumnInfo {
    std::string name;
    ColumnType type;
    uint64_t offset = 0;     // of the chunk in the file
    uint64_t length = 0;     // stored bytes
    uint64_t raw_length = 0; // bytes after decompression
    bool compressed = false;
    uint64_t null_count = 0;
    std::optional<StatValue> min, max; // numeric kinds, and strings of at most 64 bytes
    std::optional<uint64_t> checksum;  // xxh3-64 of the stored bytes; absent in format 1
};

struct SegmentFooter {
    int version = kSegmentFormatVersion; // 1: written before checksums, read unverified
    uint64_t row_count = 0;
    std::vector<SegmentColumnInfo> columns;
    const SegmentColumnInfo* find(std::string_view name) const;
};

struct NamedColumn {
    std::string name;
    Column column;
};

// Encodes columns (all of the same length) into segment bytes. Chunks smaller than 64 bytes or
// that do not shrink are stored uncompressed.
Result<std::string> write_segment(const std::vector<NamedColumn>& columns);

// Rewrites a format-1 segment (no checksums) as format 2: the same chunks, each checksummed
// after it decodes, under a checksummed footer. nullopt when `bytes` is already format 2;
// segment_corrupt when it does not read.
Result<std::optional<std::string>> upgrade_segment(std::string_view bytes);

// Parses the footer from the last bytes of a segment (`tail` ends at the end of the file).
// Fails with segment_corrupt when the tail does not hold a whole, consistent footer; sets
// *needed to the tail length required when `tail` is too short.
Result<SegmentFooter> parse_segment_footer(std::string_view tail, uint64_t file_size,
                                           uint64_t* needed = nullptr);

// Decodes one chunk (as stored) into a column of `rows` rows, after verifying its checksum.
Result<Column> decode_chunk(const SegmentColumnInfo& info, std::string_view stored, uint64_t rows);

class SegmentReader {
  public:
    // Reads the footer with one ranged read (two when the footer is larger than 64 KiB).
    // `size` is the file size when known (from a manifest), else a HEAD finds it.
    static Result<SegmentReader> open(store::ObjectStore& store, std::string key,
                                      std::optional<uint64_t> size = std::nullopt);

    const SegmentFooter& footer() const { return footer_; }
    uint64_t row_count() const { return footer_.row_count; }
    // One ranged read of that column's chunk.
    Result<Column> read_column(std::string_view name) const;

  private:
    SegmentReader(store::ObjectStore& store, std::string key, SegmentFooter footer)
        : store_(&store), key_(std::move(key)), footer_(std::move(footer)) {}

    store::ObjectStore* store_;
    std::string key_;
    SegmentFooter footer_;
};

} // namespace omnigraph::format
