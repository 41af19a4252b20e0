// Fuzz target: the full-text index decoder and the text analyzer on arbitrary bytes. The first
// two bytes (u16 LE) are the segment's row count, the rest the raw index. A decoded index must
// re-encode to the same bytes (the encoding is canonical) and decode again; the analyzer must
// take any bytes (invalid UTF-8 included).
#include "format/text_index.h"
#include "format/text_tokenizer.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    for (const auto& term : omnigraph::format::text_terms(bytes))
        if (term.empty())
            std::abort();
    if (size < 2)
        return 0;
    uint64_t rows = uint64_t(data[0]) | (uint64_t(data[1]) << 8);
    std::string_view raw = bytes.substr(2);
    auto index = omnigraph::format::decode_text_index(raw, rows);
    if (!index)
        return 0;
    std::string again = omnigraph::format::encode_text_index(*index);
    if (again != raw || !omnigraph::format::decode_text_index(again, rows))
        std::abort();
    return 0;
}
