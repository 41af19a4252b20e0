// GET and HEAD /graphs/{graph_id}/blob (spec server-policy §1.3 row 5, §1.5 "Blob"): one Blob
// cell of one node or edge, with HTTP validators and one byte range.
//
// Order: the selector (400 `invalid Blob selector query parameters: …`), `read` on the branch
// (a snapshot's: the branch that published it), the cell (404 for an unknown entity or a null
// cell), then the conditions: If-Match (strong; a miss is 412 `conflict`), If-None-Match (weak;
// a match is 304 with the full Content-Length), then Range (one `bytes` range, honoured only
// when If-Range is absent or strongly equals the ETag; a multi, malformed or other-unit range
// is ignored: the whole blob, 200; an unsatisfiable one is 416 with `blob_range`). HEAD
// answers the same head without the body and ignores Range and If-Range.
#include "base/json.h"
#include "base/text.h"
#include "server/http_guard.h"
#include "server/request.h"
#include "server/server_state.h"
#include "service/blob.h"
#include "service/target.h"

#include <charconv>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace omnigraph::server {

namespace {

using base::Json;

constexpr std::string_view kSelectorError = "invalid Blob selector query parameters: ";

HttpError selector_error(const std::string& why) {
    return bad_request(std::string(kSelectorError) + why);
}

// The request's selector, from a strict query string.
service::BlobRequest selector(const httplib::Request& req) {
    for (const auto& [key, value] : req.params) {
        static constexpr std::string_view kKnown[] = {"entity",   "type",   "id",
                                                      "property", "branch", "snapshot"};
        if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
            throw selector_error("unknown parameter '" + key + "'");
        if (req.get_param_value_count(key) > 1)
            throw selector_error("'" + key + "' is given more than once");
    }
    service::BlobRequest r;
    auto required = [&](const char* key) {
        if (!req.has_param(key) || req.get_param_value(key).empty())
            throw selector_error(std::string("missing '") + key + "'");
        return req.get_param_value(key);
    };
    r.entity = required("entity");
    if (r.entity != "node" && r.entity != "edge")
        throw selector_error("entity must be node or edge, not '" + r.entity + "'");
    r.type = required("type");
    r.id = required("id");
    r.property = required("property");
    if (req.has_param("branch") && req.has_param("snapshot"))
        throw selector_error("pass branch or snapshot, not both");
    if (req.has_param("branch"))
        r.target.branch = trimmed_branch(req.get_param_value("branch"));
    if (req.has_param("snapshot"))
        r.target.snapshot = required("snapshot");
    return r;
}

// The entity tags of an If-Match / If-None-Match list ("*" is its own entry).
std::vector<std::string> tag_list(const std::string& header) {
    std::vector<std::string> tags;
    size_t at = 0;
    while (at < header.size()) {
        size_t comma = header.find(',', at);
        std::string tag(base::trim(
            header.substr(at, comma == std::string::npos ? std::string::npos : comma - at)));
        if (!tag.empty())
            tags.push_back(tag);
        if (comma == std::string::npos)
            break;
        at = comma + 1;
    }
    return tags;
}

bool strong_match(const std::vector<std::string>& tags, const std::string& etag) {
    for (const auto& t : tags)
        if (t == "*" || t == etag)
            return true;
    return false;
}

bool weak_match(const std::vector<std::string>& tags, const std::string& etag) {
    for (std::string t : tags) {
        if (t == "*")
            return true;
        if (t.starts_with("W/"))
            t.erase(0, 2);
        if (t == etag)
            return true;
    }
    return false;
}

// The answer to a failure while the cell is found and read: a 500 says only that (spec §1.5).
HttpError blob_read_error(const Error& error) {
    HttpError e = http_error(error);
    if (e.status >= 500) {
        e.log_message = error.message;
        e.message = "Blob delivery failed before response headers";
    }
    return e;
}

struct ByteRange {
    uint64_t start = 0, end = 0; // half-open
    bool satisfiable = true;
};

std::optional<uint64_t> number(std::string_view text) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return n;
}

