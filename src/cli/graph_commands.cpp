// Data-plane verbs on a graph root: `init`, `snapshot`, `commit list`, `commit show`.
#include "base/json.h"
#include "base/uri.h"
#include "cli/commands.h"
#include "cli/source_file.h"
#include "engine/export.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "schema/diagnostic.h"
#include "store/object_store.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {
namespace {

using base::Json;

int fail(const Error& e, bool json) {
    if (json) {
        Json out;
        out["error"] = e.message;
        out["code"] = e.code;
        std::cout << base::to_pretty_json(out);
    } else {
        std::cerr << "error: " << e.message << "\n";
    }
    return 1;
}

Result<std::unique_ptr<store::ObjectStore>> open_root(const std::string& uri) {
    auto parsed = OG_TRY(base::parse_storage_uri(uri));
    return store::open_store(parsed);
}

struct InitArgs {
    std::string schema_path, uri;
    bool force = false;
};

int run_init(const InitArgs& a) {
    auto source = read_source_file(a.schema_path);
    if (!source)
        return fail(source.error(), false);
    auto store = open_root(a.uri);
    if (!store)
        return fail(store.error(), false);
    engine::InitOptions options;
    options.force = a.force;
    options.schema_file = a.schema_path;
    auto result = engine::init_graph(**store, *source, options);
    if (!result) {
        const Error& e = result.error();
        if (e.code.starts_with("PG-")) { // the schema did not compile: show it like lint does
            auto d = schema::Diagnostic::from_error(e);
            std::cerr << schema::render_diagnostic(d, *source);
            return 1;
        }
        return fail(e, false);
    }
    for (const auto& w : result->warnings)
        std::cerr << schema::render_diagnostic(w, *source);
    std::cout << "initialized " << result->uri << "\n";
    return 0;
}

// An opened graph with the store it reads through (the Graph points at the store).
struct OpenGraph {
    std::unique_ptr<store::ObjectStore> store;
    std::optional<engine::Graph> graph;
};

Result<OpenGraph> open_graph_at(const std::string& uri) {
    OpenGraph out;
    out.store = OG_TRY(open_root(uri));
    out.graph.emplace(OG_TRY(engine::Graph::open(*out.store)));
    return out;
}

struct SnapshotArgs {
    std::string uri, branch = "main";
    bool json = false;
};

int run_snapshot(const SnapshotArgs& a) {
    auto opened = open_graph_at(a.uri);
    if (!opened)
        return fail(opened.error(), a.json);
    auto& graph = opened->graph;
    auto head = graph->head(a.branch);
    if (!head)
        return fail(head.error(), a.json);
    if (a.json) {
        Json out;
        out["graph_branch"] = head->branch;
        out["graph_manifest_version"] = head->version;
        out["graph_commit_id"] = head->commit_id;
        out["internal_schema_version"] = engine::kStorageFormatVersion;
        Json tables = Json::array();
        for (const auto& t : head->tables) {
            Json j;
            auto colon = t.table_key.find(':');
            j["kind"] = t.table_key.substr(0, colon);
            j["type_name"] = t.table_key.substr(colon + 1);
            j["published_dataset_version"] = t.table_version;
            j["native_dataset_branch"] = "main";
            j["entities"] = t.row_count;
            j["dataset_path"] = t.path;
            tables.push_back(j);
        }
        out["tables"] = tables;
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    std::cout << "graph_branch: " << head->branch << "\n"
              << "graph_manifest_version: " << head->version << "\n"
              << "internal_schema_version: " << engine::kStorageFormatVersion << "\n";
    for (const auto& t : head->tables) {
        auto colon = t.table_key.find(':');
        std::cout << t.table_key.substr(0, colon) << " type '" << t.table_key.substr(colon + 1)
                  << "' published_dataset_version=" << t.table_version
                  << " native_dataset_branch=main entities=" << t.row_count << "\n";
    }
    return 0;
}

Json commit_json(const format::CommitRecord& c) {
    Json j;
    j["graph_commit_id"] = c.graph_commit_id;
    j["graph_branch"] = c.graph_branch;
    j["graph_manifest_version"] = c.graph_manifest_version;
    j["parent_commit_id"] = c.parent_commit_id ? Json(*c.parent_commit_id) : Json(nullptr);
    j["merged_parent_commit_id"] =
        c.merged_parent_commit_id ? Json(*c.merged_parent_commit_id) : Json(nullptr);
    j["actor_id"] = c.actor_id ? Json(*c.actor_id) : Json(nullptr);
    j["created_at"] = c.created_at;
    return j;
}

struct CommitArgs {
    std::string uri, branch = "main", id;
    bool json = false;
};

int run_commit_list(const CommitArgs& a) {
    auto opened = open_graph_at(a.uri);
    if (!opened)
        return fail(opened.error(), a.json);
    auto& graph = opened->graph;
    auto commits = graph->commits(a.branch);
    if (!commits)
        return fail(commits.error(), a.json);
    if (a.json) {
        Json out = Json::array();
        for (const auto& c : *commits)
            out.push_back(commit_json(c));
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    for (const auto& c : *commits) {
        std::cout << c.graph_commit_id << " graph_branch=" << c.graph_branch
                  << " graph_manifest_version=" << c.graph_manifest_version;
        if (c.actor_id)
            std::cout << " actor=" << *c.actor_id;
        std::cout << "\n";
    }
    return 0;
}

int run_commit_show(const CommitArgs& a) {
    auto opened = open_graph_at(a.uri);
    if (!opened)
        return fail(opened.error(), a.json);
    auto& graph = opened->graph;
    auto commit = graph->commit(a.id);
    if (!commit)
        return fail(commit.error(), a.json);
    Json j = commit_json(*commit);
    if (a.json) {
        std::cout << base::to_pretty_json(j);
        return 0;
    }
    for (auto& [k, v] : j.items())
        std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    return 0;
}

struct LoadArgs {
    std::string uri, data, mode, branch = "main", actor;
    bool json = false, quiet = false;
};

int run_load(const LoadArgs& a) {
    std::optional<engine::LoadMode> mode;
    if (!a.mode.empty()) {
        mode = engine::parse_load_mode(a.mode);
        if (!mode) {
            std::cerr << "error: unknown --mode '" << a.mode
                      << "' (expected overwrite, append or merge)\n";
            return 2;
        }
    }
    auto data = read_source_file(a.data);
    if (!data)
        return fail(data.error(), a.json);
    auto opened = open_graph_at(a.uri);
    if (!opened)
        return fail(opened.error(), a.json);
    auto& graph = opened->graph;
    if (!a.quiet)
        std::cerr << "omnigraph load \u2192 " << opened->store->root().to_string() << " ("
                  << (opened->store->root().is_s3() ? "direct, remote" : "direct, local") << ")\n";
    engine::LoadOptions options;
    options.mode = mode;
    options.branch = a.branch;
    options.source_name = a.data;
    if (!a.actor.empty())
        options.actor = a.actor;
    auto r = engine::load_graph(*opened->store, *graph, *data, options);
    if (!r) {
        const Error& e = r.error();
        if (a.json)
            return fail(e, true);
        std::cerr << (e.location ? e.location->to_string() + ": " : "") << "error[" << e.code
                  << "]: " << e.message << "\n";
        return 1;
    }
    if (a.json) {
        Json out;
        out["uri"] = graph->uri();
        out["branch"] = r->branch;
        out["mode"] = engine::load_mode_name(r->mode);
        out["branch_created"] = false;
        auto counts = [](const std::map<std::string, uint64_t>& m) {
            Json arr = Json::array();
            for (const auto& [name, n] : m) {
                Json j;
                j["name"] = name;
                j["entities_loaded"] = n;
                arr.push_back(j);
            }
            return arr;
        };
        out["nodes"] = counts(r->nodes);
        out["edges"] = counts(r->edges);
        out["total_entities"] = r->total_entities;
        out["commit"] = commit_json(r->commit);
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    std::cout << "loaded " << graph->uri() << " on branch " << r->branch << " with "
              << engine::load_mode_name(r->mode) << ": " << r->total_entities << " entities across "
              << r->nodes.size() << " node types and " << r->edges.size() << " edge types\n";
    return 0;
}

struct ExportArgs {
    std::string uri, branch = "main";
    std::vector<std::string> types;
};

int run_export(const ExportArgs& a) {
    auto opened = open_graph_at(a.uri);
    if (!opened)
        return fail(opened.error(), false);
    engine::ExportOptions options;
    options.branch = a.branch;
    options.types = a.types;
    auto rows = engine::export_graph(*opened->store, *opened->graph, options, std::cout);
    if (!rows)
        return fail(rows.error(), false);
    return 0;
}

} // namespace

void register_graph(CLI::App& app, Outcome& outcome) {
    auto exp = std::make_shared<ExportArgs>();
    auto* exp_cmd =
        app.add_subcommand("export", "Write a branch's rows as JSONL in the load format");
    exp_cmd->add_option("uri", exp->uri, "Graph root")->required();
    exp_cmd->add_option("--branch", exp->branch, "Branch (default main)");
    exp_cmd->add_option("--type", exp->types, "Only these node/edge types (repeatable)");
    exp_cmd->callback([exp, &outcome] { outcome.exit_code = run_export(*exp); });

    auto load = std::make_shared<LoadArgs>();
    auto* load_cmd =
        app.add_subcommand("load", "Load a JSONL graph batch into a branch as one commit");
    load_cmd->add_option("uri", load->uri, "Graph root")->required();
    load_cmd
        ->add_option("--data", load->data,
                     "JSONL file: {\"type\":T,\"data\":{...}} / {\"edge\":E,\"from\":..,\"to\":..}")
        ->required();
    load_cmd->add_option("--mode", load->mode,
                         "overwrite | append | merge (optional only for a graph without data)");
    load_cmd->add_option("--branch", load->branch, "Branch (default main)");
    load_cmd->add_option("--as", load->actor, "Actor recorded in the commit");
    load_cmd->add_flag("--json", load->json, "Print JSON");
    load_cmd->add_flag("--quiet", load->quiet, "No target echo on stderr");
    load_cmd->callback([load, &outcome] { outcome.exit_code = run_load(*load); });

    auto init = std::make_shared<InitArgs>();
    auto* init_cmd = app.add_subcommand("init", "Create a graph at URI from a schema");
    init_cmd->add_option("--schema", init->schema_path, "Schema file (.pg)")->required();
    init_cmd->add_flag("--force", init->force,
                       "Replace orphan schema files (never a graph with commits)");
    init_cmd->add_option("uri", init->uri, "Graph root: a path, file:// or s3://bucket/prefix")
        ->required();
    init_cmd->callback([init, &outcome] { outcome.exit_code = run_init(*init); });

    auto snap = std::make_shared<SnapshotArgs>();
    auto* snap_cmd = app.add_subcommand("snapshot", "Show a branch's current version and tables");
    snap_cmd->add_option("uri", snap->uri, "Graph root")->required();
    snap_cmd->add_option("--branch", snap->branch, "Branch (default main)");
    snap_cmd->add_flag("--json", snap->json, "Print JSON");
    snap_cmd->callback([snap, &outcome] { outcome.exit_code = run_snapshot(*snap); });

    auto* commit_cmd = app.add_subcommand("commit", "Inspect the commit history");
    commit_cmd->require_subcommand(1);
    auto list = std::make_shared<CommitArgs>();
    auto* list_cmd = commit_cmd->add_subcommand("list", "List a branch's commits, newest first");
    list_cmd->add_option("uri", list->uri, "Graph root")->required();
    list_cmd->add_option("--branch", list->branch, "Branch (default main)");
    list_cmd->add_flag("--json", list->json, "Print JSON");
    list_cmd->callback([list, &outcome] { outcome.exit_code = run_commit_list(*list); });
    auto show = std::make_shared<CommitArgs>();
    auto* show_cmd = commit_cmd->add_subcommand("show", "Show one commit");
    show_cmd->add_option("--uri", show->uri, "Graph root")->required();
    show_cmd->add_option("id", show->id, "Commit id")->required();
    show_cmd->add_flag("--json", show->json, "Print JSON");
    show_cmd->callback([show, &outcome] { outcome.exit_code = run_commit_show(*show); });
}

} // namespace omnigraph::cli
