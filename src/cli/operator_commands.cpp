// The operator's own verbs for talking to servers (spec engine-cli §4.2, §4.3): `login`,

#include "base/env.h"
// `logout`, `profile list|show`, `graphs list` and `alias NAME ARGS…`. They read and write only
// ~/.omnigraph (cli/home_config.h, cli/credentials.h); `graphs list` and `alias` call a server.
#include "cli/commands.h"
#include "cli/credentials.h"
#include "cli/graph_access.h"
#include "cli/home_config.h"
#include "cli/read_output.h"
#include "cli/remote_graph.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace omnigraph::cli {
namespace {

using base::Json;

struct LoginArgs {
    std::string name, token;
    bool json = false;
};

int run_login(const LoginArgs& a) {
    std::string token = a.token;
    if (token.empty()) { // from standard input: never in the shell's history
        if (isatty(STDIN_FILENO))
            std::cerr << "token for '" << a.name << "': " << std::flush;
        std::getline(std::cin, token);
    }
    while (!token.empty() && (token.back() == '\r' || token.back() == ' '))
        token.pop_back();
    if (token.empty())
        return fail(Error(codes::kInvalidArgument, "no token given (--token T, or on stdin)"),
                    a.json);
    auto credentials = load_credentials(omnigraph_home());
    if (!credentials)
        return fail(credentials.error(), a.json);
    credentials->tokens[a.name] = token;
    if (auto saved = save_credentials(*credentials); !saved)
        return fail(saved.error(), a.json);
    if (a.json)
        std::cout << base::to_pretty_json(
            Json::object({{"name", a.name}, {"path", credentials->path}}));
    else
        std::cout << "stored credential for '" << a.name << "' in " << credentials->path << "\n";
    return 0;
}

int run_logout(const LoginArgs& a) {
    auto credentials = load_credentials(omnigraph_home());
    if (!credentials)
        return fail(credentials.error(), a.json);
    bool had = credentials->tokens.erase(a.name) > 0;
    if (had)
        if (auto saved = save_credentials(*credentials); !saved)
            return fail(saved.error(), a.json);
    if (a.json)
        std::cout << base::to_pretty_json(
            Json::object({{"name", a.name}, {"path", credentials->path}, {"removed", had}}));
    else
        std::cout << "removed credential for '" << a.name << "' from " << credentials->path << "\n";
    return 0;
}

Json scope_json(const ScopeDefaults& s) {
    auto v = [](const std::optional<std::string>& o) { return o ? Json(*o) : Json(nullptr); };
    return Json::object(
        {{"server", v(s.server)}, {"default_graph", v(s.graph)}, {"store", v(s.store)}});
}

struct ProfileArgs {
    std::string name;
    bool json = false;
};

int run_profile_list(const ProfileArgs& a) {
    auto config = load_home_config();
    if (!config)
        return fail(config.error(), a.json);
    if (a.json) {
        Json out = Json::object();
        for (const auto& [name, p] : config->profiles)
            out[name] = scope_json(p);
        std::cout << base::to_pretty_json(Json::object({{"profiles", out}}));
        return 0;
    }
    for (const auto& [name, p] : config->profiles)
        std::cout << name << "\n";
    return 0;
}

int run_profile_show(const ProfileArgs& a) {
    auto config = load_home_config();
    if (!config)
        return fail(config.error(), a.json);
    std::string name = a.name;
    if (name.empty())
        name = base::env_string("OMNIGRAPH_PROFILE").value_or("");
    const ScopeDefaults* scope = &config->defaults;
    if (!name.empty()) {
        auto it = config->profiles.find(name);
        if (it == config->profiles.end())
            return fail(Error(codes::kNotFound, "profile '" + name + "' is not in " + config->path),
                        a.json);
        scope = &it->second;
    }
    Json out = scope_json(*scope);
    out["name"] = name.empty() ? Json("(defaults)") : Json(name);
    if (a.json) {
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    for (const char* key : {"name", "server", "default_graph", "store"})
        std::cout << key << ": "
                  << (out[key].is_string() ? out[key].get<std::string>() : std::string("-"))
                  << "\n";
    return 0;
}

struct GraphsArgs {
    ServerScopeArgs scope;
    bool json = false;
};

int run_graphs_list(const GraphsArgs& a) {
    auto config = load_home_config();
    if (!config)
        return fail(config.error(), a.json);
    auto server = RemoteServer::resolve(a.scope, *config);
    if (!server)
        return fail(server.error(), a.json);
    std::optional<RemoteServer> target = std::move(server).value();
    if (!target)
        return fail(Error(codes::kInvalidArgument,
                          "graphs list asks a server: pass --server NAME|URL (or set "
                          "defaults.server in " +
                              config->path + ")"),
                    a.json);
    auto out = target->json("GET", "/graphs");
    if (!out)
        return fail(out.error(), a.json);
    if (a.json) {
        std::cout << base::to_pretty_json(*out);
        return 0;
    }
    for (const auto& g : (*out)["graphs"])
        std::cout << g.value("graph_id", "") << "\t" << g.value("uri", "") << "\n";
    return 0;
}

struct AliasArgs {
    std::string name;
    std::vector<std::string> args;
    std::string format;
    bool json = false;
};

// A positional value as the JSON a parameter takes: a number, boolean, null, array or object
// when it reads as one, else the text.
Json argument_value(const std::string& text) {
    auto parsed = Json::parse(text, nullptr, false);
    if (!parsed.is_discarded() && !parsed.is_string())
        return parsed;
    return text;
}

int run_alias(const AliasArgs& a) {
    auto config = load_home_config();
    if (!config)
        return fail(config.error(), a.json);
    auto it = config->aliases.find(a.name);
    if (it == config->aliases.end())
        return fail(Error(codes::kNotFound, "alias '" + a.name + "' is not in " + config->path),
                    a.json);
    const Alias& alias = it->second;
    if (a.args.size() > alias.args.size())
        return fail(Error(codes::kInvalidArgument,
                          "alias '" + a.name + "' takes " + std::to_string(alias.args.size()) +
                              " argument(s), got " + std::to_string(a.args.size())),
                    a.json);
    ServerScopeArgs scope;
    scope.server = alias.server;
    scope.graph = alias.graph;
    auto graph = RemoteGraph::resolve(scope);
    if (!graph)
        return fail(graph.error(), a.json);
    std::optional<RemoteGraph> target = std::move(graph).value();
    if (!target)
        return fail(Error(codes::kInvalidArgument,
                          "alias '" + a.name + "' names no server (aliases.<name>.server)"),
                    a.json);
    Json params = alias.params;
    for (size_t i = 0; i < a.args.size(); ++i)
        params[alias.args[i]] = argument_value(a.args[i]);
    Json body = Json::object({{"params", params}});
    auto out = target->server().json("POST", target->path("queries/" + alias.query), {}, &body);
    if (!out)
        return fail(out.error(), a.json);
    std::string format = a.json ? "json"
                         : !a.format.empty()
                             ? a.format
                             : alias.format.value_or(config->output.value_or("table"));
    print_read_output(*out, format);
    return 0;
}

} // namespace

void register_operator(CLI::App& app, Outcome& outcome) {
    auto login = std::make_shared<LoginArgs>();
    auto* login_cmd = app.add_subcommand("login", "Store a bearer token for a named server");
    login_cmd->add_option("name", login->name, "Server name (servers.<name> in config.yaml)")
        ->required();
    login_cmd->add_option("--token", login->token, "The token (default: read from stdin)");
    login_cmd->add_flag("--json", login->json, "Print JSON");
    login_cmd->callback([login, &outcome] { outcome.exit_code = run_login(*login); });

    auto logout = std::make_shared<LoginArgs>();
    auto* logout_cmd = app.add_subcommand("logout", "Remove a stored bearer token");
    logout_cmd->add_option("name", logout->name, "Server name")->required();
    logout_cmd->add_flag("--json", logout->json, "Print JSON");
    logout_cmd->callback([logout, &outcome] { outcome.exit_code = run_logout(*logout); });

    auto* profile = app.add_subcommand("profile", "Show the profiles of ~/.omnigraph/config.yaml");
    profile->require_subcommand(1);
    auto plist = std::make_shared<ProfileArgs>();
    auto* plist_cmd = profile->add_subcommand("list", "List profile names");
    plist_cmd->add_flag("--json", plist->json, "Print JSON");
    plist_cmd->callback([plist, &outcome] { outcome.exit_code = run_profile_list(*plist); });
    auto pshow = std::make_shared<ProfileArgs>();
    auto* pshow_cmd = profile->add_subcommand(
        "show", "Show a profile (default $OMNIGRAPH_PROFILE, else the flat defaults)");
    pshow_cmd->add_option("name", pshow->name, "Profile name");
    pshow_cmd->add_flag("--json", pshow->json, "Print JSON");
    pshow_cmd->callback([pshow, &outcome] { outcome.exit_code = run_profile_show(*pshow); });

    auto* graphs = app.add_subcommand("graphs", "The graphs a server serves");
    graphs->require_subcommand(1);
    auto glist = std::make_shared<GraphsArgs>();
    auto* glist_cmd = graphs->add_subcommand("list", "List a server's graphs (GET /graphs)");
    glist_cmd->add_option("--server", glist->scope.server, "Server name or URL");
    glist_cmd->add_option("--profile", glist->scope.profile, "Profile of config.yaml");
    glist_cmd->add_flag("--json", glist->json, "Print JSON");
    glist_cmd->callback([glist, &outcome] { outcome.exit_code = run_graphs_list(*glist); });

    auto alias = std::make_shared<AliasArgs>();
    auto* alias_cmd =
        app.add_subcommand("alias", "Run a stored query named in config.yaml (aliases.<name>)");
    alias_cmd->add_option("name", alias->name, "Alias name")->required();
    alias_cmd->add_option("args", alias->args, "Values of the alias's args, in order");
    alias_cmd->add_option("--format", alias->format, "table | kv | csv | jsonl | json")
        ->check(CLI::IsMember({"table", "kv", "csv", "jsonl", "json"}));
    alias_cmd->add_flag("--json", alias->json, "Same as --format json");
    alias_cmd->callback([alias, &outcome] { outcome.exit_code = run_alias(*alias); });
}

} // namespace omnigraph::cli
