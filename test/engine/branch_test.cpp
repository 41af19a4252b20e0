// Branches, snapshots and time travel on both backends (spec engine-cli §2.1, §2.4, §7 rows 4-11,
// 21, 22, 24, 25).
#include "engine/merge.h"
#include "engine_fixture.h"
#include "store/counting_store.h"
#include "store/fault_injecting_store.h"

namespace omnigraph::testing {
namespace {

class Branches : public EngineTest {};

TEST_P(Branches, SnapshotTakenBeforeAWriteKeepsItsView) { // row 4
    auto before = graph_->snapshot();
    ASSERT_TRUE(before);
    ASSERT_TRUE(load(person("Eve", 22), engine::LoadMode::kAppend));
    EXPECT_EQ(before->manifest.find("node:Person")->row_count, 4u);
    EXPECT_EQ(graph_->snapshot()->manifest.find("node:Person")->row_count, 5u);
}

TEST_P(Branches, CreateIsLazyAndTheFirstWriteForksOnlyItsTable) { // rows 5, 6
    auto created = graph_->create_branch("feature", "main", "andrew");
    ASSERT_TRUE(created) << created.error().to_string();
    EXPECT_EQ(created->from_version, 2u);
    auto main_head = *graph_->head("main");
    auto feature = graph_->head("feature");
    ASSERT_TRUE(feature) << feature.error().to_string();
    EXPECT_EQ(feature->branch, "feature");
    EXPECT_EQ(feature->version, main_head.version);
    EXPECT_EQ(feature->tables, main_head.tables); // shares every table: no copy, no commit
    EXPECT_EQ(graph_->commits("main")->size(), 2u);

    ASSERT_TRUE(load(person("Eve", 22), engine::LoadMode::kAppend, "feature"));
    feature = graph_->head("feature");
    EXPECT_EQ(feature->version, 3u);
    EXPECT_EQ(feature->find("node:Person")->table_branch, "feature");
    EXPECT_EQ(feature->find("edge:Knows")->table_branch, "main");
    EXPECT_EQ(feature->find("edge:Knows")->segments, main_head.find("edge:Knows")->segments);
    EXPECT_EQ(people(on("main")).count("Eve"), 0u);
    EXPECT_EQ(people(on("feature")).at("Eve"), "22");
    EXPECT_EQ(people(on("main")).size(), 4u);
    // The branch's history: its own commit, then main's up to the fork.
    auto commits = graph_->commits("feature");
    ASSERT_EQ(commits->size(), 3u);
    EXPECT_EQ((*commits)[0].graph_branch, "feature");
    EXPECT_EQ((*commits)[1].graph_branch, "main");
}

// Spec §7 rows 12 and 20: a fast-forward is still one new commit on the target, whose parent is
// the old target head and whose merged parent is the source head, with the merging actor; the
// merge writes no segment (the target names the source's).
TEST_P(Branches, FastForwardMergeIsOneCommitNamingBothHeads) {
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
    ASSERT_TRUE(load(person("Eve", 22), engine::LoadMode::kAppend, "feature"));
    auto main_before = *graph_->head("main");
    auto feature = *graph_->head("feature");
    store::CountingStore counting(*store_);
    auto counted = engine::Graph::open(counting);
    ASSERT_TRUE(counted) << counted.error().to_string();
    engine::MergeOptions o;
    o.source = "feature";
    o.actor = "andrew";
    auto merged = engine::merge_branch(counting, *counted, o);
    ASSERT_TRUE(merged) << merged.error().to_string();
    EXPECT_EQ(merged->outcome, engine::MergeOutcome::kFastForward);
    EXPECT_EQ(merged->base_commit_id, main_before.commit_id);
    auto main_after = *graph_->head("main");
    EXPECT_EQ(main_after.version, main_before.version + 1);
    auto commit = *graph_->commit(main_after.commit_id);
    EXPECT_EQ(commit.parent_commit_id, main_before.commit_id);
    EXPECT_EQ(commit.merged_parent_commit_id, feature.commit_id);
    EXPECT_EQ(commit.actor_id, "andrew");
    EXPECT_EQ(main_after.find("node:Person")->segments, feature.find("node:Person")->segments);
    EXPECT_EQ(people(on("main")).at("Eve"), "22");
    EXPECT_EQ(graph_->commits("main")->size(), 4u); // genesis, load, feature's load, the merge
    EXPECT_LE(counting.writes(), 5u); // pending record (put, remove), commit, manifest
    // Nothing new on feature: merging again is up to date and writes nothing.
    uint64_t writes = counting.writes();
    auto again = engine::merge_branch(counting, *counted, o);
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->outcome, engine::MergeOutcome::kAlreadyUpToDate);
    EXPECT_FALSE(again->commit);
    EXPECT_EQ(counting.writes(), writes);
}

// Creating and deleting a branch write a constant number of small objects, whatever the graph
// holds (issue 19): three each, with 4 rows or with 3,000.
TEST_P(Branches, CreateAndDeleteWriteTheSameFewObjectsAtAnySize) {
    auto writes_of = [&](auto op) {
        store::CountingStore counting(*store_);
        auto graph = engine::Graph::open(counting);
        EXPECT_TRUE(graph) << graph.error().to_string();
        uint64_t before = counting.writes();
        op(*graph);
        return counting.writes() - before;
    };
    auto create = [](const engine::Graph& g) {
        auto made = g.create_branch("feature", "main", "andrew");
        EXPECT_TRUE(made) << made.error().to_string();
    };
    auto remove = [](const engine::Graph& g) {
        auto gone = g.delete_branch("feature");
        EXPECT_TRUE(gone) << gone.error().to_string();
    };
    uint64_t small_create = writes_of(create), small_delete = writes_of(remove);
    std::string many;
    for (int i = 0; i < 3000; ++i)
        many += person("P" + std::to_string(i), i % 90);
    ASSERT_TRUE(load(many, engine::LoadMode::kAppend));
    ASSERT_TRUE(load(person("Late", 40), engine::LoadMode::kAppend));
    uint64_t large_create = writes_of(create), large_delete = writes_of(remove);
    EXPECT_EQ(large_create, small_create);
    EXPECT_EQ(large_delete, small_delete);
    EXPECT_LE(small_create, 3u);
    EXPECT_LE(small_delete, 3u);
    std::cout << "branch create: " << small_create << " writes; delete: " << small_delete
              << " writes\n";
}

TEST_P(Branches, PinnedCommitExcludesLaterWrites) { // row 7
    auto pinned = graph_->head()->commit_id;
    ASSERT_TRUE(load(person("Eve", 22), engine::LoadMode::kAppend));
    engine::SnapshotSpec spec;
    spec.commit_id = pinned;
    EXPECT_EQ(people(spec).size(), 4u);
    EXPECT_EQ(people().size(), 5u);
}

TEST_P(Branches, RefusedNames) { // row 8
    auto main = graph_->create_branch("main", "main", std::nullopt);
    ASSERT_FALSE(main);
    EXPECT_NE(main.error().message.find("cannot create branch 'main'"), std::string::npos);
    auto del = graph_->delete_branch("main");
    ASSERT_FALSE(del);
    EXPECT_NE(del.error().message.find("cannot delete branch 'main'"), std::string::npos);
    for (const char* bad : {"", "  ", "/a", "a/", "a//b", "a..b", "a\\b", "x.lock", "__internal",
                            "sp ace", "semi;colon"}) {
        auto r = graph_->create_branch(bad, "main", std::nullopt);
        ASSERT_FALSE(r) << bad;
        EXPECT_TRUE(r.error().is(codes::kInvalidArgument)) << bad << ": " << r.error().message;
    }
    EXPECT_TRUE(graph_->create_branch("  review/2026-07  ", "main", std::nullopt)); // trimmed
    EXPECT_EQ(*graph_->branches(), (std::vector<std::string>{"main", "review/2026-07"}));
    auto dup = graph_->create_branch("review/2026-07", "main", std::nullopt);
    ASSERT_FALSE(dup);
    EXPECT_TRUE(dup.error().is(engine::kConflict));
    auto missing = graph_->create_branch("x", "nope", std::nullopt);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(codes::kNotFound));
}

