// A small blocking HTTP client over libcurl, for the S3 backend (store-internal).
//
// Connections are reused: each pooled curl handle keeps its own keep-alive connection cache,
// and handles go back to the pool after every request. At most `max_connections` requests run
// at once; further callers wait for a free handle. Thread-safe.
#pragma once

#include "base/error.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omnigraph::store {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
    std::string method;
    std::string url;
    HttpHeaders headers;
    std::string_view body;
};

struct HttpResponse {
    long status = 0;
    std::string body;
    HttpHeaders headers; // names lower-cased

    // The first header named `name` (lower case), or "".
    std::string header(std::string_view name) const;
};

struct HttpClientOptions {
    size_t max_connections = 16;
    long connect_timeout_ms = 5000;
    long request_timeout_ms = 120000;
};

class HttpClient {
  public:
    explicit HttpClient(HttpClientOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // A transport failure (refused, timed out, reset, DNS) is kStorageUnavailable; any HTTP
    // status, including 4xx/5xx, is a successful exchange for the caller to interpret.
    Result<HttpResponse> send(const HttpRequest& request);

  private:
    void* acquire();
    void release(void* handle);

    HttpClientOptions options_;
    std::mutex mu_;
    std::condition_variable available_;
    std::vector<void*> idle_;
    size_t in_use_ = 0;
};

} // namespace omnigraph::store
