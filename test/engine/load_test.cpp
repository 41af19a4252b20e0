// `load` on both backends (spec engine-cli §3 and §7 rows 27-33).
#include "../store/store_fixture.h"
#include "engine/export.h"
#include "engine/load.h"
#include "engine/table_data.h"
#include "store/local_store.h"

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace omnigraph::testing {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string fixture(const std::string& name) {
    return read_file(source_dir() + "/test/schema/fixtures/" + name);
}

class Load : public StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        ASSERT_TRUE(engine::init_graph(*store_, schema_source()));
        auto g = engine::Graph::open(*store_);
        ASSERT_TRUE(g) << g.error().to_string();
        graph_.emplace(std::move(*g));
    }
    virtual std::string schema_source() { return fixture("test.pg"); }

    Result<engine::LoadSummary> load(const std::string& jsonl,
                                     std::optional<engine::LoadMode> mode) {
        engine::LoadOptions o;
        o.mode = mode;
        o.actor = "tester";
        o.source_name = "data.jsonl";
        return engine::load_graph(*store_, *graph_, jsonl, o);
    }
    uint64_t version() { return graph_->head()->version; }
    std::map<std::string, std::string> ages() { // Person name -> age
        auto head = graph_->head();
        const auto* node = graph_->catalog().find_node("Person");
        auto t = engine::read_table(*store_, *head->find("node:Person"), false, node->properties,
                                    node->property_ids);
        EXPECT_TRUE(t) << t.error().to_string();
        std::map<std::string, std::string> out;
        const auto& age = t->columns.at(node->property_ids.at("age"));
        for (size_t i = 0; i < t->size(); ++i)
            out[std::string(t->ids[i])] =
                age.is_null(i) ? "null" : std::to_string(age.fixed_at<int32_t>(i));
        return out;
    }
    std::optional<engine::Graph> graph_;
};

TEST_P(Load, FirstLoadWithoutModeThenModesAreRequired) {
    auto r = load(fixture("test.jsonl"), std::nullopt);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->total_entities, 11u);
    EXPECT_EQ(r->nodes.at("Person"), 4u);
    EXPECT_EQ(r->edges.at("Knows"), 3u);
    EXPECT_EQ(version(), 2u);
    auto head = graph_->head();
    EXPECT_EQ(head->find("node:Person")->row_count, 4u);
    EXPECT_EQ(head->find("node:Person")->table_version, 2u);
    EXPECT_EQ(head->find("edge:WorksAt")->row_count, 2u);
    auto commits = graph_->commits();
    ASSERT_EQ(commits->size(), 2u);
    EXPECT_EQ((*commits)[0].actor_id, "tester");
    EXPECT_EQ((*commits)[0].parent_commit_id, (*commits)[1].graph_commit_id);
    auto again = load(fixture("test.jsonl"), std::nullopt);
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("--mode overwrite"), std::string::npos);
    EXPECT_EQ(ages(), (std::map<std::string, std::string>{
                          {"Alice", "30"}, {"Bob", "25"}, {"Charlie", "35"}, {"Diana", "28"}}));
}

