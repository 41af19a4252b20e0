// Fuzz target: the XML reading used on S3 response bodies (list pages, errors, batch deletes).
#include "store/xml_text.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    for (std::string_view contents : omnigraph::store::xml::elements(body, "Contents")) {
        (void)omnigraph::store::xml::first_text(contents, "Key");
        (void)omnigraph::store::xml::first_text(contents, "Size");
    }
    (void)omnigraph::store::xml::first_text(body, "Code");
    (void)omnigraph::store::xml::escape(omnigraph::store::xml::decode(body));
    return 0;
}
