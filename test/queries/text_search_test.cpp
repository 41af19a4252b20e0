// Full-text search end to end on both backends: a table written by several loads, a mutation
// and optimize answers search / match_text / fuzzy / bm25 exactly as a naive per-row evaluation
// of the same analyzer does, and every segment written for an @index String property carries a
// full-text index (read through the object store, local or S3). Plus the BM25 and edit-distance
// arithmetic on their own.
#include "../store/store_fixture.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "engine/optimize.h"
#include "format/text_tokenizer.h"
#include "query/text_search.h"
#include "service/graph_handle.h"
#include "service/mutate.h"
#include "service/read.h"
#include "store/counting_store.h"

#include <algorithm>
#include <cmath>
#include <gtest/gtest.h>
#include <map>
#include <set>

namespace omnigraph::testing {
namespace {

constexpr int kDocs = 1200;
const char* const kWords[] = {"graph",    "graphs",  "database", "vector",   "search",
                              "learning", "learned", "the",      "of",       "network",
                              "networks", "index",   "indexes",  "storage",  "query",
                              "queries",  "engine",  "fast",     "scalable", "distributed"};

// Document i's title: a few words picked deterministically (repeats and stop words included).
std::string title_of(int i) {
    std::string t;
    uint64_t x = uint64_t(i) * 2654435761u + 12345;
    int n = 2 + int(x % 5);
    for (int k = 0; k < n; ++k) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        t += (k ? " " : "") + std::string(kWords[(x >> 33) % std::size(kWords)]);
    }
    return t;
}

std::string doc_line(int i) {
    return R"({"type":"Doc","data":{"slug":"d)" + std::to_string(i) + R"(","title":")" +
           title_of(i) + R"(","note":")" + title_of(i + 7) + "\"}}\n";
}

class TextSearch : public StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        if (HasFatalFailure())
            return;
        ASSERT_TRUE(engine::init_graph(*store_, R"(
node Doc {
    slug: String @key
    title: String @index
    note: String?
}
)"));
        auto graph = engine::Graph::open(*store_);
        ASSERT_TRUE(graph);
        // Three loads: three segments per table, the last appended.
        for (int part = 0; part < 3; ++part) {
            std::string jsonl;
            for (int i = part * kDocs / 3; i < (part + 1) * kDocs / 3; ++i)
                jsonl += doc_line(i);
            engine::LoadOptions o;
            o.mode = part == 0 ? engine::LoadMode::kOverwrite : engine::LoadMode::kAppend;
            auto loaded = engine::load_graph(*store_, *graph, jsonl, o);
            ASSERT_TRUE(loaded) << loaded.error().to_string();
        }
        for (int i = 0; i < kDocs; ++i)
            live_[i] = true;
    }

    std::unique_ptr<service::GraphHandle> handle() {
        auto h = service::GraphHandle::open(std::make_unique<store::CountingStore>(*store_));
        EXPECT_TRUE(h) << h.error().to_string();
        return h ? std::move(*h) : nullptr;
    }

    std::vector<std::string> slugs(const std::string& text, bool ordered = false) {
        auto h = handle();
        service::ReadRequest r;
        r.source.text = text;
        auto got = service::run_read(*h, r);
        EXPECT_TRUE(got) << (got ? "" : got.error().to_string()) << "\n" << text;
        std::vector<std::string> out;
        if (got)
            for (const auto& row : got->result.rows)
                out.push_back(row[0].text);
        if (!ordered)
            std::sort(out.begin(), out.end());
        return out;
    }

    void mutate(const std::string& text) {
        auto h = handle();
        service::MutationRequest r;
        r.source.text = text;
        auto done = service::run_mutation(*h, r);
        ASSERT_TRUE(done) << done.error().to_string();
    }

    // The slugs whose title (or note) matches, by the analyzer applied row by row.
    std::vector<std::string> expected(query::TextMode mode, const std::string& q, bool note = false,
                                      int64_t edits = 2) {
        auto tq = query::text_query(mode, q, edits);
        std::vector<std::string> out;
        for (const auto& [i, live] : live_)
            if (live && query::text_matches(note ? title_of(i + 7) : title_of(i), tq))
                out.push_back("d" + std::to_string(i));
        std::sort(out.begin(), out.end());
        return out;
    }

    void expect_all_queries_match_naive() {
        for (const std::string q : {"graph", "Graphs databases", "learning networks", "the",
                                    "indexes query", "distributed scalable engine"}) {
            for (const char* field : {"title", "note"}) {
                bool note = std::string(field) == "note";
                EXPECT_EQ(slugs("query q() { match { $d: Doc  search($d." + std::string(field) +
                                ", \"" + q + "\") } return { $d.slug } }"),
                          expected(query::TextMode::kAll, q, note))
                    << field << " search " << q;
                EXPECT_EQ(slugs("query q() { match { $d: Doc  match_text($d." + std::string(field) +
                                ", \"" + q + "\") } return { $d.slug } }"),
                          expected(query::TextMode::kAny, q, note))
                    << field << " match_text " << q;
            }
        }
        for (const std::string q : {"grahp", "vectr serch", "qeury"})
            EXPECT_EQ(slugs("query q() { match { $d: Doc  fuzzy($d.title, \"" + q +
                            "\", 2) } return { $d.slug } }"),
                      expected(query::TextMode::kFuzzy, q))
                << "fuzzy " << q;
        // bm25 keeps exactly the rows holding a query term, scores descending.
        auto ranked = slugs("query q() { match { $d: Doc } return { $d.slug } "
                            "order { bm25($d.title, \"vector storage\") } }",
                            true);
        auto sorted = ranked;
        std::sort(sorted.begin(), sorted.end());
        EXPECT_EQ(sorted, expected(query::TextMode::kAny, "vector storage"));
        auto top = slugs("query q() { match { $d: Doc } return { $d.slug } "
                         "order { bm25($d.title, \"vector storage\") } limit 10 }",
                         true);
        ASSERT_EQ(top.size(), 10u);
        EXPECT_EQ(top, std::vector<std::string>(ranked.begin(), ranked.begin() + 10));
    }

    // Every segment of the Doc table carries a full-text index of `title` and none of `note`.
    void expect_indexed_segments() {
        auto graph = engine::Graph::open(*store_);
        ASSERT_TRUE(graph);
        auto head = graph->head();
        const auto* entry = head->find("node:Doc");
        ASSERT_NE(entry, nullptr);
        auto snap = graph->snapshot({});
        ASSERT_TRUE(snap);
        const auto* node = snap->schema->catalog.find_node("Doc");
        std::string title = "p:" + std::to_string(node->property_ids.at("title"));
        std::string note = "p:" + std::to_string(node->property_ids.at("note"));
        for (const auto& ref : entry->segments) {
            auto reader = format::SegmentReader::open(*store_, ref.segment);
            ASSERT_TRUE(reader) << reader.error().to_string();
            EXPECT_NE(reader->footer().find_text_index(title), nullptr) << ref.segment;
            EXPECT_EQ(reader->footer().find_text_index(note), nullptr) << ref.segment;
        }
    }

    std::map<int, bool> live_;
};

