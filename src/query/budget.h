// A read query's budget (issue 17 §3): the memory its intermediate frames and answer may hold,
// the intermediate rows its operators may produce in all, and a deadline, plus a cancellation
// hook (the server's: the client went away). Operators charge it as their frames grow; every
// charge is also a cooperative check of the clock and the hook. Exceeding a limit throws a
// RuntimeFailure that execute_read turns into its Error:
//   resource_limit (HTTP 413) — memory or rows, with details resource / limit / actual;
//   query_timeout  (HTTP 408) — the deadline passed (resource query_time_ms);
//   query_cancelled           — the hook said stop (nobody is left to read the answer).
// A budget belongs to one query run on one thread; it is not thread-safe.
#pragma once

#include "base/error.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace omnigraph::query {

inline constexpr std::string_view kResourceLimit = "resource_limit";
inline constexpr std::string_view kQueryTimeout = "query_timeout";
inline constexpr std::string_view kQueryCancelled = "query_cancelled";

// The resource names of the details (`resource_limit.resource` on the wire).
inline constexpr std::string_view kQueryMemoryBytes = "query_memory_bytes";
inline constexpr std::string_view kQueryIntermediateRows = "query_intermediate_rows";
inline constexpr std::string_view kQueryTimeMs = "query_time_ms";

struct QueryLimits {
    uint64_t memory_bytes = 0; // frames + answer held at once; 0 = unlimited
    uint64_t max_rows = 0;     // rows produced by all operators in all; 0 = unlimited
    uint64_t timeout_ms = 0;   // wall time from the budget's start; 0 = none
    // Rows of a query's first scan run through the rest of the plan at a time (the first
    // morsel; later ones grow while they stay small, see run_match).
    size_t morsel_rows = 4096;

    // The defaults the server and the CLI document (docs/server.md, docs/cli.md).
    static constexpr uint64_t kDefaultMemoryMb = 512;
    static constexpr uint64_t kDefaultMaxRows = 100'000'000;
    static constexpr uint64_t kDefaultTimeoutMs = 30'000;
};

class QueryBudget {
  public:
    using Clock = std::chrono::steady_clock;

    QueryBudget() = default; // unlimited, never cancelled
    explicit QueryBudget(QueryLimits limits, std::function<bool()> cancelled = {});

    const QueryLimits& limits() const { return limits_; }

    // An operator added `rows` rows of `width` columns to the frame it builds: counts them
    // against the row limit and their bytes against the memory limit, then checks the clock.
    void charge_rows(uint64_t rows, size_t width);
    // Bytes an operator holds besides frames (answer rows, search state, sort keys).
    void charge_bytes(uint64_t bytes);
    // A frame or buffer was freed: its bytes are no longer held.
    void release_bytes(uint64_t bytes);
    // The cooperative check alone (long loops that produce nothing): deadline and hook,
    // looked at every few hundred calls.
    void tick() {
        if (++ticks_ % 256 == 0)
            check_time();
    }
    // Refuses a plan before it runs: its estimated rows already exceed the row limit.
    void refuse_estimate(double estimated_rows, const std::string& what) const;

    uint64_t rows_produced() const { return rows_; }
    uint64_t bytes_held() const { return held_; }
    uint64_t peak_bytes() const { return peak_; } // since the start or reset_peak()
    void reset_peak() { peak_ = held_; }

    // The bytes a frame of `rows` rows and `width` columns holds.
    static uint64_t frame_bytes(uint64_t rows, size_t width) { return rows * width * 4; }

  private:
    void check_time();
    [[noreturn]] void exceeded(std::string_view resource, uint64_t limit, uint64_t actual) const;

    QueryLimits limits_;
    std::function<bool()> cancelled_;
    Clock::time_point started_ = Clock::now();
    uint64_t rows_ = 0, held_ = 0, peak_ = 0, ticks_ = 0;
};

// The Error of an exceeded limit (also used where no budget object exists, e.g. the server).
Error resource_limit_error(std::string_view resource, uint64_t limit, uint64_t actual,
                           std::string_view code = kResourceLimit);

} // namespace omnigraph::query
