#include "server/http_guard.h"

#include "base/json_writer.h"
#include "base/text.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

namespace omnigraph::server {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kSlice{100}; // how often a blocked worker re-checks its rules

// When the running connection was accepted (set by the pool before it runs the connection).
thread_local Clock::time_point tl_accepted_at{};

// The server's ErrorOutput body, escaped by the one JSON string writer.
std::string error_json(std::string_view message, std::string_view code) {
    std::string out = R"({"error":)";
    base::append_json_string(message, out);
    out += R"(,"code":)";
    base::append_json_string(code, out);
    return out + "}";
}

std::string lower_trimmed(std::string_view value) {
    std::string v = base::trim(value);
    for (auto& c : v)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return v;
}

void address_of(const sockaddr_storage& addr, std::string& ip, int& port) {
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
        const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
        inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
        port = ntohs(a.sin_port);
    } else if (addr.ss_family == AF_INET6) {
        const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
        inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
        port = ntohs(a.sin6_port);
    }
    ip = text;
}

// RFC 9110 §5.6.2: the characters of a field name.
bool is_tchar(unsigned char c) {
    return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Why the raw request head `head` (request line, header lines, the empty line) is malformed, or
// "". cpp-httplib is lenient where a proxy in front of the server may not be: it keeps
// "Transfer-Encoding : chunked" as a header named "Transfer-Encoding " (so the body is not
// framed as chunked, and a request hidden in it is answered next), skips lines without a colon,
// and reads values only up to a NUL ("Bearer a\0b" is "Bearer a"). Refused instead: a field
// name that is not a token, whitespace before the colon included (RFC 9112 §5.1), a line
// without a colon or starting with whitespace (obsolete folding, §5.2), a value with a control
// character other than HTAB (RFC 9110 §5.5), and a second Authorization or Host: 400. A
// control character in the Authorization value is a credential that cannot be valid: 401, as an
// invalid token is (RFC 6750 §3.1), unless the head has another fault.
struct HeadFault {
    int status = 0; // 0: well-formed
    std::string why;
};

HeadFault malformed_head(std::string_view head) {
    auto bad = [](std::string why) { return HeadFault{400, std::move(why)}; };
    size_t pos = head.find('\n');
    int authorization = 0, host = 0;
    bool bad_credential = false;
    while (pos != std::string_view::npos && pos + 1 < head.size()) {
        size_t end = head.find('\n', pos + 1);
        std::string_view line = head.substr(
            pos + 1, end == std::string_view::npos ? std::string_view::npos : end - pos - 1);
        pos = end;
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (line.empty())
            break; // the end of the head
        if (line.front() == ' ' || line.front() == '\t')
            return bad("a header line starts with whitespace (obsolete line folding)");
        size_t colon = line.find(':');
        if (colon == std::string_view::npos)
            return bad("a header line has no colon");
        std::string_view name = line.substr(0, colon);
        if (name.empty())
            return bad("a header line has an empty field name");
        for (unsigned char ch : name)
            if (!is_tchar(ch))
                return bad(ch == ' ' || ch == '\t'
                               ? "whitespace between a header field name and its colon"
                               : "a header field name has a character that is not allowed");
        std::string lowered = lower_trimmed(name);
        for (unsigned char ch : line.substr(colon + 1)) {
            if ((ch >= 0x20 || ch == '\t') && ch != 0x7f)
                continue;
            if (lowered == "authorization") {
                bad_credential = true;
                break;
            }
            return bad(ch == 0 ? "a header field value contains a NUL byte"
                               : "a header field value contains a control character");
        }
        authorization += lowered == "authorization";
        host += lowered == "host";
    }
    if (authorization > 1)
        return bad("the Authorization header was sent more than once");
    if (host > 1)
        return bad("the Host header was sent more than once");
    if (bad_credential)
        return {401, "invalid bearer token"};
    return {};
}

} // namespace

// cpp-httplib's ThreadPool, counting the connections that wait for a worker and the workers
// that run one.
class GuardedServer::Pool final : public httplib::TaskQueue {
  public:
    Pool(size_t n, GuardedServer& server) : pool_(n), server_(server) {
        server_.workers_ = n;
        server_.pool_ = this;
    }
    void enqueue(std::function<void()> fn) override {
        server_.waiting_.fetch_add(1, std::memory_order_relaxed);
        pool_.enqueue([this, fn = std::move(fn), queued = Clock::now()] {
            server_.active_.fetch_add(1, std::memory_order_relaxed);
            server_.waiting_.fetch_sub(1, std::memory_order_relaxed);
            tl_accepted_at = queued;
            fn();
            server_.active_.fetch_sub(1, std::memory_order_relaxed);
        });
    }
    void shutdown() override {
        pool_.shutdown();
        server_.pool_ = nullptr;
    }

