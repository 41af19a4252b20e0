#include "base/ulid.h"

#include <chrono>
#include <mutex>
#include <openssl/rand.h>

namespace omnigraph::base {
namespace {

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int crockford_value(char c) {
    for (int i = 0; i < 32; ++i)
        if (kCrockford[i] == c)
            return i;
    return -1;
}

} // namespace

std::string UlidGenerator::next(uint64_t millis) {
    if (millis > last_millis_ || (rand_hi_ == 0 && rand_lo_ == 0 && last_millis_ == 0)) {
        last_millis_ = millis;
        unsigned char bytes[10];
        if (RAND_bytes(bytes, sizeof bytes) != 1) {
            // Fall back on a clock-derived seed; ids stay unique through the increment below.
            for (unsigned char& b : bytes)
                b = static_cast<unsigned char>(millis ^ reinterpret_cast<uintptr_t>(&b));
        }
        rand_hi_ = (uint64_t(bytes[0]) << 8) | bytes[1];
        rand_lo_ = 0;
        for (int i = 2; i < 10; ++i)
            rand_lo_ = (rand_lo_ << 8) | bytes[i];
        // Leave headroom so increments within this millisecond never overflow 80 bits.
        rand_hi_ &= 0x7FFF;
    } else {
        // Same (or an earlier, clock-skewed) millisecond: keep the time, bump the random part.
        if (++rand_lo_ == 0)
            ++rand_hi_;
    }
    std::string out(26, '0');
    // 48-bit time -> 10 chars.
    uint64_t t = last_millis_;
    for (int i = 9; i >= 0; --i) {
        out[i] = kCrockford[t & 31];
        t >>= 5;
    }
    // 80-bit randomness -> 16 chars, from the least significant end.
    uint64_t lo = rand_lo_, hi = rand_hi_;
    for (int i = 25; i >= 10; --i) {
        out[i] = kCrockford[lo & 31];
        lo = (lo >> 5) | ((hi & 31) << 59);
        hi >>= 5;
    }
    return out;
}

std::string new_ulid() {
    static std::mutex mu;
    static UlidGenerator gen;
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    std::lock_guard lock(mu);
    return gen.next(static_cast<uint64_t>(millis));
}

bool is_ulid(std::string_view text) {
    if (text.size() != 26 || text[0] > '7')
        return false;
    for (char c : text)
        if (crockford_value(c) < 0)
            return false;
    return true;
}

uint64_t ulid_millis(std::string_view ulid) {
    uint64_t t = 0;
    for (size_t i = 0; i < 10 && i < ulid.size(); ++i)
        t = (t << 5) | static_cast<uint64_t>(crockford_value(ulid[i]));
    return t;
}

} // namespace omnigraph::base
