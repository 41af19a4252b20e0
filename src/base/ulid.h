// ULIDs: 26-character Crockford base32 ids, 48-bit millisecond time + 80 random bits.
// Within one millisecond, ids from one generator increase strictly (the random part is
// incremented), so ids sort in creation order. new_ulid() is thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace omnigraph::base {

std::string new_ulid();

// True when `text` is a well-formed ULID (26 chars, Crockford alphabet, upper case).
bool is_ulid(std::string_view text);
// Milliseconds since the Unix epoch encoded in a well-formed ULID.
uint64_t ulid_millis(std::string_view ulid);

// A generator with an explicit clock; new_ulid() uses a process-wide one.
class UlidGenerator {
  public:
    std::string next(uint64_t unix_millis);

  private:
    uint64_t last_millis_ = 0;
    uint64_t rand_hi_ = 0; // top 16 bits of the 80-bit random part
    uint64_t rand_lo_ = 0; // low 64 bits
};

} // namespace omnigraph::base
