// verify_graph against stores that fail or lose objects between the listing and the read: a
// storage failure stops the walk with that error, a vanished object is missing, and the bytes the
// readers fetched are counted. (The damaged-object cases run end to end in
// test/e2e/cli_storage_verify_test.cpp, on local disk and S3.)
#include "engine/verify.h"
#include "engine_fixture.h"
#include "store/fault_injecting_store.h"

namespace omnigraph::testing {
namespace {

class Verify : public EngineTest {
  protected:
    // A second handle on the same root whose reads under `prefix` fail with `code`.
    std::unique_ptr<store::FaultInjectingStore> failing(const std::string& prefix,
                                                        std::string_view code) {
        auto inner = open_store_at(uri_);
        EXPECT_TRUE(inner) << inner.error().message;
        auto faulty = std::make_unique<store::FaultInjectingStore>(std::move(*inner));
        store::FaultRule rule;
        rule.ops = static_cast<unsigned>(store::StoreOp::kGet);
        rule.key_prefix = prefix;
        rule.repeat = true;
        rule.error = Error(code, "injected");
        faulty->add_rule(rule);
        return faulty;
    }
};

TEST_P(Verify, CleanGraphCountsWhatItRead) {
    auto report = engine::verify_graph(*store_);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_TRUE(report->ok());
    EXPECT_TRUE(report->unreferenced.empty());
    EXPECT_EQ(report->counts.at("manifests"), 2u);
    EXPECT_EQ(report->counts.at("commits"), 2u);
    EXPECT_EQ(report->counts.at("segments"), 4u); // one per table of the fixture
    // Every segment byte is read once: the footer, then each chunk.
    uint64_t segment_bytes = 0;
    auto segments = store_->list_all("tables/");
    ASSERT_TRUE(segments);
    for (const auto& meta : *segments)
        segment_bytes += meta.size;
    EXPECT_GE(report->bytes_read, segment_bytes);
}

TEST_P(Verify, StorageFailureStopsTheWalk) {
    auto faulty = failing("tables/", codes::kStorageUnavailable);
    auto report = engine::verify_graph(*faulty);
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, codes::kStorageUnavailable);
}

TEST_P(Verify, ObjectVanishedAfterTheListingIsMissing) {
    auto faulty = failing("_commits/", codes::kNotFound);
    auto report = engine::verify_graph(*faulty);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_FALSE(report->ok());
    ASSERT_EQ(report->missing.size(), 2u); // both commits
    EXPECT_TRUE(report->missing[0].key.starts_with("_commits/"));
    EXPECT_TRUE(report->missing[0].referenced_by.starts_with("_log/main/"));
}

TEST_P(Verify, AStrayLogKeyWithAnAbsurdVersionIsBounded) {
    // inv = 1: version 2^64 - 2, so a gap of almost 2^64 versions after main's head.
    std::string stray = "_log/main/00000000000000000001.json";
    ASSERT_TRUE(store_->put(stray, "{}"));
    auto report = engine::verify_graph(*store_);
    ASSERT_TRUE(report) << report.error().to_string();
    EXPECT_EQ(report->missing.size(), 1000u); // listed up to the cap, then the walk goes on
    EXPECT_EQ(report->missing.front().key, format::manifest_key("main", 3));
    EXPECT_EQ(report->missing.front().referenced_by, stray);
    ASSERT_EQ(report->corrupt.size(), 1u);
    EXPECT_EQ(report->corrupt[0].key, stray);
    EXPECT_EQ(report->corrupt[0].code, format::kManifestCorrupt);
}

TEST_P(Verify, EmptyRootIsNotFound) {
    auto empty = open_store_at(uri_ + "-empty");
    ASSERT_TRUE(empty);
    auto report = engine::verify_graph(**empty);
    ASSERT_FALSE(report);
    EXPECT_EQ(report.error().code, codes::kNotFound);
}

// Local only: the walk is backend-neutral and the e2e suite runs it on S3.
INSTANTIATE_TEST_SUITE_P(Backends, Verify, ::testing::Values(Backend::kLocal), backend_name);

} // namespace
} // namespace omnigraph::testing
