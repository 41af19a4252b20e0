// `omnigraph query` and `omnigraph mutate`: run a read query (printed as a table, key/value
// blocks, CSV, JSON lines or JSON) or a mutation (one commit) from a .gq file or inline text
// against a graph root (spec engine-cli §4.2, §4.4).
#include "base/clock.h"
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/operator_config.h"
#include "cli/source_file.h"
#include "query/executor.h"
#include "query/lint.h"
#include "query/mutation.h"
#include "query/parser.h"
#include "schema/compiler.h"
#include "schema/diagnostic.h"
#include "schema/ir.h"

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <variant>

namespace omnigraph::cli {

namespace {

struct QueryArgs {
    std::string name, query_file, query_text, params, params_file, branch, snapshot, format;
    std::string store, actor, if_commit, target, config;
    bool json = false;
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

// The query to run: by name, or the file's only query.
Result<const query::Query*> pick_query(const query::QueryFile& file, const std::string& name,
                                       const std::string& source) {
    if (!name.empty()) {
        if (const auto* q = file.find(name))
            return q;
        return Error("query_not_found", "query '" + name + "' not found in " + source);
    }
    if (file.queries.size() == 1)
        return &file.queries.front();
    if (file.queries.empty())
        return Error("query_not_found", source + " holds no query");
    return Error("query_not_found", "query file contains multiple queries; pass the query name");
}

std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string table_cell(std::string s) {
    std::string out;
    for (char c : s)
        out += c == '\n' ? std::string("\\n") : std::string(1, c);
    constexpr size_t kMaxWidth = 80;
    if (out.size() > kMaxWidth)
        out = out.substr(0, kMaxWidth - 3) + "...";
    return out;
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
    if (format == "csv") {
        for (size_t i = 0; i < r.columns.size(); ++i)
            std::cout << (i ? "," : "") << csv_cell(r.columns[i].name);
        std::cout << "\n";
        for (const auto& row : cells) {
            for (size_t i = 0; i < row.size(); ++i)
                std::cout << (i ? "," : "") << csv_cell(row[i]);
            std::cout << "\n";
        }
        return;
    }
    if (format == "kv") {
        if (cells.empty()) {
            std::cout << "(no rows)\n";
            return;
        }
        for (size_t r_i = 0; r_i < cells.size(); ++r_i) {
            std::cout << "row " << r_i + 1 << "\n";
            for (size_t i = 0; i < cells[r_i].size(); ++i)
                std::cout << "  " << r.columns[i].name << ": " << table_cell(cells[r_i][i]) << "\n";
        }
        return;
    }
    // table
    std::cout << r.rows.size() << " rows from "
              << (snapshot ? "snapshot " + *snapshot : "branch " + branch.value_or("main"))
              << " via " << name << "\n";
    if (r.columns.empty()) {
        std::cout << "(no rows)\n";
        return;
    }
    std::vector<size_t> width;
    for (const auto& c : r.columns)
        width.push_back(table_cell(c.name).size());
    for (auto& row : cells)
        for (size_t i = 0; i < row.size(); ++i) {
            row[i] = table_cell(row[i]);
            width[i] = std::max(width[i], row[i].size());
        }
    auto line = [&](const std::vector<std::string>& values) {
        for (size_t i = 0; i < values.size(); ++i) {
            std::string v = values[i];
            if (i + 1 < values.size())
                v.resize(width[i], ' '); // no trailing spaces after the last column
            std::cout << (i ? " | " : "") << v;
        }
        std::cout << "\n";
    };
    std::vector<std::string> header;
    for (const auto& c : r.columns)
        header.push_back(table_cell(c.name));
    line(header);
    for (size_t i = 0; i < width.size(); ++i)
        std::cout << (i ? "-+-" : "") << std::string(width[i], '-');
    std::cout << "\n";
    for (const auto& row : cells)
        line(row);
}

// The parts of a query or mutate run before executing: the checked query, bound params and
// the open graph. Returns an exit code when something failed (already reported).
struct Prepared {
    QuerySource source;
    query::QueryFile file;
    const query::Query* query = nullptr;
    OpenGraph graph;
    std::optional<engine::Snapshot> snapshot;
    std::optional<query::CheckedQuery> checked;
    query::Params params;
};

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

std::variant<Prepared, int> prepare(const QueryArgs& a, bool json, bool mutation) {
    const std::string& store_uri = a.store;
    if (a.query_file.empty() == a.query_text.empty()) {
        std::cerr << "error: pass the query with --query FILE or -e TEXT (stored queries are "
                     "served by omnigraph-server)\n";
        return 2;
    }

    if (!a.params.empty() && !a.params_file.empty()) {
        std::cerr << "error: --params and --params-file are mutually exclusive\n";
        return 2;
    }
    if (!a.branch.empty() && !a.snapshot.empty()) {
        std::cerr << "error: --branch and --snapshot are mutually exclusive\n";
        return 2;
    }
    Prepared p;
    auto source = query_source(a);
    if (!source)
        return fail(source.error(), json);
    p.source = std::move(*source);
    auto file = query::parse_query_file(p.source.text, p.source.file);
    if (!file)
        return fail_with_source(file.error(), p.source.text, json);
    p.file = std::move(*file);
    auto picked = pick_query(p.file, a.name, p.source.file);
    if (!picked)
        return fail(picked.error(), json);
    p.query = *picked;
    if (p.query->is_mutation() != mutation)
        return fail(
            Error("invalid_argument", "query '" + p.query->name + "' is a " +
                                          (mutation ? "read query; run it with `omnigraph query`"
                                                    : "mutation; run it with `omnigraph mutate`")),
            json);
    auto params_json = params_of(a);
    if (!params_json)
        return fail(params_json.error(), json);
    auto opened = open_graph_at(store_uri);
    if (!opened)
        return fail(opened.error(), json);
    p.graph = std::move(*opened);
    engine::SnapshotSpec spec;
    if (!a.snapshot.empty())
        spec.commit_id = a.snapshot;
    else if (!a.branch.empty())
        spec.branch = a.branch;
    auto snap = p.graph.graph->snapshot(spec);
    if (!snap)
        return fail(snap.error(), json);
    p.snapshot = std::move(*snap);
    auto checked = query::check_query(*p.query, p.snapshot->schema->catalog, p.source.file);
    if (!checked)
        return fail_with_source(checked.error(), p.source.text, json);
    p.checked = std::move(*checked);
    auto params = query::bind_params(*p.query, *params_json);
    if (!params)
        return fail(params.error(), json);
    p.params = std::move(*params);
    return p;
}

int64_t now_ms() {
    return base::unix_micros(base::now()) / 1000;
}

int run_mutate(QueryArgs a) {
    bool json = a.json;
    if (auto configured = apply_operator_config(a); !configured)
        return fail(configured.error(), json);
    auto prepared = prepare(a, json, true);
    if (auto* code = std::get_if<int>(&prepared))
        return *code;
    Prepared& p = std::get<Prepared>(prepared);
    query::MutationOptions options;
    options.branch = a.branch.empty() ? "main" : a.branch;
    if (!a.actor.empty())
        options.actor = a.actor;
    if (!a.if_commit.empty())
        options.if_commit = a.if_commit;
    options.now_ms = now_ms();
    auto result =
        query::execute_mutation(*p.graph.store, *p.graph.graph, *p.checked, p.params, options);
    if (!result) {
        if (result.error().is(query::kPreconditionFailure)) {
            if (json)
                std::cout << base::to_pretty_json(base::Json::parse(
                    "{\"error\":" + base::to_compact_json(base::Json(result.error().message)) +
                    ",\"code\":\"precondition_failure\",\"precondition_failure\":true}"));
            else
                std::cerr << "error: " << result.error().message << "\n";
            return 4;
        }
        return fail(result.error(), json);
    }
    if (json) {
        std::cout << base::to_pretty_json(
            base::Json::parse(query::mutation_json(*result, p.query->name, options.actor)));
        return 0;
    }
    std::cout << "changed " << result->branch << " via " << p.query->name << ": "
              << result->affected_nodes << " nodes, " << result->affected_edges << " edges\n";
    if (options.actor)
        std::cout << "actor_id: " << *options.actor << "\n";
    return 0;
}

int run_query(QueryArgs a) {
    std::string format = a.json ? "json" : (a.format.empty() ? "table" : a.format);
    if (auto configured = apply_operator_config(a); !configured)
        return fail(configured.error(), format == "json");
    auto prepared = prepare(a, format == "json", false);
    if (auto* code = std::get_if<int>(&prepared))
        return *code;
    Prepared& p = std::get<Prepared>(prepared);
    auto cache = query::make_table_cache(*p.graph.store);
    auto result = query::execute_read(*cache, *p.snapshot, *p.checked, p.params, now_ms());
    if (!result)
        return fail(result.error(), format == "json");
    std::optional<std::string> branch, snapshot;
    if (!a.snapshot.empty())
        snapshot = a.snapshot;
    else
        branch = a.branch.empty() ? "main" : a.branch;
    print_rows(*result, format, p.query->name, branch, snapshot, p.snapshot->manifest.commit_id);
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
    std::optional<OpenGraph> opened;
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
        auto g = open_graph_at(uri);
        if (!g)
            return fail(g.error(), json);
        catalog = g->graph->catalog();
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
    cmd->add_option("--store", a.store, "Graph root (path, file:// or s3:// URI)");
    cmd->add_option("--target", a.target, "Graph name in omnigraph.yaml (graphs.NAME.uri)");
    cmd->add_option("--config", a.config, "Per-operator config (default ./omnigraph.yaml)");
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
    mut->callback([margs, &outcome] { outcome.exit_code = run_mutate(*margs); });
}

} // namespace omnigraph::cli
