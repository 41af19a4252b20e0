// Writers in separate processes racing on one key, on both backends.
#include "store_fixture.h"

#include <chrono>

namespace omnigraph::testing {
namespace {

class ProcessRace : public StoreTest {
  protected:
    std::string helper() const { return binary_dir() + "/test/store/store_race_helper"; }
    static long long start_time_ms() {
        using namespace std::chrono;
        // Far enough ahead that all children are running and waiting when it arrives.
        return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count() + 700;
    }
};

TEST_P(ProcessRace, EightProcessesPutIfAbsentExactlyOneWins) {
    constexpr int kProcesses = 8;
    for (int round = 0; round < 3; ++round) {
        std::string key = "claims/round-" + std::to_string(round);
        long long start = start_time_ms();
        std::vector<Child> children;
        for (int i = 0; i < kProcesses; ++i)
            children.emplace_back(std::vector<std::string>{helper(), "claim", uri_, key,
                                                           "proc-" + std::to_string(i),
                                                           std::to_string(start)},
                                  child_env());
        int winners = 0, losers = 0;
        std::string winner_name;
        for (int i = 0; i < kProcesses; ++i) {
            auto r = children[i].wait();
            if (r.exit_code == 0) {
                ++winners;
                winner_name = "proc-" + std::to_string(i);
            } else if (r.exit_code == 3) {
                ++losers;
            } else {
                ADD_FAILURE() << "child " << i << " exited " << r.exit_code << ": " << r.err;
            }
        }
        EXPECT_EQ(winners, 1);
        EXPECT_EQ(losers, kProcesses - 1);
        EXPECT_EQ(*store_->read(key), winner_name);
    }
}

TEST_P(ProcessRace, EightProcessesCompareAndSwapLoseNoUpdate) {
    constexpr int kProcesses = 8;
    const int per_process = GetParam() == Backend::kLocal ? 40 : 15;
    ASSERT_TRUE(store_->put("counter", "0"));
    long long start = start_time_ms();
    std::vector<Child> children;
    for (int i = 0; i < kProcesses; ++i)
        children.emplace_back(std::vector<std::string>{helper(), "increment", uri_, "counter",
                                                       std::to_string(per_process),
                                                       std::to_string(start)},
                              child_env());
    for (int i = 0; i < kProcesses; ++i) {
        auto r = children[i].wait();
        EXPECT_EQ(r.exit_code, 0) << r.err;
    }
    EXPECT_EQ(*store_->read("counter"), std::to_string(kProcesses * per_process));
}

INSTANTIATE_TEST_SUITE_P(Backends, ProcessRace, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
