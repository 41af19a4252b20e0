// S3-specific behaviour: configuration errors, unreachable endpoints, retries and the
// ambiguous-write check, against the s3rver harness (which verifies our signatures).
#include "store_fixture.h"

#include <chrono>

namespace omnigraph::testing {
namespace {

base::StorageUri s3_uri(const std::string& text) {
    return *base::parse_storage_uri(text);
}

TEST(S3Store, MissingCredentialsIsAConfigurationErrorNamingTheUri) {
    store::S3Config config;
    config.endpoint = "http://127.0.0.1:9";
    auto r = store::S3Store::open(s3_uri("s3://bucket-x/graphs"), config);
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageConfiguration));
    EXPECT_NE(r.error().message.find("s3://bucket-x/graphs"), std::string::npos);
    EXPECT_NE(r.error().message.find("AWS_ACCESS_KEY_ID"), std::string::npos);
}

TEST(S3Store, BadEndpointIsAConfigurationError) {
    store::S3Config config;
    config.credentials = {"a", "b", {}};
    for (const char* endpoint : {"127.0.0.1:9000", "ftp://host", "http://"}) {
        config.endpoint = endpoint;
        auto r = store::S3Store::open(s3_uri("s3://bucket-x"), config);
        ASSERT_FALSE(r) << endpoint;
        EXPECT_TRUE(r.error().is(codes::kStorageConfiguration)) << endpoint;
    }
}

TEST(S3Store, UnreachableEndpointFailsBoundedAsUnavailable) {
    store::S3Config config;
    config.endpoint = "http://127.0.0.1:1"; // nothing listens on port 1
    config.credentials = {"a", "b", {}};
    config.max_attempts = 3;
    config.base_backoff_ms = 10;
    config.max_backoff_ms = 40;
    auto opened = store::S3Store::open(s3_uri("s3://bucket-x/p"), config);
    ASSERT_TRUE(opened);
    auto start = std::chrono::steady_clock::now();
    auto r = (*opened)->get("k");
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageUnavailable)) << r.error().message;
    EXPECT_NE(r.error().message.find("s3://bucket-x/p/k"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("3 attempts"), std::string::npos) << r.error().message;
    EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST(S3Store, WrongSecretIsRejectedByTheServersSignatureCheck) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    auto config = server.config();
    config.credentials.secret_access_key = "not-the-secret";
    auto opened = store::S3Store::open(s3_uri(unique_s3_uri("sig")), config);
    ASSERT_TRUE(opened);
    auto r = (*opened)->put("k", "v");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageConfiguration)) << r.error().message;
    EXPECT_NE(r.error().message.find("SignatureDoesNotMatch"), std::string::npos)
        << r.error().message;
}

TEST(S3Store, MissingBucketIsAConfigurationError) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    auto opened = store::S3Store::open(s3_uri("s3://no-such-bucket/p"), server.config());
    ASSERT_TRUE(opened);
    auto r = (*opened)->put("k", "v");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageConfiguration)) << r.error().message;
    EXPECT_NE(r.error().message.find("no-such-bucket"), std::string::npos);
    auto removed = (*opened)->remove("k");
    ASSERT_FALSE(removed);
    EXPECT_TRUE(removed.error().is(codes::kStorageConfiguration)) << removed.error().message;
    auto swapped = (*opened)->put_if_match("k", "v", "\"etag\"");
    ASSERT_FALSE(swapped);
    EXPECT_TRUE(swapped.error().is(codes::kStorageConfiguration)) << swapped.error().message;
}

class S3Faults : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_TRUE(server_.ok()) << server_.error();
        uri_ = s3_uri(unique_s3_uri("faults"));
        auto opened = store::S3Store::open(uri_, server_.config());
        ASSERT_TRUE(opened);
        store_ = std::move(*opened);
    }
    std::string path_of(const std::string& key) const {
        return "/" + uri_.bucket + "/" + uri_.prefix + "/" + key;
    }
    S3TestServer& server_ = S3TestServer::instance();
    base::StorageUri uri_;
    std::unique_ptr<store::S3Store> store_;
};

TEST_F(S3Faults, ServerErrorsAreRetried) {
    server_.inject_fault(path_of("retried"), 503, 2);
    auto r = store_->put("retried", "value");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(server_.fault_hits(path_of("retried")), 2);
    EXPECT_EQ(*store_->read("retried"), "value");
}

