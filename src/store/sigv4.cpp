#include "store/sigv4.h"

#include "base/digest.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace omnigraph::store {

std::string uri_encode(std::string_view text, bool keep_slash) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
        if (unreserved || (keep_slash && c == '/')) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        }
    }
    return out;
}

std::string canonical_query(std::vector<std::pair<std::string, std::string>> query) {
    for (auto& [k, v] : query) {
        k = uri_encode(k, false);
        v = uri_encode(v, false);
    }
    std::sort(query.begin(), query.end());
    std::string out;
    for (const auto& [k, v] : query) {
        if (!out.empty())
            out += '&';
        out += k;
        out += '=';
        out += v;
    }
    return out;
}

std::string amz_date_now() {
    using namespace std::chrono;
    auto t = floor<seconds>(system_clock::now());
    auto day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss hms{t - day};
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", int(ymd.year()),
                          unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                          int(hms.minutes().count()), int(hms.seconds().count()));
    return std::string(buf, static_cast<size_t>(n)); // 16 characters
}

std::vector<std::pair<std::string, std::string>> sign_v4(const SigV4Request& request,
                                                         const SigV4Credentials& credentials,
                                                         std::string_view region,
                                                         std::string_view service) {
    std::vector<std::pair<std::string, std::string>> signed_headers = request.headers;
    signed_headers.emplace_back("host", request.host);
    signed_headers.emplace_back("x-amz-content-sha256", request.payload_sha256_hex);
    signed_headers.emplace_back("x-amz-date", request.amz_date);
    if (!credentials.session_token.empty())
        signed_headers.emplace_back("x-amz-security-token", credentials.session_token);
    std::sort(signed_headers.begin(), signed_headers.end());

    std::string canonical_headers, header_names;
    for (const auto& [name, value] : signed_headers) {
        // Values are trimmed; S3 requests never carry multi-space values that need folding.
        std::string_view v = value;
        while (!v.empty() && v.front() == ' ')
            v.remove_prefix(1);
        while (!v.empty() && v.back() == ' ')
            v.remove_suffix(1);
        canonical_headers += name + ":" + std::string(v) + "\n";
        if (!header_names.empty())
            header_names += ';';
        header_names += name;
    }

    std::string canonical_request = request.method + "\n" + request.canonical_path + "\n" +
                                    canonical_query(request.query) + "\n" + canonical_headers +
                                    "\n" + header_names + "\n" + request.payload_sha256_hex;
    std::string date = request.amz_date.substr(0, 8);
    std::string scope =
        date + "/" + std::string(region) + "/" + std::string(service) + "/aws4_request";
    std::string string_to_sign = "AWS4-HMAC-SHA256\n" + request.amz_date + "\n" + scope + "\n" +
                                 base::sha256_hex(canonical_request);

    std::string key = base::hmac_sha256("AWS4" + credentials.secret_access_key, date);
    key = base::hmac_sha256(key, region);
    key = base::hmac_sha256(key, service);
    key = base::hmac_sha256(key, "aws4_request");
    std::string signature = base::to_hex(base::hmac_sha256(key, string_to_sign));

    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back("x-amz-date", request.amz_date);
    out.emplace_back("x-amz-content-sha256", request.payload_sha256_hex);
    if (!credentials.session_token.empty())
        out.emplace_back("x-amz-security-token", credentials.session_token);
    out.emplace_back("authorization", "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id +
                                          "/" + scope + ", SignedHeaders=" + header_names +
                                          ", Signature=" + signature);
    return out;
}

} // namespace omnigraph::store