// A load pinned to a head commit (mutate --if-commit, the read set of updates and deletes)
// writes only on top of that commit; the deletes of a merge go in the same commit.
TEST_P(Load, ExpectedHeadAndDeletesOfAMerge) {
    ASSERT_TRUE(load(fixture("test.jsonl"), engine::LoadMode::kOverwrite));
    uint64_t before = version();
    engine::LoadOptions o;
    o.mode = engine::LoadMode::kMerge;
    o.expected_head = {{"01ZZZZZZZZZZZZZZZZZZZZZZZZ", "read_set_conflict"}};
    auto moved = engine::load_graph(
        *store_, *graph_,
        std::string("{\"type\":\"Person\",\"data\":{\"name\":\"Eve\",\"age\":1}}\n"), o);
    ASSERT_FALSE(moved);
    EXPECT_EQ(moved.error().code, "read_set_conflict");
    EXPECT_EQ(version(), before);

    o.expected_head->commit_id = graph_->head()->commit_id;
    o.deletes["node:Person"] = {"Diana"};
    o.deletes["edge:Knows"] = {};
    auto snap = graph_->snapshot({});
    ASSERT_TRUE(snap);
    // Diana's Knows edge (Bob -> Diana) must go with her: find its id.
    const auto* knows = graph_->catalog().find_edge("Knows");
    auto edges = engine::read_table(*store_, *snap->manifest.find("edge:Knows"), true,
                                    knows->properties, knows->property_ids);
    ASSERT_TRUE(edges);
    for (size_t i = 0; i < edges->size(); ++i)
        if (edges->dst[i] == "Diana")
            o.deletes["edge:Knows"].insert(std::string(edges->ids[i]));
    auto pinned = engine::load_graph(
        *store_, *graph_,
        std::string("{\"type\":\"Person\",\"data\":{\"name\":\"Eve\",\"age\":1}}\n"), o);
    ASSERT_TRUE(pinned) << pinned.error().to_string();
    EXPECT_EQ(version(), before + 1);
    auto people = engine::read_table(*store_, *graph_->head()->find("node:Person"), false,
                                     graph_->catalog().find_node("Person")->properties,
                                     graph_->catalog().find_node("Person")->property_ids);
    ASSERT_TRUE(people);
    std::vector<std::string> names(people->ids.begin(), people->ids.end());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"Alice", "Bob", "Charlie", "Eve"}));

    // Deleting a node an edge still references is refused.
    engine::LoadOptions orphan;
    orphan.mode = engine::LoadMode::kMerge;
    orphan.deletes["node:Person"] = {"Bob"};
    auto refused = engine::load_graph(*store_, *graph_, "", orphan);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("not found"), std::string::npos)
        << refused.error().to_string();
    EXPECT_EQ(version(), before + 1);
}

TEST_P(Load, AppendOfAnExistingIdIsAKeyConflictAndChangesNothing) {
    ASSERT_TRUE(load(fixture("test.jsonl"), engine::LoadMode::kOverwrite));
    auto r = load("{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":99}}\n",
                  engine::LoadMode::kAppend);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(engine::kKeyConflict)) << r.error().to_string();
    EXPECT_NE(r.error().message.find("node type 'Person' already has id 'Alice'"),
              std::string::npos);
    EXPECT_EQ(version(), 2u);
    EXPECT_EQ(ages().at("Alice"), "30");
    ASSERT_TRUE(load("{\"type\":\"Person\",\"data\":{\"name\":\"Eve\",\"age\":22}}\n",
                     engine::LoadMode::kAppend));
    EXPECT_EQ(ages().size(), 5u);
    EXPECT_EQ(graph_->head()->find("node:Person")->segments.size(), 2u); // append adds a segment
}

TEST_P(Load, MergeUpsertsById) {
    ASSERT_TRUE(load("{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":30}}\n"
                     "{\"type\":\"Person\",\"data\":{\"name\":\"Bob\",\"age\":25}}\n",
                     engine::LoadMode::kOverwrite));
    ASSERT_TRUE(load("{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":31}}\n"
                     "{\"type\":\"Person\",\"data\":{\"name\":\"Charlie\",\"age\":35}}\n",
                     engine::LoadMode::kMerge));
    EXPECT_EQ(ages(), (std::map<std::string, std::string>{
                          {"Alice", "31"}, {"Bob", "25"}, {"Charlie", "35"}}));
}

