#include "base/process.h"

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace omnigraph::base {

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0)
        return "";
    return buf;
}

bool process_exists(int64_t pid) {
    if (pid <= 0)
        return true; // kill would signal a group
    return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

} // namespace omnigraph::base
