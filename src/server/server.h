// omnigraph-server: serves the applied revision of a cluster over HTTP (spec server-policy,
// cluster §14). Boot reads the serving snapshot once (never the working tree, never writing),
// opens every graph, compiles its Cedar bundle and type-checks its stored queries against the
// live schema; graph-local failures quarantine that graph unless strict. Every request is
// authenticated by bearer token (when auth is on) and authorized by Cedar before any lookup.
#pragma once

#include "base/error.h"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace omnigraph::server {

struct ServerOptions {
    std::string cluster; // config dir or storage-root URI
    std::string bind = "127.0.0.1:8080";
    bool unauthenticated = false;
    bool require_all_graphs = false;
    // Graceful shutdown (begin_shutdown): how long the listener stays open once /readyz says
    // 503, and how long in-flight requests then get to finish.
    std::chrono::milliseconds drain_delay{0};
    std::chrono::milliseconds shutdown_timeout{30'000};
};

class Server {
  public:
    // Boot errors carry the spec's codes; warnings (quarantines) are logged.
    static Result<std::unique_ptr<Server>> boot(const ServerOptions& options);
    ~Server();

    // Binds, prints `OMNIGRAPH_LISTEN_ADDR=<ip>:<port>` and serves until stop().
    Status run();
    // Stops accepting; in-flight requests finish. Safe from a signal-handling thread.
    void stop();
    // The first step of a graceful shutdown: /readyz answers 503 `draining` from now on, and
    // responses ask their clients to close the connection. Then stop().
    void begin_shutdown();
    // Builds the next generation from the applied revision and the token sources (as boot
    // does) and swaps it in; requests in flight finish on the old one. A reload that fails
    // leaves the old generation serving and says why (log `reload.failed`, /readyz, metrics).
    // `trigger`: "sighup", "admin" or "watch". Returns the new generation's number.
    Result<uint64_t> reload(std::string_view trigger);
    // The ledger revision the current generation serves (what --watch-interval compares).
    uint64_t state_revision() const;
    // Requests being served right now.
    size_t in_flight() const;
    const ServerOptions& options() const;

  private:
    struct State;
    explicit Server(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

} // namespace omnigraph::server
