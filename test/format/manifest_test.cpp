// The manifest log and commit point, on both backends.
#include "../store/store_fixture.h"
#include "base/ulid.h"
#include "format/manifest.h"

#include <atomic>
#include <thread>

namespace omnigraph::testing {
namespace {

using format::CommitRecord;
using format::Manifest;

std::pair<CommitRecord, Manifest> version(std::string branch, uint64_t v,
                                          std::optional<std::string> parent) {
    CommitRecord c;
    c.graph_commit_id = base::new_ulid();
    c.graph_branch = branch;
    c.graph_manifest_version = v;
    c.parent_commit_id = std::move(parent);
    c.actor_id = "andrew";
    c.created_at = 1'700'000'000'000'000 + int64_t(v);
    Manifest m;
    m.version = v;
    m.branch = branch;
    m.commit_id = c.graph_commit_id;
    m.schema_ir_hash = "sha256:abc";
    format::TableEntry t;
    t.table_key = "node:Person";
    t.type_id = 2;
    t.incarnation = 10;
    t.path = format::table_path(2, 10);
    t.row_count = v * 10;
    t.segments.push_back({t.path + "/" + base::new_ulid() + ".seg", v * 10, 1234, std::nullopt, 0});
    m.tables.push_back(t);
    return {c, m};
}

class ManifestLog : public StoreTest {};

TEST_P(ManifestLog, LatestFollowsPublishedVersions) {
    auto none = format::read_latest_manifest(*store_, "main", base::Seal::kRequired);
    ASSERT_TRUE(none) << none.error().to_string();
    EXPECT_FALSE(none->has_value());
    std::optional<std::string> parent;
    for (uint64_t v = 1; v <= 12; ++v) { // crosses a decimal digit boundary: order is numeric
        auto [c, m] = version("main", v, parent);
        ASSERT_TRUE(format::publish(*store_, c, m));
        parent = c.graph_commit_id;
        auto latest = format::read_latest_manifest(*store_, "main", base::Seal::kRequired);
        ASSERT_TRUE(latest && *latest);
        EXPECT_EQ(**latest, m);
    }
    auto v3 = format::read_manifest(*store_, "main", 3, base::Seal::kRequired);
    ASSERT_TRUE(v3);
    EXPECT_EQ(v3->version, 3u);
    auto commit = format::read_commit(*store_, v3->commit_id, base::Seal::kRequired);
    ASSERT_TRUE(commit) << commit.error().to_string();
    EXPECT_EQ(commit->graph_manifest_version, 3u);
    EXPECT_EQ(commit->actor_id, "andrew");
    auto missing = format::read_manifest(*store_, "main", 99, base::Seal::kRequired);
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(codes::kNotFound));
    EXPECT_FALSE(format::read_commit(*store_, "not-a-ulid", base::Seal::kRequired));
}

TEST_P(ManifestLog, BranchesAreSeparateLogsEvenWithSlashes) {
    auto [c1, m1] = version("main", 1, std::nullopt);
    ASSERT_TRUE(format::publish(*store_, c1, m1));
    auto [c2, m2] = version("feature/x", 2, c1.graph_commit_id);
    ASSERT_TRUE(format::publish(*store_, c2, m2));
    EXPECT_EQ((*format::read_latest_manifest(*store_, "main", base::Seal::kRequired))->version, 1u);
    EXPECT_EQ((*format::read_latest_manifest(*store_, "feature/x", base::Seal::kRequired))->version,
              2u);
    EXPECT_FALSE(
        format::read_latest_manifest(*store_, "feature", base::Seal::kRequired)->has_value());
    EXPECT_EQ(format::manifest_key("feature/x", 2).substr(0, 18), "_log/feature%2Fx/1");
}

TEST_P(ManifestLog, RacingWritersForOneVersionHaveOneWinner) {
    auto [c1, m1] = version("main", 1, std::nullopt);
    ASSERT_TRUE(format::publish(*store_, c1, m1));
    std::atomic<int> won{0}, conflicts{0}, errors{0};
    std::vector<std::thread> writers;
    for (int i = 0; i < 8; ++i)
        writers.emplace_back([&, i] {
            auto [c, m] = version("main", 2, c1.graph_commit_id);
            m.tables[0].row_count = uint64_t(100 + i);
            auto r = format::publish(*store_, c, m);
            if (r)
                ++won;
            else if (r.error().is(format::kManifestConflict))
                ++conflicts;
            else
                ++errors;
        });
    for (auto& w : writers)
        w.join();
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(conflicts.load(), 7);
    EXPECT_EQ(errors.load(), 0);
    auto latest = format::read_latest_manifest(*store_, "main", base::Seal::kRequired);
    ASSERT_TRUE(latest && *latest);
    EXPECT_EQ((*latest)->version, 2u);
    // The winner's commit record is readable; losers' records are unreferenced residue.
    EXPECT_TRUE(format::read_commit(*store_, (*latest)->commit_id, base::Seal::kRequired));
}

TEST_P(ManifestLog, DamagedManifestsAreTypedErrors) {
    ASSERT_TRUE(store_->put(format::manifest_key("main", 1), "{not json"));
    auto r = format::read_latest_manifest(*store_, "main", base::Seal::kRequired);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(format::kManifestCorrupt)) << r.error().to_string();
    auto [c, m] = version("main", 2, std::nullopt);
    ASSERT_TRUE(
        store_->put(format::manifest_key("main", 3), format::manifest_text(m))); // wrong key
    auto mismatch = format::read_latest_manifest(*store_, "main", base::Seal::kRequired);
    ASSERT_FALSE(mismatch);
    EXPECT_TRUE(mismatch.error().is(format::kManifestCorrupt));
}

