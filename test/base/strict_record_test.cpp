// base::StrictRecord: presence, types, ranges, unknown keys, and the one message wording.
#include "base/strict_record.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace omnigraph::base {
namespace {

Json parsed(std::string_view text) {
    auto j = parse_json(text);
    EXPECT_TRUE(j) << j.error().message;
    return *j;
}

TEST(StrictRecord, ReadsTypedFields) {
    Json j = parsed(R"({"s": "x", "n": null, "u": 7, "i": -3, "a": ["p", "q"],
                        "o": {"k": 1}, "list": [{"k": 2}, {"k": 3}]})");
    auto r = StrictRecord::of(j, "bad_record", "r.json");
    ASSERT_TRUE(r);
    EXPECT_EQ(*r->string("s"), "x");
    EXPECT_EQ(*r->optional_string("missing"), std::nullopt);
    EXPECT_EQ(*r->optional_string("n"), std::nullopt);
    EXPECT_EQ(*r->nullable_string("n"), std::nullopt);
    EXPECT_EQ(*r->nullable_string("s"), "x");
    EXPECT_EQ(*r->unsigned_integer("u"), 7u);
    EXPECT_EQ(*r->integer("i"), -3);
    EXPECT_EQ(*r->integer("u"), 7);
    EXPECT_EQ(*r->strings("a"), (std::vector<std::string>{"p", "q"}));
    EXPECT_TRUE(r->optional_strings("missing")->empty());
    EXPECT_EQ(*r->object("o")->unsigned_integer("k"), 1u);
    auto list = r->objects("list");
    ASSERT_TRUE(list);
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[1].path(), "list[1]");
    EXPECT_TRUE(r->has("s"));
    EXPECT_FALSE(r->has("n"));
    EXPECT_TRUE(r->only({"s", "n", "u", "i", "a", "o", "list"}));
}

TEST(StrictRecord, ErrorsNameTheRecordThePathAndWhatWasExpected) {
    Json j = parsed(R"({"s": 5, "u": -1, "big": 4294967296, "f": 1.5, "o": {"inner": "x"},
                        "list": [{"k": "v"}, 3], "a": ["p", 2]})");
    auto r = StrictRecord::of(j, "bad_record", "r.json");
    ASSERT_TRUE(r);
    auto message = [](const auto& result) {
        EXPECT_FALSE(result);
        EXPECT_EQ(result.error().code, "bad_record");
        return result.error().message;
    };
    EXPECT_EQ(message(r->string("s")), "r.json: field `s` must be a string, got 5");
    EXPECT_EQ(message(r->string("absent")), "r.json: missing field `absent`");
    EXPECT_EQ(message(r->unsigned_integer("u")),
              "r.json: field `u` must be an unsigned integer, got -1");
    EXPECT_EQ(message(r->unsigned_integer("big", UINT32_MAX)),
              "r.json: field `big` must be an unsigned integer up to 4294967295, got 4294967296");
    EXPECT_EQ(message(r->integer("f")), "r.json: field `f` must be a 64-bit integer, got 1.5");
    EXPECT_EQ(message(r->object("o")->unsigned_integer("inner")),
              "r.json: field `o.inner` must be an unsigned integer, got \"x\"");
    EXPECT_EQ(message(r->objects("list")), "r.json: field `list[1]` must be an object, got 3");
    EXPECT_EQ(message(r->strings("a")), "r.json: field `a[1]` must be a string, got 2");
    EXPECT_EQ(message(r->object("o")->only({"other"})), "r.json: unknown field `o.inner`");
    EXPECT_EQ(r->object("o")->field_error("inner", "is odd").message,
              "r.json: field `o.inner` is odd");
    EXPECT_EQ(r->object("o")->error("is odd").message, "r.json: `o` is odd");
    EXPECT_EQ(r->error("is odd").message, "r.json: is odd");

    Json array = parsed("[1]");
    EXPECT_EQ(message(StrictRecord::of(array, "bad_record", "r.json")),
              "r.json: expected a JSON object, got [1]");
    auto unnamed = StrictRecord::of(j, "bad_record", "");
    EXPECT_EQ(message(unnamed->string("s")), "field `s` must be a string, got 5");
}

} // namespace
} // namespace omnigraph::base
