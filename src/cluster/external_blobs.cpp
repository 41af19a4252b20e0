#include "cluster/external_blobs.h"

#include "engine/external_blob.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

namespace {

Error bad(const std::string& base, const std::string& why) {
    return Error("invalid_external_blob_base", "external blob base '" + base + "' " + why);
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

// The local directory a normalized file:// base names ("file:///a%20b/c/" -> "/a b/c/").
std::string local_path(const std::string& uri) {
    std::string out = "/";
    if (auto parsed = engine::parse_blob_uri(uri))
        for (const auto& segment : parsed->segments)
            out += segment + "/";
    return out;
}

bool is_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

} // namespace

Result<std::string> normalize_blob_base(const std::string& base, const std::string& scope) {
    auto uri = engine::parse_blob_uri(base);
    if (!uri)
        return bad(base, uri.error().message);
    if (uri->scheme == "file" && scope == "server_safe")
        return bad(base, "cannot be server_safe: only s3:// bases are safe for a server");
    if (uri->scheme == "file" && scope == "embedded_only") {
        std::error_code ec;
        if (!std::filesystem::is_directory(local_path(uri->normal_form(true)), ec))
            return bad(base, "names no existing local directory");
    }
    return uri->normal_form(true);
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
        std::string local = local_path(uri);
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
