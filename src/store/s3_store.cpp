#include "store/s3_store.h"

#include "base/digest.h"
#include "base/env.h"
#include "base/log.h"
#include "store/xml_text.h"

#include <chrono>
#include <random>
#include <thread>

namespace omnigraph::store {
namespace {

std::string env(const char* name) {
    return base::env_string(name).value_or("");
}

// The two OMNIGRAPH_S3_* numbers: invalid values are logged and ignored.
int env_int(const char* name, int fallback) {
    return static_cast<int>(base::env_uint_or(name, static_cast<uint64_t>(fallback), 1, 999'999));
}

bool is_ip_or_localhost(std::string_view host) {
    auto colon = host.rfind(':');
    if (colon != std::string_view::npos && host.find(']') == std::string_view::npos)
        host = host.substr(0, colon);
    if (host == "localhost" || host.starts_with('['))
        return true;
    for (char c : host)
        if (!((c >= '0' && c <= '9') || c == '.'))
            return false;
    return true;
}

bool retryable_status(long status, std::string_view s3_code) {
    // 501 Not Implemented (e.g. a server without conditional writes) will not change on retry.
    return (status >= 500 && status != 501) || status == 429 || s3_code == "SlowDown" ||
           s3_code == "RequestTimeout" || s3_code == "ConditionalRequestConflict";
}

// "bytes 0-9/1234" -> 1234.
uint64_t total_from_content_range(std::string_view value) {
    auto slash = value.rfind('/');
    if (slash == std::string_view::npos)
        return 0;
    return std::strtoull(std::string(value.substr(slash + 1)).c_str(), nullptr, 10);
}

} // namespace

// One logical S3 request, re-signed for every attempt.
struct S3Store::Call {
    std::string method;
    std::string key; // full object key ("" for bucket-level calls)
    std::vector<std::pair<std::string, std::string>> query;
    HttpHeaders headers; // lower-case names; signed
    std::string_view body;
};

S3Config S3Config::from_environment() {
    S3Config c;
    std::string region = env("AWS_REGION");
    if (region.empty())
        region = env("AWS_DEFAULT_REGION");
    if (!region.empty())
        c.region = region;
    c.endpoint = env("AWS_ENDPOINT_URL_S3");
    if (c.endpoint.empty())
        c.endpoint = env("AWS_ENDPOINT_URL");
    c.force_path_style = base::env_flag_or("AWS_S3_FORCE_PATH_STYLE", false);
    c.credentials.access_key_id = env("AWS_ACCESS_KEY_ID");
    c.credentials.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    c.credentials.session_token = env("AWS_SESSION_TOKEN");
    c.max_attempts = env_int("OMNIGRAPH_S3_MAX_ATTEMPTS", c.max_attempts);
    c.http.connect_timeout_ms =
        env_int("OMNIGRAPH_S3_CONNECT_TIMEOUT_MS", static_cast<int>(c.http.connect_timeout_ms));
    return c;
}

Result<std::unique_ptr<S3Store>> S3Store::open(const base::StorageUri& uri, S3Config config) {
    std::string where = uri.to_string();
    if (!uri.is_s3())
        return Error(codes::kInvalidArgument, "S3Store cannot open " + where);
    if (config.credentials.access_key_id.empty() || config.credentials.secret_access_key.empty())
        return Error(codes::kStorageConfiguration,
                     "missing credentials for " + where +
                         ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
    Endpoint endpoint;
    if (config.endpoint.empty()) {
        endpoint.scheme = "https";
        endpoint.host = "s3." + config.region + ".amazonaws.com";
    } else {
        std::string_view e = config.endpoint;
        auto sep = e.find("://");
        if (sep == std::string_view::npos)
            return Error(codes::kStorageConfiguration, "invalid S3 endpoint '" + config.endpoint +
                                                           "' for " + where +
                                                           ": expected http(s)://host[:port]");
        endpoint.scheme = std::string(e.substr(0, sep));
        if (endpoint.scheme != "http" && endpoint.scheme != "https")
            return Error(codes::kStorageConfiguration, "invalid S3 endpoint '" + config.endpoint +
                                                           "' for " + where +
                                                           ": the scheme must be http or https");
        std::string_view host = e.substr(sep + 3);
        host = host.substr(0, host.find('/'));
        if (host.empty())
            return Error(codes::kStorageConfiguration, "invalid S3 endpoint '" + config.endpoint +
                                                           "' for " + where + ": missing host");
        endpoint.host = std::string(host);
    }
    // Virtual-hosted addressing needs DNS for <bucket>.<host>: impossible for IP endpoints and
    // for bucket names with dots over TLS, so those use path style as well.
    endpoint.path_style = config.force_path_style || is_ip_or_localhost(endpoint.host) ||
                          (endpoint.scheme == "https" && uri.bucket.find('.') != std::string::npos);
    return std::unique_ptr<S3Store>(new S3Store(uri, std::move(config), std::move(endpoint)));
}

S3Store::S3Store(base::StorageUri root, S3Config config, Endpoint endpoint)
    : root_(std::move(root)), config_(std::move(config)), endpoint_(std::move(endpoint)),
      http_(std::make_unique<HttpClient>(config_.http)) {}

S3Store::~S3Store() = default;

std::string S3Store::object_key(std::string_view key) const {
    if (root_.prefix.empty())
        return std::string(key);
    return root_.prefix + "/" + std::string(key);
}

Error S3Store::error_from(const HttpResponse& response, std::string_view action,
                          std::string_view key) const {
    std::string s3_code = xml::first_text(response.body, "Code");
    std::string s3_message = xml::first_text(response.body, "Message");
    std::string where = uri_of(key);
    std::string detail = "HTTP " + std::to_string(response.status);
    if (!s3_code.empty())
        detail += " " + s3_code;
    if (!s3_message.empty())
        detail += ": " + s3_message;
    std::string message = std::string(action) + " " + where + " failed (" + detail + ")";
    if (s3_code == "SignatureDoesNotMatch" || s3_code == "InvalidAccessKeyId" ||
        s3_code == "ExpiredToken" || s3_code == "InvalidToken")
        return Error(codes::kStorageConfiguration,
                     message + "; check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY");
    if (s3_code == "NoSuchBucket")
        return Error(codes::kStorageConfiguration,
                     message + "; the bucket '" + root_.bucket + "' does not exist");
    if (response.status == 403)
        return Error(codes::kStoragePermissionDenied, message);
    if (response.status == 501)
        return Error(codes::kStorageConfiguration,
                     message + "; the S3 server does not implement this request (OmniGraph needs "
                               "conditional writes: If-None-Match and If-Match on PUT)");
    if (response.status == 404)
        return Error(codes::kNotFound, "object not found: " + where);
    if (response.status == 412)
        return Error(codes::kPreconditionFailed, "precondition failed for " + where);
    if (retryable_status(response.status, s3_code))
        return Error(codes::kStorageUnavailable, message);
    return Error(codes::kStorageIo, message);
}

Result<HttpResponse> S3Store::execute(const Call& call, bool* ambiguous) {
    std::string path = endpoint_.path_style ? "/" + root_.bucket : "";
    if (!call.key.empty() || path.empty())
        path += "/" + uri_encode(call.key, true);
    std::string host = endpoint_.path_style ? endpoint_.host : root_.bucket + "." + endpoint_.host;
    std::string query = canonical_query(call.query);
    std::string url = endpoint_.scheme + "://" + host + path + (query.empty() ? "" : "?" + query);
    std::string payload_hash = base::sha256_hex(call.body);

    // Messages name the object by its URI, i.e. the key below this store's prefix.
    std::string_view logical = call.key;
    if (!root_.prefix.empty() && logical.starts_with(root_.prefix + "/"))
        logical.remove_prefix(root_.prefix.size() + 1);
    thread_local std::mt19937_64 rng{std::random_device{}()};
    Result<HttpResponse> last = Error(codes::kStorageUnavailable, "no attempt made");
    for (int attempt = 1; attempt <= std::max(1, config_.max_attempts); ++attempt) {
        SigV4Request sig{call.method,  host,         path,          call.query,
                         call.headers, payload_hash, amz_date_now()};
        HttpRequest request{call.method, url, call.headers, call.body};
        request.headers.emplace_back("host", host);
        for (auto& h : sign_v4(sig, config_.credentials, config_.region))
            request.headers.push_back(std::move(h));

        last = http_->send(request);
        bool retry = false;
        if (!last) {
            // Refused, reset, timed out: the request may or may not have landed. Configuration
            // failures (TLS trust, bad URL) are final.
            if (!last.error().is(codes::kStorageUnavailable))
                return last;
            retry = true;
        } else {
            std::string s3_code =
                last->status >= 400 ? xml::first_text(last->body, "Code") : std::string();
            retry = retryable_status(last->status, s3_code);
        }
        if (!retry)
            return last;
        if (ambiguous)
            *ambiguous = true;
        if (attempt == config_.max_attempts)
            break;
        // Full jitter: sleep uniformly in [0, min(cap, base * 2^attempt)].
        long cap = std::min<long>(config_.max_backoff_ms, static_cast<long>(config_.base_backoff_ms)
                                                              << std::min(attempt, 20));
        long sleep_ms = std::uniform_int_distribution<long>(0, cap)(rng);
        base::log(
            base::LogLevel::kInfo, "store.s3.retry",
            {{"uri", uri_of(logical)},
             {"method", call.method},
             {"attempt", std::to_string(attempt)},
             {"reason", last ? "HTTP " + std::to_string(last->status) : last.error().message}});
        std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    }
    std::string what = call.method + " " + uri_of(logical);
    if (!last)
        return Error(codes::kStorageUnavailable, "S3 endpoint unreachable for " + what + " after " +
                                                     std::to_string(config_.max_attempts) +
                                                     " attempts: " + last.error().message);
    return last; // a retryable status on the final attempt; the caller maps it
}

Result<GetResult> S3Store::do_get(std::string_view key, std::optional<ByteRange> range) {
    if (range && range->length == 0) {
        auto meta = OG_TRY(head(key));
        if (!meta)
            return Error(codes::kNotFound, "object not found: " + uri_of(key));
        meta->version.clear();
        return GetResult{{}, std::move(*meta)};
    }
    Call call{"GET", object_key(key), {}, {}, {}};
    if (range) {
        // Clamp so offset + length - 1 cannot wrap around.
        uint64_t last = range->length > UINT64_MAX - range->offset
                            ? UINT64_MAX - 1
                            : range->offset + range->length - 1;
        call.headers.emplace_back("range", "bytes=" + std::to_string(range->offset) + "-" +
                                               std::to_string(last));
    }
    auto response = OG_TRY(execute(call));
    if (response.status == 416) {
        // The range starts past the end: no bytes, like the local backend.
        auto meta = OG_TRY(head(key));
        if (!meta)
            return Error(codes::kNotFound, "object not found: " + uri_of(key));
        return GetResult{{}, std::move(*meta)};
    }
    if (response.status != 200 && response.status != 206)
        return error_from(response, "GET", key);
    GetResult result;
    result.meta.key = std::string(key);
    result.meta.version = response.header("etag");
    if (response.status == 206) {
        result.meta.size = total_from_content_range(response.header("content-range"));
        result.data = std::move(response.body);
        return result;
    }
    result.meta.size = response.body.size();
    result.data = std::move(response.body);
    if (range) {
        // A server that ignores Range answers 200 with everything: cut the slice ourselves.
        uint64_t offset = std::min<uint64_t>(range->offset, result.data.size());
        result.data = result.data.substr(offset, range->length);
    }
    return result;
}

Result<std::optional<ObjectMeta>> S3Store::do_head(std::string_view key) {
    auto response = OG_TRY(execute(Call{"HEAD", object_key(key), {}, {}, {}}));
    if (response.status == 404)
        return std::optional<ObjectMeta>();
    if (response.status != 200)
        return error_from(response, "HEAD", key);
    ObjectMeta meta{std::string(key),
                    std::strtoull(response.header("content-length").c_str(), nullptr, 10),
                    response.header("etag")};
    return std::optional<ObjectMeta>(std::move(meta));
}

Result<ObjectMeta> S3Store::do_put(std::string_view key, std::string_view data) {
    return conditional_put(key, data, {}, {});
}

Result<ObjectMeta> S3Store::do_put_if_absent(std::string_view key, std::string_view data) {
    return conditional_put(key, data, "if-none-match", "*");
}

Result<ObjectMeta> S3Store::do_put_if_match(std::string_view key, std::string_view data,
                                            std::string_view expected_version) {
    if (expected_version.empty())
        return Error(codes::kInvalidArgument,
                     "put_if_match on " + uri_of(key) + " needs a version token (an ETag)");
    return conditional_put(key, data, "if-match", expected_version);
}

Result<ObjectMeta> S3Store::conditional_put(std::string_view key, std::string_view data,
                                            std::string_view header, std::string_view value) {
    Call call{"PUT", object_key(key), {}, {}, data};
    call.headers.emplace_back("content-md5", base::md5_base64(data));
    if (!header.empty())
        call.headers.emplace_back(std::string(header), std::string(value));
    bool ambiguous = false;
    auto response = OG_TRY(execute(call, &ambiguous));
    if (response.status == 200)
        return ObjectMeta{std::string(key), data.size(), response.header("etag")};
    bool no_bucket = xml::first_text(response.body, "Code") == "NoSuchBucket";
    bool precondition =
        response.status == 412 || (header == "if-match" && response.status == 404 && !no_bucket);
    if (precondition && ambiguous) {
        // An earlier attempt may have landed: if the object holds exactly our bytes, it did.
        // Compare the bytes themselves: ETags are not MD5s under SSE-KMS/SSE-C or on some
        // S3-compatible servers.
        auto current = get(key);
        if (current && current->data == data)
            return ObjectMeta{std::string(key), data.size(), current->meta.version};
        if (!current && !current.error().is(codes::kNotFound))
            return std::move(current).error();
    }
    if (precondition) {
        Error err(codes::kPreconditionFailed,
                  header == "if-none-match"
                      ? "object already exists: " + uri_of(key)
                      : "precondition failed for " + uri_of(key) +
                            (response.status == 404 ? ": the object does not exist"
                                                    : ": version changed"));
        if (header == "if-match")
            err.with_detail("expected", std::string(value));
        return err;
    }
    return error_from(response, "PUT", key);
}

Result<ListPage> S3Store::do_list(const ListOptions& options) {
    std::string base = root_.prefix.empty() ? "" : root_.prefix + "/";
    Call call{"GET", "", {}, {}, {}};
    call.query = {{"list-type", "2"},
                  {"prefix", base + options.prefix},
                  {"max-keys", std::to_string(options.limit)}};
    if (!options.continuation_token.empty())
        call.query.emplace_back("continuation-token", options.continuation_token);
    if (!options.start_after.empty())
        call.query.emplace_back("start-after", base + options.start_after);
    auto response = OG_TRY(execute(call));
    if (response.status != 200)
        return error_from(response, "LIST", options.prefix);
    ListPage page;
    for (std::string_view contents : xml::elements(response.body, "Contents")) {
        std::string full = xml::first_text(contents, "Key");
        if (!full.starts_with(base))
            continue;
        ObjectMeta meta;
        meta.key = full.substr(base.size());
        meta.size = std::strtoull(xml::first_text(contents, "Size").c_str(), nullptr, 10);
        meta.version = xml::first_text(contents, "ETag");
        page.objects.push_back(std::move(meta));
    }
    if (xml::first_text(response.body, "IsTruncated") == "true") {
        std::string token = xml::first_text(response.body, "NextContinuationToken");
        if (token.empty())
            return Error(codes::kStorageIo, "LIST " + uri_of(options.prefix) +
                                                " returned a truncated page without a "
                                                "continuation token");
        page.next_token = std::move(token);
    }
    return page;
}

Status S3Store::do_remove(std::string_view key) {
    auto response = OG_TRY(execute(Call{"DELETE", object_key(key), {}, {}, {}}));
    bool no_bucket = xml::first_text(response.body, "Code") == "NoSuchBucket";
    if (response.status == 204 || response.status == 200 || (response.status == 404 && !no_bucket))
        return ok();
    return error_from(response, "DELETE", key);
}

Status S3Store::do_remove_if_match(std::string_view key, std::string_view expected_version) {
    Call call{"DELETE", object_key(key), {}, {{"if-match", std::string(expected_version)}}, {}};
    auto response = OG_TRY(execute(call));
    bool no_bucket = xml::first_text(response.body, "Code") == "NoSuchBucket";
    if (response.status == 204 || response.status == 200 || (response.status == 404 && !no_bucket))
        return ok();
    if (response.status != 412)
        return error_from(response, "DELETE", key);
    // 412 also answers a retry whose earlier attempt had deleted the object, and some servers
    // answer it for an absent object: absent is success, as for remove.
    auto current = OG_TRY(head(key));
    if (!current)
        return ok();
    return Error(codes::kPreconditionFailed,
                 "precondition failed for " + uri_of(key) + ": version changed")
        .with_detail("expected", std::string(expected_version))
        .with_detail("actual", current->version);
}

Result<uint64_t> S3Store::do_remove_prefix(std::string_view prefix) {
    uint64_t removed = 0;
    // Always list from the start: the previous batch is gone, so the first page is the next one.
    while (true) {
        ListOptions options;
        options.prefix = std::string(prefix);
        auto page = OG_TRY(list(options));
        if (page.objects.empty())
            return removed;
        std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>";
        for (const auto& o : page.objects)
            body += "<Object><Key>" + xml::escape(object_key(o.key)) + "</Key></Object>";
        body += "</Delete>";
        Call call{"POST",
                  "",
                  {{"delete", ""}},
                  {{"content-md5", base::md5_base64(body)}, {"content-type", "application/xml"}},
                  body};
        auto response = OG_TRY(execute(call));
        if (response.status != 200)
            return error_from(response, "DELETE (batch)", prefix);
        auto errors = xml::elements(response.body, "Error");
        if (!errors.empty())
            return Error(codes::kStorageIo, "batch delete under " + uri_of(prefix) +
                                                " failed for '" +
                                                xml::first_text(errors.front(), "Key") +
                                                "': " + xml::first_text(errors.front(), "Code") +
                                                " " + xml::first_text(errors.front(), "Message"));
        removed += page.objects.size();
        if (!page.next_token && page.objects.size() < 1000)
            return removed;
    }
}

} // namespace omnigraph::store
