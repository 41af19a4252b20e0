// Data-plane verbs on a graph root: `init`, `load`, `snapshot`, `export`, `commit list|show`.
#include "base/json.h"
#include "base/uri.h"
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/operator_config.h"
#include "cli/remote_graph.h"
#include "cli/source_file.h"
#include "cluster/cluster_store.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "schema/diagnostic.h"
#include "service/export.h"
#include "service/graph_info.h"
#include "service/load.h"
#include "store/object_store.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unistd.h>

namespace omnigraph::cli {
namespace {

using base::Json;

struct InitArgs {
    std::string schema_path, uri;
    bool force = false, quiet = false; // init echoes no target: --quiet is accepted for scripts
};

int run_init(const InitArgs& a) {
    auto source = read_source_file(a.schema_path);
    if (!source)
        return fail(source.error(), false);
    auto store = open_root(a.uri);
    if (!store)
        return fail(store.error(), false);
    if (auto managed = cluster::refuse_cluster_graph_root((*store)->root()); !managed)
        return fail(managed.error(), false);
    engine::InitOptions options;
    options.force = a.force;
    options.schema_file = a.schema_path;
    auto result = engine::init_graph(**store, *source, options);
    if (!result)
        return fail_with_source(result.error(), *source, false);
    for (const auto& w : result->warnings)
        std::cerr << schema::render_diagnostic(w, *source);
    std::cout << "initialized " << result->uri << "\n";
    return 0;
}

// --branch / --version / --snapshot, shared by the read verbs.
struct ReadAt {
    std::string branch, commit;
    uint64_t version = 0;

