// Graph roots: init and open, on both backends (spec engine-cli §1.6-1.7, §7 rows 1-3).
#include "../store/store_fixture.h"
#include "engine/graph.h"

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

namespace omnigraph::testing {
namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(source_dir() + "/test/schema/fixtures/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

class GraphRoot : public StoreTest {};

TEST_P(GraphRoot, InitWritesTheContractAndTheGenesisVersion) {
    auto r = engine::init_graph(*store_, fixture("test.pg"));
    ASSERT_TRUE(r) << r.error().to_string();
    for (auto key : {engine::kFormatKey, engine::kSchemaSourceKey, engine::kSchemaIrKey,
                     engine::kSchemaStateKey})
        EXPECT_TRUE(*store_->exists(key)) << key;
    EXPECT_FALSE(*store_->exists(engine::kInitClaimKey)); // the claim is released
    auto graph = engine::Graph::open(*store_);
    ASSERT_TRUE(graph) << graph.error().to_string();
    EXPECT_EQ(graph->ir().nodes.size(), 2u);
    EXPECT_EQ(graph->ir().next_identity_id, 13u);
    auto head = graph->head();
    ASSERT_TRUE(head) << head.error().to_string();
    EXPECT_EQ(head->version, 1u);
    EXPECT_EQ(head->tables.size(), 4u);
    EXPECT_EQ(head->schema_ir_hash, schema::ir_hash(graph->ir()));
    EXPECT_EQ(head->commit_id, r->genesis.graph_commit_id);
    auto commits = graph->commits();
    ASSERT_TRUE(commits);
    ASSERT_EQ(commits->size(), 1u);
    EXPECT_FALSE((*commits)[0].parent_commit_id);
    EXPECT_FALSE((*commits)[0].actor_id);
    auto missing = graph->head("feature");
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(codes::kNotFound));
}

TEST_P(GraphRoot, SecondInitIsRefusedAndTouchesNothing) {
    ASSERT_TRUE(engine::init_graph(*store_, fixture("test.pg")));
    auto before = *store_->read(engine::kSchemaSourceKey);
    for (bool force : {false, true}) {
        engine::InitOptions options;
        options.force = force;
        auto again = engine::init_graph(*store_, fixture("search.pg"), options);
        ASSERT_FALSE(again);
        EXPECT_TRUE(again.error().is(engine::kAlreadyInitialized)) << again.error().to_string();
    }
    EXPECT_EQ(*store_->read(engine::kSchemaSourceKey), before);
    EXPECT_FALSE(*store_->exists(engine::kInitClaimKey));
}

TEST_P(GraphRoot, BadSchemaWritesNothing) {
    auto r = engine::init_graph(*store_, "node N { a: Strin }");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, "PG-SYN-001");
    EXPECT_TRUE(store_->list_all("")->empty());
}

TEST_P(GraphRoot, HeldClaimBlocksInit) {
    ASSERT_TRUE(store_->put(engine::kInitClaimKey, "{}"));
    auto r = engine::init_graph(*store_, fixture("test.pg"));
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(engine::kInitClaimed)) << r.error().to_string();
    EXPECT_FALSE(*store_->exists(engine::kSchemaSourceKey));
}

TEST_P(GraphRoot, ConcurrentInitsHaveOneWinner) {
    std::atomic<int> won{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i)
        threads.emplace_back([&] {
            auto r = engine::init_graph(*store_, fixture("test.pg"));
            if (r)
                ++won;
            else if (r.error().is(engine::kInitClaimed) ||
                     r.error().is(engine::kAlreadyInitialized))
                ++refused;
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(refused.load(), 5);
    EXPECT_TRUE(engine::Graph::open(*store_));
}

TEST_P(GraphRoot, OpenRefusesMissingPartialOrDriftedContracts) {
    auto none = engine::Graph::open(*store_);
    ASSERT_FALSE(none);
    EXPECT_TRUE(none.error().is(codes::kNotFound));

    ASSERT_TRUE(engine::init_graph(*store_, fixture("test.pg")));
    // A cosmetic edit of _schema.pg is harmless.
    std::string source = *store_->read(engine::kSchemaSourceKey);
    ASSERT_TRUE(store_->put(engine::kSchemaSourceKey, "// a comment\n" + source));
    EXPECT_TRUE(engine::Graph::open(*store_));
    // A semantic edit is drift.
    std::string drifted = source;
    drifted.replace(drifted.find("age: I32?"), 9, "age: I64?");
    ASSERT_TRUE(store_->put(engine::kSchemaSourceKey, drifted));
    auto drift = engine::Graph::open(*store_);
    ASSERT_FALSE(drift);
    EXPECT_TRUE(drift.error().is(engine::kGraphInvalid));
    EXPECT_NE(drift.error().message.find("no longer matches"), std::string::npos);
    ASSERT_TRUE(store_->put(engine::kSchemaSourceKey, source));
    // A missing or tampered contract file.
    std::string state = *store_->read(engine::kSchemaStateKey);
    ASSERT_TRUE(store_->remove(engine::kSchemaStateKey));
    auto partial = engine::Graph::open(*store_);
    ASSERT_FALSE(partial);
    EXPECT_TRUE(partial.error().is(engine::kGraphInvalid));
    ASSERT_TRUE(store_->put(engine::kSchemaStateKey, state));
    std::string ir = *store_->read(engine::kSchemaIrKey);
    ASSERT_TRUE(
        store_->put(engine::kSchemaIrKey, ir.replace(ir.find("\"Person\""), 8, "\"Persom\"")));
    auto tampered = engine::Graph::open(*store_);
    ASSERT_FALSE(tampered);
    EXPECT_TRUE(tampered.error().is(engine::kGraphInvalid)) << tampered.error().to_string();
}

INSTANTIATE_TEST_SUITE_P(Backends, GraphRoot, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing

namespace omnigraph::testing {
namespace {

class GraphHardening : public StoreTest {};

TEST_P(GraphHardening, DamagedStampsAndUnfinishedInitsAreInvalidNotCrashes) {
    ASSERT_TRUE(engine::init_graph(*store_, fixture("test.pg")));
    for (const char* stamp :
         {"{\"format\":1}", "{\"format\":\"omnigraph-cpp\",\"version\":\"1\"}", "[]", "7"}) {
        ASSERT_TRUE(store_->put(engine::kFormatKey, stamp));
        auto r = engine::Graph::open(*store_);
        ASSERT_FALSE(r) << stamp;
        EXPECT_TRUE(r.error().is(engine::kGraphInvalid)) << r.error().to_string();
    }
    ASSERT_TRUE(store_->put(engine::kFormatKey, "{\"format\":\"omnigraph-cpp\",\"version\":1}"));
    ASSERT_TRUE(engine::Graph::open(*store_));
    ASSERT_TRUE(store_->remove_prefix("_log/"));
    auto unfinished = engine::Graph::open(*store_);
    ASSERT_FALSE(unfinished);
    EXPECT_NE(unfinished.error().message.find("genesis"), std::string::npos);
}

TEST_P(GraphHardening, InvalidUtf8InASchemaDoesNotWedgeTheRoot) {
    auto r =
        engine::init_graph(*store_, "node A @description(\"bad \xC0\x80 bytes\") { n: String }\n");
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_FALSE(*store_->exists(engine::kInitClaimKey));
    EXPECT_TRUE(engine::Graph::open(*store_));
}

INSTANTIATE_TEST_SUITE_P(Backends, GraphHardening, ::testing::Values(Backend::kLocal),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
