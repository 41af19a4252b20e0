#include "base/ulid.h"

#include <gtest/gtest.h>
#include <set>
#include <thread>
#include <vector>

namespace omnigraph::base {
namespace {

TEST(Ulid, WellFormed) {
    std::string id = new_ulid();
    EXPECT_TRUE(is_ulid(id)) << id;
    EXPECT_FALSE(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FA"));  // 25 chars
    EXPECT_FALSE(is_ulid("01ARZ3NDEKTSV4RRFFQ69G5FAI")); // 'I' is not Crockford
    EXPECT_FALSE(is_ulid("81ARZ3NDEKTSV4RRFFQ69G5FAV")); // overflows 128 bits
}

TEST(Ulid, EncodesTime) {
    UlidGenerator gen;
    std::string id = gen.next(1469918176385ULL);
    EXPECT_EQ(id.substr(0, 10), "01ARYZ6S41"); // the ULID spec's example timestamp
    EXPECT_EQ(ulid_millis(id), 1469918176385ULL);
}

TEST(Ulid, MonotonicWithinAMillisecond) {
    UlidGenerator gen;
    std::string prev = gen.next(1000);
    for (int i = 0; i < 10000; ++i) {
        std::string next = gen.next(1000);
        ASSERT_LT(prev, next);
        prev = next;
    }
    // A clock that steps back keeps the ids increasing.
    EXPECT_LT(prev, gen.next(999));
}

TEST(Ulid, UniqueAcrossThreads) {
    std::vector<std::vector<std::string>> per_thread(4);
    std::vector<std::thread> threads;
    for (auto& ids : per_thread)
        threads.emplace_back([&ids] {
            for (int i = 0; i < 5000; ++i)
                ids.push_back(new_ulid());
        });
    for (auto& t : threads)
        t.join();
    std::set<std::string> all;
    for (auto& ids : per_thread) {
        for (size_t i = 1; i < ids.size(); ++i)
            EXPECT_LT(ids[i - 1], ids[i]);
        all.insert(ids.begin(), ids.end());
    }
    EXPECT_EQ(all.size(), 20000u);
}

} // namespace
} // namespace omnigraph::base
