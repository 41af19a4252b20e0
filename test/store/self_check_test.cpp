#include "store/fault_injecting_store.h"
#include "store/self_check.h"
#include "store_fixture.h"

namespace omnigraph::testing {
namespace {

class SelfCheck : public StoreTest {};

TEST_P(SelfCheck, PassesAndLeavesNothingBehind) {
    auto report = store::run_self_check(*store_);
    for (const auto& s : report.steps)
        EXPECT_TRUE(s.passed) << s.name << ": " << s.detail;
    EXPECT_TRUE(report.passed());
    EXPECT_GE(report.steps.size(), 10u);
    EXPECT_TRUE(store_->list_all("")->empty());
}

TEST_P(SelfCheck, ReportsAStoreThatLosesWrites) {
    store::FaultInjectingStore faulty(std::move(store_));
    store::FaultRule rule;
    rule.ops = static_cast<unsigned>(store::StoreOp::kPutIfMatch);
    rule.action = store::FaultRule::Action::kDrop;
    rule.repeat = true;
    faulty.add_rule(rule);
    auto report = store::run_self_check(faulty);
    EXPECT_FALSE(report.passed());
    // The dropped swap shows up as a stale swap succeeding.
    EXPECT_EQ(report.steps.back().name, "put_if_match refuses a stale version");
}

INSTANTIATE_TEST_SUITE_P(Backends, SelfCheck, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
