// Fuzz target: RFC 3339 timestamps. What parses must format and parse back to the same instant.
#include "base/clock.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto t = omnigraph::base::parse_rfc3339(text);
    if (t) {
        auto again = omnigraph::base::parse_rfc3339(omnigraph::base::format_rfc3339(*t));
        if (!again || *again != *t)
            std::abort();
    }
    return 0;
}
