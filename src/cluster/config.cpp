#include "cluster/config.h"

#include "base/text.h"
#include "cluster/duplicate_keys.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <yaml-cpp/yaml.h>

namespace omnigraph::cluster {

namespace {

namespace fs = std::filesystem;

// A typed-parse failure: the first one stops the parse, as a strict deserializer does.
struct ParseFailure {
    std::string message;
};

std::string at(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    if (m.line < 0)
        return "";
    return " at line " + std::to_string(m.line + 1) + " column " + std::to_string(m.column + 1);
}

[[noreturn]] void fail(const YAML::Node& n, const std::string& what) {
    throw ParseFailure{what + at(n)};
}

std::string type_name(const YAML::Node& n) {
    switch (n.Type()) {
    case YAML::NodeType::Map:
        return "map";
    case YAML::NodeType::Sequence:
        return "sequence";
    case YAML::NodeType::Null:
        return "null";
    default:
        return "string";
    }
}

std::string path_of(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

// A mapping's entries in file order, refusing keys outside `allowed` (when given).
std::vector<std::pair<std::string, YAML::Node>>
entries(const YAML::Node& node, const std::string& path,
        const std::vector<std::string>& allowed = {}) {
    if (!node.IsMap())
        fail(node, (path.empty() ? std::string("cluster.yaml") : path) +
                       ": invalid type: " + type_name(node) + ", expected a map");
    std::vector<std::pair<std::string, YAML::Node>> out;
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar())
            fail(it->first, path + ": keys must be strings");
        std::string key = it->first.Scalar();
        if (!seen.insert(key).second)
            fail(it->first, path_of(path, key) + ": duplicate key");
        if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string expected;
            for (const auto& a : allowed)
                expected.append(expected.empty() ? "`" : ", `").append(a).append("`");
            std::string_view separator = path.empty() ? "" : ": ";
            fail(it->first, base::concat(path, separator, "unknown field `", key,
                                         "`, expected one of ", expected));
        }
        out.emplace_back(key, it->second);
    }
    return out;
}

std::string scalar(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar())
        fail(n, path + ": invalid type: " + type_name(n) + ", expected a string");
    return n.Scalar();
}

bool is_plain(const YAML::Node& n) {
    return n.Tag() != "!";
}

int64_t integer(const YAML::Node& n, const std::string& path) {
    if (!n.IsScalar() || !is_plain(n))
        fail(n, path + ": invalid type: " + type_name(n) + ", expected an integer");
    const std::string& s = n.Scalar();
    // strtoll (what std::stoll calls) without the exceptions: the whole scalar, in range.
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0 && end != s.c_str() && end == s.c_str() + s.size())
        return v;
    fail(n, path + ": invalid value '" + s + "', expected an integer");
}

bool boolean(const YAML::Node& n, const std::string& path) {
    if (n.IsScalar() && is_plain(n)) {
        if (n.Scalar() == "true")
            return true;
        if (n.Scalar() == "false")
            return false;
    }
    fail(n, path + ": invalid type: " + type_name(n) + ", expected a boolean");
}

std::vector<std::string> string_list(const YAML::Node& n, const std::string& path) {
    if (!n.IsSequence())
        fail(n, path + ": invalid type: " + type_name(n) + ", expected a sequence");
    std::vector<std::string> out;
    for (const auto& item : n)
        out.push_back(scalar(item, path + "[]"));
    return out;
}

std::map<std::string, YAML::Node> required(const std::vector<std::pair<std::string, YAML::Node>>& e,
                                           const YAML::Node& node, const std::string& path,
                                           const std::vector<std::string>& keys) {
    std::map<std::string, YAML::Node> out(e.begin(), e.end());
    for (const auto& k : keys)
        if (!out.contains(k) || out.at(k).IsNull())
            fail(node, base::concat(path, ": missing field `", k, "`"));
    return out;
}

ProviderProfile parse_profile(const YAML::Node& node, const std::string& path) {
    ProviderProfile p;
    bool have_kind = false;
    for (auto& [key, value] :
         entries(node, path, {"kind", "provider", "base_url", "model", "api_key"})) {
        if (value.IsNull())
            continue;
        std::string v = scalar(value, path_of(path, key));
        if (key == "kind" || key == "provider") {
            if (have_kind)
                fail(value, path + ": duplicate field `kind`");
            have_kind = true;
            p.kind = v;
        } else if (key == "base_url") {
            p.base_url = v;
        } else if (key == "model") {
            p.model = v;
        } else {
            p.api_key = v;
        }
    }
    return p;
}

