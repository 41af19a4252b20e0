// What the request handlers share (internal to the server): the boot configuration, tokens,
// policies, the graph registry, admission, export slots, metrics and the route table, plus the
// checks every route makes in the same order — authenticate, find the graph, authorize — and
// the per-request facts the log line reports.
// Thread-safety: built at boot; afterwards read-only apart from the thread-safe members
// (Admission, ExportSlots, Metrics), the thread-local RequestInfo and the current Generation,
// which a reload replaces under a mutex while requests keep the one they started on.
#pragma once

#include "policy/engine.h"
#include "query/budget.h"
#include "server/graph_registry.h"
#include "server/http_error.h"
#include "server/http_guard.h"
#include "server/operations.h"
#include "server/route_table.h"
#include "server/server.h"
#include "server/tokens.h"

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace omnigraph::service {
struct ReadRequest;
struct ReadOutcome;
struct MutationRequest;
struct MutationOutcome;
} // namespace omnigraph::service

namespace omnigraph::server {

inline constexpr std::string_view kVersion = "0.1.0";

// What a reload replaces (docs/server.md "Reload"): the applied revision's graphs with their
// bundles and stored queries, the server bundle, and the bearer tokens. Immutable once built.
struct Generation {
    uint64_t number = 1;         // 1 at boot, then one more per successful reload
    uint64_t state_revision = 0; // the cluster ledger's revision it serves
    TokenTable tokens;
    bool auth_required = false;
    std::optional<policy::PolicyEngine> server_policy;
    GraphRegistry registry;
};
using GenerationRef = std::shared_ptr<const Generation>;

// How a stored query is to run: what POST …/queries/{name} reads from its body and header, and
// what an MCP tool call gives (routes_mcp.cpp).
struct StoredCall {
    const base::Json* params = nullptr;          // not owned; nullptr for none
    std::optional<std::string> branch, snapshot; // the branch already trimmed
    std::optional<std::string> if_commit;        // the conditional route's header
    bool explain = false;
};

// What a request's log line and metrics learn while it runs (one per worker thread), and the
// generation it runs on.
struct RequestInfo {
    std::string actor, graph, matched_rule;
    std::string error_code, error; // the answer's error, when it is one
    GenerationRef generation;
};
RequestInfo& request_info();

// The outcome of the last reload attempt, for /readyz and the metrics.
struct ReloadRecord {
    bool attempted = false, ok = false;
    std::string trigger, error;
    uint64_t successes = 0, failures = 0;
};

struct ServerState {
    ServerOptions options;
    std::unique_ptr<Admission> admission;
    // Reads: a per-actor cap on concurrent reads (OMNIGRAPH_SERVER_READS_PER_ACTOR) and each
    // read's budget (OMNIGRAPH_SERVER_QUERY_*; query/budget.h, docs/server.md).
    std::unique_ptr<Admission> read_admission;
    query::QueryLimits query_limits;
    std::unique_ptr<ExportSlots> export_slots = ExportSlots::from_environment();
    Metrics metrics;
    RouteTable routes;
    GuardedServer http; // cpp-httplib with slow-client, size and framing limits (http_guard.h)
    int listen_fd = -1; // captured when cpp-httplib creates the listening socket
    std::atomic<bool> draining{false}; // a graceful shutdown has begun (Server::begin_shutdown)

    // The generation new requests start on, and one reload at a time.
    GenerationRef current() const;
    void install(GenerationRef next);
    ReloadRecord last_reload() const;
    void record_reload(ReloadRecord record);
    std::mutex reload_mutex;
    // Server::reload (server.h): the next generation built aside and swapped in.
    Result<uint64_t> reload(std::string_view trigger);
    // The generation of the request this thread serves (pinned by guarded()).
    const Generation& gen() const;

