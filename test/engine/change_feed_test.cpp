// The change feed's engine pieces on both backends (spec engine-cli §2.5): a commit's diff
// costs its change, physical-only commits are empty, reclaimed history is a gap, and cursors
// are bound to their branch's incarnation and cannot be forged. The diff's rows and the feed's
// order are data cases (test/queries/cases/changes.test).
#include "engine/change_feed.h"
#include "engine/changes.h"
#include "engine/cleanup.h"
#include "engine/optimize.h"
#include "engine_fixture.h"
#include "store/counting_store.h"

#include <nlohmann/json.hpp>

namespace omnigraph::testing {
namespace {

class ChangeFeed : public EngineTest {
  protected:
    format::CommitRecord head_commit(const std::string& branch = "main") {
        auto head = graph_->head(branch);
        EXPECT_TRUE(head) << head.error().to_string();
        auto commit = graph_->commit(head->commit_id);
        EXPECT_TRUE(commit) << commit.error().to_string();
        return *commit;
    }
};

// Diffing a commit that changed one row of a 20,000-row table reads that row's pages and the
// manifests, not the table: the same bytes as in a 20-row table, within a small margin.
TEST_P(ChangeFeed, DiffCostFollowsTheChangeNotTheTable) {
    auto bytes_of_one_update = [&](uint64_t& bytes) {
        ASSERT_TRUE(load(person("Bob", 77), engine::LoadMode::kMerge));
        auto commit = head_commit();
        store::CountingStore counting(*store_);
        auto graph = engine::Graph::open(counting);
        ASSERT_TRUE(graph) << graph.error().to_string();
        auto diff = engine::diff_commit(*graph, commit, {});
        ASSERT_TRUE(diff) << diff.error().to_string();
        ASSERT_EQ(diff->changes.size(), 1u);
        EXPECT_EQ(diff->changes[0].op, engine::ChangeOp::kUpdate);
        base::Json images;
        ASSERT_TRUE(engine::read_images(*graph, *diff, 0, 1, images));
        EXPECT_EQ(images[0]["after"]["properties"]["age"], 77);
        bytes = counting.bytes_read();
    };
    uint64_t small = 0, large = 0;
    ASSERT_NO_FATAL_FAILURE(bytes_of_one_update(small));
    ASSERT_TRUE(load(person("Bob", 25), engine::LoadMode::kMerge));
    std::string many;
    for (int i = 0; i < 20000; ++i)
        many += person("P" + std::to_string(i), i % 90);
    ASSERT_TRUE(load(many, engine::LoadMode::kAppend));
    ASSERT_NO_FATAL_FAILURE(bytes_of_one_update(large));
    std::cout << "one-row diff read " << small << " bytes (20 rows), " << large
              << " bytes (20,000 rows)\n";
    EXPECT_LT(large, small * 2 + 64 * 1024);
}

// Spec §2.5: a physical-only commit (optimize) is an empty block.
TEST_P(ChangeFeed, OptimizeIsAnEmptyDiff) {
    ASSERT_TRUE(load(person("Eve", 22), engine::LoadMode::kAppend));
    ASSERT_TRUE(load(person("Bob", 26), engine::LoadMode::kMerge));
    auto optimized = engine::optimize_graph(*store_, *graph_);
    ASSERT_TRUE(optimized) << optimized.error().to_string();
    ASSERT_TRUE(optimized->commit);
    reopen();
    auto diff = engine::diff_commit(*graph_, *optimized->commit, {});
    ASSERT_TRUE(diff) << diff.error().to_string();
    EXPECT_TRUE(diff->changes.empty());
}

// History cleanup removed is a gap (410 over HTTP), naming the commit that cannot be read.
TEST_P(ChangeFeed, ReclaimedHistoryIsAGap) {
    auto loaded = head_commit();
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(load(person("Eve", 20 + i), engine::LoadMode::kMerge));
    engine::CleanupPolicy policy;
    policy.keep = 1;
    policy.grace = std::chrono::seconds(0);
    auto cleaned = engine::cleanup_graph(*store_, *graph_, policy);
    ASSERT_TRUE(cleaned) << cleaned.error().to_string();
    reopen();
    auto diff = engine::diff_commit(*graph_, loaded, {});
    ASSERT_FALSE(diff);
    EXPECT_EQ(diff.error().code, engine::kChangeFeedGap) << diff.error().to_string();
    bool names_commit = false;
    for (const auto& [k, v] : diff.error().details)
        names_commit |= k == "first_unreadable_commit_id" && v == loaded.graph_commit_id;
    EXPECT_TRUE(names_commit) << diff.error().to_string();
}

// A cursor is bound to its branch's incarnation: deleting and re-creating the branch rejects
// it; and a token whose bytes were edited is rejected, never misread.
TEST_P(ChangeFeed, CursorsAreBoundAndCannotBeForged) {
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
    auto scope = engine::feed_scope(*graph_, "feature", {});
    ASSERT_TRUE(scope) << scope.error().to_string();
    std::string cursor = engine::encode_cursor(*scope, head_commit("feature").graph_commit_id);
    auto after = engine::decode_cursor(cursor, *scope);
    ASSERT_TRUE(after) << after.error().to_string();
    EXPECT_EQ(*after, head_commit("feature").graph_commit_id);

    ASSERT_TRUE(graph_->delete_branch("feature"));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
    auto again = engine::feed_scope(*graph_, "feature", {});
    ASSERT_TRUE(again) << again.error().to_string();
    auto stale = engine::decode_cursor(cursor, *again);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().code, engine::kChangeCursorRejected);
    EXPECT_NE(stale.error().message.find("re-created"), std::string::npos) << stale.error().message;