  private:
    httplib::ThreadPool pool_;
    GuardedServer& server_;
};

namespace {

// One connection: the Stream cpp-httplib parses requests from and writes responses to, with
// the rules of http_guard.h applied whenever it has to wait for the client.
class Connection final : public httplib::Stream {
  public:
    Connection(const GuardedServer& server, socket_t sock, Clock::time_point accepted)
        : server_(server), limits_(server.limits()), sock_(sock), accepted_(accepted),
          idle_since_(accepted) {}
    ~Connection() override { finish(); }

    // Waits for the next request's first byte under the keep-alive rules; false = close.
    bool wait_for_request(bool first) {
        // The rules apply only while nothing has arrived: look before judging.
        for (auto slice = std::chrono::milliseconds(0); off_ == len_; slice = kSlice) {
            if (server_.stopping())
                return false;
            pollfd p{sock_, POLLIN, 0};
            int r = ::poll(&p, 1, static_cast<int>(slice.count()));
            if (r > 0)
                break;
            if (r < 0 && errno != EINTR)
                return false;
            auto idle = Clock::now() - idle_since_;
            if (idle >= server_.keep_alive_timeout() ||
                (server_.pressed() && idle >= limits_.busy_grace))
                return false;
        }
        // A new connection's request is timed from its accept: a client that waited in the
        // queue has had that long to send it.
        dir_ = Dir::kRead;
        phase_start_ = first ? accepted_ : Clock::now();
        phase_bytes_ = 0;
        part_ = Part::kRequestLine;
        consumed_ = 0;
        head_.clear();
        return true;
    }

    // The head is parsed (pre-routing): the body, if any, is timed afresh. Returns what is
    // wrong with the raw head (status 0 when it is well-formed).
    HeadFault head_done(httplib::Request& req) {
        restore_raw_values(req);
        part_ = Part::kBody;
        consumed_ = 0;
        phase_start_ = Clock::now();
        phase_bytes_ = 0;
        std::string length = req.get_header_value("Content-Length");
        announced_ = 0;
        if (req.has_header("Transfer-Encoding"))
            announced_ = server_.payload_limit();
        else if (!length.empty() && length.size() <= 19 &&
                 length.find_first_not_of("0123456789") == std::string::npos)
            announced_ = std::min<size_t>(std::stoull(length), server_.payload_limit());
        return malformed_head(head_);
    }

    void request_done() { idle_since_ = Clock::now(); }

    // Refusals that leave an unread body ask for a lingering close.
    void close_after_response() {
        close_after = true;
        linger_ = true;
    }

    // Ends the connection; after a refusal, reads what the client is still sending for a
    // moment first, so the kernel does not answer it with a reset that destroys the response.
    // Up to the body it announced (within the payload limit), read and dropped: a client that
    // writes its whole body before it reads (cpp-httplib's does) then still gets the answer.
    void finish() {
        if (sock_ == INVALID_SOCKET)
            return;
        if (linger_) {
            ::shutdown(sock_, SHUT_WR);
            auto until = Clock::now() + (server_.pressed() ? kSlice : std::chrono::seconds(1));
            size_t drained = 0, most = std::max<size_t>(4u << 20, announced_);
            char sink[16384];
            while (Clock::now() < until && drained < most && !server_.stopping()) {
                pollfd p{sock_, POLLIN, 0};
                if (::poll(&p, 1, static_cast<int>(kSlice.count())) <= 0)
                    continue;
                ssize_t n = ::recv(sock_, sink, sizeof sink, MSG_DONTWAIT);
                if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
                    break;
                drained += n > 0 ? static_cast<size_t>(n) : 0;
            }
        }
        ::shutdown(sock_, SHUT_RDWR);
        ::close(sock_);
        sock_ = INVALID_SOCKET;
    }

    bool close_after = false;

    // --- httplib::Stream ---------------------------------------------------------------------

    bool is_readable() const override {
        enter(Dir::kRead);
        return off_ < len_ || wait(POLLIN, Clock::now(), server_.read_timeout()) == Wait::kReady;
    }
    // Asked by chunked responses (a streamed export) before each chunk.
    bool is_writable() const override {
        enter(Dir::kWrite);
        return !poisoned_ && wait(POLLOUT, Clock::now(), server_.write_timeout()) == Wait::kReady;
    }

