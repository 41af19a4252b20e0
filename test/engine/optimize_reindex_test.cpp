// optimize re-indexes old segments (issue 17): segments without the key indexes of their table
// kind — format 1 (the fixture graph written before checksums), or format 3 without indexes (what
// `storage upgrade` wrote before it built them; strip_key_indexes) — are rewritten, in one
// commit, so that every segment of the branch head is current, with the same rows; `storage
// verify` is clean after it. Local disk and S3. (Cold-read costs after re-indexing:
// test/queries/cold_read_test.cpp.)
#include "engine/export.h"
#include "engine/optimize.h"
#include "engine/verify.h"
#include "engine_fixture.h"
#include "unindexed_segments.h"

#include <filesystem>
#include <nlohmann/json.hpp>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const fs::path kFormat1 = fs::path(source_dir()) / "test/e2e/format1_fixture";

void expect_verified(store::ObjectStore& store) {
    auto report = engine::verify_graph(store);
    ASSERT_TRUE(report) << report.error().to_string();
    for (const auto& line : engine::verify_report_lines(*report))
        EXPECT_TRUE(report->ok()) << line;
    EXPECT_TRUE(report->unreferenced.empty());
}

uint64_t reindexed(const engine::OptimizeResult& r) {
    uint64_t n = 0;
    for (const auto& t : r.tables)
        n += t.segments_reindexed;
    return n;
}

class OptimizeReindex : public EngineTest {};

TEST_P(OptimizeReindex, StrippedSegmentsAreRewrittenEachInItsPlace) {
    for (int i = 0; i < 3; ++i) // three more Person segments
        ASSERT_TRUE(load(person("R" + std::to_string(i), i), engine::LoadMode::kAppend));
    ASSERT_NO_FATAL_FAILURE(strip_key_indexes(*store_));
    reopen();
    auto stripped = head_segments_indexed(*store_, "main");
    for (const auto& [key, indexed] : stripped)
        EXPECT_FALSE(indexed) << key;
    auto before = people();
    uint64_t segments = graph_->head()->find("node:Person")->segments.size();
    ASSERT_EQ(segments, 4u);

    // Every segment is "large" here, so none is compacted: each is re-indexed on its own.
    engine::OptimizeOptions options;
    options.target_rows = 2;
    auto r = engine::optimize_graph(*store_, *graph_, options);
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_TRUE(r->commit);
    EXPECT_EQ(reindexed(*r), stripped.size());
    for (const auto& t : r->tables) {
        EXPECT_TRUE(t.committed) << t.table_key;
        EXPECT_EQ(t.fragments_removed, t.segments_before) << t.table_key;
        EXPECT_EQ(t.fragments_added, t.segments_before) << t.table_key;
        EXPECT_EQ(t.segments_after, t.segments_before) << t.table_key;
        EXPECT_EQ(t.segments_reindexed, t.segments_before) << t.table_key;
    }
    EXPECT_EQ(engine::optimize_json(*r)["datasets"][0]["segments_reindexed"],
              r->tables[0].segments_reindexed);
    EXPECT_TRUE(all_indexed(head_segments_indexed(*store_, "main")));
    EXPECT_EQ(people(), before);
    // In place: the rows of the first segment are still the first rows read.
    auto head = graph_->head();
    const format::TableEntry* persons = head->find("node:Person");
    ASSERT_EQ(persons->segments.size(), segments);
    EXPECT_EQ(persons->segments.back().rows, 1u);
    expect_verified(*store_);

    auto again = engine::optimize_graph(*store_, *graph_, options);
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_FALSE(again->commit) << "every segment is current";
}

TEST_P(OptimizeReindex, CompactionAndReindexingShareOneCommit) {
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(load(person("R" + std::to_string(i), i), engine::LoadMode::kAppend));
    ASSERT_NO_FATAL_FAILURE(strip_key_indexes(*store_));
    reopen();
    auto before = people();
    uint64_t version = graph_->head()->version;
    auto r = engine::optimize_graph(*store_, *graph_);
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_TRUE(r->commit);
    EXPECT_EQ(graph_->head()->version, version + 1);
    for (const auto& t : r->tables) {
        EXPECT_TRUE(t.committed) << t.table_key; // a lone small segment is re-indexed too
        EXPECT_EQ(t.segments_after, 1u) << t.table_key;
        // Person's four are compacted (and indexed with it); every other table's one re-indexed.
        EXPECT_EQ(t.segments_reindexed, t.table_key == "node:Person" ? 0u : 1u) << t.table_key;
    }
    EXPECT_TRUE(all_indexed(head_segments_indexed(*store_, "main")));
    EXPECT_EQ(people(), before);
    EXPECT_EQ(people(at(version)), before) << "older versions keep their segments";
    expect_verified(*store_);
    auto lines = engine::optimize_lines(*r);
    auto has_line = [&](const std::string& label, const std::string& what) {
        return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
            return line.starts_with(label) && line.ends_with(what);
        });
    };
    EXPECT_TRUE(has_line("node type 'Person' ", "frags 4 \u2192 1 \u2713"));
    EXPECT_TRUE(has_line("node type 'Company' ", "frags 1 \u2192 1 \u2713 (1 re-indexed)"));
}

INSTANTIATE_TEST_SUITE_P(Backends, OptimizeReindex,
                         ::testing::Values(Backend::kLocal, Backend::kS3), backend_name);

// The format-1 fixture graph (test/e2e/format1_fixture, written before checksums and indexes),
// optimized branch by branch without `storage upgrade`.
class OptimizeFormat1 : public StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        for (const auto& e : fs::recursive_directory_iterator(kFormat1 / "graph"))
            if (e.is_regular_file())
                ASSERT_TRUE(store_->put(fs::relative(e.path(), kFormat1 / "graph").string(),
                                        slurp(e.path())));
    }
};

TEST_P(OptimizeFormat1, SegmentsBecomeCurrentOnEveryBranchOptimized) {
    auto graph = engine::Graph::open(*store_);
    ASSERT_TRUE(graph) << graph.error().to_string();
    for (const std::string branch : {"main", "feature"}) {
        for (const auto& [key, indexed] : head_segments_indexed(*store_, branch))
            EXPECT_FALSE(indexed) << key;
        engine::OptimizeOptions options;
        options.branch = branch;
        auto r = engine::optimize_graph(*store_, *graph, options);
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_TRUE(r->commit) << branch;
        EXPECT_GT(reindexed(*r), 0u);
        EXPECT_TRUE(all_indexed(head_segments_indexed(*store_, branch))) << branch;
    }
    for (const std::string branch : {"main", "feature"}) {
        engine::ExportOptions options;
        options.snapshot.branch = branch;
        std::ostringstream out;
        ASSERT_TRUE(engine::export_graph(*store_, *graph, options, out));
        EXPECT_EQ(out.str(), slurp(kFormat1 / (branch + ".jsonl"))) << branch;
    }
    expect_verified(*store_);
}

INSTANTIATE_TEST_SUITE_P(Backends, OptimizeFormat1,
                         ::testing::Values(Backend::kLocal, Backend::kS3), backend_name);

} // namespace
} // namespace omnigraph::testing
