// `omnigraph storage check URI`: the storage self-check (store/self_check.h).
// `omnigraph storage verify URI | --cluster DIR [GRAPH]`: every object a graph (or a cluster)
// references, read and checked (engine/verify.h, cluster/verify.h).
#include "base/json.h"
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cluster/verify.h"
#include "engine/verify.h"
#include "store/object_store.h"
#include "store/self_check.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

namespace omnigraph::cli {
namespace {

struct StorageCheckArgs {
    std::string uri;
    bool json = false;
};

int run_storage_check(const StorageCheckArgs& args) {
    auto store = open_root(args.uri);
    if (!store)
        return fail(store.error(), args.json);
    auto report = store::run_self_check(**store);
    if (args.json) {
        base::Json out;
        out["root"] = report.root;
        out["scratch_prefix"] = report.scratch_prefix;
        out["passed"] = report.passed();
        out["steps"] = base::Json::array();
        for (const auto& s : report.steps) {
            base::Json step;
            step["name"] = s.name;
            step["passed"] = s.passed;
            if (!s.passed)
                step["detail"] = s.detail;
            step["millis"] = s.millis;
            out["steps"].push_back(step);
        }
        std::cout << base::to_pretty_json(out);
    } else {
        std::cout << "storage check of " << report.root << " (scratch prefix "
                  << report.scratch_prefix << ")\n";
        for (const auto& s : report.steps) {
            char ms[32];
            int n = std::snprintf(ms, sizeof ms, "%.1f ms", s.millis);
            size_t length = n < 0 ? 0 : std::min(static_cast<size_t>(n), sizeof ms - 1);
            std::cout << (s.passed ? "  ok    " : "  FAIL  ") << s.name << " ("
                      << std::string_view(ms, length) << ")";
            if (!s.passed)
                std::cout << ": " << s.detail;
            std::cout << "\n";
        }
        std::cout << (report.passed() ? "storage check passed" : "storage check FAILED") << "\n";
    }
    return report.passed() ? 0 : 1;
}

struct StorageVerifyArgs {
    std::string uri;
    std::string cluster;
    bool json = false;
};

// Prints the report; 0 when nothing is missing or corrupt, 1 otherwise (unreferenced objects
// alone are not damage).
int print_verify(const base::Json& json, const std::vector<std::string>& lines, bool ok,
                 bool as_json) {
    if (as_json) {
        std::cout << base::to_pretty_json(json);
    } else {
        for (const auto& line : lines)
            std::cout << line << "\n";
    }
    return ok ? 0 : 1;
}

int run_storage_verify(const StorageVerifyArgs& args) {
    if (!args.cluster.empty()) {
        auto report = cluster::verify_cluster(args.cluster, args.uri);
        if (!report)
            return fail(report.error(), args.json);
        return print_verify(cluster::cluster_verify_json(*report),
                            cluster::cluster_verify_lines(*report), report->report.ok(), args.json);
    }
    auto store = open_root(args.uri);
    if (!store)
        return fail(store.error(), args.json);
    auto report = engine::verify_graph(**store);
    if (!report)
        return fail(report.error(), args.json);
    return print_verify(engine::verify_report_json(*report), engine::verify_report_lines(*report),
                        report->ok(), args.json);
}

} // namespace

void register_storage(CLI::App& app, Outcome& outcome) {
    auto* storage = app.add_subcommand("storage", "Inspect and upgrade a storage root");
    storage->require_subcommand(1);
    auto args = std::make_shared<StorageCheckArgs>();
    auto* check = storage->add_subcommand(
        "check", "Exercise every object-store operation under a scratch prefix of URI");
    check->add_option("uri", args->uri, "Local path, file:// or s3://bucket/prefix")->required();
    check->add_flag("--json", args->json, "Print the report as JSON");
    check->callback([args, &outcome] { outcome.exit_code = run_storage_check(*args); });

    auto verify_args = std::make_shared<StorageVerifyArgs>();
    auto* verify = storage->add_subcommand(
        "verify", "Read and check every object a graph (or, with --cluster, a cluster) references");
    verify->add_option("uri", verify_args->uri,
                       "Graph root: local path, file:// or s3://bucket/prefix; with --cluster, "
                       "limits the check to this graph (an id or its root)");
    verify->add_option("--cluster", verify_args->cluster,
                       "Cluster config directory or storage root: verify its ledger, catalog and "
                       "applied graphs");
    verify->add_flag("--json", verify_args->json, "Print the report as JSON");
    verify->callback([verify_args, &outcome] {
        if (verify_args->uri.empty() && verify_args->cluster.empty()) {
            std::cerr << "error: storage verify needs a graph URI or --cluster DIR\n";
            outcome.exit_code = 2;
            return;
        }
        outcome.exit_code = run_storage_verify(*verify_args);
    });

    register_storage_upgrade(*storage, outcome);
}

} // namespace omnigraph::cli
