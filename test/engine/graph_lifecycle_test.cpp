// engine/graph_lifecycle.h: the controller marker, destroy_graph and discard_unfinished_init, on
// both backends.
#include "base/json.h"
#include "engine/graph_lifecycle.h"
#include "engine/pending.h"
#include "engine/schema_apply.h"
#include "engine_fixture.h"
#include "format/manifest.h"
#include "store/fault_injecting_store.h"

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

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

// --- discard_unfinished_init --------------------------------------------------------------------

// A pid that no process has: a child that already exited and was reaped.
int64_t dead_pid() {
    pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

class UnfinishedInit : public GraphLifecycle {
  protected:
    void SetUp() override {
        GraphLifecycle::SetUp();
        auto inner = open_store_at(uri_ + "-partial");
        ASSERT_TRUE(inner) << inner.error().message;
        partial_ = std::make_unique<store::FaultInjectingStore>(std::move(*inner));
    }
    // An init for operation `op` that died before its genesis manifest: the manifest create
    // fails and so does the claim's release, as if the process had been killed there.
    void interrupted_init(const std::string& op, bool owner_dead = true) {
        store::FaultRule no_manifest;
        no_manifest.ops = static_cast<unsigned>(store::StoreOp::kPutIfAbsent);
        no_manifest.key_prefix = "_log/";
        partial_->add_rule(no_manifest);
        store::FaultRule claim_kept;
        claim_kept.ops = static_cast<unsigned>(store::StoreOp::kRemove);
        claim_kept.key_prefix = std::string(engine::kInitClaimKey);
        partial_->add_rule(claim_kept);
        engine::InitOptions o;
        o.operation_id = op;
        ASSERT_FALSE(engine::init_graph(*partial_, engine_fixture("test.pg"), o));
        partial_->clear_rules();
        ASSERT_TRUE(*partial_->exists(engine::kInitClaimKey));
        if (owner_dead)
            edit_claim([](base::Json& claim) { claim["pid"] = dead_pid(); });
    }
    void edit_claim(const std::function<void(base::Json&)>& edit) {
        auto claim = base::parse_json(*partial_->read(engine::kInitClaimKey));
        ASSERT_TRUE(claim);
        edit(*claim);
        ASSERT_TRUE(partial_->put(engine::kInitClaimKey, base::to_compact_json(*claim)));
    }
    // discard_unfinished_init refuses and leaves every object.
    void refused(const engine::InterruptedInits& inits, const std::string& why) {
        auto before = partial_->list_all("");
        ASSERT_TRUE(before);
        auto r = engine::discard_unfinished_init(*partial_, inits);
        ASSERT_FALSE(r) << why;
        EXPECT_TRUE(r.error().is(engine::kInitNotAbandoned)) << r.error().to_string();
        EXPECT_NE(r.error().message.find(why), std::string::npos) << r.error().message;
        EXPECT_EQ(partial_->list_all("")->size(), before->size()) << why;
    }
    std::unique_ptr<store::FaultInjectingStore> partial_;
};

TEST_P(UnfinishedInit, ClaimRecordsTheOperationAndTheProcess) {
    interrupted_init("01OPERATION", false);
    auto claim = base::parse_json(*partial_->read(engine::kInitClaimKey));
    ASSERT_TRUE(claim);
    EXPECT_EQ((*claim)["operation_id"], "01OPERATION");
    EXPECT_EQ((*claim)["host"], engine::this_host());
    EXPECT_EQ((*claim)["pid"].get<int64_t>(), ::getpid());
    // The process that holds it is running (this one): never discarded.
    refused({{"01OPERATION"}, true}, "is still running");
}

TEST_P(UnfinishedInit, AnAbandonedInitOfTheOperationIsRemovedWhole) {
    interrupted_init("01OPERATION");
    ASSERT_FALSE(partial_->list_all("_commits/")->empty()) << "the genesis commit was written";
    auto r = engine::discard_unfinished_init(*partial_, {{"01OTHER", "01OPERATION"}, false});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(partial_->list_all("")->empty());
    EXPECT_FALSE(GetParam() == Backend::kLocal && std::filesystem::exists(uri_ + "-partial"));
    // The root takes a new graph.
    ASSERT_TRUE(engine::init_graph(*partial_, engine_fixture("test.pg")));
    EXPECT_TRUE(engine::Graph::open(*partial_));
}

TEST_P(UnfinishedInit, ARemovalInterruptedHalfWayIsFinishedByTheNextCall) {
    interrupted_init("01OPERATION");
    store::FaultRule stop;
    stop.ops = static_cast<unsigned>(store::StoreOp::kRemove);
    stop.nth = 3;
    stop.repeat = true;
    partial_->add_rule(stop);
    ASSERT_FALSE(engine::discard_unfinished_init(*partial_, {{"01OPERATION"}, false}));
    partial_->clear_rules();
    EXPECT_TRUE(*partial_->exists(engine::kInitClaimKey)) << "the claim goes last";
    ASSERT_TRUE(engine::discard_unfinished_init(*partial_, {{"01OPERATION"}, false}));
    EXPECT_TRUE(partial_->list_all("")->empty());
}

TEST_P(UnfinishedInit, AnythingNotProvablyAbandonedIsKept) {
    interrupted_init("01OPERATION");
    refused({{"01OTHER"}, true}, "names operation 01OPERATION, which is not an interrupted one");
    refused({{}, true}, "which is not an interrupted one");
    // Another host's claim: taken on the caller's word only (its lock), else after the lease.
    edit_claim([](base::Json& claim) { claim["host"] = "elsewhere"; });
    refused({{"01OPERATION"}, false}, "of host elsewhere and younger than 15 minutes");
    // A foreign object: something other than an init put it there.
    ASSERT_TRUE(partial_->put("notes.txt", "mine"));
    refused({{"01OPERATION"}, true}, "notes.txt, which an init does not write");
    ASSERT_TRUE(partial_->remove("notes.txt"));
    // A version on any branch, or main's genesis (found by a direct read, not a listing).
    ASSERT_TRUE(partial_->put("_log/feature/x.json", "{}"));
    refused({{"01OPERATION"}, true}, "it has versions");
    ASSERT_TRUE(partial_->remove("_log/feature/x.json"));
    ASSERT_TRUE(partial_->put(format::manifest_key("main", 1), "{}"));
    refused({{"01OPERATION"}, true}, "it has a genesis version");
    ASSERT_TRUE(partial_->remove(format::manifest_key("main", 1)));
    // Claims that name no operation or no process.
    edit_claim([](base::Json& claim) { claim.erase("pid"); });
    refused({{"01OPERATION"}, true}, "does not name the process");
    edit_claim([](base::Json& claim) { claim.erase("operation_id"); });
    refused({{"01OPERATION"}, true}, "records no operation");
    ASSERT_TRUE(partial_->put(engine::kInitClaimKey, "not json"));
    refused({{"01OPERATION"}, true}, "is not a JSON object");
    ASSERT_TRUE(partial_->remove(engine::kInitClaimKey));
    refused({{"01OPERATION"}, true}, "holds no init claim");
    // With everything in order again, it goes.
    interrupted_init("01SECOND");
    EXPECT_TRUE(engine::discard_unfinished_init(*partial_, {{"01SECOND"}, true}));
}

TEST_P(UnfinishedInit, AnotherHostsClaimPastTheLeaseIsTaken) {
    interrupted_init("01OPERATION");
    edit_claim([](base::Json& claim) {
        claim["host"] = "elsewhere";
        claim["created_at"] = claim["created_at"].get<int64_t>() - int64_t{16} * 60 * 1000 * 1000;
    });
    auto r = engine::discard_unfinished_init(*partial_, {{"01OPERATION"}, false});
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_TRUE(partial_->list_all("")->empty());
}

TEST_P(UnfinishedInit, AClaimLeftAfterGenesisIsReleasedForItsOperationOnly) {
    // Without a genesis version the claim is the proof of an abandoned init: kept.
    interrupted_init("01OPERATION");
    ASSERT_TRUE(engine::release_finished_init_claim(*partial_, "01OPERATION"));
    EXPECT_TRUE(*partial_->exists(engine::kInitClaimKey));
    ASSERT_TRUE(engine::discard_unfinished_init(*partial_, {{"01OPERATION"}, true}));
    // Killed after its genesis, before releasing the claim.
    store::FaultRule claim_kept;
    claim_kept.ops = static_cast<unsigned>(store::StoreOp::kRemove);
    claim_kept.key_prefix = std::string(engine::kInitClaimKey);
    partial_->add_rule(claim_kept);
    engine::InitOptions o;
    o.operation_id = "01OPERATION";
    ASSERT_TRUE(engine::init_graph(*partial_, engine_fixture("test.pg"), o));
    partial_->clear_rules();
    ASSERT_TRUE(*partial_->exists(engine::kInitClaimKey));
    ASSERT_TRUE(engine::release_finished_init_claim(*partial_, "01OTHER"));
    EXPECT_TRUE(*partial_->exists(engine::kInitClaimKey)) << "another operation's claim";
    ASSERT_TRUE(engine::release_finished_init_claim(*partial_, "01OPERATION"));
    EXPECT_FALSE(*partial_->exists(engine::kInitClaimKey));
    EXPECT_TRUE(engine::Graph::open(*partial_));
}

INSTANTIATE_TEST_SUITE_P(Backends, UnfinishedInit, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

INSTANTIATE_TEST_SUITE_P(Backends, GraphLifecycle, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
