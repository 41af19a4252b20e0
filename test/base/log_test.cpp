#include "base/json.h"
#include "base/log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <vector>

namespace omnigraph::base {
namespace {

TEST(Log, WritesOneJsonObjectPerLine) {
    std::vector<std::string> lines;
    set_log_sink_for_testing([&](std::string_view l) { lines.emplace_back(l); });
    set_log_level(LogLevel::kInfo);
    log(LogLevel::kInfo, "store.retry", {{"uri", "s3://b/p"}, {"attempt", "2"}});
    log(LogLevel::kDebug, "hidden");
    set_log_sink_for_testing(nullptr);
    set_log_level(LogLevel::kWarn);
    ASSERT_EQ(lines.size(), 1u);
    auto j = parse_json(lines[0]);
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)["event"], "store.retry");
    EXPECT_EQ((*j)["level"], "info");
    EXPECT_EQ((*j)["uri"], "s3://b/p");
    EXPECT_EQ((*j)["ts"].get<std::string>().back(), 'Z');
}

} // namespace
} // namespace omnigraph::base