TEST_P(TextSearch, IndexedAndScannedPropertiesAnswerAsTheAnalyzerDoes) {
    expect_indexed_segments();
    expect_all_queries_match_naive();
}

TEST_P(TextSearch, MutationsAndOptimizeKeepTheIndexesTrue) {
    mutate(R"(query m() { insert Doc { slug: "new", title: "Graph vector storage" } })");
    mutate(R"(query m() { delete Doc where slug = "d5" })");
    mutate(R"(query m() { update Doc set { title: "nothing here" } where slug = "d7" })");
    live_[5] = false;
    auto search = [&](const std::string& q) {
        return slugs("query q() { match { $d: Doc  search($d.title, \"" + q +
                     "\") } return { $d.slug } }");
    };
    auto with_new = [&](std::vector<std::string> v) {
        v.push_back("new");
        std::sort(v.begin(), v.end());
        return v;
    };
    auto graph_vector = [&] {
        auto v = expected(query::TextMode::kAll, "graph vector");
        v.erase(std::remove(v.begin(), v.end(), "d7"), v.end());
        return with_new(v);
    };
    EXPECT_EQ(search("graph vector"), graph_vector());
    EXPECT_EQ(search("nothing"), std::vector<std::string>{"d7"});
    expect_indexed_segments();

    auto graph = engine::Graph::open(*store_);
    ASSERT_TRUE(graph);
    auto optimized = engine::optimize_graph(*store_, *graph);
    ASSERT_TRUE(optimized) << optimized.error().to_string();
    EXPECT_EQ(engine::Graph::open(*store_)->head()->find("node:Doc")->segments.size(), 1u);
    expect_indexed_segments();
    EXPECT_EQ(search("graph vector"), graph_vector());
    EXPECT_EQ(search("nothing"), std::vector<std::string>{"d7"});
}

INSTANTIATE_TEST_SUITE_P(Backends, TextSearch, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

TEST(TextScoring, Bm25FollowsTheFormula) {
    query::TextPostings stats;
    stats.docs = 5;
    stats.average_length = 3.2;
    stats.postings["learn"] = {{0, 1}, {1, 1}, {4, 1}};
    double idf = std::log(1 + (5 - 3 + 0.5) / (3 + 0.5));
    EXPECT_DOUBLE_EQ(stats.idf("learn"), idf);
    EXPECT_DOUBLE_EQ(stats.idf("absent"), std::log(1 + 5.5 / 0.5));
    auto score = query::bm25_score(stats, {"learn"}, {1}, 3);
    ASSERT_TRUE(score);
    EXPECT_DOUBLE_EQ(*score, idf * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 3 / 3.2)));
    EXPECT_LT(*query::bm25_score(stats, {"learn"}, {1}, 6), *score); // longer rows score lower
    EXPECT_GT(*query::bm25_score(stats, {"learn"}, {2}, 3), *score); // more occurrences higher
    EXPECT_FALSE(query::bm25_score(stats, {"learn"}, {0}, 3));
}

TEST(TextScoring, BoundedEditDistance) {
    EXPECT_EQ(query::bounded_edit_distance("kitten", "sitting", 5), 3);
    EXPECT_EQ(query::bounded_edit_distance("kitten", "sitting", 2), 3); // over the limit: limit+1
    EXPECT_EQ(query::bounded_edit_distance("", "abc", 3), 3);
    EXPECT_EQ(query::bounded_edit_distance("same", "same", 0), 0);
    EXPECT_EQ(query::bounded_edit_distance("a", "abcdef", 2), 3);
    EXPECT_EQ(query::bounded_edit_distance("introductio", "introduct", 2), 2);
}

TEST(TextScoring, FuzzyComparesTheWordAndItsStem) {
    auto q = query::text_query(query::TextMode::kFuzzy, "Lerning the machne", 1);
    EXPECT_EQ(q.words, (std::vector<std::string>{"lerning", "machne"}));
    EXPECT_TRUE(query::text_matches("Machine Learning", q));
    EXPECT_FALSE(query::text_matches("Machine Lore", q));
    EXPECT_FALSE(query::text_matches("anything", query::text_query(query::TextMode::kAll, "the")));
}

} // namespace
} // namespace omnigraph::testing
