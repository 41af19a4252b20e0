#include "cli/remote_graph.h"

#include "base/env.h"
#include "cli/credentials.h"
#include "store/http_client.h"
#include "store/sigv4.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {

namespace {

// A verb given neither a graph root nor a server.
Error graph_root_required() {
    return Error(codes::kInvalidArgument, "a graph root is required: pass URI (or --store URI), "
                                          "or address a served graph with --server");
}

// The profile in force: --profile, else $OMNIGRAPH_PROFILE; unknown names are errors.
Result<const ScopeDefaults*> profile_of(const ServerScopeArgs& args, const HomeConfig& config) {
    std::string name = args.profile;
    if (name.empty())
        name = base::env_string("OMNIGRAPH_PROFILE").value_or("");
    if (name.empty())
        return nullptr;
    auto it = config.profiles.find(name);
    if (it == config.profiles.end())
        return Error("invalid_argument", "profile '" + name + "' is not in " + config.path);
    return &it->second;
}

} // namespace

void ServerScopeArgs::add_to(CLI::App* cmd) {
    cmd->add_option("--server", server, "Server name (config.yaml) or URL to run this on");
    cmd->add_option("--graph", graph, "Graph id on the server");
    cmd->add_option("--profile", profile, "Profile of config.yaml (default $OMNIGRAPH_PROFILE)");
}

RemoteServer::RemoteServer(RemoteServer&&) noexcept = default;
RemoteServer& RemoteServer::operator=(RemoteServer&&) noexcept = default;
RemoteServer::~RemoteServer() = default;

Result<std::optional<RemoteServer>> RemoteServer::resolve(const ServerScopeArgs& args,
                                                          const HomeConfig& config) {
    const ScopeDefaults* profile = OG_TRY(profile_of(args, config));
    std::string server = args.server;
    if (server.empty() && profile)
        server = profile->server.value_or("");
    if (server.empty() && !profile)
        server = config.defaults.server.value_or("");
    if (server.empty())
        return std::optional<RemoteServer>();
    RemoteServer out;
    if (server.starts_with("http://") || server.starts_with("https://")) {
        out.url_ = server;
        for (const auto& [name, url] : config.servers) // a URL of a named server gets its token
            if (url == server || url + "/" == server || url == server + "/")
                out.name_ = name;
    } else {
        auto it = config.servers.find(server);
        if (it == config.servers.end())
            return Error("invalid_argument",
                         "server '" + server + "' is not in " + config.path +
                             " (servers.<name>.url); pass a URL or add it there");
        out.name_ = server;
        out.url_ = it->second;
    }
    while (out.url_.ends_with('/'))
        out.url_.pop_back();
    auto credentials = OG_TRY(load_credentials(config.dir));
    out.token_ = token_for(out.name_, credentials);
    store::HttpClientOptions options;
    options.max_connections = 2;
    options.request_timeout_ms = 0; // a long export or load is not cut by the client
    out.client_ = std::make_unique<store::HttpClient>(options);
    return std::optional<RemoteServer>(std::move(out));
}

Result<HttpAnswer>
RemoteServer::call(std::string_view method, const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& query,
                   std::string_view body, std::string_view content_type,
                   const std::vector<std::pair<std::string, std::string>>& headers) const {
    store::HttpRequest request;
    request.method = std::string(method);
    request.url = url_ + path;
    char sep = '?';
    for (const auto& [k, v] : query) {
        request.url += sep + store::uri_encode(k, false) + "=" + store::uri_encode(v, false);
        sep = '&';
    }
    if (token_)
        request.headers.emplace_back("Authorization", "Bearer " + *token_);
    request.headers.insert(request.headers.end(), headers.begin(), headers.end());
    if (!body.empty())
        request.headers.emplace_back("Content-Type", std::string(content_type));
    request.body = body;
    auto response = client_->send(request);
    if (!response)
        return Error(response.error().code,
                     "cannot reach server " + url_ + ": " + response.error().message);
    return std::move(*response);
}

