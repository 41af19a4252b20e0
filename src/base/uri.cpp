#include "base/uri.h"

#include <unistd.h>
#include <vector>

namespace omnigraph::base {
namespace {

Error invalid(std::string_view text, std::string_view why) {
    return Error(codes::kInvalidUri,
                 "invalid storage URI '" + std::string(text) + "': " + std::string(why));
}

std::string current_dir() {
    std::string buf(4096, '\0');
    if (::getcwd(buf.data(), buf.size()) == nullptr)
        return "/";
    buf.resize(std::char_traits<char>::length(buf.c_str()));
    return buf;
}

// S3 bucket naming rules (the subset that matters for addressing).
bool valid_bucket(std::string_view b) {
    if (b.size() < 3 || b.size() > 63)
        return false;
    for (char c : b)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    return b.front() != '-' && b.front() != '.' && b.back() != '-' && b.back() != '.';
}

} // namespace

std::string normalize_path(std::string_view path) {
    bool absolute = !path.empty() && path.front() == '/';
    std::vector<std::string_view> parts;
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos)
            j = path.size();
        std::string_view part = path.substr(i, j - i);
        if (part.empty() || part == ".") {
            // skip
        } else if (part == "..") {
            if (!parts.empty() && parts.back() != "..")
                parts.pop_back();
            else if (!absolute)
                parts.push_back(part);
        } else {
            parts.push_back(part);
        }
        i = j + 1;
    }
    std::string out = absolute ? "/" : "";
    for (size_t k = 0; k < parts.size(); ++k) {
        if (k)
            out += '/';
        out += parts[k];
    }
    if (out.empty())
        out = ".";
    return out;
}

std::string StorageUri::to_string() const {
    if (kind == Kind::kLocal)
        return path;
    return prefix.empty() ? "s3://" + bucket : "s3://" + bucket + "/" + prefix;
}

StorageUri StorageUri::join(std::string_view relative) const {
    StorageUri out = *this;
    std::string rel = normalize_path(relative);
    if (rel == ".")
        return out;
    if (kind == Kind::kLocal) {
        out.path = normalize_path(path + "/" + rel);
    } else {
        std::string joined = prefix.empty() ? rel : prefix + "/" + rel;
        out.prefix = normalize_path(joined);
        if (out.prefix == ".")
            out.prefix.clear();
    }
    return out;
}

Result<StorageUri> parse_storage_uri(std::string_view text, std::string_view base_dir) {
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return invalid(text, "empty");
    if (text.find('\0') != std::string_view::npos)
        return invalid(text, "contains a NUL byte");

    StorageUri uri;
    size_t scheme_end = text.find("://");
    if (scheme_end != std::string_view::npos) {
        std::string_view scheme = text.substr(0, scheme_end);
        bool scheme_like = !scheme.empty() && scheme.find('/') == std::string_view::npos;
        if (scheme_like && scheme == "s3") {
            std::string_view rest = text.substr(scheme_end + 3);
            size_t slash = rest.find('/');
            std::string_view bucket = rest.substr(0, slash);
            if (bucket.empty())
                return invalid(text, "missing bucket (expected s3://bucket[/prefix])");
            if (!valid_bucket(bucket))
                return invalid(text, "'" + std::string(bucket) +
                                         "' is not a valid S3 bucket name (3-63 characters of "
                                         "a-z, 0-9, '-' and '.')");
            uri.kind = StorageUri::Kind::kS3;
            uri.bucket = std::string(bucket);
            if (slash != std::string_view::npos) {
                std::string_view prefix = rest.substr(slash + 1);
                while (!prefix.empty() && prefix.back() == '/')
                    prefix.remove_suffix(1);
                if (prefix.starts_with('/') || prefix.find("//") != std::string_view::npos)
                    return invalid(text, "empty path segment in the key prefix");
                for (std::string_view seg : {std::string_view("."), std::string_view("..")}) {
                    std::string p = "/" + std::string(prefix) + "/";
                    if (p.find("/" + std::string(seg) + "/") != std::string::npos)
                        return invalid(text,
                                       "'.' and '..' segments are not allowed in a key prefix");
                }
                uri.prefix = std::string(prefix);
            }
            return uri;
        }
        if (scheme_like && scheme == "file") {
            std::string_view path = text.substr(scheme_end + 3);
            if (path.starts_with("localhost/"))
                path.remove_prefix(9);
            if (!path.starts_with('/'))
                return invalid(text, "file:// URIs need an absolute path (file:///abs/path)");
            uri.path = normalize_path(path);
            return uri;
        }
        if (scheme_like)
            return invalid(text, "unsupported scheme '" + std::string(scheme) +
                                     "://' (supported: a local path, file://, s3://)");
    }
    std::string path(text);
    if (!path.starts_with('/')) {
        std::string base = base_dir.empty() ? current_dir() : std::string(base_dir);
        if (!base.starts_with('/'))
            base = current_dir() + "/" + base;
        path = base + "/" + path;
    }
    uri.path = normalize_path(path);
    return uri;
}

} // namespace omnigraph::base