QueriesDecl parse_queries(const YAML::Node& node, const std::string& path) {
    QueriesDecl q;
    if (node.IsNull())
        return q;
    if (node.IsScalar()) {
        q.form = QueriesDecl::Form::kPath;
        q.paths.push_back(node.Scalar());
    } else if (node.IsSequence()) {
        q.form = QueriesDecl::Form::kList;
        q.paths = string_list(node, path);
    } else {
        q.form = QueriesDecl::Form::kMap;
        for (auto& [name, entry] : entries(node, path)) {
            std::string p = path_of(path, name);
            auto fields = required(entries(entry, p, {"file"}), entry, p, {"file"});
            q.map[name] = scalar(fields.at("file"), p + ".file");
        }
    }
    return q;
}

GraphDecl parse_graph(const YAML::Node& node, const std::string& path) {
    GraphDecl g;
    auto e = entries(node, path, {"schema", "queries", "embedding_provider", "external_blobs"});
    auto fields = required(e, node, path, {"schema"});
    g.schema = scalar(fields.at("schema"), path + ".schema");
    if (fields.contains("queries"))
        g.queries = parse_queries(fields.at("queries"), path + ".queries");
    if (fields.contains("embedding_provider") && !fields.at("embedding_provider").IsNull())
        g.embedding_provider =
            scalar(fields.at("embedding_provider"), path + ".embedding_provider");
    if (fields.contains("external_blobs") && !fields.at("external_blobs").IsNull()) {
        std::string bp = path + ".external_blobs";
        auto blobs = entries(fields.at("external_blobs"), bp, {"allow"});
        for (auto& [key, allow] : blobs) {
            if (allow.IsNull())
                continue;
            if (!allow.IsSequence())
                fail(allow,
                     bp + ".allow: invalid type: " + type_name(allow) + ", expected a sequence");
            for (const auto& item : allow) {
                std::string ip = bp + ".allow[]";
                auto f =
                    required(entries(item, ip, {"base", "scope"}), item, ip, {"base", "scope"});
                BlobBaseDecl b{scalar(f.at("base"), ip + ".base"),
                               scalar(f.at("scope"), ip + ".scope")};
                if (b.scope != "server_safe" && b.scope != "embedded_only")
                    fail(f.at("scope"), ip + ".scope: unknown variant `" + b.scope +
                                            "`, expected `server_safe` or `embedded_only`");
                g.blob_bases.push_back(std::move(b));
            }
        }
    }
    return g;
}

ClusterConfig parse_typed(const YAML::Node& root) {
    ClusterConfig c;
    auto e = entries(
        root, "", {"version", "metadata", "storage", "state", "providers", "graphs", "policies"});
    auto fields = required(e, root, "cluster.yaml", {"version"});
    c.version = integer(fields.at("version"), "version");
    if (fields.contains("metadata") && !fields.at("metadata").IsNull())
        for (auto& [key, value] : entries(fields.at("metadata"), "metadata", {"name"}))
            if (!value.IsNull())
                c.metadata_name = scalar(value, "metadata.name");
    if (fields.contains("storage") && !fields.at("storage").IsNull())
        c.storage = scalar(fields.at("storage"), "storage");
    if (fields.contains("state") && !fields.at("state").IsNull())
        for (auto& [key, value] : entries(fields.at("state"), "state", {"backend", "lock"})) {
            if (value.IsNull())
                continue;
            if (key == "backend")
                c.state_backend = scalar(value, "state.backend");
            else
                c.state_lock = boolean(value, "state.lock");
        }
    if (fields.contains("providers") && !fields.at("providers").IsNull())
        for (auto& [key, value] : entries(fields.at("providers"), "providers", {"embedding"})) {
            if (value.IsNull())
                continue;
            for (auto& [name, profile] : entries(value, "providers.embedding"))
                c.providers[name] = parse_profile(profile, "providers.embedding." + name);
        }
    if (fields.contains("graphs") && !fields.at("graphs").IsNull())
        for (auto& [id, graph] : entries(fields.at("graphs"), "graphs"))
            c.graphs[id] = parse_graph(graph, "graphs." + id);
    if (fields.contains("policies") && !fields.at("policies").IsNull())
        for (auto& [name, policy] : entries(fields.at("policies"), "policies")) {
            std::string p = "policies." + name;
            auto f = required(entries(policy, p, {"file", "applies_to"}), policy, p,
                              {"file", "applies_to"});
            c.policies[name] = {scalar(f.at("file"), p + ".file"),
                                string_list(f.at("applies_to"), p + ".applies_to")};
        }
    return c;
}

