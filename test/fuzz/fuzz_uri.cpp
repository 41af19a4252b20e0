// Fuzz target: storage URIs and object keys. Never crash; a parsed URI must round-trip.
#include "base/uri.h"
#include "store/object_store.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto uri = omnigraph::base::parse_storage_uri(text, "/base");
    if (uri) {
        auto again = omnigraph::base::parse_storage_uri(uri->to_string(), "/base");
        if (!again || !(*again == *uri))
            std::abort(); // canonical text must parse back to the same URI
        (void)uri->join(text);
    }
    auto key = omnigraph::store::validate_key(text);
    (void)key;
    return 0;
}
