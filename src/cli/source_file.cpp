#include "cli/source_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace omnigraph::cli {

Result<std::string> read_source_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return Error("io_error", "cannot read '" + path + "': " + std::strerror(errno));
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        return Error("io_error", "cannot read '" + path + "': read failed");
    return buffer.str();
}

} // namespace omnigraph::cli
