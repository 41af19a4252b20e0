// End to end: the built `omnigraph` binary, driven as an operator would.
#include "test_support.h"

#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}

TEST(CliVersion, PrintsSemver) {
    for (const char* flag : {"--version", "-v"}) {
        auto r = run_process({omnigraph(), flag});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_EQ(r.out, "omnigraph 0.1.0\n");
    }
    auto r = run_process({omnigraph(), "version"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "omnigraph 0.1.0\nstorage-format 2\n");
}

TEST(CliUsage, UnknownFlagsAndVerbsExitTwo) {
    EXPECT_EQ(run_process({omnigraph(), "--no-such-flag"}).exit_code, 2);
    EXPECT_EQ(run_process({omnigraph(), "frobnicate"}).exit_code, 2);
    EXPECT_EQ(run_process({omnigraph(), "storage", "check"}).exit_code, 2);
}

TEST(CliStorageCheck, LocalRootPasses) {
    TempDir dir;
    auto r = run_process({omnigraph(), "storage", "check", dir.path() + "/x.omni"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("storage check passed"), std::string::npos) << r.out;
}

TEST(CliStorageCheck, S3RootPassesWithJson) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    auto r = run_process({omnigraph(), "storage", "check", "--json", unique_s3_uri("cli")},
                         server.environment());
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("\"passed\": true"), std::string::npos) << r.out;
}

TEST(CliStorageCheck, BadUrisAreRefusedClearly) {
    auto gs = run_process({omnigraph(), "storage", "check", "gs://bucket/x"});
    EXPECT_EQ(gs.exit_code, 1);
    EXPECT_NE(gs.err.find("unsupported scheme 'gs://'"), std::string::npos) << gs.err;
    auto json = run_process({omnigraph(), "storage", "check", "--json", "gs://bucket/x"});
    EXPECT_EQ(json.exit_code, 1);
    EXPECT_NE(json.out.find("\"code\": \"invalid_uri\""), std::string::npos) << json.out;
    auto empty_bucket = run_process({omnigraph(), "storage", "check", "s3:///x"});
    EXPECT_EQ(empty_bucket.exit_code, 1);
    EXPECT_NE(empty_bucket.err.find("missing bucket"), std::string::npos) << empty_bucket.err;
}

TEST(CliStorageCheck, MissingCredentialsNameTheUri) {
    auto r = run_process({omnigraph(), "storage", "check", "s3://og-test/x"},
                         {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("s3://og-test/x"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("AWS_ACCESS_KEY_ID"), std::string::npos) << r.err;
}

TEST(CliStorageCheck, UnreachableEndpointIsBoundedAndTyped) {
    auto r = run_process({omnigraph(), "storage", "check", "s3://og-test/x"},
                         {{"AWS_ACCESS_KEY_ID", "a"},
                          {"AWS_SECRET_ACCESS_KEY", "b"},
                          {"AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1"},
                          {"OMNIGRAPH_S3_MAX_ATTEMPTS", "2"}});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.out.find("storage_unavailable"), std::string::npos) << r.out << r.err;
}

} // namespace
} // namespace omnigraph::testing
