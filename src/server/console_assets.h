// The web console's static files (src/server/console/), compiled into the binary by
// src/server/embed_console.cmake: the console works offline and needs nothing on disk.
// Thread-safety: the table is immutable; every lookup may run on any thread.
#pragma once

#include <span>
#include <string_view>

namespace omnigraph::server {

struct ConsoleAsset {
    std::string_view name;         // "console.js": the file name under src/server/console/
    std::string_view content_type; // "text/javascript; charset=utf-8"
    std::string_view bytes;        // the file, as it was at build time
};

// Every embedded file, sorted by name (generated).
std::span<const ConsoleAsset> console_assets();

// The file called `name`, or nullptr.
const ConsoleAsset* find_console_asset(std::string_view name);

} // namespace omnigraph::server
