// Connection hardening for cpp-httplib 0.11's thread-per-connection server.
//
// cpp-httplib gives a connection its worker until the connection ends, and its only limits are
// per-call: 5 s without a byte (read or write), 8 KiB per header line. A client that sends a
// header line every few seconds, trickles a body, never sends, or stops reading holds its worker
// for as long as it likes, and as many such clients as workers stop the server. It also keeps
// every header line (no total), takes chunked bodies of any size, inflates compressed bodies
// without bound and answers `Range` on any route (slicing JSON, multiplying small answers).
//
// GuardedServer reads and writes its connections itself (process_request with its own Stream),
// so it can apply, per connection:
//   - a request head (request line + headers) of at most `max_head_bytes`: 414 / 431;
//   - a minimum transfer rate: a request (head, then body) and a response must each move
//     `min_bytes_per_second` on average once `grace` has passed, else 408 (request) or a closed
//     connection (response);
//   - an idle keep-alive connection is closed after the keep-alive timeout;
//   - under pressure — a connection accepted but waiting for a worker — `busy_grace` replaces
//     `grace` and the per-call timeout (no byte at all), and idle connections are closed after
//     `busy_grace`: slow, stalled and idle clients give their workers to the clients waiting;
//   - a body (chunked included) of at most the payload limit: 413;
// and it refuses before reading a body: Content-Encoding (415), a Transfer-Encoding other than
// chunked or next to a Content-Length, an invalid or repeated Content-Length (400), a
// Content-Length over the payload limit (413), each answered at once and the connection closed.
// A POST/PUT/PATCH/DELETE without a length has an empty body (RFC 9112 §6.3), and Range is
// ignored. Its refusals are the server's ErrorOutput JSON ({"error", "code": "bad_request"}).
//
// The pre-routing handler is the guard's: do not replace it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <httplib.h>

namespace omnigraph::server {

struct ConnectionLimits {
    size_t max_head_bytes = 64 << 10;
    double min_bytes_per_second = 8 << 10;
    std::chrono::milliseconds grace{10'000};
    std::chrono::milliseconds busy_grace{250};
};

class GuardedServer : public httplib::Server {
  public:
    explicit GuardedServer(ConnectionLimits limits = {});

    // A pool of `n` workers that counts the connections waiting for one (the pressure signal).
    void set_workers(size_t n);
    // Connections accepted and not yet given a worker.
    int waiting() const { return waiting_.load(std::memory_order_relaxed); }

    const ConnectionLimits& limits() const { return limits_; }
    bool stopping() const { return svr_sock_ == INVALID_SOCKET; }
    std::chrono::microseconds read_timeout() const;
    std::chrono::microseconds write_timeout() const;
    std::chrono::seconds keep_alive_timeout() const {
        return std::chrono::seconds(keep_alive_timeout_sec_);
    }
    size_t payload_limit() const { return payload_max_length_; }

  private:
    bool process_and_close_socket(socket_t sock) override;

    ConnectionLimits limits_;
    std::atomic<int> waiting_{0};
};

} // namespace omnigraph::server
