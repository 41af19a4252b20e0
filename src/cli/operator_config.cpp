#include "cli/operator_config.h"

#include <filesystem>
#include <iostream>
#include <set>
#include <yaml-cpp/yaml.h>

namespace omnigraph::cli {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kInvalidConfig = "invalid_config";

std::string located(const std::string& path, const YAML::Node& node) {
    const YAML::Mark m = node.Mark();
    return path + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

// A URI relative to the config file's directory; URIs with a scheme and absolute paths as-is.
std::string resolve(const std::string& uri, const fs::path& dir) {
    if (uri.find("://") != std::string::npos || fs::path(uri).is_absolute())
        return uri;
    return (dir / uri).lexically_normal().string();
}

} // namespace

Result<OperatorConfig> load_operator_config(const std::string& config_path) {
    OperatorConfig out;
    std::string path = config_path.empty() ? "omnigraph.yaml" : config_path;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        if (config_path.empty())
            return out; // no per-operator file: nothing configured
        return Error(kInvalidConfig, "config file '" + path + "' not found");
    }
    out.path = path;
    YAML::Node root;
    try {
        root = YAML::LoadFile(path);
    } catch (const YAML::Exception& e) {
        return Error(kInvalidConfig, path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                         std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    if (root.IsNull())
        return out;
    if (!root.IsMap())
        return Error(kInvalidConfig, located(path, root) + ": omnigraph.yaml must be a mapping");
    fs::path dir = fs::absolute(path).parent_path();
    static const std::set<std::string> kKnown = {"project", "graphs",  "cli",    "server", "auth",
                                                 "query",   "aliases", "policy", "queries"};
    try {
        for (const auto& entry : root) {
            std::string key = entry.first.as<std::string>();
            if (!kKnown.count(key))
                std::cerr << "warning: " << located(path, entry.first) << ": unknown key '" << key
                          << "' in omnigraph.yaml (ignored)\n";
        }
        if (const YAML::Node graphs = root["graphs"]) {
            if (!graphs.IsMap())
                return Error(kInvalidConfig, located(path, graphs) + ": graphs must be a mapping");
            for (const auto& g : graphs) {
                std::string name = g.first.as<std::string>();
                const YAML::Node uri = g.second["uri"];
                if (!uri || !uri.IsScalar())
                    return Error(kInvalidConfig, located(path, g.second) + ": graphs." + name +
                                                     ".uri must be a string");
                out.graph_uris[name] = resolve(uri.as<std::string>(), dir);
            }
        }
        if (const YAML::Node cli = root["cli"]) {
            if (!cli.IsMap())
                return Error(kInvalidConfig, located(path, cli) + ": cli must be a mapping");
            auto text = [&](const char* key) -> std::optional<std::string> {
                const YAML::Node v = cli[key];
                if (!v)
                    return std::nullopt;
                if (!v.IsScalar())
                    throw YAML::Exception(v.Mark(),
                                          std::string("cli.") + key + " must be a string");
                return v.as<std::string>();
            };
            out.default_graph = text("graph");
            out.default_branch = text("branch");
            out.actor = text("actor");
        }
    } catch (const YAML::Exception& e) {
        return Error(kInvalidConfig, path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                         std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    return out;
}

Result<std::string> resolve_graph_uri(const OperatorConfig& config, const std::string& uri,
                                      const std::string& target) {
    if (!uri.empty())
        return uri;
    std::string name = !target.empty() ? target : config.default_graph.value_or("");
    if (name.empty())
        return Error("invalid_argument", "URI must be provided via <URI>, --target, or config");
    auto it = config.graph_uris.find(name);
    if (it == config.graph_uris.end())
        return Error("not_found", "graph '" + name + "' not found in omnigraph.yaml");
    return it->second;
}

} // namespace omnigraph::cli
