#include "base/json.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace omnigraph::base {
namespace {

TEST(Json, PrettyKeepsInsertionOrderWithTwoSpacesAndNewline) {
    Json j;
    j["version"] = 1;
    j["alpha"] = Json::array({1, 2});
    j["name"] = "Ada Lovelace — ü";
    EXPECT_EQ(to_pretty_json(j),
              "{\n  \"version\": 1,\n  \"alpha\": [\n    1,\n    2\n  ],\n  \"name\": \"Ada "
              "Lovelace — ü\"\n}\n");
    EXPECT_EQ(to_compact_json(j), "{\"version\":1,\"alpha\":[1,2],\"name\":\"Ada Lovelace — ü\"}");
}

TEST(Json, InvalidUtf8IsReplacedNotThrown) {
    Json j = std::string("a\xff") + "b";
    EXPECT_NO_THROW((void)to_compact_json(j));
}

TEST(Json, ParseErrorsCarryLocation) {
    auto r = parse_json("{\n  \"a\": 1,\n  \"b\": tru\n}", "state.json");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kParseError));
    ASSERT_TRUE(r.error().location);
    EXPECT_EQ(r.error().location->file, "state.json");
    EXPECT_EQ(r.error().location->line, 3);
    EXPECT_GT(r.error().location->column, 1);
    auto overflow = parse_json("[1e400]", "big.json");
    ASSERT_FALSE(overflow);
    EXPECT_TRUE(overflow.error().is(codes::kParseError));
    EXPECT_NE(overflow.error().message.find("big.json"), std::string::npos);
    auto good = parse_json("{\"z\":1,\"a\":2}");
    ASSERT_TRUE(good);
    EXPECT_EQ(good->begin().key(), "z");
}

// nlohmann copies and serializes recursively: 100k nested arrays, once parsed, overflowed a
// server worker's stack. Deep nesting is refused at parse time; brackets in strings don't count.
TEST(Json, NestingDeeperThan128LevelsIsRefused) {
    std::string deep = "{\"params\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    auto r = parse_json(deep, "body");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kParseError));
    EXPECT_NE(r.error().message.find("nested deeper than 128"), std::string::npos);
    EXPECT_FALSE(parse_json(std::string(100000, '[')));
    auto edge = parse_json(std::string(128, '[') + std::string(128, ']'));
    ASSERT_TRUE(edge);
    Json copy = *edge; // the depth we allow copies and dumps without trouble
    EXPECT_EQ(to_compact_json(copy).size(), 256u);
    EXPECT_FALSE(parse_json(std::string(129, '[') + std::string(129, ']')));
    auto quoted = parse_json("{\"a\":\"" + std::string(1000, '[') + "\\\"{{\"}");
    ASSERT_TRUE(quoted) << quoted.error().message;
}

} // namespace
} // namespace omnigraph::base

namespace omnigraph::base {
namespace {

TEST(CanonicalJson, FloatsFollowTheSerdeRules) {
    EXPECT_EQ(format_shortest_float(100.0), "100.0");
    EXPECT_EQ(format_shortest_float(-0.0), "-0.0");
    EXPECT_EQ(format_shortest_float(0.5), "0.5");
    EXPECT_EQ(format_shortest_float(1e15), "1000000000000000.0");
    EXPECT_EQ(format_shortest_float(1e16), "1e16");
    EXPECT_EQ(format_shortest_float(1.5e16), "1.5e16");
    EXPECT_EQ(format_shortest_float(1e20), "1e20");
    EXPECT_EQ(format_shortest_float(0.0001), "0.0001");
    EXPECT_EQ(format_shortest_float(0.00001), "0.00001");
    EXPECT_EQ(format_shortest_float(1e-6), "1e-6");
    EXPECT_EQ(format_shortest_float(1e-7), "1e-7");
    EXPECT_EQ(format_shortest_float(-40.0), "-40.0");
    EXPECT_EQ(format_shortest_float(0.1), "0.1");
    EXPECT_EQ(format_shortest_float(123.456), "123.456");
}

TEST(CanonicalJson, EscapesAndOrder) {
    Json j;
    j["b"] = std::string("q\"\\/\b\f\n\r\t\x01\x7f") + "ü";
    j["a"] = Json::array({1, -2, 2.5, true, nullptr});
    EXPECT_EQ(to_canonical_json(j),
              "{\"b\":\"q\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\x7fü\",\"a\":[1,-2,2.5,true,null]}");
}

} // namespace
} // namespace omnigraph::base
