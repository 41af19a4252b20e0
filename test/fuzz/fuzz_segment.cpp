// Fuzz target: reading a segment file (footer, every column chunk and page, every key index
// block) and a deletion vector
// from arbitrary bytes. Two passes per input:
//   checked  - the bytes as given: a format-2 segment's checksums refuse almost every mutation,
//              so this pass proves the refusal is clean (and format-1 inputs, which carry no
//              checksums, reach the parser below as before);
//   resealed - for a format-2 input, the footer checksum recomputed over the mutated bytes and
//              the chunk checksums waived, so the footer and chunk parsers below the checksums
//              are still fuzzed in depth.
#include "base/checksum.h"
#include "format/deletion_vector.h"
#include "format/segment.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

void read_segment(std::string_view bytes, bool waive_chunk_checksums) {
    auto footer = omnigraph::format::parse_segment_footer(bytes, bytes.size());
    if (!footer || footer->row_count > 100000)
        return;
    for (auto info : footer->columns) {
        if (waive_chunk_checksums) {
            info.checksum.reset();
            for (auto& page : info.pages)
                page.checksum.reset();
        }
        auto column = omnigraph::format::decode_chunk(info, bytes.substr(info.offset, info.length),
                                                      footer->row_count);
        (void)column;
    }
    for (const auto& index : footer->indexes)
        for (auto block : index.blocks) {
            if (waive_chunk_checksums) // a block's checksum is not optional: recompute it
                block.checksum = omnigraph::base::xxh3_64(bytes.substr(block.offset, block.length));
            auto entries = omnigraph::format::decode_index_block(
                index, block, bytes.substr(block.offset, block.length));
            std::vector<uint32_t> rows;
            if (entries)
                omnigraph::format::rows_for_key(*entries, block.first, rows);
        }
}

// The bytes with the format-2 footer checksum (u64 LE before the magic) recomputed over the
// footer and its length field; nullopt when the input is not a format-2 segment.
std::optional<std::string> resealed(std::string_view bytes) {
    if (bytes.size() < 16 || !(bytes.ends_with("OGS2") || bytes.ends_with("OGS3")))
        return std::nullopt;
    uint64_t len = 0;
    for (int i = 3; i >= 0; --i)
        len = (len << 8) | static_cast<unsigned char>(bytes[bytes.size() - 16 + i]);
    if (len + 16 > bytes.size())
        return std::nullopt;
    std::string out(bytes);
    uint64_t sum = omnigraph::base::xxh3_64(bytes.substr(bytes.size() - 16 - len, len + 4));
    for (int i = 0; i < 8; ++i)
        out[out.size() - 12 + i] = static_cast<char>((sum >> (8 * i)) & 0xFF);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (auto dv = omnigraph::format::parse_deletion_vector(bytes, "fuzz"))
        (void)omnigraph::format::write_deletion_vector(*dv);
    read_segment(bytes, false);
    if (auto sealed = resealed(bytes))
        read_segment(*sealed, true);
    return 0;
}
