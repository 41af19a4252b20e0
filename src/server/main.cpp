// omnigraph-server: parses the command line, boots from a cluster, serves until SIGINT/SIGTERM.
#include "base/allocator.h"
#include "base/env.h"
#include "base/log.h"
#include "server/server.h"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <pthread.h>
#include <thread>

namespace {

int run(int argc, char** argv) {
    if (!omnigraph::base::env_string("OMNIGRAPH_LOG")) // a server logs every request by default
        omnigraph::base::set_log_level(omnigraph::base::LogLevel::kInfo);
    CLI::App app{"omnigraph-server: serve a cluster's applied graphs over HTTP",
                 "omnigraph-server"};
    omnigraph::server::ServerOptions options;
    std::vector<std::string> legacy;
    std::string target, config;
    app.add_option("--cluster", options.cluster,
                   "Cluster config directory or storage root (s3://bucket/prefix)");
    app.add_option("--bind", options.bind, "Address to listen on (default 127.0.0.1:8080)");
    app.add_flag("--unauthenticated", options.unauthenticated,
                 "Serve without bearer tokens (every per-graph action allowed)");
    app.add_flag("--require-all-graphs", options.require_all_graphs,
                 "Refuse to start unless every applied graph opens");
    app.add_option("uri", legacy)->group("");
    app.add_option("--target", target)->group("");
    app.add_option("--config", config)->group("");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    if (!legacy.empty() || !target.empty() || !config.empty() || options.cluster.empty()) {
        std::cerr << "error[cluster_required]: omnigraph-server boots from a cluster: pass "
                     "--cluster <config dir | s3://storage-root>; graph URIs, --target and "
                     "--config are not boot sources (and cannot be combined with --cluster)\n";
        return 1;
    }

    // Signals go to one thread that stops the server; in-flight requests finish.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto server = omnigraph::server::Server::boot(options);
    if (!server) {
        std::cerr << "error[" << server.error().code << "]: " << server.error().message << "\n";
        return 1;
    }
    omnigraph::base::start_buffered_logging(); // a line per request: batch the writes
    std::thread waiter([&] {
        int sig = 0;
        sigwait(&signals, &sig);
        (*server)->stop();
    });
    // SIGTERM is blocked in every thread: sent to the waiter, it ends its sigwait.
    auto end_waiter = [&] {
        // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread,cert-pos44-c): wakes, does not kill
        pthread_kill(waiter.native_handle(), SIGTERM);
        waiter.join();
    };
    auto served = (*server)->run();
    if (!served) {
        omnigraph::base::flush_log();
        std::cerr << "error[" << served.error().code << "]: " << served.error().message << "\n";
        end_waiter();
        return 1;
    }
    end_waiter();
    omnigraph::base::flush_log();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    omnigraph::base::tune_allocator();
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        // Layers report failures as Result; reaching here is a bug, reported rather than crashing.
        std::cerr << "error[internal]: " << e.what() << "\n";
        return 1;
    }
}