// Step 3 beyond duplicates: reserved and removed keys, found on the loaded tree.
void check_reserved_keys(const YAML::Node& root, Diagnostics& diags) {
    if (!root.IsMap())
        return;
    static const std::set<std::string> reserved = {"apply", "env_file", "pipelines", "embeddings",
                                                   "ui",    "aliases",  "bindings"};
    for (auto it = root.begin(); it != root.end(); ++it) {
        if (!it->first.IsScalar())
            continue;
        const std::string& key = it->first.Scalar();
        if (reserved.contains(key))
            diags.error("future_phase_field", key,
                        "`" + key + "` is reserved for a future phase and not supported yet" +
                            at(it->first));
        if (key == "graphs" && it->second.IsMap())
            for (auto g = it->second.begin(); g != it->second.end(); ++g)
                if (g->second.IsMap() && g->second["streaming"])
                    diags.error("removed_streaming_declaration",
                                "graphs." + g->first.Scalar() + ".streaming",
                                "`streaming` declarations were removed; delete the key" +
                                    at(g->second["streaming"]));
    }
}

bool is_blank(const std::string& s) {
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

} // namespace

base::Json profile_json(const ProviderProfile& p) {
    base::Json j = base::Json::object();
    if (p.kind)
        j["kind"] = *p.kind;
    if (p.base_url)
        j["base_url"] = *p.base_url;
    if (p.model)
        j["model"] = *p.model;
    if (p.api_key)
        j["api_key"] = *p.api_key;
    return j;
}

base::Json raw_config_json(const ClusterConfig& c) {
    using base::Json;
    auto opt = [](const auto& v) { return v ? Json(*v) : Json(nullptr); };
    Json j = Json::object();
    j["version"] = c.version;
    j["metadata"] = Json::object({{"name", opt(c.metadata_name)}});
    j["storage"] = opt(c.storage);
    j["state"] = Json::object({{"backend", opt(c.state_backend)}, {"lock", opt(c.state_lock)}});
    Json embedding = Json::object();
    for (const auto& [name, p] : c.providers)
        embedding[name] = profile_json(p);
    j["providers"] = Json::object({{"embedding", embedding}});
    Json graphs = Json::object();
    for (const auto& [id, g] : c.graphs) {
        Json gj = Json::object();
        gj["schema"] = g.schema;
        switch (g.queries.form) {
        case QueriesDecl::Form::kAbsent:
            gj["queries"] = Json::object();
            break;
        case QueriesDecl::Form::kPath:
            gj["queries"] = g.queries.paths.front();
            break;
        case QueriesDecl::Form::kList:
            gj["queries"] = g.queries.paths;
            break;
        case QueriesDecl::Form::kMap: {
            Json m = Json::object();
            for (const auto& [name, file] : g.queries.map)
                m[name] = Json::object({{"file", file}});
            gj["queries"] = m;
            break;
        }
        }
        gj["embedding_provider"] = opt(g.embedding_provider);
        if (!g.blob_bases.empty()) {
            Json allow = Json::array();
            for (const auto& b : g.blob_bases)
                allow.push_back(Json::object({{"base", b.base}, {"scope", b.scope}}));
            gj["external_blobs"] = Json::object({{"allow", allow}});
        }
        graphs[id] = gj;
    }
    j["graphs"] = graphs;
    Json policies = Json::object();
    for (const auto& [name, p] : c.policies)
        policies[name] = Json::object({{"file", p.file}, {"applies_to", p.applies_to}});
    j["policies"] = policies;
    return j;
}