    ssize_t read(char* ptr, size_t size) override {
        if (poisoned_ || size == 0)
            return poisoned_ ? -1 : 0;
        if (ssize_t got = fill(1); got <= 0)
            return got;
        if (part_ == Part::kBody) {
            size_t n = std::min(size, len_ - off_);
            std::memcpy(ptr, buf_ + off_, n);
            off_ += n;
            consumed_ += n;
            if (consumed_ > server_.payload_limit()) {
                refuse(413, "Payload Too Large", "request body too large");
                return -1;
            }
            return static_cast<ssize_t>(n);
        }
        // The head goes out a byte at a time (cpp-httplib reads it so anyway), kept raw.
        if (part_ == Part::kHeaders && head_.ends_with('\n') && (buf_[off_] | 0x20) == 'r') {
            // cpp-httplib parses any Range header with a std::regex that recurses per byte
            // (6 MB of stack for an 8 KiB header) and slices JSON answers with it: the header
            // is renamed (kRangeHeader) before the library sees it.
            while (len_ - off_ < 6 && !std::memchr(buf_ + off_, '\n', len_ - off_))
                if (fill(len_ - off_ + 1) <= 0)
                    break;
            if (poisoned_)
                return -1;
            if (len_ - off_ >= 6 && lower_trimmed(std::string(buf_ + off_, 6)) == "range:")
                buf_[off_] = kRangeHeader[0];
        }
        char c = buf_[off_++];
        *ptr = c;
        ++consumed_;
        head_ += c;
        if (part_ == Part::kRequestLine && c == '\n')
            part_ = Part::kHeaders;
        if (consumed_ > limits_.max_head_bytes) {
            if (part_ == Part::kRequestLine)
                refuse(414, "URI Too Long", "request line too long");
            else
                refuse(431, "Request Header Fields Too Large",
                       "request head over " + std::to_string(limits_.max_head_bytes >> 10) +
                           " KiB");
            return -1;
        }
        return 1;
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (poisoned_)
            return -1;
        enter(Dir::kWrite);
        auto op_start = Clock::now();
        for (;;) {
            ssize_t n = ::send(sock_, ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n >= 0) {
                phase_bytes_ += static_cast<size_t>(n);
                return n;
            }
            if (errno == EINTR)
                continue;
            if ((errno != EAGAIN && errno != EWOULDBLOCK) ||
                wait(POLLOUT, op_start, server_.write_timeout()) != Wait::kReady) {
                poisoned_ = true;
                close_after = true;
                return -1;
            }
        }
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (::getpeername(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            address_of(addr, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (::getsockname(sock_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            address_of(addr, ip, port);
    }
    socket_t socket() const override { return sock_; }

  private:
    enum class Dir { kRead, kWrite };
    enum class Part { kRequestLine, kHeaders, kBody };
    enum class Wait { kReady, kTimeout, kTooSlow, kStopped };

    // A phase (a request's head, its body, a response) is timed from its first byte.
    void enter(Dir dir) const {
        if (dir_ == dir)
            return;
        dir_ = dir;
        phase_start_ = Clock::now();
        phase_bytes_ = 0;
    }

    // Buffers at least `need` unread bytes (fewer at the end of the stream); 0 = the client
    // closed first, -1 = refused or failed.
    ssize_t fill(size_t need) {
        enter(Dir::kRead);
        auto op_start = Clock::now();
        while (len_ - off_ < need) {
            if (off_ > 0) { // keep what is unread at the front
                std::memmove(buf_, buf_ + off_, len_ - off_);
                len_ -= off_;
                off_ = 0;
            }
            ssize_t n = ::recv(sock_, buf_ + len_, sizeof buf_ - len_, MSG_DONTWAIT);
            if (n > 0) {
                len_ += static_cast<size_t>(n);
                phase_bytes_ += static_cast<size_t>(n);
                op_start = Clock::now();
                continue;
            }
            if (n == 0)
                return len_ > off_ ? 1 : 0;
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
            Wait w = wait(POLLIN, op_start, server_.read_timeout());
            if (w == Wait::kReady)
                continue;
            if (w != Wait::kStopped) // mid-request: wait_for_request saw its first byte
                refuse(408, "Request Timeout",
                       "request timeout: the request did not arrive fast enough");
            poisoned_ = true;
            close_after = true;
            return -1;
        }
        return 1;
    }

    // Waits for the socket to be ready; kTimeout = no progress for the library's per-call
    // timeout (busy_grace under pressure), kTooSlow = the phase is behind the minimum rate.
    Wait wait(short events, Clock::time_point op_start, std::chrono::microseconds timeout) const {
        for (auto slice = std::chrono::milliseconds(0);; slice = kSlice) {
            if (server_.stopping())
                return Wait::kStopped;
            pollfd p{sock_, events, 0};
            int r = ::poll(&p, 1, static_cast<int>(slice.count()));
            if (r > 0)
                return Wait::kReady;
            if (r < 0 && errno != EINTR)
                return Wait::kTimeout;
            auto now = Clock::now();
            bool busy = server_.pressed();
            if (now - op_start >=
                (busy ? std::min<std::chrono::microseconds>(timeout, limits_.busy_grace) : timeout))
                return Wait::kTimeout;
            auto grace = busy ? limits_.busy_grace : limits_.grace;
            auto allowed = std::chrono::duration_cast<Clock::duration>(
                grace + std::chrono::duration<double>(static_cast<double>(phase_bytes_) /
                                                      limits_.min_bytes_per_second));
            if (now - phase_start_ > allowed)
                return Wait::kTooSlow;
        }
    }

    // cpp-httplib percent-decodes header values ("Bearer %73%33cret" authenticated as
    // "Bearer s3cret"); the values that had a '%' get their raw text back.
    void restore_raw_values(httplib::Request& req) const {
        if (head_.find('%') == std::string::npos)
            return;
        size_t pos = head_.find('\n');
        while (pos != std::string::npos && pos + 1 < head_.size()) {
            size_t end = head_.find('\n', pos + 1);
            std::string line =
                head_.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
            pos = end;
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            size_t colon = line.find(':');
            if (colon == std::string::npos || line.find('%', colon) == std::string::npos)
                continue;
            std::string key = line.substr(0, colon);
            std::string raw = line.substr(colon + 1);
            raw.erase(0, raw.find_first_not_of(" \t"));
            raw.erase(raw.find_last_not_of(" \t") + 1);
            std::string decoded = httplib::detail::decode_url(raw, false);
            auto [first, last] = req.headers.equal_range(key);
            for (auto it = first; it != last; ++it)
                if (it->second == decoded) {
                    it->second = raw;
                    break;
                }
        }
    }

    // Answers with a canned ErrorOutput, then refuses all further I/O.
    void refuse(int status, std::string_view reason, const std::string& message) {
        std::string body = error_json(message, "bad_request");
        std::string out =
            "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + body;
        (void)::send(sock_, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        poisoned_ = true;
        close_after_response();
    }

    const GuardedServer& server_;
    const ConnectionLimits& limits_;
    socket_t sock_;
    Clock::time_point accepted_, idle_since_;
    // The phase; is_readable/is_writable (const in httplib::Stream) may start one.
    mutable Dir dir_ = Dir::kRead;
    Part part_ = Part::kRequestLine;
    mutable Clock::time_point phase_start_{};
    mutable size_t phase_bytes_ = 0; // received (read) or sent (write) in the current phase
    size_t consumed_ = 0;            // handed to cpp-httplib in the current part (head or body)
    std::string head_;               // the raw request head, as handed out
    bool poisoned_ = false, linger_ = false;
    size_t announced_ = 0; // the body length the request head announced (capped)
    char buf_[16384];
    size_t off_ = 0, len_ = 0;
};

thread_local Connection* tl_connection = nullptr;

} // namespace

bool GuardedServer::client_gone() {
    Connection* c = tl_connection;
    if (!c || c->socket() == INVALID_SOCKET)
        return false;
    // The peer closed (or reset) its end: POLLRDHUP / POLLHUP / POLLERR, or a read of 0.
    pollfd p{c->socket(), POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0)
        return false;
    if (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
        return true;
    char byte;
    return (p.revents & POLLIN) && ::recv(c->socket(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

GuardedServer::GuardedServer(ConnectionLimits limits) : limits_(limits) {
    set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        auto& r = const_cast<httplib::Request&>(req); // the library's own, not const
        Connection* c = tl_connection;
        HeadFault malformed = c ? c->head_done(r) : HeadFault{};
        r.ranges.clear(); // no route serves ranges: never slice a JSON answer
        auto refuse = [&](int status, const std::string& message) {
            res.status = status;
            // A 401 is the invalid-credential answer every route gives (http_error.cpp).
            res.set_content(error_json(message, status == 401 ? "unauthorized" : "bad_request"),
                            "application/json");
            if (status == 401)
                res.set_header("WWW-Authenticate", "Bearer");
            res.set_header("Connection", "close");
            if (c)
                c->close_after_response();
            return HandlerResponse::Handled;
        };
        // Before anything reads a header: what follows a malformed head (a smuggled request in
        // a body the library would not frame) is never answered on this connection.
        if (malformed.status != 0)
            return refuse(malformed.status, malformed.why);
        // Route matching runs std::regex on the path, which recurses per byte: a 7000-byte
        // graph id overflowed a worker's stack under ASan. No route's path comes near this.
        if (req.path.size() > limits_.max_path_bytes)
            return refuse(414, "request path over " + std::to_string(limits_.max_path_bytes >> 10) +
                                   " KiB");
        if (req.has_header("Content-Encoding") &&
            lower_trimmed(req.get_header_value("Content-Encoding")) != "identity")
            return refuse(415, "compressed request bodies (Content-Encoding) are not accepted");
        size_t te = req.get_header_value_count("Transfer-Encoding");
        size_t cl = req.get_header_value_count("Content-Length");
        if (te > 0 &&
            (te > 1 || lower_trimmed(req.get_header_value("Transfer-Encoding")) != "chunked"))
            return refuse(400, "Transfer-Encoding must be chunked");
        if (te > 0 && cl > 0)
            return refuse(400, "a request cannot have both Content-Length and Transfer-Encoding");
        if (cl > 0) {
            std::string v = lower_trimmed(req.get_header_value("Content-Length"));
            for (size_t i = 1; i < cl; ++i)
                if (lower_trimmed(req.get_header_value("Content-Length", i)) != v)
                    return refuse(400, "conflicting Content-Length headers");
            if (v.empty() || v.size() > 19 ||
                v.find_first_not_of("0123456789") != std::string::npos)
                return refuse(400, "invalid Content-Length");
            if (std::stoull(v) > payload_max_length_)
                return refuse(413, "request body too large");
        } else if (te == 0 && (req.method == "POST" || req.method == "PUT" ||
                               req.method == "PATCH" || req.method == "DELETE")) {
            r.set_header("Content-Length", "0"); // no length: no body, not "until the close"
        }
        if (before_body_ && before_body_(req, res) == HandlerResponse::Handled) {
            res.set_header("Connection", "close");
            if (c)
                c->close_after_response();
            return HandlerResponse::Handled;
        }
        return HandlerResponse::Unhandled;
    });
}

void GuardedServer::set_workers(size_t n) {
    new_task_queue = [this, n] { return new Pool(n, *this); };
}

bool GuardedServer::pressed() const {
    return waiting_.load(std::memory_order_relaxed) > 0 &&
           static_cast<size_t>(active_.load(std::memory_order_relaxed)) >= workers_;
}

std::chrono::microseconds GuardedServer::read_timeout() const {
    return std::chrono::seconds(read_timeout_sec_) + std::chrono::microseconds(read_timeout_usec_);
}
std::chrono::microseconds GuardedServer::write_timeout() const {
    return std::chrono::seconds(write_timeout_sec_) +
           std::chrono::microseconds(write_timeout_usec_);
}

// cpp-httplib's own loop (keep-alive count and timeout, a request at a time), over Connection.
bool GuardedServer::process_and_close_socket(socket_t sock) {
    auto accepted = tl_accepted_at == Clock::time_point{} ? Clock::now() : tl_accepted_at;
    tl_accepted_at = {};
    serve(std::make_shared<Connection>(*this, sock, accepted), keep_alive_max_count_, true);
    return true;
}

// Serves requests until the connection ends, or, when connections wait for a worker, yields
// after a response: the connection goes to the back of the queue, so a client that pipelines
// requests (or keeps one connection busy) gets its turn, not the whole worker.
void GuardedServer::serve(const std::shared_ptr<void>& connection, size_t count, bool first) {
    auto c = std::static_pointer_cast<Connection>(connection);
    for (; count > 0 && !stopping(); --count, first = false) {
        if (!c->wait_for_request(first))
            break;
        bool connection_closed = false;
        tl_connection = c.get();
        bool ok = process_request(*c, count == 1, connection_closed, nullptr);
        tl_connection = nullptr;
        c->request_done();
        if (!ok || connection_closed || c->close_after)
            break;
        if (Pool* pool = pool_; pool && pressed() && count > 1 && !stopping()) {
            pool->enqueue([this, connection, count] { serve(connection, count - 1, false); });
            return;
        }
    }
    c->finish();
}

} // namespace omnigraph::server
