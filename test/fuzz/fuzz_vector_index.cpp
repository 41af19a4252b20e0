// Fuzz target: the vector index decoders (a segment's IVF header and list codes) on arbitrary
// bytes.
// Byte 0 is the dimension (1 + b % 16), byte 1 the list count or list rows (1 + b), bytes 2-3
// (u16 LE) the segment's rows (for a list) or the data area's end (for a header); byte 4 picks
// the decoder. A header that decodes must re-encode to the same bytes (its encoding is
// canonical); codes must hold a code per value of each row.
#include "format/vector_index.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 5)
        return 0;
    uint32_t dim = 1 + data[0] % 16;
    uint32_t count = 1 + data[1];
    uint64_t bound = uint64_t(data[2]) | (uint64_t(data[3]) << 8);
    std::string_view raw(reinterpret_cast<const char*>(data) + 5, size - 5);
    if (data[4] % 2 == 0) {
        auto codes = omnigraph::format::decode_vector_codes(raw, dim, count, bound);
        if (codes && codes->rows.size() * dim != codes->codes.size())
            std::abort();
    } else {
        auto header = omnigraph::format::decode_vector_header(raw, dim, count, bound);
        if (header && omnigraph::format::encode_vector_header(*header) != raw)
            std::abort();
    }
    return 0;
}
