// `omnigraph storage upgrade URI`: rewrites a graph of an older storage format to the current
// one (engine/storage_upgrade.h).
#include "base/json.h"
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "engine/graph.h"
#include "engine/storage_upgrade.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {
namespace {

struct StorageUpgradeArgs {
    std::string uri;
    bool json = false;
};

int run_storage_upgrade(const StorageUpgradeArgs& args) {
    auto store = open_root(args.uri);
    if (!store)
        return fail(store.error(), args.json);
    auto report = engine::upgrade_storage(**store);
    if (!report)
        return fail(report.error(), args.json);
    std::string root = (*store)->root().to_string();
    if (args.json) {
        base::Json out;
        out["root"] = root;
        out["from_version"] = report->from_version;
        out["to_version"] = engine::kStorageFormatVersion;
        out["segments_rewritten"] = report->segments_rewritten;
        out["segments_current"] = report->segments_current;
        out["deletion_vectors_checked"] = report->deletion_vectors_checked;
        out["records_rewritten"] = report->records_rewritten;
        out["records_current"] = report->records_current;
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    std::cout << "upgraded " << root << " from storage format " << report->from_version << " to "
              << engine::kStorageFormatVersion << ": " << report->segments_rewritten
              << " segments rewritten (" << report->segments_current << " already current), "
              << report->deletion_vectors_checked << " deletion vectors checked, "
              << report->records_rewritten << " records sealed (" << report->records_current
              << " already current)\n";
    return 0;
}

} // namespace

void register_storage_upgrade(CLI::App& storage, Outcome& outcome) {
    auto args = std::make_shared<StorageUpgradeArgs>();
    auto* upgrade = storage.add_subcommand(
        "upgrade", "Rewrite a graph to the current storage format (checksums); no writer may run");
    upgrade->add_option("uri", args->uri, "Graph root: local path, file:// or s3://bucket/prefix")
        ->required();
    upgrade->add_flag("--json", args->json, "Print the report as JSON");
    upgrade->callback([args, &outcome] { outcome.exit_code = run_storage_upgrade(*args); });
}

} // namespace omnigraph::cli
