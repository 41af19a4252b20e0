#include "base/clock.h"

#include <gtest/gtest.h>

namespace omnigraph::base {
namespace {

TEST(Clock, FormatsMicrosMillisSeconds) {
    auto t = parse_rfc3339("2026-06-08T12:00:00.123456Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_rfc3339(*t), "2026-06-08T12:00:00.123456Z");
    EXPECT_EQ(format_rfc3339(*t, Precision::kMillis), "2026-06-08T12:00:00.123Z");
    EXPECT_EQ(format_rfc3339(*t, Precision::kSeconds), "2026-06-08T12:00:00Z");
}

TEST(Clock, ParsesOffsetsAndShortFractions) {
    auto a = parse_rfc3339("2024-06-01T14:00:00+02:00");
    auto b = parse_rfc3339("2024-06-01T12:00:00Z");
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
    auto c = parse_rfc3339("2024-06-01t12:00:00.5z");
    ASSERT_TRUE(c);
    EXPECT_EQ(format_rfc3339(*c), "2024-06-01T12:00:00.500000Z");
    EXPECT_EQ(unix_micros(*parse_rfc3339("1970-01-01T00:00:01Z")), 1'000'000);
}

TEST(Clock, RejectsMalformed) {
    for (const char* bad : {"", "2024-06-01", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
                            "2024-06-01T24:00:00Z", "2024-06-01T00:00:00", "2024-06-01T00:00:00.Z",
                            "2024-06-01T00:00:00Zjunk", "2024-06-01T00:00:00+2:00"}) {
        auto r = parse_rfc3339(bad);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_TRUE(r.error().is(codes::kInvalidArgument));
        }
    }
}

TimePoint fixed_clock() {
    return *parse_rfc3339("2030-01-02T03:04:05Z");
}

TEST(Clock, TestClockReplacesNow) {
    set_clock_for_testing(fixed_clock);
    EXPECT_EQ(format_rfc3339(now(), Precision::kSeconds), "2030-01-02T03:04:05Z");
    set_clock_for_testing(nullptr);
    EXPECT_NE(format_rfc3339(now(), Precision::kSeconds), "2030-01-02T03:04:05Z");
}

} // namespace
} // namespace omnigraph::base
