// `load` in bounded memory (issue 17 part 5): with a tiny budget the input is parsed in many
// runs and written as many segments, and validation still sees the whole post-load image:
// repeated keys in different runs, endpoints defined in a later run, merges replacing rows of
// an old segment, repeats of a merge across runs, failures that leave no object behind.
#include "../store/store_fixture.h"
#include "engine/load.h"
#include "engine/table_data.h"

#include <string>

namespace omnigraph::testing {
namespace {

constexpr uint64_t kTinyBudget = 64 << 10; // 64 KiB: 16 KiB runs, 8 KiB of pending rows

std::string person(int i, int age) {
    return "{\"type\":\"Person\",\"data\":{\"name\":\"p" + std::to_string(i) +
           "\",\"age\":" + std::to_string(age) + "}}\n";
}
std::string knows(int from, int to, const std::string& id = "") {
    return "{\"edge\":\"Knows\",\"from\":\"p" + std::to_string(from) + "\",\"to\":\"p" +
           std::to_string(to) + "\"" + (id.empty() ? "" : ",\"data\":{\"id\":\"" + id + "\"}") +
           "}\n";
}

class LoadBounded : public StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        ASSERT_TRUE(engine::init_graph(*store_, "node Person { name: String @key age: I32? }\n"
                                                "node Tag { label: String }\n"
                                                "edge Knows: Person -> Person\n"));
        auto g = engine::Graph::open(*store_);
        ASSERT_TRUE(g) << g.error().to_string();
        graph_.emplace(std::move(*g));
    }
    Result<engine::LoadSummary> load(const std::string& jsonl, engine::LoadMode mode) {
        engine::LoadOptions o;
        o.mode = mode;
        o.source_name = "data.jsonl";
        o.memory_budget_bytes = kTinyBudget;
        return engine::load_graph(*store_, *graph_, jsonl, o);
    }
    const format::TableEntry& entry(const std::string& key) {
        head_ = *graph_->head();
        return *head_.find(key);
    }
    engine::TableData table(const std::string& key) {
        engine::TableSchema s = engine::table_schema(graph_->catalog(), key);
        auto t = engine::read_table(*store_, entry(key), s.is_edge, *s.properties, *s.property_ids);
        EXPECT_TRUE(t) << t.error().to_string();
        return t ? std::move(*t) : engine::TableData{};
    }
    std::map<std::string, int> ages() {
        engine::TableData t = table("node:Person");
        const auto* node = graph_->catalog().find_node("Person");
        const auto& age = t.columns.at(node->property_ids.at("age"));
        std::map<std::string, int> out;
        for (size_t i = 0; i < t.size(); ++i)
            out[std::string(t.ids[i])] = age.fixed_at<int32_t>(i);
        return out;
    }
    size_t objects(const std::string& suffix) {
        auto all = store_->list_all("");
        EXPECT_TRUE(all);
        size_t n = 0;
        for (const auto& o : *all)
            n += o.key.ends_with(suffix);
        return n;
    }
    std::optional<engine::Graph> graph_;
    format::Manifest head_;
};

// 3000 people (about 130 KiB of input: three runs) and a ring of edges: many segments, every
// row once, each edge checked against nodes that come later in the input.
TEST_P(LoadBounded, ALargeInputIsWrittenAsManySegmentsWithEveryRow) {
    std::string jsonl;
    for (int i = 0; i < 3000; ++i)
        jsonl += knows(i, (i + 1) % 3000); // edges first: every endpoint is defined later
    for (int i = 0; i < 3000; ++i)
        jsonl += person(i, i % 100);
    auto r = load(jsonl, engine::LoadMode::kOverwrite);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->nodes.at("Person"), 3000u);
    EXPECT_EQ(r->edges.at("Knows"), 3000u);
    EXPECT_GT(entry("node:Person").segments.size(), 3u);
    EXPECT_GT(entry("edge:Knows").segments.size(), 3u);
    EXPECT_EQ(entry("node:Person").row_count, 3000u);
    auto people = ages();
    EXPECT_EQ(people.size(), 3000u);
    EXPECT_EQ(people.at("p2999"), 99);
    EXPECT_EQ(table("edge:Knows").size(), 3000u);
}

TEST_P(LoadBounded, ARepeatedKeyInALaterRunIsRefusedWithBothLinesAndLeavesNothing) {
    std::string jsonl;
    for (int i = 0; i < 3000; ++i)
        jsonl += person(i, 1);
    jsonl += person(7, 2); // line 3001 repeats line 8, two runs later
    uint64_t before = graph_->head()->version;
    size_t segments = objects(".seg"), commits = store_->list_all("_commits/")->size();
    auto r = load(jsonl, engine::LoadMode::kOverwrite);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "constraint_violation");
    EXPECT_EQ(r.error().message,
              "@unique violation on Person.name: value 'p7' appears on lines 8 and 3001");
    ASSERT_TRUE(r.error().location);
    EXPECT_EQ(r.error().location->line, 3001);
    EXPECT_EQ(graph_->head()->version, before);
    // The segments written before the check are removed, and so is the pending record.
    EXPECT_EQ(objects(".seg"), segments);
    EXPECT_EQ(store_->list_all("_commits/")->size(), commits);
    EXPECT_TRUE(store_->list_all("_pending/")->empty());
}