TEST_P(Branches, PathPrefixCollisions) { // row 9
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
    auto child = graph_->create_branch("feature/child", "main", std::nullopt);
    ASSERT_FALSE(child);
    EXPECT_TRUE(child.error().is(engine::kConflict));
    ASSERT_TRUE(graph_->delete_branch("feature"));
    ASSERT_TRUE(graph_->create_branch("feature/child", "main", std::nullopt));
    EXPECT_FALSE(graph_->create_branch("feature", "main", std::nullopt));
    EXPECT_TRUE(graph_->create_branch("feature-2", "main", std::nullopt)); // not a path prefix
}

TEST_P(Branches, DeleteIsRefusedWhileAnotherBranchDependsOnIt) { // row 10
    ASSERT_TRUE(graph_->create_branch("a", "main", std::nullopt));
    ASSERT_TRUE(graph_->create_branch("b", "a", std::nullopt));
    auto r = graph_->delete_branch("a");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("still depends on it"), std::string::npos);
    ASSERT_TRUE(graph_->delete_branch("b"));
    ASSERT_TRUE(graph_->delete_branch("a"));
    EXPECT_TRUE(graph_->delete_branch("a").error().is(codes::kNotFound));
}

TEST_P(Branches, RecreatedBranchStartsAFreshLineage) { // row 11
    ASSERT_TRUE(load(person("Eve", 22), engine::LoadMode::kAppend, "feature", "main"));
    ASSERT_TRUE(graph_->delete_branch("feature"));
    EXPECT_EQ(*graph_->branches(), std::vector<std::string>{"main"});
    EXPECT_TRUE(graph_->head("feature").error().is(codes::kNotFound));
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
    ASSERT_TRUE(load(person("Frank", 40), engine::LoadMode::kAppend, "feature"));
    auto rows = people(on("feature"));
    EXPECT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows.count("Eve"), 0u);
    EXPECT_EQ(rows.at("Frank"), "40");
}

