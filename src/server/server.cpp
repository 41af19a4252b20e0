#include "server/server.h"

#include "base/env.h"
#include "base/log.h"
#include "cluster/desired_state.h"
#include "cluster/serving_snapshot.h"
#include "policy/bundle.h"
#include "server/request.h"
#include "server/server_state.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cxxabi.h>
#include <httplib.h>
#include <iostream>
#include <sys/socket.h>
#include <typeinfo>

namespace omnigraph::server {

namespace {

// "std::out_of_range", for the log line of a bug.
std::string exception_name(const std::exception& e) {
    int status = 0;
    std::unique_ptr<char, void (*)(void*)> name(
        abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status), std::free);
    return status == 0 && name ? name.get() : typeid(e).name();
}

std::string first_error_code(const cluster::Diagnostics& diags) {
    for (const auto& d : diags.items())
        if (d.error)
            return d.code;
    return "strict_boot"; // strict mode promoted a warning
}

} // namespace

RequestInfo& request_info() {
    thread_local RequestInfo info;
    return info;
}

// --- the checks every route makes --------------------------------------------------------------

std::optional<std::string> ServerState::authenticate(const httplib::Request& req) const {
    const Generation& g = gen();
    if (!g.auth_required)
        return std::nullopt;
    // The whole value: get_header_value stops at a NUL ("Bearer a\0b" would be "Bearer a").
    // The guard refuses such heads, a second Authorization too; this check does not rely on it.
    auto [first, last] = req.headers.equal_range("Authorization");
    if (first == last || std::next(first) != last)
        throw HttpError{401, "unauthorized", "missing bearer token"};
    const std::string& header = first->second;
    if (!header.starts_with("Bearer "))
        throw HttpError{401, "unauthorized", "missing bearer token"};
    for (char c : header)
        if (c < 0x20 || c > 0x7e)
            throw HttpError{401, "unauthorized", "missing bearer token"};
    auto actor = g.tokens.actor_for(std::string_view(header).substr(7));
    if (!actor)
        throw HttpError{401, "unauthorized", "invalid bearer token"};
    request_info().actor = *actor;
    return actor;
}

const ServedGraph& ServerState::graph(const std::string& id) const {
    if (!cluster::valid_route_graph_id(id)) {
        constexpr std::string_view kReserved[] = {"graphs", "healthz", "openapi", "policies"};
        if (std::ranges::find(kReserved, id) != std::end(kReserved))
            throw bad_request("invalid graph id '" + id + "': '" + id +
                              "' is reserved for a server route");
        throw bad_request("invalid graph id '" + id +
                          "': use 1-64 characters of letters, digits and '-'");
    }
    request_info().graph = id;
    const ServedGraph* g = gen().registry.find(id);
    if (!g)
        throw not_found("graph '" + id + "' not found");
    return *g;
}

void ServerState::authorize(const ServedGraph* g, policy::Action action,
                            const std::optional<std::string>& actor,
                            const std::optional<std::string>& branch,
                            const std::optional<std::string>& target,
                            const std::optional<std::string>& query) const {
    const auto& server_policy = gen().server_policy;
    const policy::PolicyEngine* engine =
        g ? g->bundle() : (server_policy ? &*server_policy : nullptr);
    auto decision = policy::authorize_scope(engine, action, actor, branch, target, query);
    if (!decision)
        throw HttpError{401, "unauthorized", "missing bearer token"};
    // A run on the request head logs only a refusal: an allowed request is logged when it runs.
    if (!head_only_run() || !decision->allowed)
        base::log(base::LogLevel::kInfo, "policy decision",
                  {{"actor_id", actor.value_or("")},
                   {"action", policy::action_name(action)},
                   {"branch", branch.value_or("")},
                   {"target_branch", target.value_or("")},
                   {"query", query.value_or("")},
                   {"allowed", decision->allowed ? "true" : "false"},
                   {"matched_rule_id", decision->matched_rule.value_or("")}});
    request_info().matched_rule = decision->matched_rule.value_or("");
    if (!decision->allowed)
        throw HttpError{403, "forbidden", decision->message};
}

GenerationRef ServerState::current() const {
    std::lock_guard lock(generation_mutex_);
    return generation_;
}

void ServerState::install(GenerationRef next) {
    std::lock_guard lock(generation_mutex_);
    generation_ = std::move(next);
}