// One `bytes` range of a blob of `size` bytes; nullopt for a header to ignore (several ranges,
// another unit, malformed).
std::optional<ByteRange> parse_range(std::string_view header, uint64_t size) {
    if (!header.starts_with("bytes="))
        return std::nullopt;
    const std::string spec = base::trim(header.substr(6));
    if (spec.find(',') != std::string_view::npos)
        return std::nullopt;
    size_t dash = spec.find('-');
    if (dash == std::string_view::npos)
        return std::nullopt;
    std::string_view first = std::string_view(spec).substr(0, dash);
    std::string_view last = std::string_view(spec).substr(dash + 1);
    ByteRange r;
    if (first.empty()) { // the last N bytes
        auto n = number(last);
        if (!n)
            return std::nullopt;
        r.start = size - std::min(*n, size);
        r.end = size;
        r.satisfiable = *n > 0 && size > 0;
        return r;
    }
    auto a = number(first);
    if (!a)
        return std::nullopt;
    std::optional<uint64_t> b;
    if (!last.empty()) {
        b = number(last);
        if (!b || *b < *a)
            return std::nullopt;
    }
    r.start = *a;
    r.end = b ? std::min(*b + 1, size) : size;
    r.satisfiable = *a < size;
    if (!r.satisfiable)
        r.end = b ? *b + 1 : *a;
    return r;
}

} // namespace

void add_blob_routes(ServerState& s) {
    s.routes.add(
        {"GET", "/graphs/{graph_id}/blob", "cluster_getBlob", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             service::BlobRequest request = selector(req);
             s.authorize(&g, policy::Action::kRead, actor,
                         service::read_branch(g.handle->graph(), request.target));
             auto read = service::read_blob(*g.handle, request);
             if (!read)
                 throw blob_read_error(read.error());
             if (read->cell.external) { // never dereferenced: the client fetches it
                 res.status = 302;
                 res.set_header("Location", read->cell.external->uri);
                 res.set_header("Cache-Control", "no-store");
                 res.set_header("Omnigraph-Snapshot-Id", read->resolved_snapshot);
                 return;
             }
             const std::string& bytes = read->cell.bytes;
             const std::string& etag = read->cell.etag;
             const uint64_t size = bytes.size();
             res.set_header("ETag", etag);
             res.set_header("Accept-Ranges", "bytes");
             res.set_header("Omnigraph-Snapshot-Id", read->resolved_snapshot);
             if (req.has_header("If-Match") &&
                 !strong_match(tag_list(req.get_header_value("If-Match")), etag))
                 throw HttpError{412, "conflict",
                                 "If-Match does not match the blob's current ETag " + etag};
             if (req.has_header("If-None-Match") &&
                 weak_match(tag_list(req.get_header_value("If-None-Match")), etag)) {
                 res.status = 304;
                 res.set_header("Content-Length", std::to_string(size));
                 return;
             }
             bool head = req.method == "HEAD";
             std::optional<ByteRange> range;
             if (!head && req.has_header(kRangeHeader) &&
                 (!req.has_header("If-Range") || req.get_header_value("If-Range") == etag)) {
                 std::string header = req.get_header_value(kRangeHeader);
                 range = parse_range(header, size);
             }
             if (range && !range->satisfiable) {
                 res.set_header("Content-Range", "bytes */" + std::to_string(size));
                 throw HttpError{416, "bad_request",
                                 "range not satisfiable: the blob has " + std::to_string(size) +
                                     " bytes",
                                 Json::object({{"blob_range", Json::object({{"start", range->start},
                                                                            {"end", range->end},
                                                                            {"length", size}})}})};
             }
             if (range) {
                 res.status = 206;
                 res.set_header("Content-Range", "bytes " + std::to_string(range->start) + "-" +
                                                     std::to_string(range->end - 1) + "/" +
                                                     std::to_string(size));
                 res.set_content(bytes.substr(range->start, range->end - range->start),
                                 "application/octet-stream");
                 return;
             }
             res.status = 200;
             res.set_content(bytes, "application/octet-stream");
         }});
}

} // namespace omnigraph::server
