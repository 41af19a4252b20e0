// upgrade_storage() on both backends: the format-1 fixture graph (test/e2e/format1_fixture,
// written by the build before checksums) copied into a fresh root reads, upgrades to format 2
// with the same rows on every branch and every segment indexed as a load indexes it, and a
// second run finds everything current.
#include "../store/store_fixture.h"
#include "engine/export.h"
#include "engine/graph.h"
#include "engine/storage_upgrade.h"
#include "format/segment.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <sstream>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

const fs::path kFixture = fs::path(source_dir()) / "test/e2e/format1_fixture";

class StorageUpgrade : public StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        for (const auto& e : fs::recursive_directory_iterator(kFixture / "graph"))
            if (e.is_regular_file())
                ASSERT_TRUE(store_->put(fs::relative(e.path(), kFixture / "graph").string(),
                                        slurp(e.path())));
    }

    std::string exported(const std::string& branch) {
        auto graph = engine::Graph::open(*store_);
        EXPECT_TRUE(graph) << graph.error().to_string();
        if (!graph)
            return "";
        engine::ExportOptions options;
        options.snapshot.branch = branch;
        std::ostringstream out;
        auto rows = engine::export_graph(*store_, *graph, options, out);
        EXPECT_TRUE(rows) << rows.error().to_string();
        return out.str();
    }
};

TEST_P(StorageUpgrade, Format1ReadsThenUpgradesWithTheSameRows) {
    for (const std::string branch : {"main", "feature"})
        EXPECT_EQ(exported(branch), slurp(kFixture / (branch + ".jsonl"))) << branch;
    auto report = engine::upgrade_storage(*store_);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->from_version, 1);
    EXPECT_EQ(report->segments_rewritten, 5u);
    EXPECT_EQ(report->deletion_vectors_checked, 1u);
    EXPECT_EQ(report->records_rewritten, 7u);
    EXPECT_NE(store_->read(engine::kFormatKey)->find("\"version\": 2"), std::string::npos);
    auto tables = store_->list_all("tables/");
    ASSERT_TRUE(tables);
    // Current segments: format 3 with the key indexes of their table's kind, as a load writes.
    std::map<std::string, bool> edge_table; // table path -> whether it holds edges
    auto graph = engine::Graph::open(*store_);
    ASSERT_TRUE(graph) << graph.error().to_string();
    for (const std::string branch : {"main", "feature"}) {
        auto head = graph->head(branch);
        ASSERT_TRUE(head) << head.error().to_string();
        for (const auto& table : head->tables)
            edge_table[table.path] = table.table_key.starts_with("edge:");
    }
    uint64_t edge_segments = 0;
    for (const auto& meta : *tables) {
        if (!meta.key.ends_with(".seg"))
            continue;
        EXPECT_TRUE(store_->read(meta.key)->ends_with("OGS3")) << meta.key;
        auto reader = format::SegmentReader::open(*store_, meta.key);
        ASSERT_TRUE(reader) << reader.error().to_string();
        auto table = edge_table.find(meta.key.substr(0, meta.key.rfind('/')));
        ASSERT_NE(table, edge_table.end()) << meta.key;
        EXPECT_TRUE(format::has_key_indexes(reader->footer(), table->second)) << meta.key;
        edge_segments += table->second;
    }
    EXPECT_GT(edge_segments, 0u);
    for (const std::string branch : {"main", "feature"})
        EXPECT_EQ(exported(branch), slurp(kFixture / (branch + ".jsonl"))) << branch;
    auto again = engine::upgrade_storage(*store_);
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_EQ(again->from_version, 2);
    EXPECT_EQ(again->segments_rewritten + again->records_rewritten, 0u);
    EXPECT_EQ(again->segments_current, 5u);
    EXPECT_EQ(again->records_current, 7u);
}

TEST_P(StorageUpgrade, AnInterruptedRunIsFinishedByTheNext) {
    // As if a run stopped after rewriting the segments: the manifests still name the old sizes.
    auto tables = store_->list_all("tables/");
    ASSERT_TRUE(tables);
    for (const auto& meta : *tables) {
        if (!meta.key.ends_with(".seg"))
            continue;
        auto upgraded = format::upgrade_segment(*store_->read(meta.key));
        ASSERT_TRUE(upgraded && *upgraded);
        ASSERT_TRUE(store_->put(meta.key, **upgraded));
    }
    auto report = engine::upgrade_storage(*store_);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->segments_current, 5u);
    EXPECT_EQ(report->records_rewritten, 7u);
    for (const std::string branch : {"main", "feature"})
        EXPECT_EQ(exported(branch), slurp(kFixture / (branch + ".jsonl"))) << branch;
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageUpgrade, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