TEST(ManifestText, RoundTripsAndRejectsNonsense) {
    auto [c, m] = version("main", 7, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    auto parsed = format::parse_manifest(format::manifest_text(m), "m", base::Seal::kRequired);
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    EXPECT_EQ(*parsed, m);
    auto commit = format::parse_commit(format::commit_text(c), "c", base::Seal::kRequired);
    ASSERT_TRUE(commit);
    EXPECT_EQ(*commit, c);
    for (const char* bad :
         {"", "[]", "{\"format\":\"omnigraph-manifest\"}", "{\"format\":\"other\"}"}) {
        auto r = format::parse_manifest(bad, "m", base::Seal::kOptional);
        ASSERT_FALSE(r) << bad;
        EXPECT_TRUE(r.error().is(format::kManifestCorrupt));
    }
}

// Storage format 1 wrote these records without a seal; a format-2 graph's reader refuses them.
TEST(ManifestText, UnsealedRecordsReadOnlyWhereSealsAreOptional) {
    auto [c, m] = version("main", 7, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    for (auto [sealed, name] : {std::pair{format::manifest_text(m), "m.json"},
                                std::pair{format::commit_text(c), "c.json"}}) {
        std::string unsealed = sealed.substr(0, sealed.rfind(R"(,"checksum")")) + "}";
        auto read = [&, name = name](base::Seal seal) -> Status {
            if (std::string_view(name) == "m.json")
                OG_CHECK(format::parse_manifest(unsealed, name, seal));
            else
                OG_CHECK(format::parse_commit(unsealed, name, seal));
            return ok();
        };
        EXPECT_TRUE(read(base::Seal::kOptional)) << name;
        auto refused = read(base::Seal::kRequired);
        ASSERT_FALSE(refused) << name;
        EXPECT_TRUE(refused.error().is(format::kManifestCorrupt));
        EXPECT_EQ(refused.error().message,
                  "corrupt " + std::string(name) +
                      ": has no checksum; storage format 2 records are sealed");
    }
}

INSTANTIATE_TEST_SUITE_P(Backends, ManifestLog, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing

namespace omnigraph::testing {
namespace {

// Found by fuzzing: a float where an integer belongs must be refused, not converted (UB).
TEST(ManifestFuzzRegressions, FloatsWhereIntegersBelongAreCorrupt) {
    for (
        const char* text :
        {R"({"format":"omnigraph-manifest","version":1.2222e82,"branch":"main","commit_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","schema_ir_hash":"h","tables":[]})",
         R"({"format":"omnigraph-manifest","version":-1,"branch":"main","commit_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","schema_ir_hash":"h","tables":[]})"}) {
        auto m = format::parse_manifest(text, "m.json", base::Seal::kOptional);
        ASSERT_FALSE(m) << text;
        EXPECT_TRUE(m.error().is(format::kManifestCorrupt));
    }
    auto c = format::parse_commit(
        R"({"graph_commit_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV","graph_branch":"main","graph_manifest_version":3.5,"parent_commit_id":null,"merged_parent_commit_id":null,"actor_id":null,"message":null,"created_at":1e300})",
        "c.json", base::Seal::kOptional);
    EXPECT_FALSE(c);
}

} // namespace
} // namespace omnigraph::testing