ReloadRecord ServerState::last_reload() const {
    std::lock_guard lock(generation_mutex_);
    return last_reload_;
}

void ServerState::record_reload(ReloadRecord record) {
    std::lock_guard lock(generation_mutex_);
    record.successes = last_reload_.successes + (record.ok ? 1 : 0);
    record.failures = last_reload_.failures + (record.ok ? 0 : 1);
    last_reload_ = std::move(record);
}

const Generation& ServerState::gen() const {
    const GenerationRef& pinned = request_info().generation;
    if (pinned)
        return *pinned;
    // Outside a request (boot, the reload itself): the installed one, which only a reload
    // replaces, and reloads are serialized with these callers.
    std::lock_guard lock(generation_mutex_);
    return *generation_;
}

bool ServerState::may_invoke(const ServedGraph& g, const std::optional<std::string>& actor,
                             const std::string& name) const {
    auto decision = policy::authorize_scope(g.bundle(), policy::Action::kInvokeQuery, actor,
                                            std::nullopt, std::nullopt, name);
    return decision && decision->allowed;
}

std::shared_ptr<ExportSlots::Slot> ServerState::take_export_slot() const {
    std::shared_ptr<ExportSlots::Slot> slot = export_slots->try_take();
    if (!slot) {
        uint64_t limit = export_slots->capacity();
        throw HttpError{
            413, "bad_request", "every export slot is busy; retry later",
            base::Json::object(
                {{"resource_limit", base::Json::object({{"resource", "stream_export_slots"},
                                                        {"limit", limit},
                                                        {"actual", limit + 1}})}})};
    }
    return slot;
}

Admission::Ticket ServerState::admit(const std::optional<std::string>& actor,
                                     uint64_t bytes) const {
    auto ticket = admission->admit(actor, bytes);
    if (!ticket)
        throw HttpError{429, "too_many_requests", ticket.error().message};
    return std::move(*ticket);
}