    void add_to(CLI::App* cmd) {
        cmd->add_option("--branch", branch, "Branch (default main)");
        cmd->add_option("--version", version, "Read this manifest version of the branch");
        cmd->add_option("--snapshot", commit, "Read the version a commit published");
    }
    service::Target target() const {
        service::Target t;
        if (!commit.empty()) {
            t.snapshot = commit; // a commit names its branch and version
            return t;
        }
        t.branch = branch.empty() ? "main" : branch;
        if (version > 0)
            t.version = version;
        return t;
    }
};

// The read verbs' query string on a server: ?branch= or ?snapshot= (a manifest --version has no
// route).
Result<std::vector<std::pair<std::string, std::string>>> remote_at(const ReadAt& at) {
    if (at.version > 0)
        return Error(codes::kInvalidArgument,
                     "--version reads a graph root; on a server use --snapshot COMMIT");
    if (!at.commit.empty())
        return std::vector<std::pair<std::string, std::string>>{{"snapshot", at.commit}};
    return std::vector<std::pair<std::string, std::string>>{
        {"branch", at.branch.empty() ? "main" : at.branch}};
}

struct SnapshotArgs {
    std::string uri;
    ReadAt at;
    bool json = false;
    ServerScopeArgs remote;
};

Result<Json> snapshot_of(const SnapshotArgs& a) {
    auto remote = OG_TRY(RemoteGraph::resolve_or_root(a.remote, a.uri));
    if (remote) {
        auto query = OG_TRY(remote_at(a.at));
        return remote->server().json("GET", remote->path("snapshot"), query);
    }
    auto graph = OG_TRY(service::GraphHandle::open(a.uri));
    return service::snapshot_info(*graph, a.at.target());
}

int run_snapshot(const SnapshotArgs& a) {
    auto info = snapshot_of(a);
    if (!info)
        return fail(info.error(), a.json);
    const Json& j = *info;
    if (a.json) {
        std::cout << base::to_pretty_json(j);
        return 0;
    }
    std::cout << "graph_branch: " << j["graph_branch"].get<std::string>() << "\n"
              << "graph_manifest_version: " << j["graph_manifest_version"] << "\n"
              << "internal_schema_version: " << j["internal_schema_version"] << "\n";
    for (const auto& d : j["datasets"])
        std::cout << d["entity_kind"].get<std::string>() << " type '"
                  << d["type_name"].get<std::string>()
                  << "' published_dataset_version=" << d["published_dataset_version"]
                  << " native_dataset_branch=" << d["native_dataset_branch"].get<std::string>()
                  << " entities=" << d["entity_count"] << "\n";
    return 0;
}

struct CommitArgs {
    std::string uri, branch = "main", id;
    bool json = false;
    ServerScopeArgs remote;
};

Result<Json> commits_of(const CommitArgs& a) {
    auto remote = OG_TRY(RemoteGraph::resolve_or_root(a.remote, a.uri));
    if (remote) {
        auto out =
            OG_TRY(remote->server().json("GET", remote->path("commits"), {{"branch", a.branch}}));
        return out.contains("commits") ? out["commits"] : out;
    }
    auto graph = OG_TRY(service::GraphHandle::open(a.uri));
    return service::commit_list(*graph, a.branch, true);
}

Result<Json> commit_of(const CommitArgs& a) {
    auto remote = OG_TRY(RemoteGraph::resolve_or_root(a.remote, a.uri));
    if (remote)
        return remote->server().json("GET", remote->path("commits/" + a.id));
    auto graph = OG_TRY(service::GraphHandle::open(a.uri));
    return service::commit_info(*graph, a.id, true);
}

int run_commit_list(const CommitArgs& a) {
    auto commits = commits_of(a);
    if (!commits)
        return fail(commits.error(), a.json);
    if (a.json) {
        std::cout << base::to_pretty_json(*commits);
        return 0;
    }
    for (const auto& c : *commits) {
        std::cout << c["graph_commit_id"].get<std::string>()
                  << " graph_branch=" << c["graph_branch"].get<std::string>()
                  << " graph_manifest_version=" << c["graph_manifest_version"];
        if (c["actor_id"].is_string())
            std::cout << " actor=" << c["actor_id"].get<std::string>();
        std::cout << "\n";
    }
    return 0;
}

int run_commit_show(const CommitArgs& a) {
    auto commit = commit_of(a);
    if (!commit)
        return fail(commit.error(), a.json);
    if (a.json) {
        std::cout << base::to_pretty_json(*commit);
        return 0;
    }
    for (auto& [k, v] : commit->items())
        std::cout << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    return 0;
}

// A load's progress on a terminal: one rewritten stderr line, shown only once the load has run
// for kProgressAfter, and cleared at the end (nothing is printed when stderr is not a TTY).
class ProgressLine {
  public:
    static constexpr auto kProgressAfter = std::chrono::seconds(2);
    explicit ProgressLine(bool enabled)
        : enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
    bool enabled() const { return enabled_; }

    void update(const engine::LoadProgress& p) {
        auto elapsed = std::chrono::steady_clock::now() - start_;
        if (elapsed < kProgressAfter)
            return;
        double seconds = std::chrono::duration<double>(elapsed).count();
        auto rows = static_cast<double>(p.rows);
        auto megabytes = [](uint64_t bytes) { return static_cast<double>(bytes) / 1e6; };
        char line[160];
        int n = p.total_bytes > 0
                    ? std::snprintf(line, sizeof line,
                                    "\r%s: %llu rows, %.1f of %.1f MB read, %.0f rows/s",
                                    std::string(p.phase).c_str(), (unsigned long long)p.rows,
                                    megabytes(p.bytes), megabytes(p.total_bytes), rows / seconds)
                    : std::snprintf(line, sizeof line, "\r%s: %llu rows",
                                    std::string(p.phase).c_str(), (unsigned long long)p.rows);
        // n is the untruncated length; what fits in the buffer is shown.
        size_t length = n < 0 ? 0 : std::min(static_cast<size_t>(n), sizeof line - 1);
        std::cerr << std::string_view(line, length) << "\033[K" << std::flush;
        shown_ = true;
    }
    void finish() {
        if (shown_)
            std::cerr << "\r\033[K" << std::flush;
    }

