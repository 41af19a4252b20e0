// Strict JSONL graph batches (spec query-language §4, engine-cli §3): envelopes, values, ids.
#include "engine/load_input.h"
#include "schema/compiler.h"

#include <gtest/gtest.h>

namespace omnigraph::engine {
namespace {

schema::Catalog catalog_of(const std::string& source) {
    auto s = schema::load_schema(source);
    EXPECT_TRUE(s) << s.error().to_string();
    auto ir = schema::build_ir(*s, nullptr, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    return schema::project_catalog(ir->ir);
}

const std::string kSchema = R"(
node Person { name: String @key age: I32? born: Date? seen: DateTime? score: F32?
              tags: [String]? mood: enum(happy, sad)? emb: Vector(2)? photo: Blob? }
node Pair { a: String b: I64 @key(b, a) }
node Note { text: String }
edge Knows: Person -> Person { since: Date? }
)";

TEST(LoadInput, ReadsNodesEdgesValuesAndIds) {
    auto cat = catalog_of(kSchema);
    auto batch = parse_load_input(
        "{\"type\":\"Person\",\"data\":{\"name\":\"Ada\",\"age\":36,\"born\":\"1815-12-10\","
        "\"seen\":\"2024-06-01T12:00:00Z\","
        "\"score\":0.5,\"tags\":[\"math\",\"poetry\"],\"mood\":\"happy\",\"emb\":[1,2],\"photo\":"
        "\"base64:AAEC\"}}\n"
        "\n"
        "{\"edge\":\"KNOWS\",\"from\":\"Ada\",\"to\":\"Grace\",\"data\":{\"since\":7}}\n"
        "{\"type\":\"Pair\",\"data\":{\"a\":\"Z\",\"b\":-3}}\n"
        "{\"type\":\"Note\",\"data\":{\"text\":\"hi\",\"id\":\"n1\"}}\n"
        "{\"type\":\"Note\",\"data\":{\"text\":\"anon\"}}\n",
        cat, "seed.jsonl");
    ASSERT_TRUE(batch) << batch.error().to_string();
    EXPECT_EQ(batch->rows, 5u);
    const auto& people = batch->tables.at("node:Person");
    ASSERT_EQ(people.ids.size(), 1u);
    EXPECT_EQ(people.ids[0], "Ada");
    const auto* person = cat.find_node("Person");
    const auto& born = people.columns.at(person->property_ids.at("born"));
    EXPECT_EQ(born.fixed_at<int32_t>(0), -56270); // days before 1970
    const auto& seen = people.columns.at(person->property_ids.at("seen"));
    EXPECT_EQ(seen.fixed_at<int64_t>(0), 1717243200000);
    const auto& photo = people.columns.at(person->property_ids.at("photo"));
    EXPECT_EQ(photo.bytes_at(0), std::string("\0\1\2", 3));
    const auto& tags = people.columns.at(person->property_ids.at("tags"));
    EXPECT_EQ(tags.list_end(0) - tags.list_begin(0), 2u);
    const auto& knows = batch->tables.at("edge:Knows"); // edge names are case-insensitive
    EXPECT_EQ(knows.src[0], "Ada");
    EXPECT_EQ(knows.dst[0], "Grace");
    EXPECT_EQ(knows.origins[0], 3u);
    // Composite key: JSON array of canonical spellings in stable property id order (a < b).
    EXPECT_EQ(batch->tables.at("node:Pair").ids[0], "[\"Z\",\"-3\"]");
    const auto& notes = batch->tables.at("node:Note");
    EXPECT_EQ(notes.ids[0], "n1");
    EXPECT_EQ(notes.ids[1].size(), 26u); // a fresh ULID
    EXPECT_TRUE(notes.explicit_ids[0]);
    EXPECT_FALSE(notes.explicit_ids[1]);
}

struct BadCase {
    const char* line;
    const char* message;
};

TEST(LoadInput, EveryErrorIsTypedWithTheSpecMessageAndALine) {
    auto cat = catalog_of(kSchema);
    for (const BadCase& c : std::initializer_list<BadCase>{
             {"{\"type\":\"Alien\"}", "line 2: unknown node type 'Alien'"},
             {"{\"edge\":\"Nope\",\"from\":\"a\",\"to\":\"b\"}",
              "line 2: unknown edge type 'Nope'"},
             {"{\"type\":\"Note\",\"edge\":\"Knows\"}",
              "line 2: graph batch record must contain exactly one of 'type' or 'edge'"},
             {"{\"data\":{}}",
              "line 2: graph batch record must contain exactly one of 'type' or 'edge'"},
             {"{\"type\":\"Note\",\"foo\":1,\"data\":{\"text\":\"x\"}}",
              "line 2: unknown top-level graph batch field 'foo'"},
             {"{\"edge\":\"Knows\",\"from\":\"a\",\"to\":\"b\",\"data\":{\"src\":\"x\"}}",
              "line 2: edge data field 'src' is reserved structural state"},
             {"{\"type\":\"Note\",\"data\":null}",
              "line 2: graph batch field 'data' must be an object"},
             {"{\"type\":\"Note\",\"data\":{\"text\":\"x\",\"text\":\"y\"}}",
              "invalid strict JSON at line 2: duplicate key 'text'"},
             {"{\"type\":\"Note\",\"data\":{\"text\":", "invalid strict JSON at line 2"},
             {"{\"type\":\"Note\",\"data\":{\"txt\":\"x\"}}",
              "unknown input field 'txt' for 'node:Note'"},
             {"{\"type\":\"Note\",\"data\":{\"text\":\"x\",\"_rowid\":1}}",
              "input field '_rowid' is reserved physical state"},
             {"{\"type\":\"Note\",\"data\":{}}",
              "non-nullable property 'text' has null or invalid values"},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"age\":\"x\"}}",
              "strict property 'age' expects Int32, got \"x\""},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"age\":3000000000}}",
              "exceeds Int32 range"},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"born\":\"1815-13-10\"}}",
              "invalid Date literal '1815-13-10'"},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"tags\":[\"a\",null]}}",
              "strict list property 'tags' contains a null or invalid item"},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"mood\":\"angry\"}}",
              "invalid enum value 'angry' for property 'mood' (expected: happy, sad)"},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"emb\":[1,2,3]}}",
              "expects 2 dimensions, got 3"},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"photo\":\"base64:!!\"}}",
              "invalid base64 blob data"},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"photo\":\"s3://b/k\"}}",
              "external blob sources are not allowed"},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"id\":\"B\"}}",
              "node Person explicit id 'B' does not match its canonical @key id 'A'"},
             {"[1,2]", "line 2: graph batch record must be a JSON object"},
             // Duplicates at any depth, and beyond the linear-scan size of an object.
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"tags\":[{\"k\":1,\"k\":2}]}}",
              "invalid strict JSON at line 2: duplicate key 'k'"},
             {"{\"type\":\"Note\",\"data\":{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,"
              "\"g\":1,\"h\":1,\"i\":1,\"j\":1,\"k\":1,\"l\":1,\"m\":1,\"n\":1,\"o\":1,"
              "\"p\":1,\"q\":1,\"r\":1,\"c\":2}}",
              "invalid strict JSON at line 2: duplicate key 'c'"},
             // Refused by the fast parser, read by the slow one: the value, not the JSON, is bad.
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"age\":18446744073709551616}}",
              "strict property 'age' expects Int32, got 1.8446744073709552e+19"},
             {"{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"score\":1e400}}",
              "invalid strict JSON at line 2: number overflow"},
         }) {
        std::string input =
            std::string("{\"type\":\"Note\",\"data\":{\"text\":\"ok\"}}\n") + c.line + "\n";
        auto r = parse_load_input(input, cat, "f.jsonl");
        ASSERT_FALSE(r) << c.line;
        EXPECT_EQ(r.error().code, kInvalidLoadInput);
        EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
        ASSERT_TRUE(r.error().location) << c.line;
        EXPECT_EQ(r.error().location->line, 2) << c.line;
        EXPECT_EQ(r.error().location->file, "f.jsonl");
    }
}