TEST_P(Load, MergeWritesNewRowsAndDeletionVectorsNotTheWholeTable) {
    ASSERT_TRUE(load(fixture("test.jsonl"), engine::LoadMode::kOverwrite));
    auto before = *graph_->head();
    auto first_segment = before.find("node:Person")->segments.at(0);
    ASSERT_TRUE(load("{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":31}}\n"
                     "{\"type\":\"Person\",\"data\":{\"name\":\"Zoe\",\"age\":9}}\n",
                     engine::LoadMode::kMerge));
    auto head = *graph_->head();
    auto after = head.find("node:Person");
    ASSERT_EQ(after->segments.size(), 2u);
    EXPECT_EQ(after->segments[0].segment, first_segment.segment); // kept, not rewritten
    ASSERT_TRUE(after->segments[0].deletion_vector);
    EXPECT_EQ(after->segments[0].deleted_rows, 1u);
    EXPECT_EQ(after->segments[1].rows, 2u);
    EXPECT_EQ(after->row_count, 5u);
    EXPECT_EQ(ages().at("Alice"), "31");
    EXPECT_EQ(ages().at("Zoe"), "9");
    // Merging every row of the first segment away drops it from the manifest.
    std::string all;
    for (const char* n : {"Alice", "Bob", "Charlie", "Diana"})
        all += "{\"type\":\"Person\",\"data\":{\"name\":\"" + std::string(n) + "\",\"age\":1}}\n";
    ASSERT_TRUE(load(all, engine::LoadMode::kMerge));
    head = *graph_->head();
    after = head.find("node:Person");
    for (const auto& seg : after->segments)
        EXPECT_NE(seg.segment, first_segment.segment);
    EXPECT_EQ(ages().size(), 5u);
    EXPECT_EQ(ages().at("Bob"), "1");
}

TEST_P(Load, DuplicateKeyInOneFileWritesNothing) {
    for (auto mode :
         {engine::LoadMode::kOverwrite, engine::LoadMode::kAppend, engine::LoadMode::kMerge}) {
        auto r = load("{\"type\":\"Person\",\"data\":{\"name\":\"Dup\"}}\n{\"type\":\"Person\","
                      "\"data\":{\"name\":\"Dup\"}}\n",
                      mode);
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().message.find("@unique violation"), std::string::npos)
            << r.error().message;
        EXPECT_NE(r.error().message.find("Dup"), std::string::npos);
    }
    EXPECT_EQ(version(), 1u);
}

TEST_P(Load, EdgeToAMissingNodeFailsAndTheNextLoadWorks) {
    auto r = load("{\"type\":\"Person\",\"data\":{\"name\":\"A\"}}\n{\"edge\":\"Knows\",\"from\":"
                  "\"A\",\"to\":\"Ghost\"}\n",
                  engine::LoadMode::kOverwrite);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("dst 'Ghost' not found in Person"), std::string::npos)
        << r.error().message;
    ASSERT_TRUE(r.error().location);
    EXPECT_EQ(r.error().location->line, 2);
    EXPECT_EQ(version(), 1u);
    EXPECT_TRUE(load(fixture("test.jsonl"), engine::LoadMode::kOverwrite));
}

TEST_P(Load, OverwriteThatOrphansAKeptEdgeIsRefused) {
    ASSERT_TRUE(load(fixture("test.jsonl"), engine::LoadMode::kOverwrite));
    auto r =
        load("{\"type\":\"Person\",\"data\":{\"name\":\"Alice\"}}\n", engine::LoadMode::kOverwrite);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("not found in Person"), std::string::npos)
        << r.error().message;
    EXPECT_EQ(version(), 2u);
}

TEST_P(Load, ConcurrentAppendsWithDisjointIdsAllLand) {
    ASSERT_TRUE(load(fixture("test.jsonl"), engine::LoadMode::kOverwrite));
    std::atomic<int> failures{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w)
        writers.emplace_back([&, w] {
            std::string rows;
            for (int i = 0; i < 5; ++i)
                rows += "{\"type\":\"Person\",\"data\":{\"name\":\"w" + std::to_string(w) + "-" +
                        std::to_string(i) + "\"}}\n";
            if (!load(rows, engine::LoadMode::kAppend))
                ++failures;
        });
    for (auto& t : writers)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(ages().size(), 24u);
    EXPECT_EQ(version(), 6u);
}

