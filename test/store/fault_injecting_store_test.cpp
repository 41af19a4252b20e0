#include "store/fault_injecting_store.h"
#include "store_fixture.h"

namespace omnigraph::testing {
namespace {

using store::FaultInjectingStore;
using store::FaultRule;
using store::StoreOp;

class FaultInjection : public StoreTest {
  protected:
    void SetUp() override {
        StoreTest::SetUp();
        faulty_ = std::make_unique<FaultInjectingStore>(std::move(store_));
    }
    std::unique_ptr<FaultInjectingStore> faulty_;
};

TEST_P(FaultInjection, FailsTheNthMatchingCallOnly) {
    FaultRule rule;
    rule.ops = static_cast<unsigned>(StoreOp::kPut);
    rule.key_prefix = "tables/";
    rule.nth = 2;
    faulty_->add_rule(rule);
    EXPECT_TRUE(faulty_->put("other", "x"));    // not matching
    EXPECT_TRUE(faulty_->put("tables/1", "x")); // 1st match
    auto r = faulty_->put("tables/2", "x");     // 2nd match: fails, nothing written
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageIo));
    EXPECT_FALSE(*faulty_->exists("tables/2"));
    EXPECT_TRUE(faulty_->put("tables/3", "x")); // 3rd: passes again
    EXPECT_EQ(faulty_->fired(), 1u);
}

TEST_P(FaultInjection, FailAfterAppliesTheWriteButReportsAnError) {
    FaultRule rule;
    rule.ops = static_cast<unsigned>(StoreOp::kPutIfAbsent);
    rule.action = FaultRule::Action::kFailAfter;
    rule.error = Error(codes::kStorageUnavailable, "connection reset");
    faulty_->add_rule(rule);
    auto r = faulty_->put_if_absent("_log/main/1", "manifest");
    ASSERT_FALSE(r);
    EXPECT_TRUE(r.error().is(codes::kStorageUnavailable));
    EXPECT_EQ(*faulty_->read("_log/main/1"), "manifest");
}

TEST_P(FaultInjection, DropLosesWritesSilentlyAndRepeatKeepsFiring) {
    FaultRule rule;
    rule.ops = store::kAnyWrite;
    rule.action = FaultRule::Action::kDrop;
    rule.repeat = true;
    faulty_->add_rule(rule);
    EXPECT_TRUE(faulty_->put("a", "1"));
    EXPECT_TRUE(faulty_->put("b", "2"));
    EXPECT_TRUE(faulty_->remove("a"));
    faulty_->clear_rules();
    EXPECT_FALSE(*faulty_->exists("a"));
    EXPECT_FALSE(*faulty_->exists("b"));
    EXPECT_EQ(faulty_->fired(), 3u);
}

TEST_P(FaultInjection, RemoveIfMatchIsItsOwnOperationAndAWrite) {
    auto v = faulty_->put("lock", "mine");
    ASSERT_TRUE(v);
    FaultRule remove_only;
    remove_only.ops = static_cast<unsigned>(StoreOp::kRemove);
    remove_only.repeat = true;
    faulty_->add_rule(remove_only);
    FaultRule after;
    after.ops = static_cast<unsigned>(StoreOp::kRemoveIfMatch);
    after.action = FaultRule::Action::kFailAfter;
    faulty_->add_rule(after);
    auto r = faulty_->remove_if_match("lock", v->version);
    ASSERT_FALSE(r) << "kFailAfter reports the injected error";
    EXPECT_FALSE(*faulty_->exists("lock")) << "the delete ran (a plain kRemove rule did not match)";
    faulty_->clear_rules();
    ASSERT_TRUE(faulty_->put("lock", "mine"));
    FaultRule writes;
    writes.ops = store::kAnyWrite;
    writes.action = FaultRule::Action::kDrop;
    faulty_->add_rule(writes);
    EXPECT_TRUE(faulty_->remove_if_match("lock", "any version"));
    EXPECT_TRUE(*faulty_->exists("lock")) << "dropped";
    faulty_->clear_rules();
    EXPECT_TRUE(faulty_->remove_if_match("lock", v->version)) << "passes through";
    EXPECT_FALSE(*faulty_->exists("lock"));
    EXPECT_EQ(faulty_->fired(), 2u);
}

TEST_P(FaultInjection, DelayStillPerformsTheCall) {
    FaultRule rule;
    rule.ops = static_cast<unsigned>(StoreOp::kGet);
    rule.action = FaultRule::Action::kDelay;
    rule.delay_ms = 50;
    faulty_->add_rule(rule);
    ASSERT_TRUE(faulty_->put("k", "v"));
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(*faulty_->read("k"), "v");
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultInjection, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
