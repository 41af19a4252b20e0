#include "base/parallel.h"

#include <atomic>
#include <gtest/gtest.h>
#include <stdexcept>
#include <vector>

namespace omnigraph::base {
namespace {

TEST(ParallelFor, CallsEveryIndexOnce) {
    for (size_t threads : {0, 1, 2, 7}) {
        std::vector<std::atomic<int>> calls(1000);
        parallel_for(
            calls.size(), [&](size_t i) { calls[i].fetch_add(1); }, threads);
        for (size_t i = 0; i < calls.size(); ++i)
            ASSERT_EQ(calls[i].load(), 1) << "index " << i << ", threads " << threads;
    }
}

TEST(ParallelFor, NothingToDoCallsNothing) {
    bool called = false;
    parallel_for(0, [&](size_t) { called = true; });
    EXPECT_FALSE(called);
}

TEST(ParallelFor, AFailureReachesTheCallerAfterEveryThreadStopped) {
    std::atomic<int> running{0}, finished{0};
    EXPECT_THROW(parallel_for(
                     64,
                     [&](size_t i) {
                         running.fetch_add(1);
                         if (i == 5)
                             throw std::runtime_error("piece 5");
                         finished.fetch_add(1);
                     },
                     4),
                 std::runtime_error);
    // Every piece that started has ended by the time the caller sees the failure.
    EXPECT_EQ(running.load(), finished.load() + 1);
}

} // namespace
} // namespace omnigraph::base