TEST_P(Load, ExportRoundTripsThroughInitAndLoad) {
    ASSERT_TRUE(load(fixture("test.jsonl"), engine::LoadMode::kOverwrite));
    std::ostringstream first;
    auto rows = engine::export_graph(*store_, *graph_, {}, first);
    ASSERT_TRUE(rows) << rows.error().to_string();
    EXPECT_EQ(*rows, 11u);
    EXPECT_TRUE(first.str().starts_with("{\"edge\":\"Knows\"")) << first.str(); // edges first
    EXPECT_NE(
        first.str().find(
            "{\"type\":\"Person\",\"data\":{\"id\":\"Alice\",\"age\":30,\"name\":\"Alice\"}}"),
        std::string::npos)
        << first.str();
    EXPECT_NE(first.str().find("\"since\":\"2020-01-01\""), std::string::npos);
    // Into a fresh graph and out again: the same bytes.
    TempDir other;
    auto copy_store =
        std::move(*store::LocalStore::open(*base::parse_storage_uri(other.path() + "/copy.omni")));
    ASSERT_TRUE(engine::init_graph(*copy_store, fixture("test.pg")));
    auto copy = engine::Graph::open(*copy_store);
    ASSERT_TRUE(copy);
    engine::LoadOptions o;
    o.mode = engine::LoadMode::kOverwrite;
    ASSERT_TRUE(engine::load_graph(*copy_store, *copy, first.str(), o));
    std::ostringstream second;
    ASSERT_TRUE(engine::export_graph(*copy_store, *copy, {}, second));
    EXPECT_EQ(second.str(), first.str());
    engine::ExportOptions only;
    only.types = {"Company"};
    std::ostringstream companies;
    EXPECT_EQ(*engine::export_graph(*store_, *graph_, only, companies), 2u);
}

