// Fuzz target: external Blob URIs and descriptors (engine/external_blob.h). Never crash; a URI's
// normal form must parse back to itself (it is what admission compares against the bases).
#include "engine/external_blob.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto uri = omnigraph::engine::parse_blob_uri(text);
    if (uri) {
        for (bool as_base : {false, true}) {
            std::string normal = uri->normal_form(as_base);
            auto again = omnigraph::engine::parse_blob_uri(normal);
            if (!again || again->normal_form(as_base) != normal)
                std::abort(); // the normal form is a fixed point
        }
    }
    auto descriptor = omnigraph::engine::ExternalBlob::from_descriptor(text);
    if (descriptor) {
        auto back = omnigraph::engine::ExternalBlob::from_descriptor(descriptor->descriptor());
        if (!back || back->uri != descriptor->uri || back->size != descriptor->size)
            std::abort();
    }
    return 0;
}
