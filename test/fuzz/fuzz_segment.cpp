// Fuzz target: reading a segment file (footer and every column chunk) and a deletion vector
// from arbitrary bytes.
#include "format/deletion_vector.h"
#include "format/segment.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (auto dv = omnigraph::format::parse_deletion_vector(bytes, "fuzz"))
        (void)omnigraph::format::write_deletion_vector(*dv);
    auto footer = omnigraph::format::parse_segment_footer(bytes, bytes.size());
    if (!footer || footer->row_count > 100000)
        return 0;
    for (const auto& info : footer->columns) {
        auto column = omnigraph::format::decode_chunk(info, bytes.substr(info.offset, info.length),
                                                      footer->row_count);
        (void)column;
    }
    return 0;
}
