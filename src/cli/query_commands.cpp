// `omnigraph query` and `omnigraph mutate`: run a read query (printed as a table, key/value
// blocks, CSV, JSON lines or JSON) or a mutation (one commit) from a .gq file or inline text
// against a graph root (spec engine-cli §4.2, §4.4).
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/operator_config.h"
#include "cli/read_output.h"
#include "cli/remote_graph.h"
#include "cli/source_file.h"
#include "query/lint.h"
#include "schema/compiler.h"
#include "schema/diagnostic.h"
#include "schema/ir.h"
#include "service/graph_handle.h"
#include "service/mutate.h"
#include "service/read.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <variant>

namespace omnigraph::cli {

namespace {

// The CLI's default read budget: a local process may use more than a shared server's request.
constexpr uint64_t kCliMemoryMb = 2048;
constexpr uint64_t kCliMaxRows = 1'000'000'000;

struct QueryArgs {
    std::string name, query_file, query_text, params, params_file, branch, snapshot, format;
    std::string store, actor, if_commit, target, config;
    ServerScopeArgs remote;
    bool json = false, explain = false, quiet = false;
    // The read's budget (query/budget.h); 0 = unlimited.
    uint64_t memory_mb = kCliMemoryMb, timeout_ms = 0, max_rows = kCliMaxRows;
};

// The query text and the name it is reported under.
struct QuerySource {
    std::string text, file;
};

Result<QuerySource> query_source(const QueryArgs& a) {
    if (!a.query_text.empty())
        return QuerySource{a.query_text, "<inline>"};
    return QuerySource{OG_TRY(read_source_file(a.query_file)), a.query_file};
}

Result<base::Json> params_of(const QueryArgs& a) {
    if (!a.params_file.empty()) {
        auto text = OG_TRY(read_source_file(a.params_file));
        return base::parse_json(text, a.params_file);
    }
    if (!a.params.empty())
        return base::parse_json(a.params, "--params");
    return base::Json();
}

void print_rows(const query::QueryResult& r, const std::string& format, const std::string& name,
                const std::optional<std::string>& branch,
                const std::optional<std::string>& snapshot, const std::string& commit_id) {
    std::vector<std::vector<std::string>> cells;
    for (const auto& row : r.rows) {
        cells.emplace_back();
        for (const auto& v : row)
            cells.back().push_back(query::display_value(v));
    }
    if (format == "json") {
        std::cout << base::to_pretty_json(
            base::Json::parse(query::result_json(r, name, branch, snapshot, commit_id)));
        return;
    }
    if (format == "jsonl") {
        base::JsonWriter meta;
        meta.begin_object();
        meta.key("kind").string("metadata");
        meta.key("query_name").string(name);
        meta.key("target").begin_object();
        meta.key("branch");
        branch ? meta.string(*branch) : meta.null();
        meta.key("snapshot");
        snapshot ? meta.string(*snapshot) : meta.null();
        meta.end_object();
        meta.key("row_count").unsigned_integer(r.rows.size());
        meta.end_object();
        std::cout << meta.text() << "\n";
        for (size_t row = 0; row < r.rows.size(); ++row) {
            base::JsonWriter w;
            query::write_row(r, row, w);
            std::cout << w.text() << "\n";
        }
        return;
    }
    RowsText text;
    text.header = std::to_string(r.rows.size()) + " rows from " +
                  (snapshot ? "snapshot " + *snapshot : "branch " + branch.value_or("main")) +
                  " via " + name;
    for (const auto& c : r.columns)
        text.columns.push_back(c.name);
    text.cells = std::move(cells);
    print_rows_text(text, format);
}

// Fills the graph root, branch and actor from the operator's omnigraph.yaml where the flags left
// them out (--store > --target > cli.graph; cli.branch; cli.actor).
Status apply_operator_config(QueryArgs& a) {
    auto config = OG_TRY(load_operator_config(a.config));
    a.store = OG_TRY(resolve_graph_uri(config, a.store, a.target));
    if (a.branch.empty() && a.snapshot.empty() && config.default_branch)
        a.branch = *config.default_branch;
    if (a.actor.empty() && config.actor)
        a.actor = *config.actor;
    return ok();
}

// Flags that exclude each other (exit 2), on a graph root and on a server alike.
int conflicting_flags(const QueryArgs& a) {
    if (!a.params.empty() && !a.params_file.empty()) {
        std::cerr << "error: --params and --params-file are mutually exclusive\n";
        return 2;
    }
    if (!a.branch.empty() && !a.snapshot.empty()) {
        std::cerr << "error: --branch and --snapshot are mutually exclusive\n";
        return 2;
    }
    return 0;
}

// Usage errors (exit 2) shared by `query` and `mutate`; 0 when the arguments are usable.
int usage_error(const QueryArgs& a) {
    if (a.query_file.empty() == a.query_text.empty()) {
        std::cerr << "error: pass the query with --query FILE or -e TEXT (stored queries are "
                     "served by omnigraph-server)\n";
        return 2;
    }
    return conflicting_flags(a);
}

// What `query` and `mutate` read before the service runs: the source, the params, the graph.
struct Inputs {
    QuerySource source;
    base::Json params;
    std::unique_ptr<service::GraphHandle> graph;
};

Result<Inputs> read_inputs(const QueryArgs& a) {
    Inputs in;
    in.source = OG_TRY(query_source(a));
    in.params = OG_TRY(params_of(a));
    in.graph = OG_TRY(open_graph_with_embedder(a.store));
    return in;
}

// The operator's config applied, the arguments checked, the inputs read: the inputs, or the
// exit code of what failed (already reported).
std::variant<Inputs, int> start(QueryArgs& a, bool json) {
    if (auto configured = apply_operator_config(a); !configured)
        return fail(configured.error(), json);
    if (int usage = usage_error(a))
        return usage;
    auto in = read_inputs(a);
    if (!in)
        return fail(in.error(), json);
    return std::move(*in);
}

std::optional<std::string> non_empty(const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

// The graph's server when the verb is addressed to one (see cli/remote_graph.h).
Result<std::optional<RemoteGraph>> remote_of(const QueryArgs& a) {
    return RemoteGraph::resolve(a.remote, !a.store.empty() || !a.target.empty());
}

// `query`/`mutate` on a server: an inline query through /query or /mutate, a stored one (a
// NAME and no --query/-e) through /queries/NAME; --if-commit through the fail-closed routes.
int run_remote(const RemoteGraph& g, const QueryArgs& a, const std::string& format, bool mutation) {
    bool json = format == "json";
    if (int usage = conflicting_flags(a))
        return usage;
    if (!a.actor.empty())
        return fail(served_actor_refused(), json);
    bool stored = a.query_file.empty() && a.query_text.empty();
    if (stored && a.name.empty()) {
        std::cerr << "error: pass a stored query NAME, or the query with --query FILE or -e "
                     "TEXT\n";
        return 2;
    }
    auto params = params_of(a);
    if (!params)
        return fail(params.error(), json);
    base::Json body = base::Json::object();
    if (!params->is_null())
        body["params"] = *params;
    if (!a.branch.empty())
        body["branch"] = a.branch;
    if (!a.snapshot.empty())
        body["snapshot"] = a.snapshot;
    std::string route;
    if (stored) {
        route = "queries/" + a.name;
    } else {
        auto source = query_source(a);
        if (!source)
            return fail(source.error(), json);
        body["query"] = source->text;
        if (!a.name.empty())
            body["name"] = a.name;
        route = mutation ? "mutate" : "query";
    }
    std::vector<std::pair<std::string, std::string>> headers;
    if (!a.if_commit.empty()) {
        route += "/if-graph-commit";
        headers.emplace_back("Omnigraph-If-Graph-Commit", a.if_commit);
    }
    auto answer =
        g.server().call("POST", g.path(route), {}, body.dump(), "application/json", headers);
    if (!answer)
        return fail(answer.error(), json);
    if (answer->status < 200 || answer->status >= 300) {
        Error e = http_answer_error(*answer);
        if (answer->status == 412) { // a lost --if-commit: exit 4, as the local verb
            if (json)
                std::cout << answer->body << "\n";
            else
                std::cerr << "error: " << e.message << "\n";
            return 4;
        }
        return fail(e, json);
    }
    auto out = base::Json::parse(answer->body, nullptr, false);
    if (out.is_discarded())
        return fail(Error(codes::kInternal, "the server's answer is not JSON"), json);
    print_read_output(out, format);
    return 0;
}

int run_mutate(QueryArgs a) {
    bool json = a.json;
    auto remote = remote_of(a);
    if (!remote)
        return fail(remote.error(), json);
    std::optional<RemoteGraph> served = std::move(remote).value();
    if (served)
        return run_remote(*served, a, json ? "json" : "table", true);
    auto started = start(a, json);
    if (auto* code = std::get_if<int>(&started))
        return *code;
    Inputs* in = &std::get<Inputs>(started);
    service::MutationRequest request;
    request.source = {in->source.text, in->source.file};
    request.name = non_empty(a.name);
    request.params = &in->params;
    request.branch = a.branch.empty() ? "main" : a.branch;
    request.actor = non_empty(a.actor);
    request.if_commit = non_empty(a.if_commit);
    auto outcome = service::run_mutation(*in->graph, request);
    if (!outcome) {
        if (outcome.error().is(query::kPreconditionFailure)) {
            if (json)
                std::cout << base::to_pretty_json(base::Json::parse(
                    "{\"error\":" + base::to_compact_json(base::Json(outcome.error().message)) +
                    ",\"code\":\"precondition_failure\",\"precondition_failure\":true}"));
            else
                std::cerr << "error: " << outcome.error().message << "\n";
            return 4;
        }
        return fail_with_source(outcome.error(), in->source.text, json);
    }
    if (json) {
        std::cout << base::to_pretty_json(base::Json::parse(service::mutation_json(*outcome)));
        return 0;
    }
    const query::MutationResult& r = outcome->result;
    std::cout << "changed " << r.branch << " via " << outcome->query_name << ": "
              << r.affected_nodes << " nodes, " << r.affected_edges << " edges\n";
    if (const std::optional<std::string>& actor = outcome->actor)
        std::cout << "actor_id: " << *actor << "\n";
    return 0;
}

int run_query(QueryArgs a) {
    std::string format = a.json ? "json" : (a.format.empty() ? "table" : a.format);
    bool json = format == "json";
    auto remote = remote_of(a);
    if (!remote)
        return fail(remote.error(), json);
    std::optional<RemoteGraph> served = std::move(remote).value();
    if (served) {
        if (a.explain)
            return fail(Error(codes::kInvalidArgument, "--explain runs on a graph root, not a "
                                                       "server"),
                        json);
        return run_remote(*served, a, format, false);
    }
    auto started = start(a, json);
    if (auto* code = std::get_if<int>(&started))
        return *code;
    Inputs* in = &std::get<Inputs>(started);
    service::ReadRequest request;
    request.source = {in->source.text, in->source.file};
    request.name = non_empty(a.name);
    request.params = &in->params;
    request.target.branch = non_empty(a.branch);
    request.target.snapshot = non_empty(a.snapshot);
    request.explain = a.explain;
    request.limits.memory_bytes = a.memory_mb << 20;
    request.limits.timeout_ms = a.timeout_ms;
    request.limits.max_rows = a.max_rows;
    auto outcome = service::run_read(*in->graph, request);
    if (!outcome)
        return fail_with_source(outcome.error(), in->source.text, json);
    if (const std::optional<std::string>& plan = outcome->plan) {
        if (json)
            std::cout << base::to_pretty_json(base::Json::parse(service::read_json(*outcome)));
        else
            std::cout << *plan;
        return 0;
    }
    print_rows(outcome->result, format, outcome->query_name, outcome->branch, outcome->snapshot_id,
               outcome->commit_id);
    return 0;
}

} // namespace

int run_query_lint(const std::string& query_path, const std::string& schema_path,
                   const std::string& uri, bool json) {
    if (schema_path.empty() == uri.empty()) {
        std::cerr << "error: lint --query needs the schema: --schema S.pg or a graph URI\n";
        return 2;
    }
    auto source = read_source_file(query_path);
    if (!source)
        return fail(source.error(), json);
    schema::Catalog catalog;
    if (!schema_path.empty()) {
        auto text = read_source_file(schema_path);
        if (!text)
            return fail(text.error(), json);
        auto parsed = schema::load_schema(*text, schema_path);
        if (!parsed)
            return fail_with_source(parsed.error(), *text, json);
        auto ir = schema::build_ir(*parsed, nullptr, "");
        if (!ir)
            return fail_with_source(ir.error(), *text, json);
        catalog = schema::project_catalog(ir->ir);
    } else {
        auto g = service::GraphHandle::open(uri);
        if (!g)
            return fail(g.error(), json);
        catalog = (*g)->graph().catalog();
    }
    query::LintReport report = query::lint_queries(*source, query_path, catalog);
    size_t errors = report.errors(), warnings = report.warnings();
    if (json) {
        base::Json out;
        out["status"] = errors ? "error" : "ok";
        base::Json src;
        src["kind"] = schema_path.empty() ? "graph" : "file";
        src[schema_path.empty() ? "uri" : "path"] = schema_path.empty() ? uri : schema_path;
        out["schema_source"] = src;
        out["query_path"] = query_path;
        out["queries_processed"] = report.results.size();
        out["errors"] = errors;
        out["warnings"] = warnings;
        out["infos"] = 0;
        base::Json results = base::Json::array();
        for (const auto& r : report.results) {
            base::Json j;
            j["name"] = r.name;
            j["kind"] = r.kind;
            j["status"] = r.error ? "error" : "ok";
            if (!r.warnings.empty())
                j["warnings"] = r.warnings;
            if (r.error)
                j["error"] = r.error->message;
            if (r.operation) {
                base::Json op;
                op["result"] = base::Json::array();
                for (const auto& c : r.operation->result) {
                    base::Json col;
                    col["name"] = c.name;
                    col["kind"] = c.kind;
                    if (c.item_kind)
                        col["item_kind"] = *c.item_kind;
                    if (c.vector_dim)
                        col["vector_dim"] = *c.vector_dim;
                    col["nullable"] = c.nullable;
                    op["result"].push_back(col);
                }
                for (const char* side : {"reads", "writes"}) {
                    const auto& list =
                        std::string(side) == "reads" ? r.operation->reads : r.operation->writes;
                    op[side] = base::Json::array();
                    for (const auto& [kind, type] : list)
                        op[side].push_back({{"kind", kind}, {"type_name", type}});
                }
                j["operation"] = op;
            }
            results.push_back(j);
        }
        out["results"] = results;
        base::Json findings = base::Json::array();
        for (const auto& f : report.findings) {
            base::Json j;
            j["severity"] = f.severity;
            j["code"] = f.code;
            j["message"] = f.message;
            if (f.type_name)
                j["type_name"] = *f.type_name;
            if (f.property)
                j["property"] = *f.property;
            if (!f.query_names.empty())
                j["query_names"] = f.query_names;
            findings.push_back(j);
        }
        out["findings"] = findings;
        std::cout << base::to_pretty_json(out);
        return errors ? 1 : 0;
    }
    for (const auto& f : report.findings) {
        if (!f.location) { // a finding about the file as a whole (L201)
            std::cerr << query_path << ": " << f.severity << "[" << f.code << "]: " << f.message
                      << "\n";
            continue;
        }
        if (f.code.empty()) { // an uncoded warning
            std::cerr << f.location->to_string() << ": " << f.severity << ": " << f.message << "\n";
            continue;
        }
        schema::Diagnostic d{
            f.code, f.severity == "error" ? schema::Severity::kError : schema::Severity::kWarning,
            f.message, f.location.value_or(SourceLocation{query_path, 0, 0})};
        std::cerr << schema::render_diagnostic(d, *source);
    }
    if (errors) {
        std::cerr << "queries " << query_path << ": " << errors << " error(s), " << warnings
                  << " warning(s)\n";
        return 1;
    }
    std::cout << "queries ok: " << query_path << " (" << report.results.size()
              << (report.results.size() == 1 ? " query" : " queries");
    if (warnings)
        std::cout << ", " << warnings << (warnings == 1 ? " warning" : " warnings");
    std::cout << ")\n";
    return 0;
}

namespace {

// The options `query` and `mutate` share: which query, its parameters, which graph.
void add_query_options(CLI::App* cmd, QueryArgs& a) {
    cmd->add_option("name", a.name, "The query's name (optional when the file has one)");
    cmd->add_option("--query", a.query_file, "Query file (.gq)");
    cmd->add_option("-e,--query-string", a.query_text, "Query text");
    cmd->add_option("--params", a.params, "Parameters as a JSON object");
    cmd->add_option("--params-file", a.params_file, "Parameters from a JSON file");
    cmd->add_option("--store,--uri", a.store, "Graph root (path, file:// or s3:// URI)");
    cmd->add_option("--target", a.target, "Graph name in omnigraph.yaml (graphs.NAME.uri)");
    cmd->add_option("--config", a.config, "Per-operator config (default ./omnigraph.yaml)");
    a.remote.add_to(cmd);
}

} // namespace

void register_query(CLI::App& app, Outcome& outcome) {
    auto args = std::make_shared<QueryArgs>();
    auto* cmd = app.add_subcommand("query", "Run a read query (.gq) against a graph");
    cmd->alias("read");
    add_query_options(cmd, *args);
    cmd->add_option("--branch", args->branch, "Branch to read (default main)");
    cmd->add_option("--snapshot", args->snapshot, "Commit id to read at");
    cmd->add_option("--format", args->format, "table | kv | csv | jsonl | json")
        ->check(CLI::IsMember({"table", "kv", "csv", "jsonl", "json"}));
    cmd->add_flag("--json", args->json, "Same as --format json");
    cmd->add_flag("--explain", args->explain,
                  "Print the query's plan (variable order, pushed filters, traversals, limit) "
                  "instead of running it");
    cmd->add_option("--memory-mb", args->memory_mb,
                    "Memory the query's intermediate rows and answer may hold (MiB; 0 = no "
                    "limit; default 2048)");
    cmd->add_option("--timeout-ms", args->timeout_ms,
                    "Stop the query after this many milliseconds (0 = no limit; default 0)");
    cmd->add_option("--max-rows", args->max_rows,
                    "Intermediate rows the query's operators may produce in all (0 = no limit; "
                    "default 1000000000)");
    cmd->callback([args, &outcome] { outcome.exit_code = run_query(*args); });

    auto margs = std::make_shared<QueryArgs>();
    auto* mut = app.add_subcommand("mutate", "Run a mutation query (.gq) against a graph");
    mut->alias("change");
    add_query_options(mut, *margs);
    mut->add_option("--branch", margs->branch, "Branch to change (default main)");
    mut->add_option("--if-commit", margs->if_commit,
                    "Only if the branch head is this commit (else exit 4)");
    mut->add_option("--as", margs->actor, "Actor recorded in the commit");
    mut->add_flag("--json", margs->json, "Print the result as JSON");
    mut->add_flag("--quiet", margs->quiet, "Accepted for scripts (mutate echoes no target)");
    mut->callback([margs, &outcome] { outcome.exit_code = run_mutate(*margs); });
}

} // namespace omnigraph::cli