void ServerState::guarded(const std::string& route, const httplib::Request& req,
                          httplib::Response& res, const std::function<void()>& handler) const {
    RequestInfo& info = request_info();
    info = RequestInfo{};
    info.generation = current(); // the whole request runs on the generation it started on
    // Unpinned at the end, so that a replaced generation goes once its requests are done (a
    // streamed answer keeps its own pin).
    struct Unpin {
        RequestInfo& info;
        ~Unpin() { info.generation.reset(); }
    } unpin{info};
    auto start = std::chrono::steady_clock::now();
    try {
        handler();
    } catch (const BodyNotRead&) {
        throw; // the head run ends here: the request runs again with its body
    } catch (const HttpError& e) {
        send_error(res, e);
        info.error_code = e.cause.empty() ? e.code : e.cause;
        info.error = e.log_message.empty() ? e.message : e.log_message;
    } catch (const std::exception& e) { // a bug: every expected failure is an HttpError
        // The exception's type and text are the server's business: only the log has them.
        send_error(res, {500, "internal", "internal error; the server log has the details"});
        info.error_code = "internal";
        info.error = std::string("internal error: ") + exception_name(e) + ": " + e.what();
    }
    if (res.status >= 500)
        const_cast<Metrics&>(metrics).record_internal_error();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const_cast<Metrics&>(metrics).record_request(route, res.status, seconds);
    // A 500 is always logged: it is a bug or a storage failure an operator must see.
    auto level = res.status >= 500 ? base::LogLevel::kError : base::LogLevel::kInfo;
    if (!base::log_enabled(level))
        return;
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.3f", seconds * 1000);
    std::string_view latency(buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
    std::string status = std::to_string(res.status);
    std::string_view path = std::string_view(route).substr(route.find(' ') + 1);
    std::vector<base::LogField> fields = {{"method", req.method},
                                          {"route", path},
                                          {"status", status},
                                          {"latency_ms", latency},
                                          {"actor_id", info.actor},
                                          {"graph_id", info.graph},
                                          {"matched_rule_id", info.matched_rule}};
    if (!info.error_code.empty()) {
        fields.emplace_back("error_code", info.error_code);
        fields.emplace_back("error", info.error);
    }
    base::log(level, "request", fields);
}

// --- boot, routes, serving ----------------------------------------------------------------------

namespace {

// Runs the route of a request (HEAD runs the GET route; cpp-httplib drops the body), or
// answers 404.
void dispatch(const ServerState& s, const httplib::Request& req, httplib::Response& res) {
    PathParams params;
    const Route* route =
        s.routes.match(req.method == "HEAD" ? "GET" : req.method, req.path, params);
    if (!route) {
        s.guarded(req.method + " <no route>", req, res,
                  [&] { throw not_found("no route for " + req.method + " " + req.path); });
        return;
    }
    s.guarded(req.method + " " + route->path, req, res, [&] { route->handler(req, res, params); });
}

// Wires the route table into cpp-httplib: one catch-all per method; dispatch matches segments.
// A worker per connection up to `workers`: a keep-alive client holds its worker, so fewer
// workers than clients would queue whole connections.
void install_routes(ServerState& s, size_t workers) {
    add_server_routes(s);
    add_graph_routes(s);
    add_query_routes(s);
    add_write_routes(s);
    add_branch_routes(s);
    add_change_routes(s);
    add_blob_routes(s);
    add_mcp_routes(s);
    add_console_routes(s);
    auto route_all = [&s](const httplib::Request& req, httplib::Response& res) {
        dispatch(s, req, res);
    };
    s.http.Get(".*", route_all);
    s.http.Post(".*", route_all);
    s.http.Delete(".*", route_all);

    // A request that announces a body runs its route on the head first (request.h): whatever
    // the route refuses before it reads the body — no token, an unknown route or graph, a
    // length over the route's limit, a denied load — is answered without reading a byte of it,
    // and the connection closes. A route that reaches for the body runs again once it is read.
    s.http.set_before_body_handler([&s](const httplib::Request& req, httplib::Response& res) {
        std::string length = req.get_header_value("Content-Length");
        bool body = req.has_header("Transfer-Encoding") || (!length.empty() && length != "0");
        if (!body)
            return httplib::Server::HandlerResponse::Unhandled;
        try {
            HeadOnlyRun head_only;
            dispatch(s, req, res);
        } catch (const BodyNotRead&) { // nothing was answered: the route runs again with the body
            res.status = -1;
            res.headers.clear();
            res.body.clear();
            return httplib::Server::HandlerResponse::Unhandled;
        }
        return httplib::Server::HandlerResponse::Handled;
    });
    // cpp-httplib adds `Accept-Ranges: bytes` to a HEAD answer only; the blob route alone
    // serves ranges, and says so itself, on GET and HEAD alike (its answers carry an ETag).
    // While draining, every answer asks its client to close: the next request goes elsewhere.
    s.http.set_post_routing_handler([&s](const httplib::Request& req, httplib::Response& res) {
        if (req.method == "HEAD" && !res.has_header("ETag"))
            res.headers.erase("Accept-Ranges");
        if (s.draining.load())
            res.set_header("Connection", "close");
    });

    s.http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty())
            return;
        if (res.status == 404)
            send_error(res, not_found("no route for " + req.method + " " + req.path));
        else if (res.status == 413)
            send_error(res, {413, "bad_request", "request body too large"});
        else if (res.status >= 400)
            send_error(res, {res.status, res.status >= 500 ? "internal" : "bad_request",
                             "request failed with status " + std::to_string(res.status)});
    });
    s.http.set_workers(workers);
    s.http.set_tcp_nodelay(true);
    s.http.set_keep_alive_max_count(1u << 20);
    // cpp-httplib's default sets SO_REUSEPORT, which lets a second server bind the same port and
    // silently take half the connections; a database server must fail to bind instead.
    s.http.set_socket_options([&s](int sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
        s.listen_fd = sock;
    });
    // Above the routes' own limits, so they answer 413 with their resource_limit detail.
    s.http.set_payload_max_length(2 * kLoadBodyLimit);
}

// The policies of the applied revision by scope: the server's own bundle, and one per graph.
Status bind_policies(const cluster::ServingSnapshot& snap, Generation& state,
                     std::map<std::string, const cluster::ServedPolicy*>& graph_policy) {
    for (const auto& p : snap.policies)
        for (const auto& scope : p.applies_to) {
            if (scope == "cluster") {
                if (state.server_policy)
                    return Error("policy_binding_conflict",
                                 "multiple policy bundles bind the cluster scope");
                auto bundle = policy::parse_bundle(p.source, p.name, policy::BindingKind::kCluster);
                if (!bundle)
                    return Error("policy_invalid",
                                 "server policy '" + p.name + "': " + bundle.error().message);
                state.server_policy.emplace(policy::PolicyEngine::compile(*bundle, "root"));
            } else if (scope.starts_with("graph.")) {
                if (!graph_policy.emplace(scope.substr(6), &p).second)
                    return Error("policy_binding_conflict",
                                 "multiple policy bundles bind graph '" + scope.substr(6) + "'");
            } else {
                return Error("policy_binding_conflict",
                             "unrecognized policy binding '" + scope + "'");
            }
        }
    return ok();
}

