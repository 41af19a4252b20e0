#include "base/error.h"
#include "base/json.h"
#include "base/log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace omnigraph {
namespace {

Result<int> parse_positive(int v) {
    if (v <= 0)
        return Error(codes::kInvalidArgument, "not positive");
    return v;
}

Result<int> doubled(int v) {
    int x = OG_TRY(parse_positive(v));
    return x * 2;
}

Status check_positive(int v) {
    OG_CHECK(parse_positive(v));
    return ok();
}

TEST(Error, ToStringWithAndWithoutLocation) {
    Error plain(codes::kNotFound, "no such graph");
    EXPECT_EQ(plain.to_string(), "error[not_found]: no such graph");
    Error located("E001", "unexpected token", SourceLocation{"schema.pg", 3, 7});
    EXPECT_EQ(located.to_string(), "schema.pg:3:7: error[E001]: unexpected token");
}

TEST(Error, PrependKeepsCodeAndLocation) {
    Error e("E001", "bad", SourceLocation{"f", 1, 2});
    e.prepend("loading schema");
    EXPECT_EQ(e.message, "loading schema: bad");
    EXPECT_EQ(e.code, "E001");
    ASSERT_TRUE(e.location);
    EXPECT_EQ(e.location->line, 1);
}

TEST(Error, DetailsKeepInsertionOrder) {
    Error e(codes::kPreconditionFailed, "x");
    e.with_detail("expected", "a").with_detail("actual", "b");
    ASSERT_EQ(e.details.size(), 2u);
    EXPECT_EQ(e.details[0].first, "expected");
    EXPECT_EQ(e.details[1].second, "b");
}

TEST(Result, TryPropagatesErrorsAndValues) {
    EXPECT_EQ(*doubled(4), 8);
    auto bad = doubled(-1);
    ASSERT_FALSE(bad);
    EXPECT_TRUE(bad.error().is(codes::kInvalidArgument));
    EXPECT_TRUE(check_positive(3));
    EXPECT_FALSE(check_positive(0));
}

TEST(Result, IgnoreErrorLogsTheErrorWithItsReasonAtWarn) {
    std::vector<std::string> lines;
    base::set_log_sink_for_testing([&](std::string_view l) { lines.emplace_back(l); });
    base::set_log_level(base::LogLevel::kWarn);
    ignore_error(doubled(2), "never logged: a success");
    ignore_error(check_positive(0), "the caller recovers");
    Result<int> kept = doubled(-1);
    ignore_error(kept, "an lvalue works too");
    base::set_log_sink_for_testing(nullptr);
    ASSERT_EQ(lines.size(), 2u);
    auto j = base::parse_json(lines[0]);
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)["level"], "warn");
    EXPECT_EQ((*j)["event"], "error.ignored");
    EXPECT_EQ((*j)["why"], "the caller recovers");
    EXPECT_EQ((*j)["code"], "invalid_argument");
    EXPECT_EQ((*j)["message"], "not positive");
    EXPECT_EQ((*base::parse_json(lines[1]))["why"], "an lvalue works too");
}

} // namespace
} // namespace omnigraph
