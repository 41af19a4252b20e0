// A graph served by omnigraph-server, as the CLI's verbs address it (spec engine-cli §4.1-§4.3):
// `--server NAME|URL` (a name from config.yaml, or a URL), `--graph ID`, `--profile NAME` (or
// $OMNIGRAPH_PROFILE), then config.yaml's flat defaults. The verb then calls the graph's HTTP
// routes with the server's bearer token (cli/credentials.h) and reads the JSON answers, which
// are the same documents the local verbs print with --json.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "cli/home_config.h"
#include "store/http_client.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace omnigraph::cli {

// The flags of a verb that may go to a server.
struct ServerScopeArgs {
    std::string server, graph, profile;
    void add_to(CLI::App* cmd);
};

// A server's answer: status, body and headers (`header("location")` for a redirect).
using HttpAnswer = store::HttpResponse;

// A server: its URL, the name it has in config.yaml ("" for an ad-hoc URL) and its token.
class RemoteServer {
  public:
    // `server` (a name or URL) from the flags, the profile or the defaults; nullopt when none of
    // them names one.
    static Result<std::optional<RemoteServer>> resolve(const ServerScopeArgs& args,
                                                       const HomeConfig& config);
    RemoteServer(RemoteServer&&) noexcept;
    RemoteServer& operator=(RemoteServer&&) noexcept;
    ~RemoteServer();

    const std::string& url() const { return url_; }
    const std::string& label() const { return name_.empty() ? url_ : name_; }

    // One exchange; a transport failure is storage_unavailable naming the URL. `path` starts
    // with '/'; `query` values are percent-encoded here.
    Result<HttpAnswer>
    call(std::string_view method, const std::string& path,
         const std::vector<std::pair<std::string, std::string>>& query = {},
         std::string_view body = {}, std::string_view content_type = "application/json",
         const std::vector<std::pair<std::string, std::string>>& headers = {}) const;
    // As call(), but a 2xx answer's JSON body, and any other status as the server's error (its
    // `error` text and `code`, or the structured detail's name as the code).
    Result<base::Json> json(std::string_view method, const std::string& path,
                            const std::vector<std::pair<std::string, std::string>>& query = {},
                            const base::Json* body = nullptr) const;

  private:
    RemoteServer() = default;
    std::string url_, name_;
    std::optional<std::string> token_;
    std::unique_ptr<store::HttpClient> client_;
    friend class RemoteGraph;
};

// One graph of a server: routes under /graphs/{id}.
class RemoteGraph {
  public:
    // nullopt when the verb is not addressed to a server. `local_address` says the verb was
    // given a graph root (a positional URI, --store, --target): then --server is an error and
    // the config's server defaults do not apply. Without a graph id (no --graph, none in the
    // profile or defaults) the server's graphs are listed in the error.
    static Result<std::optional<RemoteGraph>> resolve(const ServerScopeArgs& args,
                                                      bool local_address = false);
    // For a verb whose graph root is `uri`: the server the flags address, or nullopt for the
    // root; graph_root_required() when there is neither.
    static Result<std::optional<RemoteGraph>> resolve_or_root(const ServerScopeArgs& args,
                                                              const std::string& uri);

    const RemoteServer& server() const { return server_; }
    const std::string& id() const { return id_; }
    std::string path(std::string_view route) const; // "/graphs/<id>/<route>"
    // The label of the target echo: "<url>/graphs/<id>".
    std::string uri() const { return server_.url() + "/graphs/" + id_; }

  private:
    RemoteGraph(RemoteServer server, std::string id)
        : server_(std::move(server)), id_(std::move(id)) {}
    RemoteServer server_;
    std::string id_;
};

// `--as` with a served graph: the server records the actor of the token, not one the client names.
Error served_actor_refused();

// An HTTP error answer as an Error: the body's `error` text and `code` (or the name of its
// structured detail, e.g. `precondition_failure`, when it has no code).
Error http_answer_error(const HttpAnswer& answer);

} // namespace omnigraph::cli
