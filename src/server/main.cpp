// omnigraph-server: parses the command line, boots from a cluster, serves until SIGINT/SIGTERM,
// then shuts down gracefully: /readyz turns 503, the listener closes after the drain delay,
// in-flight requests finish within the shutdown timeout, the log is flushed. SIGHUP (and, with
// --watch-interval, a new applied revision) reloads the applied revision and the tokens.
#include "base/allocator.h"
#include "base/env.h"
#include "base/log.h"
#include "cluster/serving_snapshot.h"
#include "server/server.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <pthread.h>
#include <thread>

namespace {

using omnigraph::base::LogLevel;

// The shutdown knobs (docs/environment.md); false (with the message printed) when one is invalid.
bool read_shutdown_knobs(omnigraph::server::ServerOptions& options) {
    auto delay = omnigraph::base::env_uint("OMNIGRAPH_SERVER_DRAIN_DELAY_MS", 0, 0, 600'000);
    auto timeout =
        omnigraph::base::env_uint("OMNIGRAPH_SERVER_SHUTDOWN_TIMEOUT_MS", 30'000, 0, 3'600'000);
    for (const auto* r : {&delay, &timeout})
        if (!*r) {
            std::cerr << "error[" << r->error().code << "]: " << r->error().message << "\n";
            return false;
        }
    options.drain_delay = std::chrono::milliseconds(*delay);
    options.shutdown_timeout = std::chrono::milliseconds(*timeout);
    return true;
}

// Whether run() has returned: the signal thread waits on it, up to the shutdown timeout.
struct Finished {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    void set() {
        std::lock_guard lock(mu);
        done = true;
        cv.notify_all();
    }
};

// A graceful stop on the first signal: ready no more, then (after the drain delay) no new
// connections, then in-flight requests get the shutdown timeout to finish. Past it the process
// leaves with status 1 (requests were cut); the log says how many.
void shut_down(omnigraph::server::Server& server, Finished& finished, int sig) {
    const auto& o = server.options();
    omnigraph::base::log(LogLevel::kInfo, "shutdown.begin",
                         {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"},
                          {"in_flight", std::to_string(server.in_flight())},
                          {"drain_delay_ms", std::to_string(o.drain_delay.count())}});
    server.begin_shutdown();
    {
        std::unique_lock lock(finished.mu);
        finished.cv.wait_for(lock, o.drain_delay, [&] { return finished.done; });
    }
    server.stop();
    omnigraph::base::log(LogLevel::kInfo, "shutdown.listener_closed",
                         {{"in_flight", std::to_string(server.in_flight())}});
    std::unique_lock lock(finished.mu);
    if (finished.cv.wait_for(lock, o.shutdown_timeout, [&] { return finished.done; }))
        return;
    omnigraph::base::log(LogLevel::kError, "shutdown.timeout",
                         {{"in_flight", std::to_string(server.in_flight())},
                          {"timeout_ms", std::to_string(o.shutdown_timeout.count())}});
    omnigraph::base::flush_log();
    std::_Exit(1);
}

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
    unsigned watch_seconds = 0;
    app.add_option("--watch-interval", watch_seconds,
                   "Reload when a new cluster apply lands, checking every N seconds (0: off)")
        ->check(CLI::Range(0u, 86400u));
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

    if (!read_shutdown_knobs(options))
        return 1;
    // Signals go to one thread that shuts the server down; in-flight requests finish.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    auto server = omnigraph::server::Server::boot(options);
    if (!server) {
        std::cerr << "error[" << server.error().code << "]: " << server.error().message << "\n";
        return 1;
    }
    omnigraph::base::start_buffered_logging(); // a line per request: batch the writes
    Finished finished;
    std::thread waiter([&] {
        int sig = 0;
        while (true) {
            sigwait(&signals, &sig);
            bool done = false;
            {
                std::lock_guard lock(finished.mu);
                done = finished.done;
            }
            if (done) // (run() ended, and this wake-up is end_waiter's)
                return;
            if (sig != SIGHUP)
                break;
            omnigraph::ignore_error((*server)->reload("sighup"),
                                    "a failed reload keeps the old generation serving; /readyz "
                                    "shows why");
        }
        shut_down(**server, finished, sig);
    });
    // --watch-interval: a new applied revision (one read of the ledger per interval) reloads.
    std::thread watcher;
    if (watch_seconds > 0)
        watcher = std::thread([&] {
            uint64_t failed_at = 0; // a revision whose reload failed is not retried
            std::unique_lock lock(finished.mu);
            while (!finished.cv.wait_for(lock, std::chrono::seconds(watch_seconds),
                                         [&] { return finished.done; })) {
                lock.unlock();
                auto revision = omnigraph::cluster::applied_state_revision(options.cluster);
                if (!revision)
                    omnigraph::base::log(LogLevel::kWarn, "reload.watch_failed",
                                         {{"message", revision.error().message}});
                else if (*revision != (*server)->state_revision() && *revision != failed_at &&
                         !(*server)->reload("watch"))
                    failed_at = *revision;
                lock.lock();
            }
        });
    // SIGTERM is blocked in every thread: sent to the waiter, it ends its sigwait.
    auto end_waiter = [&] {
        // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread,cert-pos44-c): wakes, does not kill
        pthread_kill(waiter.native_handle(), SIGTERM);
        waiter.join();
    };
    auto served = (*server)->run();
    finished.set();
    if (watcher.joinable())
        watcher.join();
    if (!served) {
        omnigraph::base::flush_log();
        std::cerr << "error[" << served.error().code << "]: " << served.error().message << "\n";
        end_waiter();
        return 1;
    }
    end_waiter();
    omnigraph::base::log(LogLevel::kInfo, "shutdown.done");
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
