// Fuzz target: JSON parsing with positioned errors, and re-serialization of what parsed.
#include "base/json.h"

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = omnigraph::base::parse_json(text, "fuzz.json");
    if (parsed) {
        (void)omnigraph::base::to_pretty_json(*parsed);
        (void)omnigraph::base::to_compact_json(*parsed);
    }
    return 0;
}
