// The providers against the fake embedding server on 127.0.0.1: request shapes, batching,
// retries and backoff on 429/5xx, timeouts, malformed answers, secrets never in messages; the
// mock provider's function; the cached query embedder.
#include "embed/embedder.h"
#include "embed/errors.h"
#include "embed/query_embedding.h"
#include "fake_embedding_server.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace omnigraph::embed {
namespace {

using testing::FakeEmbeddingServer;
using Fault = FakeEmbeddingServer::Fault;

constexpr const char* kKeyVar = "OG_TEST_FAKE_EMBED_KEY";
constexpr const char* kKey = "sk-test-0123456789-do-not-print";

class Providers : public ::testing::Test {
  protected:
    void SetUp() override { ::setenv(kKeyVar, kKey, 1); }
    void TearDown() override { ::unsetenv(kKeyVar); }

    ProviderConfig config(ProviderKind kind) const {
        ProviderConfig c;
        c.name = "provider.embedding.test";
        c.kind = kind;
        c.base_url = kind == ProviderKind::kGemini ? server.gemini_base() : server.openai_base();
        c.model = "test-model";
        c.api_key = std::string("${") + kKeyVar + "}";
        c.batch_size = 2;
        c.timeout_ms = 2000;
        c.max_retries = 2;
        c.backoff_ms = 50;
        return c;
    }
    std::shared_ptr<Embedder> make(const ProviderConfig& c) const {
        auto e = make_embedder(c);
        EXPECT_TRUE(e);
        return *e;
    }
    static void expect_no_secret(const Error& e) {
        EXPECT_EQ(e.to_string().find(kKey), std::string::npos) << e.to_string();
        for (const auto& [k, v] : e.details)
            EXPECT_EQ(v.find(kKey), std::string::npos);
    }

    FakeEmbeddingServer server{kKey};
    std::vector<std::string> texts{"alpha", "beta", "gamma", "delta", "epsilon"};
};

TEST(MockEmbedding, FollowsItsDocumentedFunction) {
    // Values computed independently (Python hashlib) from the function in embed/embedder.h.
    auto v = mock_embedding("mock", "hello", 4);
    const double want[] = {-0.4206876651963341, 0.8539274276125028, -0.25063030943783726,
                           0.1761087298058911};
    ASSERT_EQ(v.size(), 4u);
    for (size_t i = 0; i < 4; ++i)
        EXPECT_NEAR(v[i], want[i], 1e-6);
    auto w = mock_embedding("fake", "a b", 10);
    EXPECT_NEAR(w[0], 0.41190956673800777, 1e-6);
    EXPECT_NEAR(w[2], 0.3606939674433308, 1e-6);
    double norm = 0;
    for (float x : mock_embedding("m", "t", 3072))
        norm += double(x) * x;
    EXPECT_NEAR(norm, 1.0, 1e-4);
    EXPECT_EQ(mock_embedding("m", "t", 8), mock_embedding("m", "t", 8));
    EXPECT_NE(mock_embedding("m", "t", 8), mock_embedding("m", "u", 8));
    EXPECT_NE(mock_embedding("m", "t", 8), mock_embedding("n", "t", 8));
}

TEST_F(Providers, OpenAiCompatibleBatchesAndPlacesByIndex) {
    auto e = make(config(ProviderKind::kOpenAiCompatible));
    auto v = e->embed(texts, 4, Purpose::kDocument);
    ASSERT_TRUE(v) << v.error().to_string();
    ASSERT_EQ(v->size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i)
        EXPECT_EQ((*v)[i], mock_embedding("fake", texts[i], 4)) << i;
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 3u); // batches of 2, 2, 1
    EXPECT_EQ(reqs[0].path, "/v1/embeddings");
    EXPECT_EQ(reqs[0].authorization, std::string("Bearer ") + kKey);
    auto body = nlohmann::json::parse(reqs[0].body);
    EXPECT_EQ(body["model"], "test-model");
    EXPECT_EQ(body["input"], nlohmann::json::array({"alpha", "beta"}));
    EXPECT_FALSE(body.contains("dimensions")); // only the openai kind asks for a size
}

TEST_F(Providers, OpenAiSendsDimensions) {
    auto e = make(config(ProviderKind::kOpenAi));
    auto v = e->embed(std::vector<std::string>{"x"}, 6, Purpose::kDocument);
    ASSERT_TRUE(v) << v.error().to_string();
    EXPECT_EQ((*v)[0], mock_embedding("fake", "x", 6));
    EXPECT_EQ(nlohmann::json::parse(server.requests()[0].body)["dimensions"], 6);
}

TEST_F(Providers, GeminiBatchEmbedContents) {
    auto e = make(config(ProviderKind::kGemini));
    auto v = e->embed(std::vector<std::string>{"q1", "q2"}, 5, Purpose::kQuery);
    ASSERT_TRUE(v) << v.error().to_string();
    EXPECT_EQ((*v)[1], mock_embedding("fake", "q2", 5));
    auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].path, "/v1beta/models/test-model:batchEmbedContents");
    EXPECT_EQ(reqs[0].goog_key, kKey);
    EXPECT_TRUE(reqs[0].authorization.empty());
    auto body = nlohmann::json::parse(reqs[0].body);
    EXPECT_EQ(body["requests"][0]["model"], "models/test-model");
    EXPECT_EQ(body["requests"][0]["taskType"], "RETRIEVAL_QUERY");
    EXPECT_EQ(body["requests"][1]["outputDimensionality"], 5);
    EXPECT_EQ(body["requests"][1]["content"]["parts"][0]["text"], "q2");
}

