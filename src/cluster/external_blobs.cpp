#include "cluster/external_blobs.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

namespace {

Error bad(const std::string& base, const std::string& why) {
    return Error("invalid_external_blob_base", "external blob base '" + base + "' " + why);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool unreserved(unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Percent-decodes one path segment; refuses encodings of '/', '%', '\' and NUL.
Result<std::string> decode_segment(const std::string& seg, const std::string& base) {
    std::string out;
    for (size_t i = 0; i < seg.size(); ++i) {
        if (seg[i] != '%') {
            out += seg[i];
            continue;
        }
        if (i + 2 >= seg.size())
            return bad(base, "has a truncated percent-encoding");
        int hi = hex_value(seg[i + 1]), lo = hex_value(seg[i + 2]);
        if (hi < 0 || lo < 0)
            return bad(base, "has an invalid percent-encoding");
        char c = static_cast<char>(hi * 16 + lo);
        if (c == '/' || c == '%' || c == '\\' || c == '\0')
            return bad(base, "percent-encodes '/', '%', '\\' or NUL");
        out += c;
        i += 2;
    }
    return out;
}

std::string encode_segment(const std::string& seg) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : seg) {
        if (unreserved(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The normalized base split into components (scheme+authority first) for the overlap check.
std::vector<std::string> components(const std::string& uri) {
    std::vector<std::string> out;
    size_t start = uri.find("://") + 3;
    out.push_back(uri.substr(0, start));
    size_t pos = start;
    while (pos < uri.size()) {
        size_t slash = uri.find('/', pos);
        if (slash == std::string::npos)
            slash = uri.size();
        if (slash > pos || pos == start)
            out.push_back(uri.substr(pos, slash - pos));
        pos = slash + 1;
    }
    return out;
}

// "/a%20b/c/" -> "/a b/c/" (the normal form only encodes, never '/', so this is lossless).
std::string percent_decoded_path(const std::string& path) {
    std::string out;
    for (size_t i = 0; i < path.size(); ++i) {
        if (path[i] == '%' && i + 2 < path.size() && hex_value(path[i + 1]) >= 0 &&
            hex_value(path[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(path[i + 1]) * 16 + hex_value(path[i + 2]));
            i += 2;
        } else {
            out += path[i];
        }
    }
    return out;
}

bool is_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

} // namespace

Result<std::string> normalize_blob_base(const std::string& base, const std::string& scope) {
    if (base.empty() || std::isspace(static_cast<unsigned char>(base.front())) ||
        std::isspace(static_cast<unsigned char>(base.back())))
        return bad(base, "must not be empty or have surrounding whitespace");
    if (base.find('\\') != std::string::npos)
        return bad(base, "must not contain a backslash");
    if (base.find_first_of("?#") != std::string::npos)
        return bad(base, "must not have a query or fragment");
    size_t sep = base.find("://");
    if (sep == std::string::npos)
        return bad(base, "must be an absolute s3:// or file:// URI");
    std::string scheme = base.substr(0, sep);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    std::string rest = base.substr(sep + 3);
    size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (authority.find('@') != std::string::npos)
        return bad(base, "must not carry user information");
    if (authority.find(':') != std::string::npos)
        return bad(base, "must not name a port");
    if (scheme == "s3") {
        if (authority.empty())
            return bad(base, "needs a bucket (s3://bucket/prefix)");
        std::transform(authority.begin(), authority.end(), authority.begin(),
                       [](unsigned char c) { return std::tolower(c); });
    } else if (scheme == "file") {
        if (!authority.empty())
            return bad(base, "must not name a host (use file:///absolute/path)");
        if (scope == "server_safe")
            return bad(base, "cannot be server_safe: only s3:// bases are safe for a server");
    } else {
        return bad(base, "has scheme '" + scheme + "'; only s3:// and file:// are supported");
    }
    std::vector<std::string> segments;
    if (!path.empty()) {
        std::vector<std::string> parts;
        size_t pos = 0;
        for (size_t next; (next = path.find('/', pos)) != std::string::npos; pos = next + 1)
            parts.push_back(path.substr(pos, next - pos));
        parts.push_back(path.substr(pos)); // "" after a trailing '/'
        for (size_t i = 0; i < parts.size(); ++i) {
            if (parts[i].empty()) {
                if (i + 1 == parts.size())
                    break;
                return bad(base, "has an empty path component");
            }
            auto seg = decode_segment(parts[i], base);
            if (!seg)
                return seg.error();
            if (*seg == "." || *seg == "..")
                return bad(base, "must not contain '.' or '..' path components");
            segments.push_back(*seg);
        }
    }
    std::string out = scheme + "://" + authority + "/";
    for (const auto& s : segments)
        out += encode_segment(s) + "/";
    if (scheme == "file" && scope == "embedded_only") {
        std::string local = "/";
        for (const auto& s : segments)
            local += s + "/";
        std::error_code ec;
        if (!std::filesystem::is_directory(local, ec))
            return bad(base, "names no existing local directory");
    }
    return out;
}

std::optional<base::Json> blob_policy_json(std::vector<BlobBase> bases) {
    if (bases.empty())
        return std::nullopt;
    std::sort(bases.begin(), bases.end(), [](const BlobBase& a, const BlobBase& b) {
        if (a.uri != b.uri)
            return a.uri < b.uri;
        return a.scope == "server_safe" && b.scope != "server_safe";
    });
    base::Json list = base::Json::array();
    for (const auto& b : bases)
        list.push_back(base::Json::object({{"uri", b.uri}, {"scope", b.scope}}));
    return base::Json::object({{"mode", "allow"}, {"bases", list}});
}

std::optional<base::Json> check_blob_policy(const std::string& graph_id,
                                            const std::vector<BlobBaseDecl>& decls,
                                            Diagnostics& diags) {
    std::vector<BlobBase> bases;
    bool failed = false;
    for (size_t i = 0; i < decls.size(); ++i) {
        auto uri = normalize_blob_base(decls[i].base, decls[i].scope);
        if (!uri) {
            diags.error("invalid_external_blob_base",
                        "graphs." + graph_id + ".external_blobs.allow[" + std::to_string(i) +
                            "].base",
                        uri.error().message);
            failed = true;
            continue;
        }
        bases.push_back({*uri, decls[i].scope});
    }
    if (failed)
        return std::nullopt;
    // Overlaps are judged on where a file base really is (through symlinks); the stored and
    // hashed URI keeps its lexical form.
    auto resolved = [](const std::string& uri) {
        if (!uri.starts_with("file://"))
            return components(uri);
        std::error_code ec;
        std::string local = percent_decoded_path(uri.substr(7));
        auto canonical = std::filesystem::weakly_canonical(local, ec);
        if (ec)
            return components(uri);
        std::string canon = canonical.string();
        if (!canon.ends_with('/'))
            canon += '/';
        return components("file://" + canon);
    };
    for (size_t i = 0; i < bases.size(); ++i)
        for (size_t j = i + 1; j < bases.size(); ++j) {
            auto a = resolved(bases[i].uri), b = resolved(bases[j].uri);
            if (is_prefix(a, b) || is_prefix(b, a)) {
                diags.error("invalid_external_blob_policy",
                            "graphs." + graph_id + ".external_blobs.allow",
                            "external blob bases '" + bases[i].uri + "' and '" + bases[j].uri +
                                "' overlap; declare each location once");
                return std::nullopt;
            }
        }
    return blob_policy_json(std::move(bases));
}

} // namespace omnigraph::cluster
