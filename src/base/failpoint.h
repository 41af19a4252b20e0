// Failpoints: named places where a test can make the real binary fail or die, to prove that the
// next command recovers (spec cluster §16.11). Armed only through the environment:
//
//   OMNIGRAPH_FAILPOINTS=cluster_apply.after_graph_create            -> an injected_failpoint error
//   OMNIGRAPH_FAILPOINTS=cluster_apply.after_graph_create=crash      -> the process exits at once
//                                                                       (no cleanup, lock left)
//   OMNIGRAPH_FAILPOINTS=cluster_apply.before_state_write=delay:2000  -> sleeps 2 s there, then
//                                                                       goes on (race windows)
// Several entries are separated by commas. Unarmed, a failpoint costs one cached lookup.
#pragma once

#include "base/error.h"

#include <string_view>

namespace omnigraph::base {

inline constexpr std::string_view kInjectedFailpoint = "injected_failpoint";
// The exit status of a process killed by a `=crash` failpoint.
inline constexpr int kFailpointCrashExit = 86;

// ok() unless `name` is armed; then an injected_failpoint error, or _exit for `=crash`.
Status failpoint(std::string_view name);

} // namespace omnigraph::base
