// `omnigraph cluster validate|import|plan|apply|status|refresh|approve|force-unlock` (spec
// cluster §13): argument parsing, the actor chain and the exit codes; the work and the output
// text come from src/cluster.
#include "base/env.h"
#include "cli/commands.h"
#include "cli/home_config.h"
#include "cli/operator_config.h"
#include "cluster/commands.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <yaml-cpp/yaml.h>

namespace omnigraph::cli {

namespace {

struct ClusterArgs {
    std::string config_dir = ".";
    std::string actor;
    bool json = false;
    bool detailed_exitcode = false;
    bool if_missing = false;
    std::string out_file, plan_file, address, lock_id;
    // Addressing flags of other verbs, refused here (spec §13).
    std::string server, store, cluster, graph, profile;
};

// --as, then `cli.actor` in ./omnigraph.yaml, then `operator.actor` in the operator's home
// config. A malformed omnigraph.yaml is ignored here: cluster commands never depend on it.
std::optional<std::string> resolve_actor(const std::string& flag) {
    if (!flag.empty())
        return flag;
    std::error_code ec;
    if (std::filesystem::is_regular_file("omnigraph.yaml", ec)) {
        std::streambuf* saved = std::cerr.rdbuf(nullptr);
        auto config = load_operator_config("");
        std::cerr.rdbuf(saved);
        if (config && config->actor)
            return config->actor;
    }
    auto home = load_home_config(); // an unreadable home config names no actor, as a missing one
    return home ? home->actor : std::nullopt;
}

int finish(const cluster::CommandResult& r, const ClusterArgs& a) {
    std::cout << (a.json ? r.to_json() : r.to_text());
    if (!r.ok())
        return 1;
    if (a.detailed_exitcode && r.changes_pending)
        return 2;
    return 0;
}

bool refuse_addressing(const ClusterArgs& a) {
    for (const auto& [flag, value] : {std::pair{"--server", a.server},
                                      {"--store", a.store},
                                      {"--cluster", a.cluster},
                                      {"--graph", a.graph},
                                      {"--profile", a.profile}})
        if (!value.empty()) {
            std::cerr << "error: " << flag
                      << " cannot be used with `omnigraph cluster`: cluster commands address the "
                         "cluster through --config <DIR> only\n";
            return true;
        }
    return false;
}

} // namespace

void register_cluster(CLI::App& app, Outcome& outcome) {
    auto* cluster = app.add_subcommand("cluster", "Converge a deployment to its cluster.yaml");
    cluster->require_subcommand(1);
    auto args = std::make_shared<ClusterArgs>();

    auto add = [&](const char* name, const char* help, bool takes_actor) {
        auto* sub = cluster->add_subcommand(name, help);
        sub->add_option("--config", args->config_dir,
                        "Cluster config directory holding cluster.yaml (default .)");
        sub->add_flag("--json", args->json, "Print the result as JSON");
        if (takes_actor)
            sub->add_option("--as", args->actor,
                            "Actor recorded in sidecars, audit entries and commits");
        for (auto [flag, target] : {std::pair{"--server", &args->server},
                                    {"--store", &args->store},
                                    {"--cluster", &args->cluster},
                                    {"--graph", &args->graph},
                                    {"--profile", &args->profile}})
            sub->add_option(flag, *target)->group("");
        return sub;
    };
    auto options = [args]() {
        cluster::CommandOptions o;
        o.config_dir = args->config_dir;
        return o;
    };

    add("validate", "Parse and type-check cluster.yaml and every file it references", false)
        ->callback([args, &outcome, options] {
            if (refuse_addressing(*args))
                return void(outcome.exit_code = 1);
            outcome.exit_code = finish(cluster::validate(options()), *args);
        });
    auto* plan = add("plan", "Preview what apply would do (read-only)", false);
    plan->add_option("--out", args->out_file,
                     "Save the plan to FILE, for `cluster apply FILE` (also -out FILE)");
    plan->add_flag("--detailed-exitcode", args->detailed_exitcode,
                   "Exit 0 when there are no changes, 2 when changes are pending, 1 on error");
    plan->callback([args, &outcome, options] {
        if (refuse_addressing(*args))
            return void(outcome.exit_code = 1);
        std::optional<std::string> out;
        if (!args->out_file.empty())
            out = args->out_file;
        outcome.exit_code = finish(cluster::plan(options(), out), *args);
    });
    auto* apply = add("apply", "Converge the cluster to its declaration", true);
    apply->add_option("plan_file", args->plan_file,
                      "A plan saved by `cluster plan -out FILE`: apply exactly that plan");
    apply->add_flag("--detailed-exitcode", args->detailed_exitcode,
                    "Exit 0 when converged, 2 when changes remain pending or blocked, 1 on error");
    apply->callback([args, &outcome, options] {
        if (refuse_addressing(*args))
            return void(outcome.exit_code = 1);
        auto o = options();
        o.actor = resolve_actor(args->actor);
        std::optional<std::string> plan_file;
        if (!args->plan_file.empty())
            plan_file = args->plan_file;
        outcome.exit_code = finish(cluster::apply(o, plan_file), *args);
    });
    add("status", "Show the recorded state, the lock and pending recoveries (read-only)", false)
        ->callback([args, &outcome, options] {
            if (refuse_addressing(*args))
                return void(outcome.exit_code = 1);
            outcome.exit_code = finish(cluster::status(options()), *args);
        });
    add("refresh", "Re-observe the live graphs and catalog; record drift", false)
        ->callback([args, &outcome, options] {
            if (refuse_addressing(*args))
                return void(outcome.exit_code = 1);
            outcome.exit_code = finish(cluster::refresh(options()), *args);
        });
    auto* import =
        add("import", "Create the state ledger from the config and the live graphs", false);
    import->add_flag("--if-missing", args->if_missing,
                     "Succeed without changes when a ledger already exists");
    import->callback([args, &outcome, options] {
        if (refuse_addressing(*args))
            return void(outcome.exit_code = 1);
    outcome.exit_code = finish(cluster::import_state(options(), args->if_missing), *args);
});
auto* approve = add("approve", "Approve a gated change (a graph delete)", true);
approve->add_option("address", args->address, "The gated resource, e.g. graph.scratch")->required();
approve->callback([args, &outcome, options] {
    if (refuse_addressing(*args))
        return void(outcome.exit_code = 1);
    auto o = options();
    o.actor = resolve_actor(args->actor);
    if (!o.actor) {
        std::cerr << "error: cluster approve needs an approver: pass --as <ACTOR>, or set "
                     "cli.actor in omnigraph.yaml or operator.actor in "
                     "$OMNIGRAPH_HOME/config.yaml (~/.omnigraph/config.yaml)\n";
        return void(outcome.exit_code = 1);
    }
    outcome.exit_code = finish(cluster::approve(o, args->address), *args);
});
auto* unlock = add("force-unlock", "Remove a stuck lock by its exact id", false);
unlock->add_option("lock_id", args->lock_id, "The lock id shown by `cluster status`")->required();
unlock->callback([args, &outcome, options] {
    if (refuse_addressing(*args))
        return void(outcome.exit_code = 1);
    outcome.exit_code = finish(cluster::force_unlock(options(), args->lock_id), *args);
});
} // namespace omnigraph::cli

} // namespace omnigraph::cli