Result<base::StorageUri> resolve_storage_root(const std::optional<std::string>& storage,
                                              const std::string& abs_config_dir) {
    if (!storage)
        return base::parse_storage_uri(abs_config_dir);
    std::string text = *storage;
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.erase(text.begin());
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n'))
        text.pop_back();
    while (text.size() > 1 && text.back() == '/' && !text.ends_with("://"))
        text.pop_back();
    if (text.empty())
        return Error("invalid_storage_root", "storage: must not be empty");
    auto uri = base::parse_storage_uri(text, abs_config_dir);
    if (!uri)
        return Error("invalid_storage_root",
                     "storage: '" + *storage + "' is not a storage root (" + uri.error().message +
                         "); use a local path, file:///abs/path or s3://bucket/prefix");
    return uri;
}

// Steps 3-4 of spec §2.6 on the text of a cluster.yaml (`file` names it in messages).
std::optional<ClusterConfig> parse_cluster_text(std::string_view text, const std::string& file,
                                                Diagnostics& diags) {

    bool failed = false;
    for (const auto& dup : find_duplicate_keys(text)) {
        diags.error("duplicate_yaml_key", dup.path,
                    "duplicate key `" + dup.path + "` at line " + std::to_string(dup.line));
        failed = true;
    }
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& e) {
        if (!failed)
            diags.error("invalid_cluster_yaml", "cluster.yaml",
                        file + ": " + e.msg + " at line " + std::to_string(e.mark.line + 1) +
                            " column " + std::to_string(e.mark.column + 1));
        return std::nullopt;
    }
    size_t before = diags.items().size();
    check_reserved_keys(root, diags);
    if (failed || diags.items().size() != before)
        return std::nullopt;
    try {
        return parse_typed(root);
    } catch (const ParseFailure& f) {
        diags.error("invalid_cluster_yaml", "cluster.yaml", f.message);
        return std::nullopt;
    } catch (const YAML::Exception& e) {
        diags.error("invalid_cluster_yaml", "cluster.yaml", e.msg);
        return std::nullopt;
    } catch (const std::exception& e) {
        diags.error("invalid_cluster_yaml", "cluster.yaml", e.what());
        return std::nullopt;
    }
}

std::optional<std::string> read_working_file(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec))
        return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        return std::nullopt;
    return buffer.str();
}

LoadedConfig load_cluster_config(const std::string& config_dir, Diagnostics& diags) {
    LoadedConfig out;
    out.config_dir = config_dir;
    std::error_code ec;
    if (!fs::is_directory(config_dir, ec)) {
        diags.error("config_dir_not_found", config_dir,
                    "config directory '" + config_dir + "' does not exist or is not a directory");
        return out;
    }
    out.abs_config_dir = base::normalize_path(fs::absolute(config_dir, ec).string());
    out.config_file = (fs::path(config_dir) / kClusterFileName).string();
    auto text = read_working_file(out.config_file);
    if (!text) {
        diags.error("cluster_config_read_error", out.config_file, "cannot read " + out.config_file);
        return out;
    }
    auto parsed = parse_cluster_text(*text, out.config_file, diags);
    if (!parsed)
        return out;
    out.config = std::move(*parsed);
    out.parsed = true;

    // Step 5: the header.
    const ClusterConfig& c = out.config;
    bool header_ok = true;
    if (c.version != 1) {
        diags.error("unsupported_cluster_config_version", "version",
                    "cluster.yaml version " + std::to_string(c.version) +
                        " is not supported (expected 1)");
        header_ok = false;
    }
    if (c.metadata_name && is_blank(*c.metadata_name)) {
        diags.error("empty_metadata_name", "metadata.name", "metadata.name must not be blank");
        header_ok = false;
    }
    if (c.state_backend && *c.state_backend != "cluster") {
        diags.error("unsupported_state_backend", "state.backend",
                    "state backend '" + *c.state_backend +
                        "' is not supported (omit it or use `cluster`)");
        header_ok = false;
    }
    auto root_uri = resolve_storage_root(c.storage, out.abs_config_dir);
    if (!root_uri) {
        diags.error(root_uri.error().code, "storage", root_uri.error().message);
        header_ok = false;
    }
    if (header_ok)
        out.storage_root = *root_uri;
    return out;
}

} // namespace omnigraph::cluster
