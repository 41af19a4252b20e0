// AWS Signature Version 4 for S3 requests, computed with OpenSSL's HMAC-SHA256.
// Pure functions: thread-safe, no I/O. Reference: the AWS "Signature Version 4 signing process"
// documentation; the test suite checks the worked examples published there.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omnigraph::store {

struct SigV4Credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token; // optional
};

struct SigV4Request {
    std::string method;         // "GET", "PUT", ...
    std::string host;           // host[:port] exactly as sent in the Host header
    std::string canonical_path; // already URI-encoded path, e.g. "/bucket/a%20b"
    std::vector<std::pair<std::string, std::string>> query; // raw (unencoded) name/value pairs
    std::vector<std::pair<std::string, std::string>>
        headers; // extra headers to sign (lower-case names)
    std::string payload_sha256_hex;
    std::string amz_date; // "20130524T000000Z"
};

// The headers to add to the request: x-amz-date, x-amz-content-sha256, [x-amz-security-token],
// authorization.
std::vector<std::pair<std::string, std::string>> sign_v4(const SigV4Request& request,
                                                         const SigV4Credentials& credentials,
                                                         std::string_view region,
                                                         std::string_view service = "s3");

// S3's URI encoding: unreserved characters (A-Z a-z 0-9 - _ . ~) kept, everything else %XX;
// '/' kept only when `keep_slash`.
std::string uri_encode(std::string_view text, bool keep_slash);

// The canonical query string (sorted, encoded) used both in signing and on the wire.
std::string canonical_query(std::vector<std::pair<std::string, std::string>> query);

// "20130524T000000Z" for the current time.
std::string amz_date_now();

} // namespace omnigraph::store
