// The table cache as a long-running server uses it: one cache for one open graph across many
// writes. Every read sees the newest commit, repeated reads are hits, and the cache keeps a
// bounded number of versions instead of one per write.
#include "engine/graph.h"
#include "engine/load.h"
#include "query/executor.h"
#include "query/parser.h"
#include "query/typecheck.h"
#include "store/fault_injecting_store.h"
#include "store/object_store.h"
#include "test_support.h"

#include <barrier>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <thread>

namespace omnigraph::testing {
namespace {

const char* kSchema = "node Person {\n    name: String @key\n}\n"
                      "edge Knows: Person -> Person\n";
const char* kFriends = "query friends($name: String) {\n    match {\n"
                       "        $p: Person { name: $name }\n        $p knows $f\n    }\n"
                       "    return { $f.name }\n}\n";

class TableCacheTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto parsed = base::parse_storage_uri(temp_.path());
        ASSERT_TRUE(parsed);
        auto store = store::open_store(*parsed);
        ASSERT_TRUE(store);
        store_ = std::move(*store);
        ASSERT_TRUE(engine::init_graph(*store_, kSchema));
        auto graph = engine::Graph::open(*store_);
        ASSERT_TRUE(graph) << graph.error().to_string();
        graph_.emplace(std::move(*graph));
        cache_ = query::make_table_cache(*store_);
    }

    void append(const std::string& jsonl) {
        engine::LoadOptions o;
        o.mode = engine::LoadMode::kAppend;
        o.source_name = "rows.jsonl";
        auto r = engine::load_graph(*store_, *graph_, jsonl, o);
        ASSERT_TRUE(r) << r.error().to_string();
    }

    size_t friends_of(const std::string& name) {
        auto file = query::parse_query_file(kFriends, "q.gq");
        EXPECT_TRUE(file);
        auto snap = graph_->snapshot({});
        EXPECT_TRUE(snap) << snap.error().to_string();
        auto checked = query::check_query(file->queries[0], snap->schema->catalog, "q.gq");
        EXPECT_TRUE(checked);
        auto params = query::bind_params(file->queries[0], {{"name", name}});
        EXPECT_TRUE(params);
        auto result = query::execute_read(*cache_, *snap, *checked, *params, 0);
        EXPECT_TRUE(result) << result.error().to_string();
        return result ? result->rows.size() : 0;
    }

    TempDir temp_;
    std::unique_ptr<store::ObjectStore> store_;
    std::optional<engine::Graph> graph_;
    std::shared_ptr<query::TableCache> cache_;
};

TEST_F(TableCacheTest, RepeatedReadsHitAndEveryWriteIsSeen) {
    append(R"({"type":"Person","data":{"name":"p0"}})"
           "\n");
    EXPECT_EQ(friends_of("p0"), 0u);
    auto first = query::cache_stats(*cache_);
    EXPECT_GT(first.misses, 0u);
    EXPECT_EQ(friends_of("p0"), 0u);
    auto second = query::cache_stats(*cache_);
    EXPECT_EQ(second.misses, first.misses) << "an unchanged graph is read from memory";
    EXPECT_GT(second.hits, first.hits);

    // Forty writes through the same open graph and cache: each read sees the newest edge
    // count, and the cache holds at most two versions of each table (two node/edge tables
    // plus adjacency lists), not one per write.
    for (int i = 1; i <= 40; ++i) {
        append(R"({"type":"Person","data":{"name":"p)" + std::to_string(i) +
               R"("}})"
               "\n"
               R"({"edge":"Knows","from":"p0","to":"p)" +
               std::to_string(i) +
               R"("})"
               "\n");
        ASSERT_EQ(friends_of("p0"), static_cast<size_t>(i)) << "after write " << i;
        EXPECT_LE(query::cache_stats(*cache_).entries, 2u * 2u + 2u) << "after write " << i;
    }
}

