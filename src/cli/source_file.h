// Reading an operator's source files (.pg, .gq, YAML) from the working tree: the one place the
// CLI touches the local filesystem directly (stored state always goes through store/).
#pragma once

#include "base/error.h"

#include <string>

namespace omnigraph::cli {

// The whole file; errors (code io_error) name the path.
Result<std::string> read_source_file(const std::string& path);

} // namespace omnigraph::cli