    std::string edited = cursor;
    edited[edited.size() / 3] = edited[edited.size() / 3] == 'A' ? 'B' : 'A';
    auto forged = engine::decode_cursor(edited, *again);
    ASSERT_FALSE(forged);
    EXPECT_TRUE(forged.error().message.starts_with("change cursor rejected: "))
        << forged.error().message;
    for (std::string junk : {"", ".", "nope", "eyJ0IjoiY3Vyc29yIn0.00000000"})
        EXPECT_FALSE(engine::decode_token(junk)) << junk;
}

// A poll reads at most kCommitsPerPoll commits into its cut and says whether more wait.
TEST_P(ChangeFeed, ACutHoldsTheOldestCommitsAfterTheCursor) {
    auto start = head_commit();
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(load(person("Eve", 20 + i), engine::LoadMode::kMerge));
    auto head = head_commit();
    auto cut = engine::feed_cut(*graph_, head.graph_commit_id, start.graph_commit_id, 3);
    ASSERT_TRUE(cut) << cut.error().to_string();
    ASSERT_EQ(cut->commits.size(), 3u);
    EXPECT_FALSE(cut->caught_up);
    EXPECT_EQ(cut->commits[0].parent_commit_id, start.graph_commit_id);
    auto all = engine::feed_cut(*graph_, head.graph_commit_id, start.graph_commit_id, 10);
    ASSERT_TRUE(all) << all.error().to_string();
    EXPECT_EQ(all->commits.size(), 5u);
    EXPECT_TRUE(all->caught_up);
    EXPECT_EQ(all->commits.back().graph_commit_id, head.graph_commit_id);
    // A commit off the branch's first-parent history is no place to resume from.
    ASSERT_TRUE(graph_->create_branch("side", "main", std::nullopt));
    ASSERT_TRUE(load(person("Zed", 9), engine::LoadMode::kAppend, "side"));
    auto off =
        engine::feed_cut(*graph_, head.graph_commit_id, head_commit("side").graph_commit_id, 10);
    ASSERT_FALSE(off);
    EXPECT_EQ(off.error().code, engine::kChangeCursorRejected);
}

INSTANTIATE_TEST_SUITE_P(Backends, ChangeFeed, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
