// `omnigraph queries list|validate --cluster DIR [--graph G]` (spec engine-cli §4.2): the stored
// queries a cluster declares, read from its working tree exactly as `cluster validate` reads
// them (each parsed and type-checked against its graph's desired schema).
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cluster/desired_state.h"
#include "cluster/diagnostic.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {
namespace {

using base::Json;

struct QueriesArgs {
    std::string cluster = ".", graph;
    bool json = false;
};

// A diagnostic about stored queries (of `graph`, when one is chosen); or any error, when the
// config itself did not load.
bool query_diagnostic(const cluster::Diagnostic& d, const std::string& graph, bool complete) {
    if (!complete)
        return d.error;
    if (!d.code.starts_with("query_") && d.code != "duplicate_query_name")
        return false;
    return graph.empty() || d.path.starts_with("graphs." + graph + ".") ||
           d.path.starts_with("query." + graph + ".");
}

int run(const QueriesArgs& a, bool validate) {
    cluster::Diagnostics diags;
    cluster::DesiredState d = cluster::load_desired_state(a.cluster, diags);
    if (!a.graph.empty() && d.complete && !d.graphs.contains(a.graph))
        return fail(
            Error(codes::kNotFound, "graph '" + a.graph + "' is not in " + d.loaded.config_file),
            a.json);
    std::vector<const cluster::Diagnostic*> shown;
    bool errors = false;
    for (const auto& item : diags.items())
        if (query_diagnostic(item, a.graph, d.complete)) {
            shown.push_back(&item);
            errors |= item.error;
        }
    Json list = Json::array();
    for (const auto& [g, graph] : d.graphs) {
        if (!a.graph.empty() && g != a.graph)
            continue;
        for (const auto& [name, q] : graph.queries)
            list.push_back(Json::object(
                {{"graph", g}, {"name", name}, {"file", q.file}, {"digest", q.digest}}));
    }
    if (a.json) {
        Json out = Json::object({{"ok", !errors}, {"queries", list}});
        Json ds = Json::array();
        for (const auto* item : shown)
            ds.push_back(cluster::diagnostic_json(*item));
        out["diagnostics"] = ds;
        std::cout << base::to_pretty_json(out);
        return errors ? 1 : 0;
    }
    if (!validate)
        for (const auto& q : list)
            std::cout << q["graph"].get<std::string>() << "\t" << q["name"].get<std::string>()
                      << "\t" << q["file"].get<std::string>() << "\n";
    for (const auto* item : shown)
        std::cerr << cluster::render_diagnostic(*item) << "\n";
    if (validate && !errors)
        std::cout << "queries valid: " << list.size() << " stored quer"
                  << (list.size() == 1 ? "y" : "ies") << "\n";
    return errors ? 1 : 0;
}

} // namespace

void register_queries(CLI::App& app, Outcome& outcome) {
    auto* cmd = app.add_subcommand("queries", "The stored queries a cluster declares");
    cmd->require_subcommand(1);
    for (bool validate : {false, true}) {
        auto args = std::make_shared<QueriesArgs>();
        auto* sub = cmd->add_subcommand(
            validate ? "validate" : "list",
            validate ? "Parse and type-check every stored query against its graph's schema"
                     : "List the stored queries (graph, name, file)");
        sub->add_option("--cluster", args->cluster,
                        "Cluster config directory holding cluster.yaml (default .)");
        sub->add_option("--graph", args->graph, "Only this graph's queries");
        sub->add_flag("--json", args->json, "Print JSON");
        sub->callback([args, validate, &outcome] { outcome.exit_code = run(*args, validate); });
    }
}

} // namespace omnigraph::cli
