// Time: RFC 3339 UTC timestamps and a clock that tests can replace.
// Thread-safety: the functions are pure; set_clock_for_testing is not meant for concurrent use.
#pragma once

#include "base/error.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omnigraph::base {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

// Now, from the system clock (or the test clock when one is installed).
TimePoint now();
int64_t unix_micros(TimePoint t);

enum class Precision { kSeconds, kMillis, kMicros };

// "2026-06-08T12:00:00.123456Z" (kMicros, the ledger's format), "...:00.123Z", "...:00Z".
std::string format_rfc3339(TimePoint t, Precision precision = Precision::kMicros);
// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)", 't'/'z' in lower case and ' ' as separator.
Result<TimePoint> parse_rfc3339(std::string_view text);

// The storage encodings of Date and DateTime values: "YYYY-MM-DD" as days since 1970-01-01, an
// RFC 3339 timestamp as Unix milliseconds (rounded down, also before 1970).
std::optional<int32_t> parse_epoch_days(std::string_view text);
std::optional<int64_t> parse_epoch_millis(std::string_view text);

// Replaces now() for tests (nullptr restores the system clock).
using ClockFn = TimePoint (*)();
void set_clock_for_testing(ClockFn fn);

} // namespace omnigraph::base
