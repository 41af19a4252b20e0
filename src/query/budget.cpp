#include "query/budget.h"

#include "query/exec_context.h"

#include <cmath>

namespace omnigraph::query {

namespace {

std::string resource_text(std::string_view resource) {
    if (resource == kQueryMemoryBytes)
        return "query memory (bytes of intermediate rows and answer)";
    if (resource == kQueryIntermediateRows)
        return "intermediate rows";
    if (resource == kQueryTimeMs)
        return "query time (ms)";
    return std::string(resource);
}

} // namespace

Error resource_limit_error(std::string_view resource, uint64_t limit, uint64_t actual,
                           std::string_view code) {
    // The spec's wording of a resource limit (server-policy §1.2), plus what to change.
    Error e(code, "resource limit exceeded for " + std::string(resource) + ": actual " +
                      std::to_string(actual) + ", limit " + std::to_string(limit) + " (" +
                      resource_text(resource) +
                      "; narrow the query, add a limit, or raise the query budget)");
    e.with_detail("resource", std::string(resource));
    e.with_detail("limit", std::to_string(limit));
    e.with_detail("actual", std::to_string(actual));
    return e;
}

QueryBudget::QueryBudget(QueryLimits limits, std::function<bool()> cancelled)
    : limits_(limits), cancelled_(std::move(cancelled)) {}

void QueryBudget::exceeded(std::string_view resource, uint64_t limit, uint64_t actual) const {
    throw RuntimeFailure(resource_limit_error(
        resource, limit, actual, resource == kQueryTimeMs ? kQueryTimeout : kResourceLimit));
}

void QueryBudget::charge_rows(uint64_t rows, size_t width) {
    rows_ += rows;
    if (limits_.max_rows && rows_ > limits_.max_rows)
        exceeded(kQueryIntermediateRows, limits_.max_rows, rows_);
    charge_bytes(frame_bytes(rows, width));
    ticks_ += rows;
    if (ticks_ >= 4096) {
        ticks_ = 0;
        check_time();
    }
}

void QueryBudget::charge_bytes(uint64_t bytes) {
    held_ += bytes;
    peak_ = std::max(peak_, held_);
    if (limits_.memory_bytes && held_ > limits_.memory_bytes)
        exceeded(kQueryMemoryBytes, limits_.memory_bytes, held_);
}

void QueryBudget::release_bytes(uint64_t bytes) {
    held_ -= std::min(bytes, held_);
}

void QueryBudget::check_time() {
    if (cancelled_ && cancelled_())
        throw RuntimeFailure(Error(kQueryCancelled, "the query was cancelled: its client left"));
    if (!limits_.timeout_ms)
        return;
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_);
    if (static_cast<uint64_t>(spent.count()) > limits_.timeout_ms)
        exceeded(kQueryTimeMs, limits_.timeout_ms, static_cast<uint64_t>(spent.count()));
}

void QueryBudget::refuse_estimate(double estimated_rows, const std::string& what) const {
    if (!limits_.max_rows || estimated_rows <= static_cast<double>(limits_.max_rows))
        return;
    uint64_t actual = estimated_rows >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(estimated_rows);
    Error e = resource_limit_error(kQueryIntermediateRows, limits_.max_rows, actual);
    e.message = "refused before running: " + what + " would produce an estimated " +
                std::to_string(actual) + " rows; " + e.message;
    throw RuntimeFailure(std::move(e));
}

} // namespace omnigraph::query
