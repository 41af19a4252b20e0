#include "engine/external_blob.h"

#include "base/json.h"
#include "base/uri.h"
#include "store/object_store.h"
#include "store/sigv4.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace omnigraph::engine {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

Error bad(std::string why) {
    return Error(codes::kInvalidUri, std::move(why));
}

// Percent-decodes one path segment; refuses encodings of '/', '%', '\' and NUL.
Result<std::string> decode_segment(std::string_view seg) {
    std::string out;
    for (size_t i = 0; i < seg.size(); ++i) {
        if (seg[i] != '%') {
            out += seg[i];
            continue;
        }
        if (i + 2 >= seg.size())
            return bad("has a truncated percent-encoding");
        int hi = hex_value(seg[i + 1]), lo = hex_value(seg[i + 2]);
        if (hi < 0 || lo < 0)
            return bad("has an invalid percent-encoding");
        char c = static_cast<char>(hi * 16 + lo);
        if (c == '/' || c == '%' || c == '\\' || c == '\0')
            return bad("percent-encodes '/', '%', '\\' or NUL");
        out += c;
        i += 2;
    }
    return out;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string join(const std::vector<std::string>& segments, size_t end) {
    std::string out;
    for (size_t i = 0; i < end; ++i)
        out += (i ? "/" : "") + segments[i];
    return out;
}

// The size of the object `uri` names, read with one HEAD (s3) or stat (file).
Result<uint64_t> probe(const BlobUri& uri) {
    base::StorageUri root;
    std::string key;
    if (uri.scheme == "s3") {
        root.kind = base::StorageUri::Kind::kS3;
        root.bucket = uri.authority;
        key = join(uri.segments, uri.segments.size());
    } else {
        root.path = "/" + join(uri.segments, uri.segments.size() - 1);
        key = uri.segments.back();
    }
    auto store = OG_TRY(store::open_store(root));
    auto meta = OG_TRY(store->head(key));
    if (!meta)
        return Error(codes::kNotFound, "no object is there");
    return meta->size;
}

} // namespace

Result<BlobUri> parse_blob_uri(std::string_view text) {
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())) ||
        std::isspace(static_cast<unsigned char>(text.back())))
        return bad("must not be empty or have surrounding whitespace");
    if (text.find('\\') != std::string_view::npos)
        return bad("must not contain a backslash");
    if (text.find_first_of("?#") != std::string_view::npos)
        return bad("must not have a query or fragment");
    size_t sep = text.find("://");
    if (sep == std::string_view::npos)
        return bad("must be an absolute s3:// or file:// URI");
    BlobUri out;
    out.scheme = lower(std::string(text.substr(0, sep)));
    std::string_view rest = text.substr(sep + 3);
    size_t slash = rest.find('/');
    out.authority = std::string(rest.substr(0, slash));
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (out.authority.find('@') != std::string::npos)
        return bad("must not carry user information");
    if (out.authority.find(':') != std::string::npos)
        return bad("must not name a port");
    if (out.scheme == "s3") {
        if (out.authority.empty())
            return bad("needs a bucket (s3://bucket/prefix)");
        out.authority = lower(std::move(out.authority));
    } else if (out.scheme == "file") {
        if (!out.authority.empty())
            return bad("must not name a host (use file:///absolute/path)");
    } else {
        return bad("has scheme '" + out.scheme + "'; only s3:// and file:// are supported");
    }
    if (path.empty())
        return out;
    std::vector<std::string_view> parts;
    size_t pos = 0;
    for (size_t next; (next = path.find('/', pos)) != std::string_view::npos; pos = next + 1)
        parts.push_back(path.substr(pos, next - pos));
    parts.push_back(path.substr(pos)); // "" after a trailing '/'
    for (size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].empty()) {
            if (i + 1 == parts.size()) {
                out.trailing_slash = true;
                break;
            }
            return bad("has an empty path component");
        }
        auto seg = OG_TRY(decode_segment(parts[i]));
        if (seg == "." || seg == "..")
            return bad("must not contain '.' or '..' path components");
        out.segments.push_back(std::move(seg));
    }
    return out;
}

std::string BlobUri::normal_form(bool as_base) const {
    std::string out = scheme + "://" + authority + "/";
    for (size_t i = 0; i < segments.size(); ++i)
        out +=
            store::uri_encode(segments[i], false) + (as_base || i + 1 < segments.size() ? "/" : "");
    return out;
}

std::string ExternalBlob::descriptor() const {
    return base::Json::object({{"uri", uri}, {"size", size}}).dump();
}

Result<ExternalBlob> ExternalBlob::from_descriptor(std::string_view descriptor) {
    auto json = base::Json::parse(descriptor, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("uri") ||
        !json["uri"].is_string() || !json.contains("size") || !json["size"].is_number_unsigned())
        return Error("segment_corrupt", "an external Blob descriptor does not read: " +
                                            std::string(descriptor.substr(0, 120)));
    return ExternalBlob{json["uri"].get<std::string>(), json["size"].get<uint64_t>()};
}

Result<ExternalBlob> ExternalBlobPolicy::admit(std::string_view text,
                                               std::string_view property) const {
    std::string what = "blob property '" + std::string(property) + "' names external URI '" +
                       std::string(text) + "'";
    auto refused = [&](const std::string& why) {
        return Error(kExternalBlobRefused, what + ", which " + why)
            .with_detail("uri", std::string(text));
    };
    auto uri = parse_blob_uri(text);
    if (!uri)
        return refused(uri.error().message);
    if (uri->segments.empty() || uri->trailing_slash)
        return refused("names a directory, not an object");
    std::string normal = uri->normal_form(false);
    bool allowed = std::any_of(bases_.begin(), bases_.end(),
                               [&](const std::string& b) { return normal.starts_with(b); });
    if (!allowed)
        return refused("is not under an allowed external_blobs base of this graph");
    auto size = probe(*uri);
    if (!size)
        return Error(kExternalBlobSource, "external blob source '" + normal +
                                              "' could not be probed: " + size.error().message)
            .with_detail("uri", normal)
            .with_detail("reason", size.error().message);
    return ExternalBlob{normal, *size};
}

} // namespace omnigraph::engine
