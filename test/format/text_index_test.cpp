// The full-text analyzer (tokenizer, stop words, Porter2 stemmer) and the per-segment inverted
// index: its encoding round trip, its place in a segment's footer, and damage detection.
#include "format/segment.h"
#include "format/text_index.h"
#include "format/text_tokenizer.h"
#include "store/local_store.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace omnigraph::format {
namespace {

Column strings(std::vector<std::optional<std::string>> values) {
    Column c(ColumnType{PhysicalKind::kString});
    for (const auto& v : values)
        v ? c.append_bytes(*v) : c.append_null();
    return c;
}

using Terms = std::vector<std::string>;

TEST(TextAnalyzer, SplitsLowersFoldsAndDropsStopWords) {
    EXPECT_EQ(text_words("State-of-the-ART, v2.0!"),
              (Terms{"state", "of", "the", "art", "v2", "0"}));
    EXPECT_EQ(text_terms("State-of-the-ART"), (Terms{"state", "art"}));
    EXPECT_EQ(text_words("Café NAÏVE Straße"), (Terms{"cafe", "naive", "strasse"}));
    EXPECT_EQ(text_words("a\xC2\xA0"
                         "b"),
              (Terms{"a", "b"})); // no-break space separates
    EXPECT_EQ(text_words("日本語 text"), (Terms{"日本語", "text"}));
    EXPECT_EQ(text_terms(std::string(41, 'x') + " kept"), (Terms{"kept"}));
    EXPECT_TRUE(text_terms("the to of and").empty());
    EXPECT_TRUE(text_terms("").empty());
}

TEST(TextAnalyzer, Porter2StemsLikeSnowball) {
    // Pairs from the Snowball English reference vocabulary.
    std::vector<std::pair<std::string, std::string>> cases = {
        {"learning", "learn"},
        {"introduction", "introduct"},
        {"machine", "machin"},
        {"networks", "network"},
        {"caresses", "caress"},
        {"ponies", "poni"},
        {"ties", "tie"},
        {"cats", "cat"},
        {"gas", "gas"},
        {"feed", "feed"},
        {"agreed", "agre"},
        {"plastered", "plaster"},
        {"motoring", "motor"},
        {"sing", "sing"},
        {"conflated", "conflat"},
        {"troubled", "troubl"},
        {"sized", "size"},
        {"hopping", "hop"},
        {"filing", "file"},
        {"happy", "happi"},
        {"relational", "relat"},
        {"conditional", "condit"},
        {"generously", "generous"},
        {"generalization", "general"},
        {"communication", "communic"},
        {"skies", "sky"},
        {"dying", "die"},
        {"news", "news"},
        {"succeeded", "succeed"},
        {"hopeful", "hope"},
        {"goodness", "good"},
        {"electrical", "electr"},
        {"adjustment", "adjust"},
        {"controll", "control"},
        {"rate", "rate"},
        {"cease", "ceas"},
        {"by", "by"},
        {"say", "say"},
        {"cry", "cri"},
        {"reinforcement", "reinforc"},
        {"natural", "natur"},
        {"language", "languag"},
        {"processing", "process"},
        {"guide", "guid"},
        {"alps", "alp"},
    };
    for (const auto& [word, stem] : cases)
        EXPECT_EQ(english_stem(word), stem) << word;
}

TEST(TextIndex, BuildsAndRoundTrips) {
    auto index = build_text_index(strings({"Deep learning learns", std::nullopt, "", "deep sea"}));
    ASSERT_TRUE(index) << index.error().to_string();
    EXPECT_EQ(index->rows, 4u);
    EXPECT_EQ(index->lengths, (std::vector<uint32_t>{3, 0, 0, 2}));
    EXPECT_EQ(index->terms, (Terms{"deep", "learn", "sea"}));
    const auto* learn = index->find("learn");
    ASSERT_NE(learn, nullptr);
    ASSERT_EQ(learn->size(), 1u);
    EXPECT_EQ((*learn)[0].row, 0u);
    EXPECT_EQ((*learn)[0].frequency, 2u);
    EXPECT_EQ(index->find("deep")->size(), 2u);
    EXPECT_EQ(index->find("missing"), nullptr);

    std::string raw = encode_text_index(*index);
    auto back = decode_text_index(raw, 4);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->terms, index->terms);
    EXPECT_EQ(back->lengths, index->lengths);
    EXPECT_EQ(back->find("deep")->at(1).row, 3u);

