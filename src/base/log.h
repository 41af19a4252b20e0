// Structured logging: one JSON object per line on stderr (or a test sink).
//
//   {"ts":"2026-11-23T20:26:28.123Z","level":"info","event":"store.retry","uri":"s3://b/p"}
//
// The level comes from OMNIGRAPH_LOG (error|warn|info|debug; default warn) and can be changed
// with set_log_level. Logging is thread-safe and lines never interleave. By default each line is
// one write(2); a busy process (the server) calls start_buffered_logging so a writer thread
// writes batches instead, and flush_log before it exits.
// Never log secrets: bearer tokens and credentials are the caller's responsibility to omit.
#pragma once

#include <functional>
#include <initializer_list>
#include <span>
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
// The same with fields assembled at run time.
void log(LogLevel level, std::string_view event, std::span<const LogField> fields);

// Switches this process to batched writes by a background thread (idempotent).
void start_buffered_logging();
// Blocks until every line logged so far has been written.
void flush_log();

// Redirects log lines (without the trailing newline) to `sink`; nullptr restores stderr.
void set_log_sink_for_testing(std::function<void(std::string_view)> sink);

} // namespace omnigraph::base
