// End to end: checksums as an operator meets them. The reproduction (16 zeroed bytes in
// the middle of a table segment of a 2,000-row graph, then `omnigraph export`) must now fail
// with segment_corrupt naming the object and byte range; a graph of storage format 1 (written by
// the build before checksums, committed under format1_fixture/) still reads, and
// `omnigraph storage upgrade` rewrites it to format 2 with the same rows.
#include "format/segment.h"
#include "test_support.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void spill(const fs::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
}

std::vector<fs::path> files_ending(const fs::path& root, std::string_view suffix) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file() && e.path().string().ends_with(suffix))
            out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(CliIntegrity, ZeroedBytesInASegmentFailExportNamingObjectAndRange) {
    TempDir dir;
    std::string uri = dir.path() + "/g.omni";
    ASSERT_EQ(run_process({omnigraph(), "init", "--schema",
                           source_dir() + "/test/schema/fixtures/test.pg", uri})
                  .exit_code,
              0);
    std::string rows;
    for (int i = 0; i < 2000; ++i)
        rows += "{\"type\":\"Person\",\"data\":{\"name\":\"person-" + std::to_string(i) +
                "\",\"age\":" + std::to_string(20 + i % 60) + "}}\n";
    spill(dir.path() + "/rows.jsonl", rows);
    auto loaded =
        run_process({omnigraph(), "load", "--quiet", "--data", dir.path() + "/rows.jsonl", uri});
    ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
    ASSERT_EQ(run_process({omnigraph(), "export", uri}).exit_code, 0);

    // The largest segment is the Person table's.
    auto segments = files_ending(uri + "/tables", ".seg");
    ASSERT_FALSE(segments.empty());
    fs::path segment = *std::max_element(
        segments.begin(), segments.end(),
        [](const fs::path& a, const fs::path& b) { return fs::file_size(a) < fs::file_size(b); });
    std::string bytes = slurp(segment);
    // The middle of its largest property column (the names): what both reads below touch.
    auto footer = format::parse_segment_footer(bytes, bytes.size());
    ASSERT_TRUE(footer) << footer.error().to_string();
    const format::SegmentColumnInfo* largest = nullptr;
    for (const auto& c : footer->columns)
        if (c.name.starts_with("p:") && (!largest || c.length > largest->length))
            largest = &c;
    ASSERT_NE(largest, nullptr);
    size_t middle = largest->offset + largest->length / 2;
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(middle),
              bytes.begin() + static_cast<std::ptrdiff_t>(middle + 16), '\0');
    spill(segment, bytes);

    auto exported = run_process({omnigraph(), "export", uri});
    EXPECT_NE(exported.exit_code, 0);
    EXPECT_NE(exported.err.find("corrupt segment"), std::string::npos) << exported.err;
    EXPECT_NE(exported.err.find(segment.string()), std::string::npos) << exported.err;
    EXPECT_NE(exported.err.find("fail their checksum"), std::string::npos) << exported.err;
    EXPECT_NE(exported.err.find("bytes ["), std::string::npos) << exported.err;
    // No Person row comes out of the damaged segment.
    EXPECT_EQ(exported.out.find("\"Person\""), std::string::npos) << exported.out.substr(0, 400);
    // A query that reads the table answers the code (the JSON error carries it).
    auto queried = run_process({omnigraph(), "query", "--json", "-e",
                                "query ages() { match { $p: Person } return { $p.name, $p.age } }",
                                "--store", uri});
    EXPECT_EQ(queried.exit_code, 1);
    EXPECT_NE(queried.out.find("\"code\": \"segment_corrupt\""), std::string::npos)
        << queried.out << queried.err;
    EXPECT_NE(queried.out.find(segment.string()), std::string::npos) << queried.out;
    EXPECT_EQ(queried.out.find("person-"), std::string::npos) << queried.out.substr(0, 400);

    // A segment the manifest names that is gone is damage too, not "not found".
    fs::remove(segment);
    auto missing = run_process({omnigraph(), "export", uri});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find(segment.string() + " is referenced by table node:Person version "),
              std::string::npos)
        << missing.err;
    EXPECT_NE(missing.err.find("' but missing"), std::string::npos) << missing.err;
}

// A copy of the format-1 fixture graph in a fresh directory.
std::string format1_copy(const TempDir& dir) {
    std::string uri = dir.path() + "/g.omni";
    fs::copy(source_dir() + "/test/e2e/format1_fixture/graph", uri, fs::copy_options::recursive);
    return uri;
}

std::string fixture_rows(const std::string& branch) {
    return slurp(source_dir() + "/test/e2e/format1_fixture/" + branch + ".jsonl");
}