    EXPECT_FALSE(build_text_index(Column(ColumnType{PhysicalKind::kI32})));
}

TEST(TextIndex, DamageIsSegmentCorruptNeverACrash) {
    auto index = build_text_index(strings({"alpha beta", "beta gamma", "gamma"}));
    ASSERT_TRUE(index);
    std::string raw = encode_text_index(*index);
    EXPECT_FALSE(decode_text_index(raw, 4)); // another row count
    for (size_t cut = 0; cut < raw.size(); ++cut) {
        auto r = decode_text_index(raw.substr(0, cut), 3);
        ASSERT_FALSE(r) << cut;
        EXPECT_TRUE(r.error().is(kSegmentCorrupt));
    }
    EXPECT_FALSE(decode_text_index(raw + "x", 3));
    for (size_t at = 0; at < raw.size(); ++at)
        for (unsigned char flip : {0x01, 0x80, 0xFF}) {
            std::string bad = raw;
            bad[at] = static_cast<char>(bad[at] ^ flip);
            auto r = decode_text_index(bad, 3); // either rejected or still consistent
            if (r) {
                ASSERT_EQ(r->postings.size(), r->terms.size());
                for (const auto& list : r->postings)
                    for (const auto& p : list)
                        ASSERT_LT(p.row, 3u);
            }
        }
}

TEST(TextIndex, SegmentsCarryOnePerIndexedColumn) {
    std::vector<NamedColumn> cols;
    cols.push_back({"id", strings({"a", "b", "c"})});
    cols.push_back({"p:1", strings({"Graph databases", std::nullopt, "vector search"})});
    cols.push_back({"p:2", strings({"x", "y", "z"})});
    SegmentOptions options;
    options.indexed = {"id"};
    options.text_indexed = {"p:1"};
    auto bytes = write_segment(cols, options);
    ASSERT_TRUE(bytes) << bytes.error().to_string();

    testing::TempDir dir;
    auto store = *store::LocalStore::open(*base::parse_storage_uri(dir.path()));
    ASSERT_TRUE(store->put("t/s.seg", *bytes));
    auto reader = SegmentReader::open(*store, "t/s.seg", bytes->size());
    ASSERT_TRUE(reader) << reader.error().to_string();
    const SegmentTextIndex* entry = reader->footer().find_text_index("p:1");
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->analyzer, kTextAnalyzer);
    EXPECT_EQ(entry->terms, 4u);
    EXPECT_EQ(reader->footer().find_text_index("p:2"), nullptr);
    auto index = reader->read_text_index(*entry);
    ASSERT_TRUE(index) << index.error().to_string();
    EXPECT_EQ(index->terms, (Terms{"databas", "graph", "search", "vector"}));

    // A damaged index chunk fails its checksum, naming the index.
    std::string damaged = *bytes;
    damaged[entry->offset] = static_cast<char>(damaged[entry->offset] ^ 0x5A);
    ASSERT_TRUE(store->put("t/bad.seg", damaged));
    auto bad = SegmentReader::open(*store, "t/bad.seg", damaged.size());
    ASSERT_TRUE(bad);
    auto read = bad->read_text_index(*bad->footer().find_text_index("p:1"));
    ASSERT_FALSE(read);
    EXPECT_TRUE(read.error().is(kSegmentCorrupt));
    EXPECT_NE(read.error().message.find("full-text index on 'p:1'"), std::string::npos);

    // Only string columns can be indexed, and only columns that exist.
    options.text_indexed = {"p:9"};
    EXPECT_FALSE(write_segment(cols, options));
}

} // namespace
} // namespace omnigraph::format