// Everything a generation holds, read from the applied revision and the token sources: what
// boot serves first and every reload builds aside. `strict` and `open` are boot's settings.
Result<std::shared_ptr<Generation>> build_generation(const ServerOptions& options, bool strict,
                                                     bool open, uint64_t number) {
    auto g = std::make_shared<Generation>();
    g->number = number;
    cluster::Diagnostics diags;
    cluster::ServingSnapshot snap = cluster::load_serving_snapshot(options.cluster, diags);
    std::string problems;
    for (const auto& d : diags.items()) {
        if (d.error || strict)
            problems += "\n  [" + d.code + "] " + d.path + ": " + d.message;
        else
            base::log(base::LogLevel::kWarn, "graph quarantined",
                      {{"code", d.code}, {"path", d.path}, {"message", d.message}});
    }
    if (!problems.empty())
        return Error(first_error_code(diags),
                     "cannot serve cluster " + options.cluster + ":" + problems);
    g->state_revision = snap.state_revision;

    std::map<std::string, const cluster::ServedPolicy*> graph_policy;
    OG_CHECK(bind_policies(snap, *g, graph_policy));

    g->tokens = OG_TRY(TokenTable::from_environment());
    bool any_policy = g->server_policy.has_value() || !graph_policy.empty();
    if (g->tokens.empty() && any_policy)
        return Error("no_tokens", "a policy file is configured but no bearer tokens are: every "
                                  "request would 401; set OMNIGRAPH_SERVER_BEARER_TOKEN(S_*)");
    if (g->tokens.empty() && !open)
        return Error("no_tokens", "no bearer tokens and no policy: pass --unauthenticated (or "
                                  "OMNIGRAPH_UNAUTHENTICATED=1) to serve without auth, or set "
                                  "OMNIGRAPH_SERVER_BEARER_TOKEN(S_*)");
    g->auth_required = !g->tokens.empty() || any_policy;
    if (!g->tokens.empty() && !any_policy)
        base::log(base::LogLevel::kWarn, "default deny",
                  {{"message", "bearer tokens without policy: only `read` is allowed"}});

    std::string failures;
    g->registry = GraphRegistry::open(snap, graph_policy, failures);
    if (!failures.empty() && strict)
        return Error("strict_boot",
                     "strict multi-graph startup requires every graph to open:" + failures);
    if (g->registry.graphs().empty())
        return Error("cluster_no_healthy_graphs", "no graph could be served:" + failures);
    return g;
}

Result<bool> strict_mode(const ServerOptions& options) {
    return options.require_all_graphs || OG_TRY(base::env_flag("OMNIGRAPH_REQUIRE_ALL_GRAPHS"));
}

Result<bool> open_mode(const ServerOptions& options) {
    return options.unauthenticated || OG_TRY(base::env_flag("OMNIGRAPH_UNAUTHENTICATED"));
}

} // namespace

struct Server::State : ServerState {};

Result<std::unique_ptr<Server>> Server::boot(const ServerOptions& options) {
    auto state = std::make_unique<State>();
    state->options = options;
    if (options.cluster.empty())
        return Error("cluster_required",
                     "omnigraph-server boots from a cluster: pass --cluster <config dir | "
                     "s3://storage-root> (graph URIs, --target and --config are not boot sources)");
    bool strict = OG_TRY(strict_mode(options));
    bool open = OG_TRY(open_mode(options));
    auto workers = OG_TRY(base::env_uint("OMNIGRAPH_SERVER_WORKERS", 128, 1, 4096));
    state->install(OG_TRY(build_generation(options, strict, open, 1)));
    state->admission = Admission::from_environment();
    state->read_admission = std::make_unique<Admission>(
        OG_TRY(base::env_uint("OMNIGRAPH_SERVER_READS_PER_ACTOR", 8, 1, 1u << 20)), UINT64_MAX);
    state->query_limits.memory_bytes =
        OG_TRY(base::env_uint("OMNIGRAPH_SERVER_QUERY_MEMORY_MB",
                              query::QueryLimits::kDefaultMemoryMb, 0, 1u << 30))
        << 20;
    state->query_limits.timeout_ms = OG_TRY(base::env_uint(
        "OMNIGRAPH_SERVER_QUERY_TIMEOUT_MS", query::QueryLimits::kDefaultTimeoutMs, 0, UINT64_MAX));
    state->query_limits.max_rows = OG_TRY(base::env_uint(
        "OMNIGRAPH_SERVER_QUERY_MAX_ROWS", query::QueryLimits::kDefaultMaxRows, 0, UINT64_MAX));
    install_routes(*state, workers);
    return std::unique_ptr<Server>(new Server(std::move(state)));
}

