#include "base/log.h"

#include "base/clock.h"
#include "base/env.h"
#include "base/json.h"
#include "base/json_writer.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace omnigraph::base {
namespace {

LogLevel level_from_env() {
    std::string s = env_string("OMNIGRAPH_LOG").value_or("");
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
std::atomic<bool> g_has_sink{false};

constexpr std::string_view kLevelNames[] = {"error", "warn", "info", "debug"};

void write_all(std::string_view text) {
    while (!text.empty()) {
        ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // stderr is gone; nothing better to do with a log line
        text.remove_prefix(static_cast<size_t>(n));
    }
}

// Buffered mode: producers append to `pending`, one thread writes whole batches. Producers wait
// only when kMaxPending bytes are queued, so a stalled stderr slows requests down rather than
// growing memory or dropping audit lines.
struct BufferedWriter {
    static constexpr size_t kMaxPending = 1 << 20;
    std::mutex mu;
    std::condition_variable has_data, has_room, drained;
    std::string pending;
    bool writing = false;

    void append(std::string_view line) {
        std::unique_lock lock(mu);
        has_room.wait(lock, [&] { return pending.size() < kMaxPending; });
        bool was_empty = pending.empty();
        pending += line;
        if (was_empty)
            has_data.notify_one();
    }

    [[noreturn]] void run() {
        std::string batch;
        for (;;) {
            {
                std::unique_lock lock(mu);
                has_data.wait(lock, [&] { return !pending.empty(); });
            }
            // Let a batch gather: one wake-up per batch instead of a futex call per line.
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
            {
                std::lock_guard lock(mu);
                batch.swap(pending);
                writing = true;
            }
            has_room.notify_all();
            write_all(batch);
            batch.clear();
            {
                std::lock_guard lock(mu);
                writing = false;
            }
            drained.notify_all();
        }
    }

    void flush() {
        std::unique_lock lock(mu);
        drained.wait(lock, [&] { return pending.empty() && !writing; });
    }
};

std::atomic<BufferedWriter*> g_buffered{nullptr};

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
    log(level, event, std::span<const LogField>(fields.begin(), fields.size()));
}

void log(LogLevel level, std::string_view event, std::span<const LogField> fields) {
    if (!log_enabled(level))
        return;
    // Streamed, not built as a Json tree: the server writes one of these per request.
    std::string text;
    text.reserve(256);
    text += "{\"ts\":";
    append_json_string(format_rfc3339(now(), Precision::kMillis), text);
    text += ",\"level\":";
    append_json_string(kLevelNames[static_cast<int>(level)], text);
    text += ",\"event\":";
    append_json_string(event, text);
    for (const auto& [k, v] : fields) {
        text += ',';
        append_json_string(k, text);
        text += ':';
        append_json_string(v, text);
    }
    text += '}';
    if (g_has_sink.load(std::memory_order_acquire)) {
        std::lock_guard lock(g_sink_mu);
        if (g_sink) {
            g_sink(text);
            return;
        }
    }
    text += '\n';
    if (auto* buffered = g_buffered.load(std::memory_order_acquire)) {
        buffered->append(text);
        return;
    }
    // One write per line, outside any lock (a lock here convoys concurrent callers behind the
    // pipe): lines from our threads or other processes sharing stderr do not interleave.
    write_all(text);
}

void start_buffered_logging() {
    static std::once_flag once;
    std::call_once(once, [] {
        auto* writer = new BufferedWriter(); // lives as long as the process
        std::thread([writer] { writer->run(); }).detach();
        g_buffered.store(writer, std::memory_order_release);
    });
}

void flush_log() {
    if (auto* buffered = g_buffered.load(std::memory_order_acquire))
        buffered->flush();
}

void set_log_sink_for_testing(std::function<void(std::string_view)> sink) {
    std::lock_guard lock(g_sink_mu);
    g_has_sink.store(sink != nullptr, std::memory_order_release);
    g_sink = std::move(sink);
}

} // namespace omnigraph::base