TEST_P(Load, TypedRowsAreValidatedLocatedAndCommittedWithoutText) {
    ASSERT_TRUE(load(fixture("test.jsonl"), std::nullopt));
    const schema::Catalog& catalog = graph_->catalog();
    // Typed rows, as a mutation builds them: one Person (keyed by name) and one Knows edge.
    auto person = [&](const std::string& name, int32_t age) {
        engine::LoadBatch batch;
        engine::TableBatch& t = batch.tables["node:Person"];
        const auto* node = catalog.find_node("Person");
        static_cast<engine::TableData&>(t) =
            engine::TableData::empty(false, node->properties, node->property_ids);
        t.table_key = "node:Person";
        t.ids.push_back(name);
        t.origins.push_back(1);
        t.explicit_ids.push_back(true);
        for (auto& [id, column] : t.columns) {
            if (id == node->property_ids.at("name"))
                column.append_bytes(name);
            else if (id == node->property_ids.at("age"))
                column.append_fixed(&age);
            else
                column.append_null();
        }
        batch.positions.push_back(SourceLocation{"q.gq", 3, 7});
        batch.rows = 1;
        return batch;
    };
    engine::LoadOptions o;
    o.mode = engine::LoadMode::kMerge;
    auto loaded = engine::load_rows(*store_, *graph_, graph_->main_schema(), person("Eve", 41), o);
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    EXPECT_EQ(loaded->total_entities, 1u);
    EXPECT_EQ(ages().at("Eve"), "41");

    // An id that is not the canonical @key id is the caller's bug: refused, nothing written.
    auto wrong_id = person("Zed", 1);
    wrong_id.tables.at("node:Person").ids = base::StringList();
    wrong_id.tables.at("node:Person").ids.push_back("Zoe");
    uint64_t before = version();
    auto refused = engine::load_rows(*store_, *graph_, graph_->main_schema(), wrong_id, o);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, codes::kInvalidArgument) << refused.error().to_string();
    EXPECT_EQ(version(), before);

    // An edge to a missing node: the loader's check, located at the row's position.
    engine::LoadBatch edge;
    engine::TableBatch& e = edge.tables["edge:Knows"];
    const auto* knows = catalog.find_edge("Knows");
    static_cast<engine::TableData&>(e) =
        engine::TableData::empty(true, knows->properties, knows->property_ids);
    e.table_key = "edge:Knows";
    e.ids.push_back("k-1");
    e.src.push_back("Eve");
    e.dst.push_back("Nobody");
    e.origins.push_back(1);
    e.explicit_ids.push_back(true);
    for (auto& [id, column] : e.columns)
        column.append_null();
    edge.positions.push_back(SourceLocation{"q.gq", 9, 2});
    edge.rows = 1;
    auto orphan = engine::load_rows(*store_, *graph_, graph_->main_schema(), edge, o);
    ASSERT_FALSE(orphan);
    EXPECT_EQ(orphan.error().code, engine::kConstraintViolation);
    ASSERT_TRUE(orphan.error().location);
    EXPECT_EQ(orphan.error().location->to_string(), "q.gq:9:2");
    EXPECT_EQ(version(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, Load, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

class LoadConstraints : public Load {
  protected:
    std::string schema_source() override {
        return "node Owner { name: String @key score: I32? code: String? email: String? @unique\n"
               "  @range(score, 0..100) @check(code, \"^[A-Z]{3}$\") }\n"
               "node Pet { name: String @key }\n"
               "edge Owns: Owner -> Pet @card(0..1)\n";
    }
};

TEST_P(LoadConstraints, RangeCheckUniqueAndCardinality) {
    auto range = load("{\"type\":\"Owner\",\"data\":{\"name\":\"a\",\"score\":101}}\n",
                      engine::LoadMode::kOverwrite);
    ASSERT_FALSE(range);
    EXPECT_NE(range.error().message.find("@range violation on Owner.score: value 101 > max 100"),
              std::string::npos)
        << range.error().message;
    auto check = load("{\"type\":\"Owner\",\"data\":{\"name\":\"a\",\"code\":\"abc\"}}\n",
                      engine::LoadMode::kOverwrite);
    ASSERT_FALSE(check);
    EXPECT_NE(check.error().message.find(
                  "@check violation on Owner.code: value 'abc' does not match pattern"),
              std::string::npos)
        << check.error().message;
    auto unique = load("{\"type\":\"Owner\",\"data\":{\"name\":\"a\",\"email\":\"x@y\"}}\n"
                       "{\"type\":\"Owner\",\"data\":{\"name\":\"b\",\"email\":\"x@y\"}}\n",
                       engine::LoadMode::kOverwrite);
    ASSERT_FALSE(unique);
    EXPECT_NE(unique.error().message.find(
                  "@unique violation on Owner.email: value 'x@y' held by 'a' and 'b'"),
              std::string::npos)
        << unique.error().message;
    auto card = load("{\"type\":\"Owner\",\"data\":{\"name\":\"a\"}}\n{\"type\":\"Pet\",\"data\":{"
                     "\"name\":\"p\"}}\n"
                     "{\"type\":\"Pet\",\"data\":{\"name\":\"q\"}}\n{\"edge\":\"Owns\",\"from\":"
                     "\"a\",\"to\":\"p\"}\n"
                     "{\"edge\":\"Owns\",\"from\":\"a\",\"to\":\"q\"}\n",
                     engine::LoadMode::kOverwrite);
    ASSERT_FALSE(card);
    EXPECT_NE(
        card.error().message.find("@card violation on edge Owns: source 'a' has 2 edges (max 1)"),
        std::string::npos)
        << card.error().message;
    EXPECT_EQ(version(), 1u);
    EXPECT_TRUE(
        load("{\"type\":\"Owner\",\"data\":{\"name\":\"a\",\"score\":100,\"code\":\"ABC\"}}\n",
             engine::LoadMode::kOverwrite));
}

INSTANTIATE_TEST_SUITE_P(Backends, LoadConstraints, ::testing::Values(Backend::kLocal),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