    // The actor of an authenticated request (nullopt in an open server); 401 otherwise.
    std::optional<std::string> authenticate(const httplib::Request& req) const;
    // The served graph `id`: 400 for an id no route could name, 404 when not served.
    const ServedGraph& graph(const std::string& id) const;
    // The Cedar decision for `action` on `g` (nullptr: the server scope); 403 when denied. The
    // decision is logged.
    void authorize(const ServedGraph* g, policy::Action action,
                   const std::optional<std::string>& actor,
                   const std::optional<std::string>& branch = std::nullopt,
                   const std::optional<std::string>& target = std::nullopt,
                   const std::optional<std::string>& query = std::nullopt) const;
    // Whether `actor` may invoke stored query `name` of `g` (invoke_query; not logged: the
    // catalog asks it for every query it lists).
    bool may_invoke(const ServedGraph& g, const std::optional<std::string>& actor,
                    const std::string& name) const;
    // One of the streaming export slots, held until the stream ends (413
    // `stream_export_slots` when every slot is busy).
    std::shared_ptr<ExportSlots::Slot> take_export_slot() const;
    // A write's slot under the per-actor caps (429 when full).
    Admission::Ticket admit(const std::optional<std::string>& actor, uint64_t bytes) const;
    // Runs `handler` as a request: an HttpError (or any other exception, a bug: 500) becomes
    // the error response; then one JSON log line and the metrics, under `route` (the route
    // table's "METHOD /path" pattern).
    void guarded(const std::string& route, const httplib::Request& req, httplib::Response& res,
                 const std::function<void()>& handler) const;
    // Run a service read or mutation, timed for the metrics, and send its JSON (an error is
    // thrown as its HttpError).
    // A read holds one of its actor's read slots (429 when all are busy) and runs under the
    // server's query budget, cancelled when its client disconnects; a large answer is streamed.
    void send_read(httplib::Response& res, const service::GraphHandle& graph,
                   service::ReadRequest request, bool with_commit_id,
                   const std::optional<std::string>& actor) const;
    void send_mutation(httplib::Response& res, const service::GraphHandle& graph,
                       const service::MutationRequest& request) const;
    // The same runs, their outcome returned rather than sent (read slot, budget and metrics as
    // above; an error is thrown as its HttpError).
    service::ReadOutcome run_read(const service::GraphHandle& graph, service::ReadRequest request,
                                  const std::optional<std::string>& actor) const;
    service::MutationOutcome run_mutation(const service::GraphHandle& graph,
                                          const service::MutationRequest& request) const;

    // Stored queries, as POST …/queries/{name} and the MCP tools run them (routes_query.cpp).
    // The query `name` of `g` when `actor` may invoke it (the invoke_query decision is logged);
    // else 404 `stored query not found`: a denial looks like an unknown name (§1.3 row 13).
    const service::StoredQuery& invocable_query(const ServedGraph& g,
                                                const std::optional<std::string>& actor,
                                                const std::string& name) const;
    // A stored read: under `read` of its branch (403) and the read slots; 400 for a graph-commit
    // condition or both a branch and a snapshot.
    service::ReadOutcome invoke_stored_read(const ServedGraph& g, const service::StoredQuery& q,
                                            const StoredCall& call,
                                            const std::optional<std::string>& actor) const;
    // A stored mutation of its branch (default main): under `change` (403) and the write
    // admission (429); 400 for a snapshot.
    service::MutationOutcome invoke_stored_mutation(const ServedGraph& g,
                                                    const service::StoredQuery& q,
                                                    const StoredCall& call,
                                                    const std::optional<std::string>& actor) const;

  private:
    mutable std::mutex generation_mutex_;
    GenerationRef generation_;
    ReloadRecord last_reload_;
};

// The route groups (routes_*.cpp).
void add_server_routes(ServerState& s);  // /healthz, /graphs, /openapi.json, /readyz, /metrics
void add_graph_routes(ServerState& s);   // snapshot, schema, commits, export
void add_query_routes(ServerState& s);   // query, read, stored queries
void add_write_routes(ServerState& s);   // mutate, change, load, ingest, schema apply
void add_branch_routes(ServerState& s);  // branch list, create, delete
void add_change_routes(ServerState& s);  // commit changes, change feed, baseline
void add_blob_routes(ServerState& s);    // blob (GET, HEAD)
void add_mcp_routes(ServerState& s);     // the stored queries as MCP tools
void add_console_routes(ServerState& s); // the web console: /ui, /ui/{file}

} // namespace omnigraph::server
