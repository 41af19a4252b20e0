// Direct maintenance verbs (spec engine-cli §2.7, §4.2): `optimize`, `repair`, `cleanup` on a
// graph root given as URI, `--store URI`, or `--cluster DIR --graph ID`.
#include "base/json.h"
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cluster/graph_target.h"
#include "engine/cleanup.h"
#include "engine/graph.h"
#include "engine/optimize.h"
#include "engine/repair.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace omnigraph::cli {
namespace {

// Which graph: a positional URI, --store, or a cluster's graph.
struct Address {
    std::string uri, store, cluster, graph;
    bool json = false, quiet = false;

    void add_to(CLI::App* cmd) {
        cmd->add_option("uri", uri, "Graph root: local path, file:// or s3://bucket/prefix");
        cmd->add_option("--store", store, "Graph root (same as the positional URI)");
        cmd->add_option("--cluster", cluster,
                        "Cluster config directory or storage root (with --graph ID)");
        cmd->add_option("--graph", graph, "Graph id of the cluster (with --cluster)");
        cmd->add_flag("--json", json, "Print the result as JSON");
        cmd->add_flag("--quiet", quiet, "Do not echo the target on stderr");
    }

    Result<std::unique_ptr<store::ObjectStore>> open(std::string_view verb) const {
        int given = !uri.empty() + !store.empty() + !cluster.empty();
        if (given != 1)
            return Error(codes::kInvalidArgument,
                         std::string(verb) +
                             " needs exactly one of a graph URI, --store URI or --cluster DIR "
                             "--graph ID");
        if (!graph.empty() && cluster.empty())
            return Error(codes::kInvalidArgument, "--graph is used with --cluster DIR");
        if (!cluster.empty())
            return cluster::open_cluster_graph(cluster, graph, verb);
        return open_root(uri.empty() ? store : uri);
    }
};

void print(const base::Json& json, const std::vector<std::string>& lines, bool as_json) {
    if (as_json) {
        std::cout << base::to_pretty_json(json);
        return;
    }
    for (const auto& line : lines)
        std::cout << line << "\n";
}

struct OptimizeArgs {
    Address at;
    std::string branch = "main";
};

int run_optimize(const OptimizeArgs& a) {
    auto store = a.at.open("optimize");
    if (!store)
        return fail(store.error(), a.at.json);
    echo_target("optimize", **store, a.at.quiet);
    auto graph = engine::Graph::open(**store);
    if (!graph)
        return fail(graph.error(), a.at.json);
    engine::OptimizeOptions options;
    options.branch = a.branch;
    auto result = engine::optimize_graph(**store, *graph, options);
    if (!result)
        return fail(result.error(), a.at.json);
    print(engine::optimize_json(*result), engine::optimize_lines(*result), a.at.json);
    return 0;
}

struct RepairArgs {
    Address at;
    bool confirm = false, force = false;
};

int run_repair(const RepairArgs& a) {
    if (a.force && !a.confirm)
        return fail(Error(codes::kInvalidArgument, "--force requires --confirm"), a.at.json);
    auto store = a.at.open("repair");
    if (!store)
        return fail(store.error(), a.at.json);
    echo_target("repair", **store, a.at.quiet);
    auto result = engine::repair_graph(**store, {a.confirm, a.force});
    if (!result)
        return fail(result.error(), a.at.json);
    print(engine::repair_json(*result), engine::repair_lines(*result), a.at.json);
    return result->refused() ? 1 : 0;
}

struct CleanupArgs {
    Address at;
    std::optional<uint64_t> keep;
    std::string older_than, grace;
    bool confirm = false, yes = false;
};

// A destructive write against a non-local root needs --yes, or a "yes" typed on a terminal.
bool confirmed_remote(const store::ObjectStore& store, const CleanupArgs& a) {
    std::string uri = store.root().to_string();
    return confirm_destructive("cleanup", uri, store.root().is_s3(), a.yes, a.at.json,
                               "cleanup removes old versions of " + uri + " for good.");
}

int run_cleanup(const CleanupArgs& a) {
    engine::CleanupPolicy policy;
    policy.keep = a.keep;
    if (!a.older_than.empty()) {
        auto d = engine::parse_duration(a.older_than);
        if (!d)
            return fail(d.error(), a.at.json);
        policy.older_than = *d;
    }
    if (!a.grace.empty()) {
        auto d = engine::parse_duration(a.grace);
        if (!d)
            return fail(d.error(), a.at.json);
        policy.grace = *d;
    }
    if (!policy.keep && !policy.older_than)
        return fail(Error(codes::kInvalidArgument,
                          "cleanup requires at least one of --keep or --older-than"),
                    a.at.json);
    auto store = a.at.open("cleanup");
    if (!store)
        return fail(store.error(), a.at.json);
    if (!a.confirm) {
        std::cerr << "cleanup is destructive \u2014 rerun with --confirm. Policy for "
                  << (*store)->root().to_string() << ": " << engine::describe_policy(policy)
                  << "\n";
        return 0;
    }
    if (!confirmed_remote(**store, a))
        return 1;
    echo_target("cleanup", **store, a.at.quiet);
    auto graph = engine::Graph::open(**store);
    if (!graph)
        return fail(graph.error(), a.at.json);
    auto result = engine::cleanup_graph(**store, *graph, policy);
    if (!result)
        return fail(result.error(), a.at.json);
    print(engine::cleanup_json(*result), engine::cleanup_lines(*result), a.at.json);
    return 0;
}

} // namespace

void register_maintenance(CLI::App& app, Outcome& outcome) {
    auto optimize = std::make_shared<OptimizeArgs>();
    auto* o = app.add_subcommand(
        "optimize", "Compact small segments and deletion vectors into large segments (one commit)");
    optimize->at.add_to(o);
    o->add_option("--branch", optimize->branch, "Branch to compact (default main)");
    o->callback([optimize, &outcome] { outcome.exit_code = run_optimize(*optimize); });

    auto repair = std::make_shared<RepairArgs>();
    auto* r = app.add_subcommand(
        "repair", "Classify and heal what crashed writes left behind (preview without --confirm)");
    repair->at.add_to(r);
    r->add_flag("--confirm", repair->confirm, "Heal verified drift");
    r->add_flag("--force", repair->force, "Also heal suspicious drift (requires --confirm)");
    r->callback([repair, &outcome] { outcome.exit_code = run_repair(*repair); });

    auto cleanup = std::make_shared<CleanupArgs>();
    auto* c = app.add_subcommand(
        "cleanup", "Remove old versions and the objects only they use (needs --confirm)");
    cleanup->at.add_to(c);
    c->add_option("--keep", cleanup->keep, "Keep the newest N versions of each branch (0 = 1)");
    c->add_option("--older-than", cleanup->older_than,
                  "Remove only versions older than this (e.g. 7d; units s m h d w)");
    c->add_option("--grace", cleanup->grace,
                  "Never remove anything younger than this (default 1h)");
    c->add_flag("--confirm", cleanup->confirm, "Actually remove (otherwise print the policy)");
    c->add_flag("--yes", cleanup->yes, "Confirm a cleanup of a non-local (s3://) root");
    c->callback([cleanup, &outcome] { outcome.exit_code = run_cleanup(*cleanup); });
}

} // namespace omnigraph::cli
