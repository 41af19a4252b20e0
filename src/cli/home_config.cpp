#include "cli/home_config.h"

#include "base/env.h"
#include "base/text.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <yaml-cpp/yaml.h>

namespace omnigraph::cli {

namespace {

constexpr std::string_view kInvalidConfig = "invalid_config";

// A malformed value: thrown inside the reader, caught once with its place.
struct Malformed {
    YAML::Mark mark;
    std::string what;
};

std::string text(const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar())
        throw Malformed{node.Mark(), path + " must be a string"};
    return node.as<std::string>();
}

std::optional<std::string> optional_text(const YAML::Node& map, const char* key,
                                         const std::string& path) {
    const YAML::Node v = map[key];
    if (!v || v.IsNull())
        return std::nullopt;
    return text(v, path + "." + key);
}

void expect_map(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap())
        throw Malformed{node.Mark(), path + " must be a mapping"};
}

void warn_unknown(const YAML::Node& map, const std::set<std::string>& known,
                  const std::string& path, const std::string& file) {
    for (const auto& entry : map) {
        std::string key = entry.first.as<std::string>();
        if (!known.count(key))
            std::cerr << "warning: " << file << ":" << entry.first.Mark().line + 1 << ":"
                      << entry.first.Mark().column + 1 << ": unknown key '" << path
                      << (path.empty() ? "" : ".") << key << "' (ignored)\n";
    }
}

ScopeDefaults scope_of(const YAML::Node& map, const std::string& path, const std::string& file) {
    expect_map(map, path);
    warn_unknown(map,
                 {"server", "default_graph", "graph", "store", "output", "table_max_column_width",
                  "table_cell_layout"},
                 path, file);
    ScopeDefaults s;
    s.server = optional_text(map, "server", path);
    s.graph = optional_text(map, "default_graph", path);
    if (!s.graph)
        s.graph = optional_text(map, "graph", path);
    s.store = optional_text(map, "store", path);
    return s;
}

base::Json json_of(const YAML::Node& node) {
    if (node.IsMap()) {
        base::Json out = base::Json::object();
        for (const auto& e : node)
            out[e.first.as<std::string>()] = json_of(e.second);
        return out;
    }
    if (node.IsSequence()) {
        base::Json out = base::Json::array();
        for (const auto& e : node)
            out.push_back(json_of(e));
        return out;
    }
    if (node.IsNull())
        return nullptr;
    // A scalar: a number or a boolean when it reads as one (YAML's plain scalars), else text.
    std::string s = node.as<std::string>();
    if (node.Tag() != "!") {
        if (s == "true" || s == "false")
            return s == "true";
        auto parsed = base::Json::parse(s, nullptr, false);
        if (!parsed.is_discarded() && parsed.is_number())
            return parsed;
    }
    return s;
}

} // namespace

std::string omnigraph_home() {
    if (auto home = base::env_string("OMNIGRAPH_HOME"); home && !home->empty())
        return *home;
    auto user = base::env_string("HOME");
    return (user && !user->empty() ? *user : std::string(".")) + "/.omnigraph";
}

Result<HomeConfig> load_home_config() {
    HomeConfig out;
    out.dir = omnigraph_home();
    out.path = out.dir + "/config.yaml";
    std::error_code ec;
    if (!std::filesystem::exists(out.path, ec))
        return out;
    const std::string& file = out.path;
    try {
        YAML::Node root = YAML::LoadFile(file);
        if (root.IsNull())
            return out;
        expect_map(root, "config.yaml");
        warn_unknown(root, {"operator", "servers", "defaults", "clusters", "profiles", "aliases"},
                     "", file);
        if (const YAML::Node op = root["operator"]) {
            expect_map(op, "operator");
            out.actor = optional_text(op, "actor", "operator");
        }
        if (const YAML::Node servers = root["servers"]) {
            expect_map(servers, "servers");
            for (const auto& s : servers) {
                std::string name = s.first.as<std::string>();
                std::string path = "servers." + name;
                expect_map(s.second, path);
                if (s.second["token"])
                    throw Malformed{s.second["token"].Mark(),
                                    base::concat(path,
                                                 ".token: tokens never go in config.yaml; use "
                                                 "`omnigraph login ",
                                                 name, "` or OMNIGRAPH_TOKEN_<NAME>")};
                auto url = optional_text(s.second, "url", path);
                if (!url)
                    throw Malformed{s.second.Mark(), path + ".url is required"};
                out.servers[name] = *url;
            }
        }
        if (const YAML::Node defaults = root["defaults"]) {
            out.defaults = scope_of(defaults, "defaults", file);
            out.output = optional_text(defaults, "output", "defaults");
        }
        if (const YAML::Node profiles = root["profiles"]) {
            expect_map(profiles, "profiles");
            for (const auto& p : profiles) {
                std::string name = p.first.as<std::string>();
                out.profiles[name] = scope_of(p.second, "profiles." + name, file);
            }
        }
        if (const YAML::Node aliases = root["aliases"]) {
            expect_map(aliases, "aliases");
            for (const auto& a : aliases) {
                std::string name = a.first.as<std::string>();
                std::string path = "aliases." + name;
                expect_map(a.second, path);
                warn_unknown(a.second, {"server", "graph", "query", "args", "params", "format"},
                             path, file);
                Alias alias;
                alias.server = optional_text(a.second, "server", path).value_or("");
                alias.graph = optional_text(a.second, "graph", path).value_or("");
                auto query = optional_text(a.second, "query", path);
                if (!query)
                    throw Malformed{a.second.Mark(), path + ".query is required"};
                alias.query = *query;
                if (const YAML::Node args = a.second["args"]) {
                    if (!args.IsSequence())
                        throw Malformed{args.Mark(), path + ".args must be a list"};
                    for (const auto& arg : args)
                        alias.args.push_back(text(arg, path + ".args[]"));
                }
                if (const YAML::Node params = a.second["params"]) {
                    expect_map(params, path + ".params");
                    alias.params = json_of(params);
                }
                alias.format = optional_text(a.second, "format", path);
                out.aliases[name] = std::move(alias);
            }
        }
    } catch (const Malformed& m) {
        return Error(kInvalidConfig, file + ":" + std::to_string(m.mark.line + 1) + ":" +
                                         std::to_string(m.mark.column + 1) + ": " + m.what);
    } catch (const YAML::Exception& e) {
        return Error(kInvalidConfig, file + ":" + std::to_string(e.mark.line + 1) + ":" +
                                         std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
    return out;
}

} // namespace omnigraph::cli