Result<uint64_t> Server::reload(std::string_view trigger) {
    return state_->reload(trigger);
}

Result<uint64_t> ServerState::reload(std::string_view trigger) {
    ServerState& s = *this;
    std::lock_guard one_at_a_time(s.reload_mutex);
    uint64_t number = s.current()->number + 1;
    auto next = [&]() -> Result<std::shared_ptr<Generation>> {
        bool strict = OG_TRY(strict_mode(s.options));
        bool open = OG_TRY(open_mode(s.options));
        return build_generation(s.options, strict, open, number);
    }();
    ReloadRecord record;
    record.attempted = true;
    record.trigger = std::string(trigger);
    if (!next) {
        // The old generation keeps serving: a reload that cannot build the next one changes
        // nothing but this record.
        record.error = next.error().code + ": " + next.error().message;
        s.record_reload(record);
        base::log(base::LogLevel::kError, "reload.failed",
                  {{"trigger", record.trigger},
                   {"generation", std::to_string(number - 1)},
                   {"code", next.error().code},
                   {"message", next.error().message}});
        return next.error();
    }
    auto& g = **next;
    base::log(base::LogLevel::kInfo, "reload.done",
              {{"trigger", record.trigger},
               {"generation", std::to_string(number)},
               {"state_revision", std::to_string(g.state_revision)},
               {"graphs_served", std::to_string(g.registry.graphs().size())},
               {"graphs_quarantined", std::to_string(g.registry.quarantined().size())}});
    s.install(std::move(*next));
    record.ok = true;
    s.record_reload(record);
    return number;
}

uint64_t Server::state_revision() const {
    return state_->current()->state_revision;
}

Server::Server(std::unique_ptr<State> state) : state_(std::move(state)) {}
Server::~Server() = default;

Status Server::run() {
    std::string bind = state_->options.bind;
    size_t colon = bind.rfind(':');
    if (colon == std::string::npos)
        return Error("invalid_bind", "--bind must be host:port, got '" + bind + "'");
    std::string host = bind.substr(0, colon);
    std::string port_text = bind.substr(colon + 1);
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (host.empty() || port_text.empty() || ec != std::errc() ||
        end != port_text.data() + port_text.size() || port < 0 || port > 65535)
        return Error("invalid_bind",
                     "--bind must be host:port with a port 0-65535, got '" + bind + "'");
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2); // [::1]:8080
    if (port == 0)
        port = state_->http.bind_to_any_port(host);
    else if (!state_->http.bind_to_port(host, port))
        port = -1;
    if (port < 0)
        return Error("bind_failed", "cannot bind " + bind + " (address in use or not local)");
    // cpp-httplib listens with a backlog of 5: a burst of new connections overflows it and the
    // dropped handshakes cost clients a one-second SYN retransmit. Raise it to the system cap.
    if (state_->listen_fd >= 0)
        ::listen(state_->listen_fd, SOMAXCONN);
    // Flushed: whoever started the server waits for this line.
    std::cout << "OMNIGRAPH_LISTEN_ADDR=" << host << ":" << port << "\n" << std::flush;
    if (!state_->http.listen_after_bind())
        return Error("serve_failed", "the HTTP listener stopped unexpectedly");
    return ok();
}

void Server::begin_shutdown() {
    state_->draining.store(true);
}

size_t Server::in_flight() const {
    return state_->http.busy();
}

const ServerOptions& Server::options() const {
    return state_->options;
}

void Server::stop() {
    state_->http.stop();
}

} // namespace omnigraph::server
