// What a cold read costs in object-store requests, on both backends: a fresh graph handle over
// a counting store answers a point lookup by @key, a one-hop expansion from it and a scan of one
// column, and each may make only the requests docs/format/segment.md ("What a query reads")
// lists — a few small ranged reads, never whole tables.
#include "../engine/unindexed_segments.h"
#include "../store/store_fixture.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "engine/optimize.h"
#include "engine/verify.h"
#include "service/graph_handle.h"
#include "service/read.h"
#include "store/counting_store.h"

#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

constexpr int kUsers = 100000; // four pages per column, 13 index blocks

class ColdRead : public StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        if (HasFatalFailure())
            return;
        ASSERT_TRUE(engine::init_graph(*store_, R"(
node User {
    handle: String @key
    age: I32
    city: String
}
edge Follows: User -> User
)"));
        std::string jsonl;
        for (int i = 0; i < kUsers; ++i)
            jsonl += R"({"type":"User","data":{"handle":"u)" + std::to_string(i) + R"(","age":)" +
                     std::to_string(i % 90) + R"(,"city":"c)" + std::to_string(i % 50) + "\"}}\n";
        for (int i = 0; i < kUsers; ++i)
            for (int k : {1, 7})
                jsonl += R"({"edge":"Follows","from":"u)" + std::to_string(i) + R"(","to":"u)" +
                         std::to_string((i + k * 7919) % kUsers) + "\"}\n";
        auto graph = engine::Graph::open(*store_);
        ASSERT_TRUE(graph) << graph.error().to_string();
        engine::LoadOptions options;
        options.mode = engine::LoadMode::kOverwrite;
        auto loaded = engine::load_graph(*store_, *graph, std::move(jsonl), options);
        ASSERT_TRUE(loaded) << loaded.error().to_string();
        auto all = store_->list_all("tables/");
        ASSERT_TRUE(all);
        for (const auto& meta : *all)
            table_bytes_ += meta.size;
    }

    struct Cost {
        uint64_t requests = 0, bytes = 0;
        std::vector<std::vector<std::string>> rows;
    };

    // Opens the graph afresh (no cache) and runs `text`, counting the query's own requests.
    Cost run(const std::string& text) {
        auto counting = std::make_unique<store::CountingStore>(*store_);
        store::CountingStore* counter = counting.get();
        auto handle = service::GraphHandle::open(std::move(counting));
        EXPECT_TRUE(handle) << handle.error().to_string();
        if (!handle)
            return {};
        service::ReadRequest request;
        request.source.text = text;
        uint64_t requests = counter->requests(), bytes = counter->bytes_read();
        // The snapshot itself (head, manifest, schema) is read once per query by any read path.
        auto outcome = service::run_read(**handle, request);
        EXPECT_TRUE(outcome) << outcome.error().to_string();
        Cost cost{counter->requests() - requests, counter->bytes_read() - bytes, {}};
        if (outcome)
            for (const auto& row : outcome->result.rows) {
                std::vector<std::string> cells;
                for (const auto& v : row)
                    cells.push_back(query::display_value(v));
                cost.rows.push_back(std::move(cells));
            }
        return cost;
    }

    Cost snapshot_only() { // what resolving the target costs, with no table touched
        return run("query q() { match { $u: User { handle: \"nobody-at-all\" } } "
                   "return { $u.handle } }");
    }

    uint64_t table_bytes_ = 0;
};

TEST_P(ColdRead, PointLookupByKeyReadsAFewSmallObjects) {
    Cost base = snapshot_only();
    Cost c = run("query q() { match { $u: User { handle: \"u4242\" } } return { $u.handle, "
                 "$u.age, $u.city } }");
    ASSERT_EQ(c.rows.size(), 1u);
    EXPECT_EQ(c.rows[0], (std::vector<std::string>{"u4242", "12", "c42"}));
    // Beyond the snapshot (head, manifest, the segment's footer): the id index block, then one
    // page of each returned column.
    EXPECT_LE(c.requests, base.requests + 1 + 3) << "base " << base.requests;
    EXPECT_LT(c.bytes, table_bytes_ / 10) << "a point lookup reads a small part of the tables";
    std::cout << "point lookup: " << c.requests << " requests, " << c.bytes << " bytes (snapshot "
              << base.requests << " requests, " << base.bytes << " bytes; tables " << table_bytes_
              << " bytes)\n";
}

TEST_P(ColdRead, OneHopFromAPointLookupReadsIndexesNotTables) {
    Cost base = snapshot_only();
    Cost c = run("query q() { match { $u: User { handle: \"u10\" } $u follows $f } "
                 "return { $f.handle } order { $f.handle } }");
    int a = (10 + 7919) % kUsers, b = (10 + 7 * 7919) % kUsers;
    std::vector<std::vector<std::string>> want = {{"u" + std::to_string(a)},
                                                  {"u" + std::to_string(b)}};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(c.rows, want);
    // The start node's index block, the edge footer, its src index block and dst page; per
    // neighbour an id index block, a page of handle and one of ids (the order's tie-break).
    EXPECT_LE(c.requests, base.requests + 1 + 3 + 2 * 3) << "base " << base.requests;
    EXPECT_LT(c.bytes, table_bytes_ / 4);
    std::cout << "one hop: " << c.requests << " requests, " << c.bytes << " bytes\n";
}