TEST_P(LoadBounded, AnEdgeToANodeNoRunDefinesIsRefusedAtItsLine) {
    std::string jsonl;
    for (int i = 0; i < 3000; ++i)
        jsonl += person(i, 1);
    jsonl += knows(5, 4000);
    for (int i = 3000; i < 3100; ++i)
        jsonl += person(i, 1);
    size_t segments = objects(".seg");
    auto r = load(jsonl, engine::LoadMode::kOverwrite);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "constraint_violation");
    EXPECT_EQ(r.error().message, "dst 'p4000' not found in Person (edge Knows)");
    ASSERT_TRUE(r.error().location);
    EXPECT_EQ(r.error().location->line, 3001);
    EXPECT_EQ(objects(".seg"), segments);
}

TEST_P(LoadBounded, AppendOfAnIdInAnOldSegmentIsAKeyConflict) {
    std::string jsonl;
    for (int i = 0; i < 3000; ++i)
        jsonl += person(i, 1);
    ASSERT_TRUE(load(jsonl, engine::LoadMode::kOverwrite));
    size_t segments = objects(".seg");
    auto r = load(person(5000, 1) + person(3, 1), engine::LoadMode::kAppend);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "key_conflict");
    EXPECT_EQ(r.error().message, "node type 'Person' already has id 'p3'");
    EXPECT_EQ(objects(".seg"), segments);
}

// A merge replaces rows that live in the first and the last old segment: deletion vectors on
// those, the new rows in new segments, the row count unchanged.
TEST_P(LoadBounded, MergeReplacesRowsOfOldSegmentsThroughDeletionVectors) {
    std::string jsonl;
    for (int i = 0; i < 3000; ++i)
        jsonl += person(i, 1);
    ASSERT_TRUE(load(jsonl, engine::LoadMode::kOverwrite));
    size_t old_segments = entry("node:Person").segments.size();
    ASSERT_GT(old_segments, 3u);
    std::string merge;
    for (int i = 0; i < 3000; i += 2) // every other row: in every old segment
        merge += person(i, 2);
    merge += person(3000, 3);
    auto r = load(merge, engine::LoadMode::kMerge);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->nodes.at("Person"), 1501u);
    const format::TableEntry& e = entry("node:Person");
    EXPECT_EQ(e.row_count, 3001u);
    size_t with_dv = 0;
    for (size_t s = 0; s < old_segments; ++s)
        with_dv += e.segments[s].deletion_vector.has_value();
    EXPECT_EQ(with_dv, old_segments);
    EXPECT_GT(e.segments.size(), old_segments + 1); // the merged rows span segments too
    auto people = ages();
    EXPECT_EQ(people.size(), 3001u);
    EXPECT_EQ(people.at("p0"), 2);
    EXPECT_EQ(people.at("p1"), 1);
    EXPECT_EQ(people.at("p2998"), 2);
    EXPECT_EQ(people.at("p3000"), 3);
}

// A merge whose input names the same edge id in different runs: the later line wins, the
// earlier row is deleted in its new segment.
TEST_P(LoadBounded, MergeRepeatsAcrossRunsKeepTheLaterLine) {
    std::string jsonl;
    for (int i = 0; i < 3000; ++i)
        jsonl += person(i, 1);
    jsonl += knows(1, 2, "e1");
    for (int i = 0; i < 2000; ++i)
        jsonl += knows(i, i + 1);
    jsonl += knows(3, 4, "e1");
    auto r = load(jsonl, engine::LoadMode::kMerge);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->edges.at("Knows"), 2001u);
    EXPECT_EQ(entry("edge:Knows").row_count, 2001u);
    engine::TableData edges = table("edge:Knows");
    ASSERT_EQ(edges.size(), 2001u);
    size_t found = 0;
    for (size_t i = 0; i < edges.size(); ++i)
        if (edges.ids[i] == "e1") {
            ++found;
            EXPECT_EQ(edges.src[i], "p3");
        }
    EXPECT_EQ(found, 1u);
    // Without merge the same input is a key_conflict naming both lines.
    auto refused = load(jsonl, engine::LoadMode::kOverwrite);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message,
              "edge type 'Knows' already has id 'e1' (repeated on lines 3001 and 5002)");
}

// An overwrite of Person that drops a node a kept edge needs is refused, even when that edge
// lives in an old segment.
TEST_P(LoadBounded, OverwriteOrphaningAnEdgeOfAnOldSegmentIsRefused) {
    std::string jsonl;
    for (int i = 0; i < 3000; ++i)
        jsonl += person(i, 1) + knows(i, (i + 1) % 3000);
    ASSERT_TRUE(load(jsonl, engine::LoadMode::kOverwrite));
    std::string people;
    for (int i = 1; i < 3000; ++i)
        people += person(i, 1);
    auto r = load(people, engine::LoadMode::kOverwrite);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "constraint_violation");
    EXPECT_NE(r.error().message.find("src 'p0' not found in Person (edge Knows '"),
              std::string::npos)
        << r.error().message;
}

INSTANTIATE_TEST_SUITE_P(Backends, LoadBounded, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