TEST_F(Providers, RetriesTooManyRequestsAndServerErrorsWithBackoff) {
    auto e = make(config(ProviderKind::kOpenAiCompatible));
    server.push_fault(Fault::kTooMany);
    server.push_fault(Fault::kServerError);
    auto start = std::chrono::steady_clock::now();
    auto v = e->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    ASSERT_TRUE(v) << v.error().to_string();
    EXPECT_EQ(server.request_count(), 3u);
    EXPECT_GE(ms, 50 + 100); // backoff 50 ms, then doubled
}

TEST_F(Providers, HonoursRetryAfter) {
    auto e = make(config(ProviderKind::kOpenAiCompatible));
    server.push_fault(Fault::kTooManyRetryAfter1s);
    auto start = std::chrono::steady_clock::now();
    auto v = e->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument);
    ASSERT_TRUE(v) << v.error().to_string();
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

TEST_F(Providers, GivesUpAfterTheRetries) {
    auto e = make(config(ProviderKind::kGemini));
    server.push_fault(Fault::kServerError, 3);
    auto v = e->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, kProviderUnavailable);
    EXPECT_NE(v.error().message.find("3 attempts"), std::string::npos) << v.error().message;
    EXPECT_NE(v.error().message.find("HTTP 500"), std::string::npos);
    EXPECT_EQ(server.request_count(), 3u);
    expect_no_secret(v.error());
}

TEST_F(Providers, TimesOutASlowProvider) {
    auto c = config(ProviderKind::kOpenAiCompatible);
    c.timeout_ms = 200;
    c.max_retries = 1;
    server.slow_ms = 1500;
    server.push_fault(Fault::kSlow, 2);
    auto start = std::chrono::steady_clock::now();
    auto v = make(c)->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, kProviderUnavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1400));
    // A slow answer within the timeout is fine.
    c.timeout_ms = 3000;
    server.slow_ms = 300;
    server.push_fault(Fault::kSlow);
    EXPECT_TRUE(make(c)->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument));
}

TEST_F(Providers, MalformedAnswersAreNotRetried) {
    auto e = make(config(ProviderKind::kOpenAiCompatible));
    server.push_fault(Fault::kMalformed);
    auto v = e->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, kResponseInvalid);
    EXPECT_EQ(server.request_count(), 1u);
    server.push_fault(Fault::kWrongDim);
    auto d = e->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, kDimensionMismatch);
    EXPECT_NE(d.error().message.find("5 values where 4"), std::string::npos) << d.error().message;
}

TEST_F(Providers, RefusalsNeverShowTheKey) {
    ::setenv(kKeyVar, "sk-wrong-key-also-secret", 1);
    auto e = make(config(ProviderKind::kOpenAi));
    auto v = e->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, kProviderRejected);
    EXPECT_NE(v.error().message.find("HTTP 401"), std::string::npos);
    // The fake echoes the presented key in its body; the message blots it out.
    EXPECT_EQ(v.error().message.find("sk-wrong-key-also-secret"), std::string::npos)
        << v.error().message;
    EXPECT_EQ(server.request_count(), 1u); // a 401 is not retried
}

TEST_F(Providers, MissingSecretNamesTheVariable) {
    ::unsetenv(kKeyVar);
    auto v = make(config(ProviderKind::kOpenAi))
                 ->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, kApiKeyMissing);
    EXPECT_NE(v.error().message.find(kKeyVar), std::string::npos);
    EXPECT_EQ(server.request_count(), 0u);
}

TEST_F(Providers, UnreachableProvider) {
    auto c = config(ProviderKind::kOpenAiCompatible);
    c.base_url = "http://127.0.0.1:1/v1"; // nothing listens on port 1
    c.max_retries = 1;
    auto v = make(c)->embed(std::vector<std::string>{"x"}, 4, Purpose::kDocument);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, kProviderUnavailable);
}

TEST_F(Providers, QueryEmbedderCachesAndChecksTheModel) {
    QueryEmbedder q(make(config(ProviderKind::kOpenAiCompatible)));
    auto a = q.embed_query("what is rust", 4, std::nullopt, "Doc.embedding");
    ASSERT_TRUE(a) << a.error().to_string();
    auto b = q.embed_query("what is rust", 4, std::string("test-model"), "Doc.embedding");
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, *b);
    EXPECT_EQ(server.request_count(), 1u); // the second came from the cache
    EXPECT_EQ(q.cached(), 1u);
    auto other = q.embed_query("what is rust", 4, std::string("model-b"), "Doc.embedding");
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, kModelMismatch);
    EXPECT_NE(other.error().message.find("model-b"), std::string::npos);

    QueryEmbedder none(nullptr);
    auto missing = none.embed_query("x", 4, std::nullopt, "Doc.embedding");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, kProviderMissing);
}

TEST(QueryEmbedderCache, DropsTheLeastRecentlyUsed) {
    ProviderConfig c;
    c.kind = ProviderKind::kMock;
    c.model = "mock";
    QueryEmbedder q(*make_embedder(c), 2);
    for (const char* t : {"a", "b", "a", "c"})
        ASSERT_TRUE(q.embed_query(t, 3, std::nullopt, "D.v"));
    EXPECT_EQ(q.cached(), 2u);
}

} // namespace
} // namespace omnigraph::embed
