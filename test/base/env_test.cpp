// base/env.h: one rule for unset values, flags and numbers.
#include "base/env.h"
#include "base/log.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <vector>

namespace omnigraph::base {
namespace {

constexpr const char* kName = "OMNIGRAPH_ENV_TEST_KNOB";

struct Knob {
    explicit Knob(const char* value) {
        if (value)
            setenv(kName, value, 1);
        else
            unsetenv(kName);
    }
    ~Knob() { unsetenv(kName); }
};

TEST(Env, UnsetMeansAbsentEmptyOrBlank) {
    for (const char* v : {static_cast<const char*>(nullptr), "", "  \t"}) {
        Knob knob(v);
        EXPECT_EQ(env_string(kName), std::nullopt);
        EXPECT_EQ(*env_flag(kName, true), true);
        EXPECT_EQ(*env_uint(kName, 7, 1, 10), 7u);
    }
    Knob text(" a b ");
    EXPECT_EQ(env_string(kName), " a b "); // text is taken verbatim
}

TEST(Env, FlagsHaveOneTruthinessRule) {
    for (const char* v : {"1", "true", "TRUE", "Yes", "on", " on "}) {
        Knob knob(v);
        EXPECT_EQ(*env_flag(kName), true) << v;
    }
    for (const char* v : {"0", "false", "False", "no", "OFF"}) {
        Knob knob(v);
        EXPECT_EQ(*env_flag(kName, true), false) << v;
    }
    for (const char* v : {"2", "y", "enabled", "truee"}) {
        Knob knob(v);
        auto r = env_flag(kName);
        ASSERT_FALSE(r) << v;
        EXPECT_EQ(r.error().code, codes::kInvalidArgument);
        EXPECT_NE(r.error().message.find(kName), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(v), std::string::npos) << r.error().message;
    }
}

TEST(Env, NumbersAreDigitsWithinRange) {
    {
        Knob knob(" 42 ");
        EXPECT_EQ(*env_uint(kName, 7, 1, 100), 42u);
    }
    for (const char* v : {"0", "101", "-1", "+5", "4.0", "12ms", "0x10"}) {
        Knob knob(v);
        auto r = env_uint(kName, 7, 1, 100);
        ASSERT_FALSE(r) << v;
        EXPECT_NE(r.error().message.find("an integer from 1 to 100"), std::string::npos)
            << r.error().message;
    }
}

TEST(Env, LenientReadersLogAndFallBack) {
    std::vector<std::string> lines;
    set_log_sink_for_testing([&](std::string_view line) { lines.emplace_back(line); });
    {
        Knob knob("many");
        EXPECT_EQ(env_uint_or(kName, 5, 1, 10), 5u);
        EXPECT_EQ(env_flag_or(kName, true), true);
    }
    {
        Knob knob("3");
        EXPECT_EQ(env_uint_or(kName, 5, 1, 10), 3u);
    }
    set_log_sink_for_testing(nullptr);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find("\"event\":\"config.ignored\""), std::string::npos) << lines[0];
    EXPECT_NE(lines[0].find(kName), std::string::npos) << lines[0];
}

} // namespace
} // namespace omnigraph::base