// Concurrent misses of one table load it once: the first loader reads the segments, the others
// wait for its result (a slow store makes every thread arrive while the read is in flight).
TEST_F(TableCacheTest, ConcurrentMissesOfOneTableLoadItOnce) {
    append(R"({"type":"Person","data":{"name":"a"}})"
           "\n"
           R"({"type":"Person","data":{"name":"b"}})"
           "\n");
    auto snap = graph_->snapshot({});
    ASSERT_TRUE(snap) << snap.error().to_string();
    auto parsed = base::parse_storage_uri(temp_.path());
    ASSERT_TRUE(parsed);
    store::FaultInjectingStore slow(std::move(*store::open_store(*parsed)));
    store::FaultRule delay;
    delay.ops = static_cast<unsigned>(store::StoreOp::kGet);
    delay.key_prefix = "tables/";
    delay.repeat = true;
    delay.action = store::FaultRule::Action::kDelay;
    delay.delay_ms = 200;
    slow.add_rule(delay);
    query::TableCache cache(slow);

    constexpr int kThreads = 8;
    std::barrier start(kThreads);
    std::vector<const query::LoadedTable*> seen(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i)
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            auto t = cache.table(*snap, "node:Person");
            seen[i] = t ? t->get() : nullptr;
        });
    for (auto& t : threads)
        t.join();
    for (int i = 0; i < kThreads; ++i) {
        ASSERT_NE(seen[i], nullptr);
        EXPECT_EQ(seen[i], seen[0]) << "every thread gets the one loaded table";
        EXPECT_EQ(seen[i]->size(), 2u);
    }
    auto stats = cache.stats();
    EXPECT_EQ(stats.misses, 1u) << "the table was read from storage once";
    EXPECT_EQ(stats.hits, static_cast<uint64_t>(kThreads - 1));
    EXPECT_EQ(stats.entries, 1u);
}

// An adjacency is evicted with the tables it was built from, so a long-running reader never
// pins lists of versions nobody reads any more, and reading an old version again keeps the
// cache within its bound. (An adjacency whose tables were evicted while it was being built is
// not cached either: table_cache.cpp checks, under the lock, that its three tables are still
// the cached ones before inserting it.)
TEST_F(TableCacheTest, AdjacencyNeverOutlivesItsTables) {
    append(R"({"type":"Person","data":{"name":"p0"}})"
           "\n");
    for (int i = 1; i <= 5; ++i) {
        append(R"({"type":"Person","data":{"name":"p)" + std::to_string(i) +
               R"("}})"
               "\n"
               R"({"edge":"Knows","from":"p0","to":"p)" +
               std::to_string(i) +
               R"("})"
               "\n");
        auto snap = graph_->snapshot({});
        ASSERT_TRUE(snap);
        auto adj = cache_->adjacency(*snap, "Knows");
        ASSERT_TRUE(adj) << adj.error().to_string();
        EXPECT_EQ((*adj)->out.edge_rows.size(), static_cast<size_t>(i));
        // Two versions of two tables, and at most one adjacency per pair of versions kept.
        EXPECT_LE(cache_->stats().entries, 2u * 2u + 2u) << "after write " << i;
    }
    // Reading an old version again: it was evicted, so it is loaded again, and its adjacency
    // is built for the caller; the cache keeps its bound.
    auto old = graph_->snapshot(engine::SnapshotSpec{"main", 3, std::nullopt});
    ASSERT_TRUE(old) << old.error().to_string();
    auto adj = cache_->adjacency(*old, "Knows");
    ASSERT_TRUE(adj);
    EXPECT_EQ((*adj)->out.edge_rows.size(), 1u);
    EXPECT_LE(cache_->stats().entries, 2u * 2u + 2u);
    auto unknown = cache_->adjacency(*old, "Nope");
    ASSERT_FALSE(unknown);
    EXPECT_TRUE(unknown.error().is(codes::kInvalidArgument)) << unknown.error().to_string();
}

} // namespace
} // namespace omnigraph::testing