  private:
    bool enabled_;
    bool shown_ = false;
    std::chrono::steady_clock::time_point start_;
};

struct LoadArgs {
    std::string uri, data, mode, branch, from, actor, target, config;
    bool json = false, quiet = false, yes = false;
    ServerScopeArgs remote;
    uint64_t memory_budget_mb = 0; // 0: OMNIGRAPH_LOAD_MEMORY_MB, else 1 GiB
};

// `load` on a server: the batch goes whole to …/load (the server's limit is 32 MiB; larger
// batches load from a graph root or in parts). The answer is the server's IngestOutput.
int run_remote_load(const RemoteGraph& g, const LoadArgs& a) {
    if (!a.actor.empty())
        return fail(served_actor_refused(), a.json);
    if (a.mode == "overwrite" &&
        !confirm_destructive("load", g.uri(), true, a.yes, a.json,
                             "load --mode overwrite replaces the loaded types' rows of " + g.uri() +
                                 "."))
        return 1;
    auto data = read_source_file(a.data == "-" ? "/dev/stdin" : a.data);
    if (!data)
        return fail(data.error(), a.json);
    Json body = {{"data", *data}};
    if (!a.branch.empty())
        body["branch"] = a.branch;
    if (!a.from.empty())
        body["from"] = a.from;
    if (!a.mode.empty())
        body["mode"] = a.mode;
    echo_served("load", g.uri(), a.quiet || a.json);
    auto out = g.server().json("POST", g.path("load"), {}, &body);
    if (!out)
        return fail(out.error(), a.json);
    if (a.json) {
        std::cout << base::to_pretty_json(*out);
        return 0;
    }
    const Json& o = *out;
    std::cout << "loaded " << g.uri() << " on branch " << o.value("branch", "") << " with "
              << o.value("mode", "") << ": " << o.value("total_entities", uint64_t(0))
              << " entities across " << o.value("nodes", Json::array()).size() << " node types and "
              << o.value("edges", Json::array()).size() << " edge types\n";
    if (o.value("branch_created", false) && o.contains("base_branch") &&
        o["base_branch"].is_string())
        std::cout << "branch " << o.value("branch", "") << " created from "
                  << o["base_branch"].get<std::string>() << "\n";
    return 0;
}

int run_load(LoadArgs a) {
    auto remote = RemoteGraph::resolve(a.remote, !a.uri.empty() || !a.target.empty());
    if (!remote)
        return fail(remote.error(), a.json);
    std::optional<RemoteGraph> served = std::move(remote).value();
    if (served)
        return run_remote_load(*served, a);
    // The operator's omnigraph.yaml: --target, and defaults for the branch and --as.
    auto config = load_operator_config(a.config);
    if (!config)
        return fail(config.error(), a.json);
    auto uri = resolve_graph_uri(*config, a.uri, a.target);
    if (!uri)
        return fail(uri.error(), a.json);
    a.uri = *uri;
    if (a.branch.empty())
        a.branch = config->default_branch.value_or("main");
    if (a.actor.empty())
        a.actor = config->actor.value_or("");
    service::LoadRequest request;
    if (!a.mode.empty()) {
        request.mode = engine::parse_load_mode(a.mode);
        if (!request.mode) {
            std::cerr << "error: unknown --mode '" << a.mode
                      << "' (expected overwrite, append or merge)\n";
            return 2;
        }
    }
    if (a.memory_budget_mb != 0) {
        if (a.memory_budget_mb < engine::kMinLoadMemoryMb || a.memory_budget_mb > (1ull << 30)) {
            std::cerr << "error: --memory-budget-mb must be at least " << engine::kMinLoadMemoryMb
                      << "\n";
            return 2;
        }
        request.memory_budget_bytes = a.memory_budget_mb << 20;
    }
    // Read as the load goes: the input is never held whole. `-` is standard input.
    const bool from_stdin = a.data == "-";
    auto data = engine::file_source(from_stdin ? "/dev/stdin" : a.data);
    if (!data)
        return fail(data.error(), a.json);
    auto graph = open_graph_with_embedder(a.uri);
    if (!graph)
        return fail(graph.error(), a.json);
    echo_target("load", (*graph)->store(), a.quiet);
    request.source = std::move(*data);
    request.branch = a.branch;
    if (!a.from.empty())
        request.from = a.from;
    request.source_name = from_stdin ? "<stdin>" : a.data;
    if (!a.actor.empty())
        request.actor = a.actor;
    ProgressLine progress(!a.quiet && !a.json && isatty(STDERR_FILENO));
    if (progress.enabled())
        request.progress = [&](const engine::LoadProgress& p) { progress.update(p); };
    auto r = service::run_load(**graph, std::move(request));
    progress.finish();
    if (!r) {
        const Error& e = r.error();
        if (a.json)
            return fail(e, true);
        std::cerr << (e.location ? e.location->to_string() + ": " : "") << "error[" << e.code
                  << "]: " << e.message << "\n";
        return 1;
    }
    if (a.json) {
        std::cout << base::to_pretty_json(service::load_json(*r, service::LoadJson::kCli));
        return 0;
    }
    const engine::LoadSummary& summary = r->summary;
    std::cout << "loaded " << r->uri << " on branch " << summary.branch << " with "
              << engine::load_mode_name(summary.mode) << ": " << summary.total_entities
              << " entities across " << summary.nodes.size() << " node types and "
              << summary.edges.size() << " edge types\n";
    if (summary.created_from)
        std::cout << "branch " << summary.branch << " created from " << *summary.created_from
                  << "\n";
    return 0;
}

struct ExportArgs {
    std::string uri;
    ReadAt at;
    std::vector<std::string> types;
    ServerScopeArgs remote;
};

// `export` from a server: …/export streams the same JSONL.
int run_remote_export(const RemoteGraph& g, const ExportArgs& a) {
    if (a.at.version > 0 || !a.at.commit.empty())
        return fail(Error(codes::kInvalidArgument,
                          "a served export reads a branch head (--branch); --version and "
                          "--snapshot read a graph root"),
                    false);
    Json body = {{"branch", a.at.branch.empty() ? "main" : a.at.branch}};
    if (!a.types.empty())
        body["type_names"] = a.types;
    auto answer = g.server().call("POST", g.path("export"), {}, body.dump());
    if (!answer)
        return fail(answer.error(), false);
    if (answer->status != 200)
        return fail(http_answer_error(*answer), false);
    std::cout << answer->body << std::flush;
    return std::cout ? 0 : 1;
}

int run_export(const ExportArgs& a) {
    auto remote = RemoteGraph::resolve_or_root(a.remote, a.uri);
    if (!remote)
        return fail(remote.error(), false);
    std::optional<RemoteGraph> served = std::move(remote).value();
    if (served)
        return run_remote_export(*served, a);
    auto graph = service::GraphHandle::open(a.uri);
    if (!graph)
        return fail(graph.error(), false);
    auto prepared = service::prepare_export(**graph, a.at.target(), a.types);
    if (!prepared)
        return fail(prepared.error(), false);
    auto rows = service::write_export(**graph, *prepared, std::cout);
    if (!rows)
        return fail(rows.error(), false);
    return 0;
}

} // namespace

void register_graph(CLI::App& app, Outcome& outcome) {
    auto exp = std::make_shared<ExportArgs>();
    auto* exp_cmd =
        app.add_subcommand("export", "Write a branch's rows as JSONL in the load format");
    exp_cmd->add_option("uri", exp->uri, "Graph root");
    exp_cmd->add_option("--store,--uri", exp->uri, "Graph root (as the positional URI)");
    exp->remote.add_to(exp_cmd);
    exp->at.add_to(exp_cmd);
    exp_cmd->add_option("--type", exp->types, "Only these node/edge types (repeatable)");
    exp_cmd->callback([exp, &outcome] { outcome.exit_code = run_export(*exp); });

    auto load = std::make_shared<LoadArgs>();
    auto* load_cmd =
        app.add_subcommand("load", "Load a JSONL graph batch into a branch as one commit");
    load_cmd->add_option("uri", load->uri, "Graph root (or --target NAME from omnigraph.yaml)");
    load_cmd->add_option("--store,--uri", load->uri, "Graph root (as the positional URI)");
    load->remote.add_to(load_cmd);
    load_cmd->add_flag("--yes", load->yes,
                       "Confirm --mode overwrite on a non-local graph (s3:// root or server)");
    load_cmd->add_option("--target", load->target,
                         "Graph name in omnigraph.yaml (graphs.NAME.uri)");
    load_cmd->add_option("--config", load->config,
                         "Per-operator config (default ./omnigraph.yaml)");
    load_cmd
        ->add_option("--data", load->data,
                     "JSONL file (- for standard input): {\"type\":T,\"data\":{...}} / "
                     "{\"edge\":E,\"from\":..,\"to\":..}")
        ->required();
    load_cmd->add_option("--mode", load->mode,
                         "overwrite | append | merge (optional only for a graph without data)");
    load_cmd->add_option("--branch", load->branch, "Branch (default main)");
    load_cmd->add_option("--from", load->from,
                         "Create --branch from this branch first when it does not exist");
    load_cmd->add_option("--as", load->actor, "Actor recorded in the commit");
    load_cmd->add_option("--memory-budget-mb", load->memory_budget_mb,
                         "Peak memory of the load in MiB (default $OMNIGRAPH_LOAD_MEMORY_MB, "
                         "else 1024)");
    load_cmd->add_flag("--json", load->json, "Print JSON");
    load_cmd->add_flag("--quiet", load->quiet, "No target echo on stderr");
    load_cmd->callback([load, &outcome] { outcome.exit_code = run_load(*load); });

    auto init = std::make_shared<InitArgs>();
    auto* init_cmd = app.add_subcommand("init", "Create a graph at URI from a schema");
    init_cmd->add_option("--schema", init->schema_path, "Schema file (.pg)")->required();
    init_cmd->add_flag("--quiet", init->quiet, "Accepted for scripts (init echoes no target)");
    init_cmd->add_flag("--force", init->force,
                       "Replace orphan schema files (never a graph with commits)");
    init_cmd->add_option("uri", init->uri, "Graph root: a path, file:// or s3://bucket/prefix")
        ->required();
    init_cmd->callback([init, &outcome] { outcome.exit_code = run_init(*init); });

    auto snap = std::make_shared<SnapshotArgs>();
    auto* snap_cmd = app.add_subcommand("snapshot", "Show a branch's current version and tables");
    snap_cmd->add_option("uri", snap->uri, "Graph root");
    snap_cmd->add_option("--store,--uri", snap->uri, "Graph root (as the positional URI)");
    snap->remote.add_to(snap_cmd);
    snap->at.add_to(snap_cmd);
    snap_cmd->add_flag("--json", snap->json, "Print JSON");
    snap_cmd->callback([snap, &outcome] { outcome.exit_code = run_snapshot(*snap); });

    auto* commit_cmd = app.add_subcommand("commit", "Inspect the commit history");
    commit_cmd->require_subcommand(1);
    auto list = std::make_shared<CommitArgs>();
    auto* list_cmd = commit_cmd->add_subcommand("list", "List a branch's commits, newest first");
    list_cmd->add_option("uri", list->uri, "Graph root");
    list_cmd->add_option("--store,--uri", list->uri, "Graph root (as the positional URI)");
    list->remote.add_to(list_cmd);
    list_cmd->add_option("--branch", list->branch, "Branch (default main)");
    list_cmd->add_flag("--json", list->json, "Print JSON");
    list_cmd->callback([list, &outcome] { outcome.exit_code = run_commit_list(*list); });
    auto show = std::make_shared<CommitArgs>();
    auto* show_cmd = commit_cmd->add_subcommand("show", "Show one commit");
    show_cmd->add_option("--uri,--store", show->uri, "Graph root");
    show->remote.add_to(show_cmd);
    show_cmd->add_option("id", show->id, "Commit id")->required();
    show_cmd->add_flag("--json", show->json, "Print JSON");
    show_cmd->callback([show, &outcome] { outcome.exit_code = run_commit_show(*show); });
}

} // namespace omnigraph::cli
