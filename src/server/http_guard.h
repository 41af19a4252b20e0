// Connection hardening for cpp-httplib 0.11's thread-per-connection server.
//
// cpp-httplib gives a connection its worker until the connection ends, and its only limits are
// per-call: 5 s without a byte (read or write), 8 KiB per header line. A client that sends a
// header byte a second, trickles a body, never sends, stops reading or pipelines requests holds
// its worker for as long as it likes, and as many such clients as workers stop the server. The
// library also keeps every header line (no total), takes chunked bodies of any size, inflates
// compressed bodies without bound, percent-decodes header values, and parses `Range` with a
// std::regex that recurses per byte (6 MB of stack for one 8 KiB header), then slices any
// answer with it, JSON errors included.
//
// GuardedServer reads and writes its connections itself (process_request over its own Stream)
// and applies, per connection:
//   - a request head (request line + headers) of at most `max_head_bytes`: 414 / 431; a
//     decoded path of at most `max_path_bytes`: 414 (route matching recurses per byte too);
//   - a minimum transfer rate: a request (head, then body) and a response must each average
//     `min_bytes_per_second` once `grace` has passed, else 408 (request) or a closed connection
//     (response); an idle keep-alive connection closes after the keep-alive timeout (5 s);
//   - under pressure — a connection waits for a worker and every worker is busy —
//     `busy_grace` replaces both `grace` and the per-call timeout, idle connections close
//     after `busy_grace`, and a keep-alive connection yields its worker after each response
//     (back of the queue): slow, stalled, idle and pipelining clients give way;
//   - a body (chunked included) of at most the payload limit: 413.
// Before a body is read it refuses a malformed head (400: a field name that is not a token —
// whitespace before the colon included —, a line without a colon or folded, a control byte
// in a value, a second Authorization or Host; cpp-httplib would misread each), Content-Encoding
// (415), a Transfer-Encoding other than chunked or beside a Content-Length, an invalid or
// conflicting Content-Length (400) and one over the payload limit (413), answered at once, then the
// connection closes (after draining briefly, so the answer is not lost to a reset). A
// POST/PUT/PATCH/DELETE without a length has an empty body (RFC 9112 §6.3) instead of one read
// until the close. Range headers are renamed before the library parses them (to
// kRangeHeader): the blob route, the one that serves ranges, parses that itself. Header values
// get their raw text back. Refusals are the server's ErrorOutput JSON
// ({"error", "code": "bad_request"}).
//
// The pre-routing handler is the guard's: do not replace it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <httplib.h>
#include <memory>

namespace omnigraph::server {

// The name a request's `Range` header reaches the routes under.
inline constexpr const char* kRangeHeader = "Xange";

struct ConnectionLimits {
    size_t max_head_bytes = 64 << 10;
    size_t max_path_bytes = 1 << 10; // decoded
    double min_bytes_per_second = 8 << 10;
    std::chrono::milliseconds grace{10'000};
    std::chrono::milliseconds busy_grace{250};
};

class GuardedServer : public httplib::Server {
  public:
    explicit GuardedServer(ConnectionLimits limits = {});

    // A pool of `n` workers that counts the connections waiting for one and the busy workers.
    void set_workers(size_t n);
    // Under pressure: a connection waits for a worker and every worker is busy.
    bool pressed() const;
    // Connections a worker is serving now.
    size_t busy() const { return static_cast<size_t>(active_.load(std::memory_order_relaxed)); }
    // Runs after the guard's own checks of a request head, before any body is read. Handled
    // answers with `res` and closes the connection (the body stays unread).
    void set_before_body_handler(HandlerWithResponse handler) { before_body_ = std::move(handler); }

    const ConnectionLimits& limits() const { return limits_; }
    bool stopping() const { return svr_sock_ == INVALID_SOCKET; }
    std::chrono::microseconds read_timeout() const;
    std::chrono::microseconds write_timeout() const;
    std::chrono::seconds keep_alive_timeout() const {
        return std::chrono::seconds(keep_alive_timeout_sec_);
    }
    size_t payload_limit() const { return payload_max_length_; }
    // Whether the client of the request this worker thread serves has closed its connection
    // (a long query polls it to stop working for nobody). False outside a request.
    static bool client_gone();

  private:
    class Pool;
    bool process_and_close_socket(socket_t sock) override;
    void serve(const std::shared_ptr<void>& connection, size_t count, bool first);

    ConnectionLimits limits_;
    HandlerWithResponse before_body_;
    std::atomic<int> waiting_{0}, active_{0};
    size_t workers_ = 0;
    std::atomic<Pool*> pool_{nullptr};
};

} // namespace omnigraph::server