// Bytes that are not UTF-8, and a byte order mark, are refused with their line and column:
// never replaced (U+FFFD) or skipped. A U+FEFF inside a string is a character like any other.
TEST(LoadInput, InvalidUtf8AndAByteOrderMarkAreRefusedWithTheirColumn) {
    auto cat = catalog_of(kSchema);
    const std::string prefix = R"({"type":"Note","data":{"text":")"; // 31 bytes
    const std::string suffix = R"("}})";
    struct Case {
        std::string bytes;
        std::string what;
    };
    for (const auto& c : std::vector<Case>{
             {"\xff", "0xff"},             // never UTF-8
             {"\x80", "0x80"},             // a lone continuation byte
             {"\xc0\xae", "0xc0"},         // an overlong '.'
             {"\xe0\x80\xaf", "0xe0"},     // an overlong '/'
             {"\xed\xa0\x80", "0xed"},     // an encoded surrogate (U+D800)
             {"\xf4\x90\x80\x80", "0xf4"}, // above U+10FFFF
             {"\xe2\x82", "0xe2"},         // cut short by the closing quote
         }) {
        std::string input = std::string(R"({"type":"Note","data":{"text":"ok"}})") + "\n" + prefix +
                            "ok " + c.bytes + suffix + "\n";
        auto r = parse_load_input(input, cat, "f.jsonl");
        ASSERT_FALSE(r) << c.what;
        EXPECT_EQ(r.error().code, kInvalidLoadInput);
        EXPECT_NE(r.error().message.find("invalid UTF-8 at line 2, column 35: byte " + c.what),
                  std::string::npos)
            << r.error().message;
        ASSERT_TRUE(r.error().location);
        EXPECT_EQ(r.error().location->line, 2);
        EXPECT_EQ(r.error().location->column, 35);
    }
    for (int line : {1, 3}) {
        std::string input;
        for (int i = 1; i <= 3; ++i)
            input += (i == line ? "\xEF\xBB\xBF" : "") + prefix + "n" + std::to_string(i) + suffix +
                     "\n";
        auto r = parse_load_input(input, cat, "f.jsonl");
        ASSERT_FALSE(r) << line;
        EXPECT_EQ(r.error().code, kInvalidLoadInput);
        EXPECT_NE(r.error().message.find("line " + std::to_string(line) +
                                         ": a byte order mark (U+FEFF) is not allowed"),
                  std::string::npos)
            << r.error().message;
        ASSERT_TRUE(r.error().location);
        EXPECT_EQ(r.error().location->line, line);
        EXPECT_EQ(r.error().location->column, 1);
    }
    auto inside = parse_load_input(prefix +
                                       "a\xEF\xBB\xBF"
                                       "b" +
                                       suffix + "\n",
                                   cat, "f.jsonl");
    ASSERT_TRUE(inside) << inside.error().message;
    EXPECT_EQ(inside->rows, 1u);
}

} // namespace
} // namespace omnigraph::engine