TEST_F(S3Faults, PersistentServerErrorsGiveUpAsUnavailable) {
    server_.inject_fault(path_of("down"), 500, 100);
    auto r = store_->get("down");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageUnavailable)) << r.error().message;
    EXPECT_EQ(server_.fault_hits(path_of("down")), server_.config().max_attempts);
}

TEST_F(S3Faults, ClientErrorsAreNotRetried) {
    server_.inject_fault(path_of("bad"), 400, 5);
    auto r = store_->get("bad");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageIo)) << r.error().message;
    EXPECT_EQ(server_.fault_hits(path_of("bad")), 1);
}

TEST_F(S3Faults, NotImplementedIsAConfigurationErrorWithoutRetries) {
    server_.inject_fault(path_of("nope"), 501, 5);
    auto r = store_->put_if_absent("nope", "v");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageConfiguration)) << r.error().message;
    EXPECT_EQ(server_.fault_hits(path_of("nope")), 1);
}

TEST(S3Store, RefusedHttpsConnectionIsTransient) {
    store::S3Config config;
    config.endpoint = "https://127.0.0.1:1"; // refused: transient, retried
    config.credentials = {"a", "b", {}};
    config.max_attempts = 2;
    config.base_backoff_ms = 1;
    auto opened = store::S3Store::open(s3_uri("s3://bucket-x/p"), config);
    ASSERT_TRUE(opened);
    auto r = (*opened)->get("k");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageUnavailable)) << r.error().message;
}

TEST_F(S3Faults, CreateThatLandedButLostItsReplyIsASuccess) {
    // The first PUT is applied, then answered 500; the retry meets 412 and must recognize its
    // own bytes instead of reporting a lost race.
    server_.inject_fault(path_of("claim"), 500, 1, /*apply=*/true);
    auto r = store_->put_if_absent("claim", "mine");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*store_->read("claim"), "mine");
    // Someone else's object is still a lost race.
    auto other = store_->put_if_absent("claim", "theirs");
    ASSERT_FALSE(other);
    EXPECT_TRUE(other.error().is(codes::kPreconditionFailed));
}

TEST_F(S3Faults, ConditionalDeleteIsADeleteWithIfMatch) {
    auto v1 = store_->put("lock", "1");
    ASSERT_TRUE(v1);
    server_.inject_fault(path_of("lock"), 400, 1, false, "DELETE");
    auto failed = store_->remove_if_match("lock", v1->version);
    ASSERT_FALSE(failed);
    EXPECT_TRUE(failed.error().is(codes::kStorageIo)) << failed.error().message;
    EXPECT_EQ(server_.fault_hits(path_of("lock")), 1) << "only the DELETE met the fault";
    EXPECT_TRUE(*store_->exists("lock"));
    auto stale = store_->remove_if_match("lock", "\"0123456789abcdef0123456789abcdef\"");
    ASSERT_FALSE(stale);
    EXPECT_TRUE(stale.error().is(codes::kPreconditionFailed)) << stale.error().message;
    ASSERT_EQ(stale.error().details.size(), 2u);
    EXPECT_EQ(stale.error().details[1].second, v1->version) << "the actual version";
    EXPECT_TRUE(store_->remove_if_match("lock", v1->version));
    EXPECT_FALSE(*store_->exists("lock"));
}

TEST_F(S3Faults, ConditionalDeleteThatLandedButLostItsReplyIsASuccess) {
    auto v1 = store_->put("lock", "1");
    ASSERT_TRUE(v1);
    // The first DELETE is applied, then answered 503; the retry finds nothing and succeeds.
    server_.inject_fault(path_of("lock"), 503, 1, /*apply=*/true);
    auto r = store_->remove_if_match("lock", v1->version);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(server_.fault_hits(path_of("lock")), 1);
    EXPECT_FALSE(*store_->exists("lock"));
}

TEST_F(S3Faults, SwapThatLandedButLostItsReplyIsASuccess) {
    auto v1 = store_->put("ledger", "1");
    ASSERT_TRUE(v1);
    server_.inject_fault(path_of("ledger"), 503, 1, /*apply=*/true);
    auto r = store_->put_if_match("ledger", "2", v1->version);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(*store_->read("ledger"), "2");
}

} // namespace
} // namespace omnigraph::testing
