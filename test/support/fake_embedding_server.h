// A fake embedding provider for tests, on 127.0.0.1 (an ephemeral port), in this process:
//   POST /v1/embeddings                          the OpenAI shape (openai, openai-compatible)
//   POST /v1beta/models/{model}:batchEmbedContents   Gemini's shape
// It answers with mock_embedding("fake", text, dim) (dim from `dimensions` /
// `outputDimensionality`, else `default_dim`), checks the key (Bearer / x-goog-api-key) against
// `key` and answers 401 echoing the presented key otherwise (to prove callers never print it),
// and plays queued faults first, one per request.
#pragma once

#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace omnigraph::testing {

class FakeEmbeddingServer {
  public:
    enum class Fault { kTooMany, kTooManyRetryAfter1s, kServerError, kSlow, kMalformed, kWrongDim };

    explicit FakeEmbeddingServer(std::string key, unsigned default_dim = 4);
    ~FakeEmbeddingServer();
    FakeEmbeddingServer(const FakeEmbeddingServer&) = delete;
    FakeEmbeddingServer& operator=(const FakeEmbeddingServer&) = delete;

    // "http://127.0.0.1:<port>/v1" and ".../v1beta": the base_url of each kind.
    std::string openai_base() const;
    std::string gemini_base() const;

    void push_fault(Fault fault, int count = 1);
    unsigned slow_ms = 1500; // how long kSlow stalls

    struct Request {
        std::string path, authorization, goog_key, body;
    };
    std::vector<Request> requests() const;
    size_t request_count() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace omnigraph::testing
