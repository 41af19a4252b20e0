// `omnigraph storage check URI`: the storage self-check (store/self_check.h).
#include "base/json.h"
#include "cli/commands.h"
#include "cli/graph_access.h"
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
    register_storage_upgrade(*storage, outcome);
}

} // namespace omnigraph::cli
