// omnigraph: the command-line interface. Parsing and rendering only; the work happens in the
// library layers.
#include "base/allocator.h"
#include "cli/commands.h"
#include "cli/usage_hint.h"
#include "cli/version.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <string_view>
#include <vector>

namespace {

int run(int argc, char** argv) {
    using namespace omnigraph::cli;
    CLI::App app{"OmniGraph: a typed property-graph database on versioned files", "omnigraph"};
    app.set_version_flag("-v,--version", std::string("omnigraph ") + kVersion);
    app.require_subcommand(0, 1);

    Outcome outcome;
    register_version(app, outcome);
    register_storage(app, outcome);
    register_lint(app, outcome);
    register_query(app, outcome);
    register_policy(app, outcome);
    register_schema(app, outcome);
    register_graph(app, outcome);
    register_changes(app, outcome);
    register_blob(app, outcome);
    register_branch(app, outcome);
    register_cluster(app, outcome);
    register_maintenance(app, outcome);
    register_embed(app, outcome);
    register_operator(app, outcome);
    register_queries(app, outcome);
    register_reference(app, outcome); // last: it documents the verbs above

    // The original's old verb names still work, with a nudge (spec engine-cli §4.2).
    if (argc > 1 && (std::string_view(argv[1]) == "read" || std::string_view(argv[1]) == "change"))
        std::cerr << "warning: `omnigraph " << argv[1] << "` is deprecated; use `omnigraph "
                  << (std::string_view(argv[1]) == "read" ? "query" : "mutate") << "`\n";
    // Terraform's spelling `plan -out FILE` / `-out=FILE` is accepted as `--out`.
    std::vector<std::string> args(argv + 1, argv + argc);
    for (auto& arg : args)
        if (arg == "-out" || arg.starts_with("-out="))
            arg.insert(0, 1, '-');
    std::vector<std::string> in_order = args;
    std::reverse(args.begin(), args.end()); // CLI11 takes the vector form reversed
    try {
        app.parse(args);
    } catch (const CLI::ParseError& e) {
        // A typo is named, with the closest known word, before CLI11's own account of the
        // failure (which would only say what is now missing).
        if (e.get_exit_code() != 0)
            if (auto hint = usage_hint(app, in_order)) {
                std::cerr << "error: " << *hint << "\nRun with --help for more information.\n";
                return 2;
            }
        int rc = app.exit(e);
        // CLI11 answers --help/--version with code 0; every real usage error is exit 2.
        return rc == 0 ? 0 : 2;
    } catch (const std::exception& e) {
        // Layers report failures as Result; reaching here is a bug, reported rather than crashing.
        std::cerr << "error[internal]: " << e.what() << "\n";
        return 1;
    }
    if (app.get_subcommands().empty()) {
        std::cout << app.help();
        return 2;
    }
    return outcome.exit_code;
}

} // namespace

int main(int argc, char** argv) {
    omnigraph::base::tune_allocator();
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        // Outside the parse (setting up the commands, e.g. out of memory): reported as in run().
        std::cerr << "error[internal]: " << e.what() << "\n";
        return 1;
    }
}
