#include "cli/commands.h"
#include "cli/version.h"

#include <CLI/CLI.hpp>
#include <iostream>

namespace omnigraph::cli {

void register_version(CLI::App& app, Outcome& outcome) {
    auto* cmd = app.add_subcommand("version", "Print the version and the storage format version");
    cmd->callback([&outcome] {
        std::cout << "omnigraph " << kVersion << "\n"
                  << "storage-format " << kStorageFormatVersion << "\n";
        outcome.exit_code = 0;
    });
}

} // namespace omnigraph::cli