TEST_P(Branches, LoadIntoAMissingBranchNeedsFromAndAFailedLoadCreatesNothing) {
    auto no_from = load(person("Eve", 22), engine::LoadMode::kAppend, "feature");
    ASSERT_FALSE(no_from);
    EXPECT_TRUE(no_from.error().is(codes::kNotFound));
    auto conflict = load(person("Alice", 1), engine::LoadMode::kAppend, "feature", "main");
    ASSERT_FALSE(conflict);
    EXPECT_TRUE(conflict.error().is(engine::kKeyConflict));
    EXPECT_EQ(*graph_->branches(), std::vector<std::string>{"main"});
    auto made = load(person("Eve", 22), engine::LoadMode::kAppend, "feature", "main");
    ASSERT_TRUE(made) << made.error().to_string();
    EXPECT_EQ(made->created_from, "main");
}

TEST_P(Branches, PointInTimeReads) {                                 // rows 21, 22, 25
    ASSERT_TRUE(load(person("Eve", 22), engine::LoadMode::kAppend)); // v3
    ASSERT_TRUE(load(person("Eve", 50), engine::LoadMode::kMerge));  // v4
    ASSERT_TRUE(load(engine_fixture("test.jsonl"), engine::LoadMode::kOverwrite)); // v5: no Eve
    EXPECT_EQ(people(at(2)).size(), 4u);
    EXPECT_EQ(people(at(3)).at("Eve"), "22");
    EXPECT_EQ(people(at(4)).at("Eve"), "50");
    EXPECT_EQ(people().count("Eve"), 0u);
    EXPECT_EQ(graph_->at_version("main", 1)->find("node:Person")->row_count, 0u);
    auto far = graph_->snapshot(at(99999));
    ASSERT_FALSE(far);
    EXPECT_TRUE(far.error().is(codes::kNotFound));
    engine::SnapshotSpec bad;
    bad.commit_id = "not-a-commit";
    EXPECT_TRUE(graph_->snapshot(bad).error().is(codes::kInvalidArgument));
}

TEST_P(Branches, TimeTravelComposesWithBranches) {                              // row 24
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));        // at v2
    ASSERT_TRUE(load(person("Eve", 22), engine::LoadMode::kAppend, "feature")); // feature v3
    ASSERT_TRUE(load(person("Zed", 60), engine::LoadMode::kAppend));            // main v3
    EXPECT_EQ(people(at(2)).size(), 4u);
    EXPECT_EQ(people(at(3)).count("Eve"), 0u);
    EXPECT_EQ(people(at(3)).count("Zed"), 1u);
    EXPECT_EQ(people(at(2, "feature")).size(), 4u); // before its first commit: main's v2
    EXPECT_EQ(people(at(3, "feature")).count("Eve"), 1u);
    EXPECT_EQ(people(at(3, "feature")).count("Zed"), 0u);
}

TEST_P(Branches, ConcurrentLoadsOnTwoBranchesDoNotInterfere) {
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (const char* b : {"main", "feature"})
        writers.emplace_back([&, b] {
            for (int i = 0; i < 3; ++i)
                if (!load(person(std::string(b) + std::to_string(i), i), engine::LoadMode::kAppend,
                          b))
                    ++failures;
        });
    for (auto& t : writers)
        t.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(people(on("main")).size(), 7u);
    EXPECT_EQ(people(on("feature")).size(), 7u);
    EXPECT_EQ(people(on("feature")).count("main0"), 0u);
}

// Opening a graph and a snapshot costs a fixed number of store calls, however long the history.
TEST_P(Branches, OpeningASnapshotCostsConstantStoreCalls) {
    auto calls_to_open = [&](const engine::SnapshotSpec& spec) {
        auto inner = open_store_at(uri_);
        EXPECT_TRUE(inner);
        store::FaultInjectingStore counting(std::move(*inner));
        store::FaultRule every_call; // a zero delay: counts calls without changing them
        every_call.repeat = true;
        every_call.action = store::FaultRule::Action::kDelay;
        counting.add_rule(every_call);
        auto g = engine::Graph::open(counting);
        EXPECT_TRUE(g) << g.error().to_string();
        auto snap = g->snapshot(spec);
        EXPECT_TRUE(snap) << snap.error().to_string();
        return counting.fired();
    };
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
    uint64_t short_history = calls_to_open({});
    uint64_t short_branch = calls_to_open(on("feature"));
    for (int i = 0; i < 12; ++i) {
        ASSERT_TRUE(load(person("P" + std::to_string(i), i), engine::LoadMode::kAppend));
        ASSERT_TRUE(load(person("F" + std::to_string(i), i), engine::LoadMode::kAppend, "feature"));
    }
    EXPECT_EQ(calls_to_open({}), short_history);
    EXPECT_EQ(calls_to_open(on("feature")), short_branch);
    EXPECT_LE(short_branch, 12u);
    EXPECT_EQ(calls_to_open(at(5)), calls_to_open(at(9)));
}

INSTANTIATE_TEST_SUITE_P(Backends, Branches, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
