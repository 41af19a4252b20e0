#include "base/uri.h"

#include <gtest/gtest.h>

namespace omnigraph::base {
namespace {

TEST(Uri, LocalPaths) {
    auto abs = parse_storage_uri("/data/x.omni/");
    ASSERT_TRUE(abs);
    EXPECT_FALSE(abs->is_s3());
    EXPECT_EQ(abs->path, "/data/x.omni");
    EXPECT_EQ(parse_storage_uri("graphs/../g.omni", "/base")->path, "/base/g.omni");
    EXPECT_EQ(parse_storage_uri("./g", "/base/")->path, "/base/g");
    EXPECT_EQ(parse_storage_uri("file:///data/x.omni")->path, "/data/x.omni");
    EXPECT_EQ(parse_storage_uri("file://localhost/data/x")->path, "/data/x");
    EXPECT_EQ(parse_storage_uri("/a/./b//c/..")->to_string(), "/a/b");
}

TEST(Uri, S3BucketAndPrefix) {
    auto u = parse_storage_uri("s3://omnigraph-local/clusters/company-brain/");
    ASSERT_TRUE(u);
    EXPECT_TRUE(u->is_s3());
    EXPECT_EQ(u->bucket, "omnigraph-local");
    EXPECT_EQ(u->prefix, "clusters/company-brain");
    EXPECT_EQ(u->to_string(), "s3://omnigraph-local/clusters/company-brain");
    auto bare = parse_storage_uri("s3://bucket");
    ASSERT_TRUE(bare);
    EXPECT_EQ(bare->prefix, "");
    EXPECT_EQ(bare->join("graphs/k.omni").to_string(), "s3://bucket/graphs/k.omni");
    EXPECT_EQ(u->join("graphs/k.omni").to_string(),
              "s3://omnigraph-local/clusters/company-brain/graphs/k.omni");
}

TEST(Uri, MalformedIsRefusedNeverLocal) {
    for (const char* bad :
         {"s3://", "s3:///x", "gs://bucket/x", "http://host/x", "s3://UPPER/x", "s3://ab",
          "s3://b-1/a//b", "s3://b-1/a/../b", "file://relative/path", "", "   "}) {
        auto r = parse_storage_uri(bad);
        ASSERT_FALSE(r) << bad << " parsed as " << r->to_string();
        EXPECT_TRUE(r.error().is(codes::kInvalidUri)) << bad;
        EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
}

TEST(Uri, NormalizePath) {
    EXPECT_EQ(normalize_path("a/./b/../c"), "a/c");
    EXPECT_EQ(normalize_path("/../a"), "/a");
    EXPECT_EQ(normalize_path("../a"), "../a");
    EXPECT_EQ(normalize_path(""), ".");
}

} // namespace
} // namespace omnigraph::base