TEST_P(ColdRead, ScanReadsOnlyTheColumnsItNames) {
    Cost base = snapshot_only();
    Cost c = run("query q() { match { $u: User } return { count($u) } }");
    ASSERT_EQ(c.rows.size(), 1u);
    EXPECT_EQ(c.rows[0][0], std::to_string(kUsers));
    Cost ages = run("query q() { match { $u: User } return { max($u.age) } }");
    ASSERT_EQ(ages.rows.size(), 1u);
    EXPECT_EQ(ages.rows[0][0], "89");
    // A scan reads a page or two one by one, then the whole column in one ranged read.
    EXPECT_LE(ages.requests, c.requests + 3);
    EXPECT_LT(ages.bytes, table_bytes_ / 5) << "one column of five";
    std::cout << "count: " << c.requests << " requests, " << c.bytes
              << " bytes; max(age): " << ages.requests << " requests, " << ages.bytes << " bytes\n";
}

TEST_P(ColdRead, FilterSkipsPagesByTheirStatistics) {
    // Every page holds ages 0..89: none can hold an age above 200, every one one of at least 0.
    Cost none = run("query q() { match { $u: User $u.age > 200 } return { count($u) } }");
    ASSERT_EQ(none.rows.size(), 1u);
    EXPECT_EQ(none.rows[0][0], "0");
    Cost all = run("query q() { match { $u: User $u.age >= 0 } return { count($u) } }");
    EXPECT_EQ(all.rows[0][0], std::to_string(kUsers));
    EXPECT_LT(none.bytes, all.bytes) << "pages whose max is below 200 are never read";
}

// Old segments (format 3 without key indexes, as `storage upgrade` wrote them, or format 2)
// make a point lookup read whole id columns; after `optimize` re-indexes them, a cold lookup and
// a hop from it cost what they cost on the freshly loaded graph.
TEST_P(ColdRead, OptimizeMakesOldSegmentsReadLikeFreshOnes) {
    const std::string lookup = "query q() { match { $u: User { handle: \"u4242\" } } return { "
                               "$u.handle, $u.age, $u.city } }";
    const std::string hop = "query q() { match { $u: User { handle: \"u10\" } $u follows $f } "
                            "return { $f.handle } order { $f.handle } }";
    Cost fresh = run(lookup), fresh_hop = run(hop);
    ASSERT_NO_FATAL_FAILURE(strip_key_indexes(*store_));
    Cost old = run(lookup), old_hop = run(hop);
    EXPECT_EQ(old.rows, fresh.rows);
    EXPECT_EQ(old_hop.rows, fresh_hop.rows);
    // Without an index the lookup reads the whole id column (here 184,507 → 315,545 bytes) and
    // the hop the whole src column (518,432 → 1,027,503).
    EXPECT_GT(old.bytes, fresh.bytes * 3 / 2);
    EXPECT_GT(old_hop.bytes, fresh_hop.bytes * 3 / 2);

    auto graph = engine::Graph::open(*store_);
    ASSERT_TRUE(graph) << graph.error().to_string();
    auto optimized = engine::optimize_graph(*store_, *graph);
    ASSERT_TRUE(optimized) << optimized.error().to_string();
    ASSERT_TRUE(optimized->commit);
    for (const auto& t : optimized->tables)
        EXPECT_EQ(t.segments_reindexed, 1u) << t.table_key;
    EXPECT_TRUE(all_indexed(head_segments_indexed(*store_, "main")));
    auto verified = engine::verify_graph(*store_);
    ASSERT_TRUE(verified) << verified.error().to_string();
    EXPECT_TRUE(verified->ok() && verified->unreferenced.empty());

    Cost now = run(lookup), now_hop = run(hop);
    EXPECT_EQ(now.rows, fresh.rows);
    EXPECT_EQ(now_hop.rows, fresh_hop.rows);
    EXPECT_EQ(now.requests, fresh.requests);
    EXPECT_EQ(now_hop.requests, fresh_hop.requests);
    // The same rows encoded alike; only the manifest (one more commit) differs in size.
    EXPECT_LE(now.bytes, fresh.bytes + 1024);
    EXPECT_LE(now_hop.bytes, fresh_hop.bytes + 1024);
    std::cout << "point lookup: fresh " << fresh.requests << " requests, " << fresh.bytes
              << " bytes; unindexed " << old.requests << ", " << old.bytes << "; re-indexed "
              << now.requests << ", " << now.bytes << "\none hop: fresh " << fresh_hop.requests
              << ", " << fresh_hop.bytes << "; unindexed " << old_hop.requests << ", "
              << old_hop.bytes << "; re-indexed " << now_hop.requests << ", " << now_hop.bytes
              << "\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, ColdRead, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
