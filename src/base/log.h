// Structured logging: one JSON object per line on stderr (or a test sink).
//
//   {"ts":"2026-11-23T20:26:28.123Z","level":"info","event":"store.retry","uri":"s3://b/p"}
//
// The level comes from OMNIGRAPH_LOG (error|warn|info|debug; default warn) and can be changed
// with set_log_level. Logging is thread-safe; each line is written with a single write call.
// Never log secrets: bearer tokens and credentials are the caller's responsibility to omit.
#pragma once

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace omnigraph::base {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

using LogField = std::pair<std::string_view, std::string_view>;

void set_log_level(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);

void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

// Redirects log lines (without the trailing newline) to `sink`; nullptr restores stderr.
void set_log_sink_for_testing(std::function<void(std::string_view)> sink);

} // namespace omnigraph::base