TEST(CliIntegrity, Format1GraphReadsAndUpgradesWithTheSameRows) {
    TempDir dir;
    std::string uri = format1_copy(dir);
    for (const std::string branch : {"main", "feature"}) {
        auto before = run_process({omnigraph(), "export", uri, "--branch", branch});
        ASSERT_EQ(before.exit_code, 0) << before.err;
        EXPECT_EQ(before.out, fixture_rows(branch)) << branch;
    }
    for (const auto& seg : files_ending(uri, ".seg"))
        EXPECT_TRUE(slurp(seg).ends_with("OGS1"));

    auto upgraded = run_process({omnigraph(), "storage", "upgrade", uri});
    ASSERT_EQ(upgraded.exit_code, 0) << upgraded.err;
    EXPECT_EQ(upgraded.out, "upgraded " + uri +
                                " from storage format 1 to 2: 5 segments rewritten (0 already "
                                "current), 1 deletion vectors checked, 7 records sealed (0 "
                                "already current)\n");
    EXPECT_NE(slurp(uri + "/_format.json").find("\"version\": 2"), std::string::npos);
    for (const auto& seg : files_ending(uri, ".seg")) {
        std::string bytes = slurp(seg);
        EXPECT_TRUE(bytes.ends_with("OGS3")) << seg;
        auto footer = format::parse_segment_footer(bytes, bytes.size());
        ASSERT_TRUE(footer) << footer.error().to_string();
        EXPECT_FALSE(footer->indexes.empty()) << seg << ": key indexes, as a load writes";
    }
    for (const char* prefix : {"/_log", "/_commits", "/_branches"})
        for (const auto& record : files_ending(uri + prefix, ".json"))
            EXPECT_NE(slurp(record).find(",\"checksum\":\"xxh3-64:"), std::string::npos) << record;
    for (const std::string branch : {"main", "feature"}) {
        auto after = run_process({omnigraph(), "export", uri, "--branch", branch});
        ASSERT_EQ(after.exit_code, 0) << after.err;
        EXPECT_EQ(after.out, fixture_rows(branch)) << branch;
    }
    auto commits = run_process({omnigraph(), "commit", "list", uri});
    EXPECT_EQ(commits.exit_code, 0) << commits.err;

    // Idempotent: a second run finds everything current.
    auto again = run_process({omnigraph(), "storage", "upgrade", "--json", uri});
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("\"segments_rewritten\": 0"), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("\"records_rewritten\": 0"), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("\"from_version\": 2"), std::string::npos) << again.out;
}

TEST(CliIntegrity, Format1GraphOptimizedIsReindexedBranchByBranch) {
    TempDir dir;
    std::string uri = format1_copy(dir);
    for (const std::string branch : {"main", "feature"}) {
        auto optimized =
            run_process({omnigraph(), "optimize", "--quiet", "--json", uri, "--branch", branch});
        ASSERT_EQ(optimized.exit_code, 0) << optimized.err;
        EXPECT_EQ(optimized.out.find("\"commit_id\": null"), std::string::npos) << optimized.out;
        EXPECT_NE(optimized.out.find("\"segments_reindexed\": 1"), std::string::npos)
            << optimized.out;
        auto again = run_process({omnigraph(), "optimize", uri, "--branch", branch});
        ASSERT_EQ(again.exit_code, 0) << again.err;
        EXPECT_EQ(again.out.find("re-indexed"), std::string::npos) << again.out;
        EXPECT_EQ(again.out.find("committed version"), std::string::npos) << again.out;
    }
    for (const std::string branch : {"main", "feature"}) {
        auto after = run_process({omnigraph(), "export", uri, "--branch", branch});
        ASSERT_EQ(after.exit_code, 0) << after.err;
        EXPECT_EQ(after.out, fixture_rows(branch)) << branch;
    }
    auto verified = run_process({omnigraph(), "storage", "verify", "--json", uri});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    EXPECT_NE(verified.out.find("\"ok\": true"), std::string::npos) << verified.out;
}

TEST(CliIntegrity, UpgradeRefusesADamagedFormat1ObjectAndKeepsTheStamp) {
    TempDir dir;
    std::string uri = format1_copy(dir);
    // A format-1 chunk carries no checksum, but one that does not decode is not sealed.
    auto segments = files_ending(uri + "/tables", ".seg");
    std::string bytes = slurp(segments.front());
    bytes[0] = static_cast<char>(0x7F); // the first chunk's flags byte: unknown flags
    spill(segments.front(), bytes);
    auto upgraded = run_process({omnigraph(), "storage", "upgrade", "--json", uri});
    EXPECT_EQ(upgraded.exit_code, 1);
    EXPECT_NE(upgraded.out.find("\"code\": \"segment_corrupt\""), std::string::npos)
        << upgraded.out;
    EXPECT_NE(upgraded.out.find(segments.front().string()), std::string::npos) << upgraded.out;
    EXPECT_NE(slurp(uri + "/_format.json").find("\"version\": 1"), std::string::npos);
    auto not_a_graph = run_process({omnigraph(), "storage", "upgrade", dir.path() + "/none"});
    EXPECT_EQ(not_a_graph.exit_code, 1);
    EXPECT_NE(not_a_graph.err.find("no graph at"), std::string::npos) << not_a_graph.err;
}

} // namespace
} // namespace omnigraph::testing
