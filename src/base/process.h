// This machine and its processes, as the records that name a writer see them (pending records,
// init claims, the cluster lock). Thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace omnigraph::base {

// This machine's name (gethostname()); empty when it cannot be had.
std::string host_name();

// Whether a process of this host with this pid still exists (kill(pid, 0) succeeds or fails
// with EPERM). A pid <= 0 names no single process and counts as existing: it cannot be told.
bool process_exists(int64_t pid);

} // namespace omnigraph::base
