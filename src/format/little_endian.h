// Fixed-width little-endian integers of format/'s byte layouts (segments, deletion vectors,
// vector indexes): written and read byte by byte, whatever the host's byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace omnigraph::format {

template <class T> void put_le(std::string& out, T v) {
    for (size_t i = 0; i < sizeof(T); ++i)
        out.push_back(static_cast<char>((uint64_t(v) >> (8 * i)) & 0xff));
}

template <class T> T get_le(const char* p) {
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
        v |= uint64_t(static_cast<uint8_t>(p[i])) << (8 * i);
    return static_cast<T>(v);
}

} // namespace omnigraph::format
