// engine/graph_lifecycle.h: the controller marker and destroy_graph, on both backends.
#include "engine/graph_lifecycle.h"
#include "engine/schema_apply.h"
#include "engine_fixture.h"
#include "store/fault_injecting_store.h"

#include <filesystem>

namespace omnigraph::testing {
namespace {

const std::string kWithNickname = "node Person { name: String @key age: I32? nickname: String? }\n"
                                  "node Company { name: String @key }\n"
                                  "edge Knows: Person -> Person { since: Date? }\n"
                                  "edge WorksAt: Person -> Company\n";

class GraphLifecycle : public EngineTest {
  protected:
    Result<engine::SchemaApplyResult> apply(std::optional<std::string> as_controller) {
        engine::SchemaApplyOptions o;
        o.as_controller = std::move(as_controller);
        return engine::apply_schema_change(*graph_, kWithNickname, o);
    }
    // A second handle on the graph's root whose calls the test can make fail.
    std::unique_ptr<store::FaultInjectingStore> faulty() {
        auto inner = open_store_at(uri_);
        EXPECT_TRUE(inner) << inner.error().message;
        return std::make_unique<store::FaultInjectingStore>(std::move(*inner));
    }
    bool root_directory_exists() const {
        return GetParam() == Backend::kLocal && std::filesystem::exists(uri_);
    }
};

TEST_P(GraphLifecycle, MarkerRoundTripsWithTheHistoricalBytes) {
    auto none = engine::managed_by(*store_);
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_FALSE(*none);
    engine::ManagedBy by{"s3://bucket/clusters/prod", "knowledge"};
    ASSERT_TRUE(engine::mark_managed(*store_, by));
    // Byte for byte what `cluster apply` has always written, so older graphs keep working.
    EXPECT_EQ(*store_->read("_cluster_owner.json"),
              "{\n  \"cluster_root\": \"s3://bucket/clusters/prod\",\n  \"graph_id\": "
              "\"knowledge\"\n}\n");
    auto read = engine::managed_by(*store_);
    ASSERT_TRUE(read && *read);
    EXPECT_EQ(**read, by);
    // Marking again replaces the marker.
    ASSERT_TRUE(engine::mark_managed(*store_, {"/clusters/dev", "knowledge"}));
    EXPECT_EQ((*engine::managed_by(*store_))->owner, "/clusters/dev");
}

TEST_P(GraphLifecycle, ADamagedMarkerStillMarksTheGraph) {
    for (const char* damaged : {"not json", "[]", "{}", R"({"cluster_root": 7})"}) {
        ASSERT_TRUE(store_->put(engine::kManagedMarkerKey, damaged));
        auto read = engine::managed_by(*store_);
        ASSERT_TRUE(read) << damaged;
        ASSERT_TRUE(*read) << damaged;
        EXPECT_EQ(**read, engine::ManagedBy{}) << damaged;
    }
}

TEST_P(GraphLifecycle, OnlyARootWithAGraphIsMarked) {
    auto empty = open_store_at(uri_ + "-empty");
    ASSERT_TRUE(empty);
    auto marked = engine::mark_managed(**empty, {"/c", "g"});
    ASSERT_FALSE(marked);
    EXPECT_TRUE(marked.error().is(codes::kNotFound)) << marked.error().message;
    EXPECT_TRUE((*empty)->list_all("")->empty()) << "nothing written";
}

TEST_P(GraphLifecycle, AManagedGraphTakesSchemaAppliesOnlyFromItsController) {
    uint64_t before = graph_->head()->version;
    ASSERT_TRUE(engine::mark_managed(*store_, {"/clusters/prod", "knowledge"}));
    auto direct = apply(std::nullopt);
    ASSERT_FALSE(direct);
    EXPECT_TRUE(direct.error().is(engine::kGraphManaged));
    EXPECT_EQ(direct.error().message, "the graph at " + graph_->uri() +
                                          " is managed by a cluster; change its schema with "
                                          "`omnigraph cluster apply`");
    EXPECT_EQ(graph_->head()->version, before);
    // The controller is not compared with the marker (a moved cluster root keeps its graphs).
    auto controlled = apply("/clusters/moved");
    ASSERT_TRUE(controlled) << controlled.error().to_string();
    EXPECT_TRUE(controlled->applied);
    EXPECT_EQ(graph_->head()->version, before + 1);
}

TEST_P(GraphLifecycle, DestroyRemovesEveryObjectAndTheRoot) {
    ASSERT_TRUE(engine::mark_managed(*store_, {"/c", "g"}));
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
    ASSERT_FALSE(store_->list_all("")->empty());
    auto destroyed = engine::destroy_graph(*store_);
    ASSERT_TRUE(destroyed) << destroyed.error().message;
    EXPECT_TRUE(store_->list_all("")->empty());
    EXPECT_FALSE(root_directory_exists()) << "no lock files or directories left behind";
    auto gone = engine::Graph::open(*store_);
    ASSERT_FALSE(gone);
    EXPECT_TRUE(gone.error().is(codes::kNotFound)) << gone.error().message;
    // Idempotent, and the root can hold a new graph.
    EXPECT_TRUE(engine::destroy_graph(*store_));
    EXPECT_TRUE(engine::init_graph(*store_, engine_fixture("test.pg")));
    EXPECT_TRUE(engine::Graph::open(*store_));
}

TEST_P(GraphLifecycle, AnInterruptedDestroyLeavesNothingThatOpens) {
    auto store = faulty();
    // Every removal after the format stamp's fails: the rest of the graph stays behind.
    store::FaultRule rule;
    rule.ops = static_cast<unsigned>(store::StoreOp::kRemovePrefix);
    rule.repeat = true;
    store->add_rule(rule);
    auto interrupted = engine::destroy_graph(*store);
    ASSERT_FALSE(interrupted);
    EXPECT_FALSE(store->list_all("")->empty());
    auto half = engine::Graph::open(*store);
    ASSERT_FALSE(half) << "a half-destroyed graph opened";
    EXPECT_TRUE(half.error().is(engine::kGraphInvalid)) << half.error().message;
    // The next destroy finishes the job.
    store->clear_rules();
    ASSERT_TRUE(engine::destroy_graph(*store));
    EXPECT_TRUE(store->list_all("")->empty());
}

TEST_P(GraphLifecycle, ADestroyThatCannotStartChangesNothing) {
    auto store = faulty();
    store::FaultRule rule;
    rule.ops = static_cast<unsigned>(store::StoreOp::kRemove);
    rule.key_prefix = std::string(engine::kFormatKey);
    store->add_rule(rule);
    auto failed = engine::destroy_graph(*store);
    ASSERT_FALSE(failed);
    EXPECT_TRUE(failed.error().is(codes::kStorageIo));
    auto still = engine::Graph::open(*store);
    ASSERT_TRUE(still) << still.error().to_string();
    EXPECT_EQ(still->head()->version, graph_->head()->version);
}

INSTANTIATE_TEST_SUITE_P(Backends, GraphLifecycle, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