Result<base::Json> RemoteServer::json(std::string_view method, const std::string& path,
                                      const std::vector<std::pair<std::string, std::string>>& query,
                                      const base::Json* body) const {
    std::string text = body ? body->dump() : std::string();
    auto answer = OG_TRY(call(method, path, query, text));
    if (answer.status < 200 || answer.status >= 300)
        return http_answer_error(answer);
    auto parsed = base::Json::parse(answer.body, nullptr, false);
    if (parsed.is_discarded())
        return Error("internal", "server " + url_ + " answered " + path +
                                     " with a body that "
                                     "is not JSON");
    return parsed;
}

Result<std::optional<RemoteGraph>> RemoteGraph::resolve(const ServerScopeArgs& args,
                                                        bool local_address) {
    if (local_address) {
        if (!args.server.empty() || !args.graph.empty() || !args.profile.empty())
            return Error("invalid_argument",
                         "a graph root and --server/--graph/--profile are mutually exclusive — "
                         "pick one way to address the graph");
        return std::optional<RemoteGraph>();
    }
    auto config = OG_TRY(load_home_config());
    auto server = OG_TRY(RemoteServer::resolve(args, config));
    if (!server) {
        if (!args.graph.empty())
            return Error("invalid_argument", "--graph names a graph of a server: pass --server "
                                             "too (or set defaults.server in " +
                                                 config.path + ")");
        return std::optional<RemoteGraph>();
    }
    const ScopeDefaults* profile = OG_TRY(profile_of(args, config));
    std::string graph = args.graph;
    if (graph.empty() && args.server.empty())
        graph = (profile ? profile->graph : config.defaults.graph).value_or("");
    if (graph.empty()) {
        // Name the candidates rather than guess (spec §4.2 scope resolution).
        auto listed = server->json("GET", "/graphs");
        std::string why = "pass --graph <id>";
        if (listed && listed->contains("graphs")) {
            std::string names;
            for (const auto& g : (*listed)["graphs"])
                names += (names.empty() ? "" : ", ") + g.value("graph_id", g.value("id", ""));
            why = "server scope '" + server->label() + "' has " +
                  std::to_string((*listed)["graphs"].size()) + " graph(s): [" + names +
                  "]; pass --graph <id>";
        }
        return Error("invalid_argument", why);
    }
    return std::optional<RemoteGraph>(RemoteGraph(std::move(*server), graph));
}

Result<std::optional<RemoteGraph>> RemoteGraph::resolve_or_root(const ServerScopeArgs& args,
                                                                const std::string& uri) {
    auto remote = OG_TRY(resolve(args, !uri.empty()));
    if (!remote && uri.empty())
        return graph_root_required();
    return remote;
}

std::string RemoteGraph::path(std::string_view route) const {
    return "/graphs/" + store::uri_encode(id_, false) + (route.empty() ? "" : "/") +
           std::string(route);
}

Error served_actor_refused() {
    return Error(codes::kInvalidArgument,
                 "--as cannot be used with --server: the server records the actor of your token");
}

Error http_answer_error(const HttpAnswer& answer) {
    auto body = base::Json::parse(answer.body, nullptr, false);
    std::string message = "server answered HTTP " + std::to_string(answer.status);
    std::string code = "http_" + std::to_string(answer.status);
    Error out;
    if (body.is_object()) {
        if (body.contains("error") && body["error"].is_string())
            message = body["error"].get<std::string>();
        if (body.contains("code") && body["code"].is_string())
            code = body["code"].get<std::string>();
        for (const auto& [key, value] : body.items()) {
            if (key == "error" || key == "code")
                continue;
            if (!body.contains("code"))
                code = key; // the structured detail names newer failures (no code)
            out.with_detail(key, value.dump());
        }
    } else if (!answer.body.empty()) {
        message += ": " + answer.body.substr(0, 200);
    }
    out.code = code;
    out.message = message;
    return out;
}

} // namespace omnigraph::cli
