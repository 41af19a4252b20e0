// The worked examples of the AWS S3 SigV4 documentation ("Examples: Signature Calculations").
#include "store/sigv4.h"

#include <gtest/gtest.h>

namespace omnigraph::store {
namespace {

const SigV4Credentials kDocCredentials{"AKIAIOSFODNN7EXAMPLE",
                                       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* kEmptySha =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string authorization(const std::vector<std::pair<std::string, std::string>>& headers) {
    for (const auto& [k, v] : headers)
        if (k == "authorization")
            return v;
    return {};
}

TEST(SigV4, GetObjectWithRange) {
    SigV4Request r{"GET",
                   "examplebucket.s3.amazonaws.com",
                   "/test.txt",
                   {},
                   {{"range", "bytes=0-9"}},
                   kEmptySha,
                   "20130524T000000Z"};
    EXPECT_EQ(authorization(sign_v4(r, kDocCredentials, "us-east-1")),
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
              "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObjectWithEncodedPath) {
    SigV4Request r{
        "PUT",
        "examplebucket.s3.amazonaws.com",
        "/" + uri_encode("test$file.text", true),
        {},
        {{"date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
        "20130524T000000Z"};
    EXPECT_EQ(r.canonical_path, "/test%24file.text");
    EXPECT_NE(
        authorization(sign_v4(r, kDocCredentials, "us-east-1"))
            .find("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        std::string::npos);
}

TEST(SigV4, GetBucketLifecycleWithEmptyQueryValue) {
    SigV4Request r{"GET",
                   "examplebucket.s3.amazonaws.com",
                   "/",
                   {{"lifecycle", ""}},
                   {},
                   kEmptySha,
                   "20130524T000000Z"};
    EXPECT_NE(
        authorization(sign_v4(r, kDocCredentials, "us-east-1"))
            .find("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        std::string::npos);
}

TEST(SigV4, ListObjectsWithSortedQuery) {
    SigV4Request r{"GET",
                   "examplebucket.s3.amazonaws.com",
                   "/",
                   {{"prefix", "J"}, {"max-keys", "2"}},
                   {},
                   kEmptySha,
                   "20130524T000000Z"};
    EXPECT_NE(
        authorization(sign_v4(r, kDocCredentials, "us-east-1"))
            .find("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
        std::string::npos);
}

TEST(SigV4, SessionTokenIsSignedAndSent) {
    SigV4Credentials with_token = kDocCredentials;
    with_token.session_token = "token/with+chars";
    SigV4Request r{"GET", "h", "/k", {}, {}, kEmptySha, "20130524T000000Z"};
    auto headers = sign_v4(r, with_token, "eu-west-1");
    bool sent = false;
    for (const auto& [k, v] : headers)
        sent |= (k == "x-amz-security-token" && v == "token/with+chars");
    EXPECT_TRUE(sent);
    EXPECT_NE(authorization(headers).find("x-amz-security-token"), std::string::npos);
    EXPECT_NE(authorization(headers).find("/eu-west-1/s3/aws4_request"), std::string::npos);
}

TEST(SigV4, UriEncoding) {
    EXPECT_EQ(uri_encode("a b/c~d", true), "a%20b/c~d");
    EXPECT_EQ(uri_encode("a b/c", false), "a%20b%2Fc");
    EXPECT_EQ(uri_encode("ü", false), "%C3%BC");
    EXPECT_EQ(canonical_query({{"b", "2"}, {"a", "x y"}, {"continuation-token", "a/b="}}),
              "a=x%20y&b=2&continuation-token=a%2Fb%3D");
}

} // namespace
} // namespace omnigraph::store
