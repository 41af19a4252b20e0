// Schema verbs: `omnigraph lint --schema F`, `omnigraph schema plan --schema NEW --from OLD`
// (offline), and on a graph `schema plan|apply URI --schema NEW` and `schema show URI`.
#include "base/json.h"
#include "base/ulid.h"
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/remote_graph.h"
#include "cli/source_file.h"
#include "engine/schema_apply.h"
#include "schema/compiler.h"
#include "schema/diagnostic.h"
#include "schema/ir.h"
#include "schema/plan.h"
#include "schema/shape.h"
#include "service/graph_handle.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {
namespace {

using base::Json;
using schema::Diagnostic;
using schema::Severity;

Json finding_json(const Diagnostic& d) {
    Json j;
    j["severity"] = schema::severity_name(d.severity);
    j["code"] = d.code;
    j["message"] = d.message;
    if (d.location.line > 0) {
        Json loc;
        loc["file"] = d.location.file;
        loc["line"] = d.location.line;
        loc["column"] = d.location.column;
        j["location"] = loc;
    }
    return j;
}

// The whole offline pipeline: parse, validate, and build the IR (so lint catches everything
// `init` would, spec Q13).
struct Compiled {
    std::optional<schema::Schema> schema;
    std::optional<schema::SchemaIr> ir;
    std::vector<Diagnostic> diagnostics; // warnings, then the error if any
};

Compiled compile(const std::string& source, const std::string& path,
                 const schema::SchemaIr* accepted) {
    Compiled out;
    auto loaded = schema::load_schema(source, path);
    if (!loaded) {
        out.diagnostics.push_back(Diagnostic::from_error(loaded.error()));
        return out;
    }
    out.diagnostics = loaded->warnings;
    auto built = schema::build_ir(*loaded, accepted, base::new_ulid());
    if (!built) {
        out.diagnostics.push_back(Diagnostic::from_error(built.error()));
        return out;
    }
    for (auto& w : built->warnings)
        out.diagnostics.push_back(std::move(w));
    out.schema = std::move(*loaded);
    out.ir = std::move(built->ir);
    return out;
}

void print_diagnostics(const std::vector<Diagnostic>& ds, const std::string& source) {
    for (const auto& d : ds)
        std::cerr << schema::render_diagnostic(d, source);
}

struct LintArgs {
    std::string uri, schema_path, query_path;
    bool json = false;
};

int run_lint(const LintArgs& args) {
    if (!args.query_path.empty())
        return run_query_lint(args.query_path, args.schema_path, args.uri, args.json);
    if (args.schema_path.empty()) {
        std::cerr << "error: lint needs --schema S.pg (and --query F.gq to check queries)\n";
        return 2;
    }
    auto source = read_source_file(args.schema_path);
    if (!source) {
        std::cerr << "error: " << source.error().message << "\n";
        return 1;
    }
    Compiled c = compile(*source, args.schema_path, nullptr);
    // Lint is not an init: @rename_from hints in a file written as a migration are expected,
    // so the "inert on a new graph" warning (PG-W-001) would only be noise here.
    std::erase_if(c.diagnostics, [](const Diagnostic& d) { return d.code == "PG-W-001"; });
    int errors = 0, warnings = 0, infos = 0;
    for (const auto& d : c.diagnostics)
        (d.severity == Severity::kError     ? errors
         : d.severity == Severity::kWarning ? warnings
                                            : infos)++;
    if (args.json) {
        Json out;
        out["status"] = errors ? "error" : "ok";
        Json src;
        src["kind"] = "file";
        src["path"] = args.schema_path;
        out["schema_source"] = src;
        out["errors"] = errors;
        out["warnings"] = warnings;
        out["infos"] = infos;
        Json findings = Json::array();
        for (const auto& d : c.diagnostics)
            findings.push_back(finding_json(d));
        out["findings"] = findings;
        if (c.schema) {
            out["schema_shape_hash"] = schema::shape_hash(*c.schema);
            Json counts;
            counts["interfaces"] = c.schema->interfaces.size();
            counts["node_types"] = c.schema->nodes.size();
            counts["edge_types"] = c.schema->edges.size();
            out["types"] = counts;
        }
        std::cout << base::to_pretty_json(out);
        return errors ? 1 : 0;
    }
    print_diagnostics(c.diagnostics, *source);
    if (errors || !c.schema) { // no schema without an error: compile() reports why
        std::cerr << "schema " << args.schema_path << ": " << errors << " error(s), " << warnings
                  << " warning(s)\n";
        return 1;
    }
    auto count = [](size_t n, const char* one, const char* many) {
        return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    const schema::Schema& compiled = *c.schema;
    std::cout << "schema ok: " << args.schema_path << " ("
              << count(compiled.interfaces.size(), "interface", "interfaces") << ", "
              << count(compiled.nodes.size(), "node type", "node types") << ", "
              << count(compiled.edges.size(), "edge type", "edge types");
    if (warnings)
        std::cout << ", " << count(size_t(warnings), "warning", "warnings");
    std::cout << ")\n";
    return 0;
}

struct PlanArgs {
    std::string uri;
    std::string schema_path;
    std::string from_path;
    std::string branch = "main";
    std::string actor;
    bool allow_data_loss = false;
    bool json = false;
    bool quiet = false;
};

// `schema plan --schema NEW --from OLD`: two files, no graph.
int run_offline_plan(const PlanArgs& args) {
    auto old_source = read_source_file(args.from_path);
    auto new_source = read_source_file(args.schema_path);
    for (const auto* r : {&old_source, &new_source})
        if (!*r) {
            std::cerr << "error: " << r->error().message << "\n";
            return 1;
        }
    Compiled accepted = compile(*old_source, args.from_path, nullptr);
    if (!accepted.ir) {
        print_diagnostics(accepted.diagnostics, *old_source);
        return 1;
    }
    Compiled desired = compile(*new_source, args.schema_path, &*accepted.ir);
    if (!desired.ir) {
        print_diagnostics(desired.diagnostics, *new_source);
        return 1;
    }
    auto plan = schema::plan_migration(*accepted.ir, *desired.ir, args.allow_data_loss);
    if (!plan) {
        std::cerr << plan.error().to_string() << "\n";
        return 1;
    }
    print_diagnostics(desired.diagnostics, *new_source);
    if (args.json)
        std::cout << base::to_pretty_json(schema::plan_json(*plan, args.schema_path));
    else
        std::cout << schema::render_plan(*plan, args.schema_path);
    return 0;
}

// `schema plan URI --schema NEW` and `schema apply URI --schema NEW`.
int run_live(const PlanArgs& args, bool apply) {
    auto source = read_source_file(args.schema_path);
    if (!source)
        return fail(source.error(), args.json);
    auto opened = service::GraphHandle::open(args.uri);
    if (!opened)
        return fail(opened.error(), args.json);
    const engine::Graph& graph = (*opened)->graph();
    engine::SchemaApplyOptions options;
    options.branch = args.branch;
    options.allow_data_loss = args.allow_data_loss;
    options.schema_file = args.schema_path;
    if (!args.actor.empty())
        options.actor = args.actor;
    if (!apply) {
        auto r = engine::plan_schema_change(graph, *source, options);
        if (!r)
            return fail_with_source(r.error(), *source, args.json);
        print_diagnostics(r->warnings, *source);
        if (args.json)
            std::cout << base::to_pretty_json(schema::plan_json(r->plan, r->uri));
        else
            std::cout << schema::render_plan(r->plan, r->uri);
        return 0;
    }
    echo_target("schema apply", graph.store(), args.quiet || args.json);
    auto r = engine::apply_schema_change(graph, *source, options);
    if (!r)
        return fail_with_source(r.error(), *source, args.json);
    print_diagnostics(r->warnings, *source);
    if (args.json)
        std::cout << base::to_pretty_json(engine::apply_result_json(*r));
    else
        std::cout << engine::render_apply_result(*r);
    return 0;
}

struct ShowArgs {
    std::string uri, branch = "main";
    bool json = false;
    ServerScopeArgs remote;
};

// `schema show` of a served graph: GET …/schema (the main branch's schema; the route has no
// branch).
int run_remote_show(const RemoteGraph& g, const ShowArgs& args) {
    if (args.branch != "main")
        return fail(Error(codes::kInvalidArgument,
                          "a server shows the schema of main only; --branch reads a graph root"),
                    args.json);
    auto out = g.server().json("GET", g.path("schema"));
    if (!out)
        return fail(out.error(), args.json);
    if (args.json) {
        std::cout << base::to_pretty_json(*out);
        return 0;
    }
    std::string source = out->value("schema_source", "");
    std::cout << source;
    if (!source.empty() && source.back() != '\n')
        std::cout << "\n";
    return 0;
}

int run_schema_show(const ShowArgs& args) {
    auto remote = RemoteGraph::resolve_or_root(args.remote, args.uri);
    if (!remote)
        return fail(remote.error(), args.json);
    std::optional<RemoteGraph> served = std::move(remote).value();
    if (served)
        return run_remote_show(*served, args);
    auto opened = service::GraphHandle::open(args.uri);
    if (!opened)
        return fail(opened.error(), args.json);
    const engine::Graph& graph = (*opened)->graph();
    auto snap = graph.snapshot({args.branch, std::nullopt, std::nullopt});
    if (!snap)
        return fail(snap.error(), args.json);
    if (args.json) {
        Json out;
        out["uri"] = graph.uri();
        out["branch"] = snap->manifest.branch;
        out["graph_manifest_version"] = snap->manifest.version;
        out["schema_ir_hash"] = snap->schema->hash;
        out["source"] = snap->schema->source;
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    std::cout << snap->schema->source;
    if (!snap->schema->source.empty() && snap->schema->source.back() != '\n')
        std::cout << "\n";
    return 0;
}

} // namespace

void register_lint(CLI::App& app, Outcome& outcome) {
    auto args = std::make_shared<LintArgs>();
    auto* cmd = app.add_subcommand("lint", "Check a schema (.pg), or queries (.gq) against one");
    cmd->alias("check");
    cmd->add_option("uri", args->uri,
                    "Graph root whose schema checks --query (instead of --schema)");
    cmd->add_option("--schema", args->schema_path, "Schema file (.pg)");
    cmd->add_option("--query", args->query_path, "Query file (.gq) to type-check");
    cmd->add_flag("--json", args->json, "Print the findings as JSON");
    cmd->callback([args, &outcome] { outcome.exit_code = run_lint(*args); });
}

void register_schema(CLI::App& app, Outcome& outcome) {
    auto* cmd = app.add_subcommand("schema", "Schema migrations");
    cmd->require_subcommand(1);

    auto plan_args = std::make_shared<PlanArgs>();
    auto* plan = cmd->add_subcommand(
        "plan", "Plan a migration: of a graph (URI) or between two files (--from OLD)");
    plan->add_option("uri", plan_args->uri, "Graph root (omit with --from)");
    plan->add_option("--store,--uri", plan_args->uri, "Graph root (as the positional URI)");
    plan->add_option("--schema", plan_args->schema_path, "The desired schema (.pg)")->required();
    plan->add_option("--from", plan_args->from_path, "The accepted schema (.pg), without a graph");
    plan->add_option("--branch", plan_args->branch, "Branch (default main)");
    plan->add_flag("--allow-data-loss", plan_args->allow_data_loss,
                   "Plan drops as hard (data removed)");
    plan->add_flag("--json", plan_args->json, "Print the plan as JSON");
    plan->callback([plan_args, &outcome] {
        const PlanArgs& a = *plan_args;
        if (a.uri.empty() == a.from_path.empty()) {
            std::cerr << "error: schema plan needs exactly one of a graph URI or --from OLD.pg\n";
            outcome.exit_code = 2;
            return;
        }
        outcome.exit_code = a.uri.empty() ? run_offline_plan(a) : run_live(a, false);
    });

    auto apply_args = std::make_shared<PlanArgs>();
    auto* apply = cmd->add_subcommand("apply", "Migrate a graph branch to a new schema");
    apply->add_option("uri", apply_args->uri, "Graph root");
    apply->add_option("--store,--uri", apply_args->uri, "Graph root (as the positional URI)");
    apply->add_option("--schema", apply_args->schema_path, "The desired schema (.pg)")->required();
    apply->add_option("--branch", apply_args->branch, "Branch (default main)");
    apply->add_option("--as", apply_args->actor, "Actor recorded in the commit");
    apply->add_flag("--allow-data-loss", apply_args->allow_data_loss,
                    "Hard drops: remove dropped data instead of keeping it for time travel");
    apply->add_flag("--json", apply_args->json, "Print JSON");
    apply->add_flag("--quiet", apply_args->quiet, "No target echo on stderr");
    apply->callback([apply_args, &outcome] {
        if (apply_args->uri.empty()) {
            std::cerr << "error: schema apply needs a graph root (URI or --store URI)\n";
            outcome.exit_code = 2;
            return;
        }
        outcome.exit_code = run_live(*apply_args, true);
    });

    auto show_args = std::make_shared<ShowArgs>();
    auto* show = cmd->add_subcommand("show", "Print a branch's accepted schema");
    show->alias("get");
    show->add_option("uri", show_args->uri, "Graph root");
    show->add_option("--store,--uri", show_args->uri, "Graph root (as the positional URI)");
    show_args->remote.add_to(show);
    show->add_option("--branch", show_args->branch, "Branch (default main)");
    show->add_flag("--json", show_args->json, "Print JSON");
    show->callback([show_args, &outcome] { outcome.exit_code = run_schema_show(*show_args); });
}

} // namespace omnigraph::cli
