// S3Store: an ObjectStore over an S3 bucket and key prefix, for AWS S3 and S3-compatible
// servers (MinIO, R2, RustFS, s3rver).
//
// Requests are signed with SigV4 by us (store/sigv4.h) and sent over pooled keep-alive
// connections (store/http_client.h). Conditional writes map to S3's own: put_if_absent is a PUT
// with "If-None-Match: *", put_if_match a PUT with "If-Match: <etag>"; HTTP 412 becomes
// kPreconditionFailed. Transport errors, 5xx and throttling (429, SlowDown, RequestTimeout,
// ConditionalRequestConflict) are retried with jittered exponential backoff up to
// S3Config::max_attempts, then reported as kStorageUnavailable; other 4xx are never retried.
// When a conditional PUT is retried after an ambiguous failure and then meets 412, the store
// checks whether the object now holds exactly its own bytes (it reads them back) and, if so,
// reports success: the earlier attempt had landed. This is only sound when no other writer could
// have written byte-identical content, so conditional payloads must carry something unique to the
// writer (every OmniGraph control object holds a ULID: commit, operation or revision id).
// Thread-safe.
#pragma once

#include "store/http_client.h"
#include "store/object_store.h"
#include "store/sigv4.h"

#include <memory>

namespace omnigraph::store {

struct S3Config {
    std::string region = "us-east-1";
    std::string endpoint; // "" = AWS (https://s3.<region>.amazonaws.com)
    bool force_path_style = false;
    SigV4Credentials credentials;
    int max_attempts = 5;
    int base_backoff_ms = 50;
    int max_backoff_ms = 2000;
    HttpClientOptions http;

    // AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or
    // AWS_DEFAULT_REGION), AWS_ENDPOINT_URL_S3 (preferred) or AWS_ENDPOINT_URL,
    // AWS_S3_FORCE_PATH_STYLE; OMNIGRAPH_S3_MAX_ATTEMPTS and OMNIGRAPH_S3_CONNECT_TIMEOUT_MS tune
    // retries (invalid values are logged and ignored). An explicit http:// endpoint enables plain
    // HTTP by itself, so AWS_ALLOW_HTTP (accepted for compatibility) changes nothing.
    // Never read from config files.
    static S3Config from_environment();
};

class S3Store final : public ObjectStore {
  public:
    // Fails with kStorageConfiguration (missing credentials, bad endpoint) naming the URI.
    static Result<std::unique_ptr<S3Store>> open(const base::StorageUri& uri, S3Config config);
    ~S3Store() override;

    const base::StorageUri& root() const override { return root_; }

  protected:
    Result<GetResult> do_get(std::string_view key, std::optional<ByteRange> range) override;
    Result<std::optional<ObjectMeta>> do_head(std::string_view key) override;
    Result<ObjectMeta> do_put(std::string_view key, std::string_view data) override;
    Result<ObjectMeta> do_put_if_absent(std::string_view key, std::string_view data) override;
    Result<ObjectMeta> do_put_if_match(std::string_view key, std::string_view data,
                                       std::string_view expected_version) override;
    Result<ListPage> do_list(const ListOptions& options) override;
    Status do_remove(std::string_view key) override;
    Status do_remove_if_match(std::string_view key, std::string_view expected_version) override;
    Result<uint64_t> do_remove_prefix(std::string_view prefix) override;

  private:
    struct Call;
    struct Endpoint {
        std::string scheme; // "http" | "https"
        std::string host;   // host[:port]
        bool path_style = false;
    };
    S3Store(base::StorageUri root, S3Config config, Endpoint endpoint);

    std::string object_key(std::string_view key) const; // prefix + key
    // Sends one logical request with signing and retries. `ambiguous` is set when an attempt
    // failed in a way that may have applied the request.
    Result<HttpResponse> execute(const Call& call, bool* ambiguous = nullptr);
    Result<ObjectMeta> conditional_put(std::string_view key, std::string_view data,
                                       std::string_view header, std::string_view value);
    Error error_from(const HttpResponse& response, std::string_view action,
                     std::string_view key) const;

    base::StorageUri root_;
    S3Config config_;
    Endpoint endpoint_;
    std::unique_ptr<HttpClient> http_;
};

} // namespace omnigraph::store
