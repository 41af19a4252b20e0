#include "store/http_client.h"

#include "base/text.h"

#include <algorithm>
#include <cctype>
#include <curl/curl.h>

namespace omnigraph::store {
namespace {

struct CurlGlobal {
    CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

void ensure_curl_global() {
    static CurlGlobal global;
}

struct Exchange {
    HttpResponse response;
    std::string_view upload;
    size_t upload_offset = 0;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    ex->response.body.append(data, size * count);
    return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        ex->response.headers.clear(); // a new response (after 100-continue or a redirect)
        return size * count;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
        return size * count;
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
        value.remove_suffix(1);
    ex->response.headers.emplace_back(std::move(name), std::string(value));
    return size * count;
}

size_t on_upload(char* buffer, size_t size, size_t count, void* user) {
    auto* ex = static_cast<Exchange*>(user);
    size_t n = std::min(size * count, ex->upload.size() - ex->upload_offset);
    std::copy_n(ex->upload.data() + ex->upload_offset, n, buffer);
    ex->upload_offset += n;
    return n;
}

} // namespace

std::string HttpResponse::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (k == name)
            return v;
    return {};
}

HttpClient::HttpClient(HttpClientOptions options) : options_(options) {
    ensure_curl_global();
}

HttpClient::~HttpClient() {
    for (void* h : idle_)
        curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::acquire() {
    std::unique_lock lock(mu_);
    available_.wait(lock, [&] { return !idle_.empty() || in_use_ < options_.max_connections; });
    ++in_use_;
    if (!idle_.empty()) {
        void* h = idle_.back();
        idle_.pop_back();
        return h;
    }
    return curl_easy_init();
}

void HttpClient::release(void* handle) {
    {
        std::lock_guard lock(mu_);
        --in_use_;
        if (handle != nullptr)
            idle_.push_back(handle);
    }
    available_.notify_one();
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
    CURL* curl = static_cast<CURL*>(acquire());
    if (curl == nullptr) {
        release(nullptr);
        return Error(codes::kStorageUnavailable, "cannot create an HTTP handle");
    }
    curl_easy_reset(curl); // keeps the connection cache, clears per-request options

    Exchange ex;
    ex.upload = request.body;
    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers)
        headers = curl_slist_append(headers, base::concat(name, ": ", value).c_str());
    // S3 does not need 100-continue; it costs a round trip per PUT.
    headers = curl_slist_append(headers, "Expect:");

    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, options_.request_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ex);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &ex);
    if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT") {
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_upload);
        curl_easy_setopt(curl, CURLOPT_READDATA, &ex);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
    } else if (request.method == "POST") {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        // NOLINTNEXTLINE(bugprone-suspicious-stringview-data-usage): sized by POSTFIELDSIZE below
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
    } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }

    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
        // Drop the handle: its connection may be half-used.
        curl_easy_cleanup(curl);
        release(nullptr);
        // Failures no retry can fix (TLS trust, a malformed URL, an unsupported scheme) are
        // configuration errors; everything else (refused, reset, timeouts, DNS) is transient.
        bool permanent = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
                         rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CIPHER ||
                         rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ||
                         rc == CURLE_NOT_BUILT_IN;
        return Error(permanent ? codes::kStorageConfiguration : codes::kStorageUnavailable,
                     request.method + " " + request.url + ": " + curl_easy_strerror(rc));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &ex.response.status);
    release(curl);
    return std::move(ex.response);
}

} // namespace omnigraph::store