namespace omnigraph::engine {
namespace {

TEST(LoadInputHardening, FloatLimitsAndTimesBeforeTheEpoch) {
    auto cat = catalog_of(kSchema);
    auto ok =
        parse_load_input("{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"score\":3.4028235e38,"
                         "\"seen\":\"1969-12-31T23:59:59.9995Z\"}}\n",
                         cat);
    ASSERT_TRUE(ok) << ok.error().to_string();
    const auto* person = cat.find_node("Person");
    const auto& t = ok->tables.at("node:Person");
    EXPECT_EQ(t.columns.at(person->property_ids.at("seen")).fixed_at<int64_t>(0),
              -1); // floor, not truncation
    // An integer beyond 64 bits is a valid JSON number: a float property takes it.
    auto big = parse_load_input(
        "{\"type\":\"Person\",\"data\":{\"name\":\"B\",\"score\":18446744073709551616}}\n", cat);
    ASSERT_TRUE(big) << big.error().to_string();
    EXPECT_EQ(big->tables.at("node:Person")
                  .columns.at(person->property_ids.at("score"))
                  .fixed_at<float>(0),
              18446744073709551616.0f);
    auto vec =
        parse_load_input("{\"type\":\"Person\",\"data\":{\"name\":\"A\",\"emb\":[1e39,0]}}\n", cat);
    ASSERT_FALSE(vec);
    EXPECT_NE(vec.error().message.find("out of Float32 range"), std::string::npos);
}

} // namespace
} // namespace omnigraph::engine
