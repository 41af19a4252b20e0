#include "base/log.h"

#include "base/clock.h"
#include "base/json.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace omnigraph::base {
namespace {

LogLevel level_from_env() {
    const char* v = std::getenv("OMNIGRAPH_LOG");
    std::string_view s = v ? v : "";
    if (s == "error")
        return LogLevel::kError;
    if (s == "info")
        return LogLevel::kInfo;
    if (s == "debug" || s == "trace")
        return LogLevel::kDebug;
    return LogLevel::kWarn;
}

std::atomic<int> g_level{static_cast<int>(level_from_env())};
std::mutex g_sink_mu;
std::function<void(std::string_view)> g_sink;

constexpr std::string_view kLevelNames[] = {"error", "warn", "info", "debug"};

} // namespace

void set_log_level(LogLevel level) {
    g_level.store(static_cast<int>(level));
}
LogLevel log_level() {
    return static_cast<LogLevel>(g_level.load());
}
bool log_enabled(LogLevel level) {
    return static_cast<int>(level) <= g_level.load();
}

void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
    if (!log_enabled(level))
        return;
    Json line;
    line["ts"] = format_rfc3339(now(), Precision::kMillis);
    line["level"] = kLevelNames[static_cast<int>(level)];
    line["event"] = event;
    for (const auto& [k, v] : fields)
        line[std::string(k)] = v;
    std::string text = to_compact_json(line);
    std::lock_guard lock(g_sink_mu);
    if (g_sink) {
        g_sink(text);
        return;
    }
    text += '\n';
    // One write per line so concurrent processes sharing stderr do not interleave mid-line.
    ssize_t rc = ::write(STDERR_FILENO, text.data(), text.size());
    (void)rc;
}

void set_log_sink_for_testing(std::function<void(std::string_view)> sink) {
    std::lock_guard lock(g_sink_mu);
    g_sink = std::move(sink);
}

} // namespace omnigraph::base
