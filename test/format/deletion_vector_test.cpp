// Deletion vector encoding (docs/format/deletion-vector.md).
#include "format/deletion_vector.h"

#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

using format::DeletionVector;

TEST(DeletionVector, RoundTripsAndMerges) {
    DeletionVector dv{1000000, {0, 1, 2, 127, 128, 16384, 999999}};
    auto bytes = format::write_deletion_vector(dv);
    auto back = format::parse_deletion_vector(bytes, "t.dv");
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->segment_rows, dv.segment_rows);
    EXPECT_EQ(back->rows, dv.rows);
    EXPECT_TRUE(back->contains(128));
    EXPECT_FALSE(back->contains(129));
    auto merged = dv.merged_with({5, 2, 5, 999998});
    EXPECT_EQ(merged.rows, (std::vector<uint64_t>{0, 1, 2, 5, 127, 128, 16384, 999998, 999999}));
    auto empty = format::parse_deletion_vector(format::write_deletion_vector({10, {}}), "e");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->rows.empty());
}

TEST(DeletionVector, CorruptionIsDetected) {
    auto bytes = format::write_deletion_vector({100, {3, 50, 99}});
    for (size_t i = 0; i < bytes.size(); ++i) {
        std::string flipped = bytes;
        flipped[i] = static_cast<char>(flipped[i] ^ 0x01);
        auto r = format::parse_deletion_vector(flipped, "x.dv");
        ASSERT_FALSE(r) << "byte " << i;
        EXPECT_TRUE(r.error().is(format::kDeletionVectorCorrupt));
    }
    EXPECT_FALSE(format::parse_deletion_vector(bytes.substr(0, bytes.size() - 1), "x"));
    EXPECT_FALSE(format::parse_deletion_vector("", "x"));
    // A row beyond the segment, even with a valid checksum.
    auto beyond = format::write_deletion_vector({10, {10}});
    auto r = format::parse_deletion_vector(beyond, "x");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("out of range"), std::string::npos);
}

} // namespace
} // namespace omnigraph::testing
