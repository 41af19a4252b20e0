#include "base/checksum.h"

#include <array>
#include <cstring>
#include <xxhash.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace omnigraph::base {

uint64_t xxh3_64(std::string_view data) {
    return XXH3_64bits(data.data(), data.size());
}

namespace {

// Slice-by-8: table[k][b] is the CRC of byte b followed by k zero bytes.
using CrcTables = std::array<std::array<uint32_t, 256>, 8>;

CrcTables make_tables() {
    constexpr uint32_t kReflectedPoly = 0x82F63B78;
    CrcTables t{};
    for (uint32_t b = 0; b < 256; ++b) {
        uint32_t c = b;
        for (int i = 0; i < 8; ++i)
            c = (c >> 1) ^ ((c & 1) ? kReflectedPoly : 0);
        t[0][b] = c;
    }
    for (uint32_t b = 0; b < 256; ++b)
        for (size_t k = 1; k < 8; ++k)
            t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
    return t;
}

const CrcTables& tables() {
    static const CrcTables t = make_tables();
    return t;
}

uint32_t crc_tables(const unsigned char* p, size_t n, uint32_t c) {
    const CrcTables& t = tables();
    while (n >= 8) {
        uint64_t word = 0;
        std::memcpy(&word, p, 8); // little-endian hosts only, as the whole format
        word ^= c;
        c = t[7][word & 0xFF] ^ t[6][(word >> 8) & 0xFF] ^ t[5][(word >> 16) & 0xFF] ^
            t[4][(word >> 24) & 0xFF] ^ t[3][(word >> 32) & 0xFF] ^ t[2][(word >> 40) & 0xFF] ^
            t[1][(word >> 48) & 0xFF] ^ t[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n-- > 0)
        c = (c >> 8) ^ t[0][(c ^ *p++) & 0xFF];
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc_sse42(const unsigned char* p, size_t n, uint32_t c) {
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t word = 0;
        std::memcpy(&word, p, 8);
        c64 = _mm_crc32_u64(c64, word);
        p += 8;
        n -= 8;
    }
    auto c32 = static_cast<uint32_t>(c64);
    while (n-- > 0)
        c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

bool has_sse42() {
    static const bool has = __builtin_cpu_supports("sse4.2") != 0;
    return has;
}
#endif

} // namespace

uint32_t crc32c(std::string_view data, uint32_t crc) {
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
#if defined(__x86_64__)
    if (has_sse42())
        return ~crc_sse42(p, data.size(), ~crc);
#endif
    return ~crc_tables(p, data.size(), ~crc);
}

uint32_t crc32c_portable(std::string_view data, uint32_t crc) {
    return ~crc_tables(reinterpret_cast<const unsigned char*>(data.data()), data.size(), ~crc);
}

std::string hex64(uint64_t value) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i) {
        out[static_cast<size_t>(i)] = kHex[value & 15];
        value >>= 4;
    }
    return out;
}

std::optional<uint64_t> parse_hex64(std::string_view text) {
    if (text.size() != 16)
        return std::nullopt;
    uint64_t v = 0;
    for (char ch : text) {
        uint64_t d = 0;
        if (ch >= '0' && ch <= '9')
            d = static_cast<uint64_t>(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            d = static_cast<uint64_t>(ch - 'a') + 10;
        else
            return std::nullopt;
        v = (v << 4) | d;
    }
    return v;
}

} // namespace omnigraph::base
