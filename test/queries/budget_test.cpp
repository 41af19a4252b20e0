// The per-query budget (query/budget.h) enforced inside the operators, and the morsel-driven
// match that makes `limit` stop early, keeps `order … limit k` bounded and streams
// aggregation: run through service::run_read as both programs do, on a generated graph.
#include "engine/graph.h"
#include "engine/load.h"
#include "query/budget.h"
#include "service/graph_handle.h"
#include "service/read.h"
#include "store/object_store.h"
#include "test_support.h"

#include <filesystem>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

constexpr const char* kSchema = R"(node Person {
    name: String @key
    age: I32?
}

edge Knows: Person -> Person
)";

constexpr int kPeople = 3000;

class QueryBudgetTest : public ::testing::Test {
  protected:
    // kPeople persons p0..p{n-1}, ages 0..99; each knows the next three (a ring).
    static void SetUpTestSuite() {
        temp_ = new TempDir();
        std::string root = temp_->path() + "/g";
        std::filesystem::create_directories(root);
        auto store = store::open_store(*base::parse_storage_uri(root));
        ASSERT_TRUE(store);
        ASSERT_TRUE(engine::init_graph(**store, kSchema));
        auto g = service::GraphHandle::open(root);
        ASSERT_TRUE(g);
        std::string jsonl;
        for (int i = 0; i < kPeople; ++i)
            jsonl += R"({"type": "Person", "data": {"name": "p)" + std::to_string(i) +
                     R"(", "age": )" + std::to_string(i % 100) + "}}\n";
        for (int i = 0; i < kPeople; ++i)
            for (int d = 1; d <= 3; ++d)
                jsonl += R"({"edge": "Knows", "from": "p)" + std::to_string(i) + R"(", "to": "p)" +
                         std::to_string((i + d) % kPeople) + "\"}\n";
        engine::LoadOptions o;
        o.mode = engine::LoadMode::kOverwrite;
        o.source_name = "budget.jsonl";
        auto loaded = engine::load_graph((*g)->store(), (*g)->graph(), jsonl, o);
        ASSERT_TRUE(loaded) << loaded.error().to_string();
        root_ = new std::string(root);
    }
    static void TearDownTestSuite() {
        delete root_;
        delete temp_;
    }
    void SetUp() override {
        auto g = service::GraphHandle::open(*root_);
        ASSERT_TRUE(g);
        graph_ = std::move(*g);
    }

    Result<service::ReadOutcome> run(const std::string& text, query::QueryLimits limits,
                                     std::function<bool()> cancelled = {}, bool explain = false) {
        service::ReadRequest r;
        r.source = {text, "<test>"};
        r.limits = limits;
        r.cancelled = std::move(cancelled);
        r.explain = explain;
        return service::run_read(*graph_, r);
    }

    static std::string detail(const Error& e, const std::string& key) {
        for (const auto& [k, v] : e.details)
            if (k == key)
                return v;
        return "";
    }

    static TempDir* temp_;
    static std::string* root_;
    std::unique_ptr<service::GraphHandle> graph_;
};

TempDir* QueryBudgetTest::temp_ = nullptr;
std::string* QueryBudgetTest::root_ = nullptr;

query::QueryLimits limits(uint64_t memory_mb, uint64_t max_rows, uint64_t timeout_ms = 0) {
    query::QueryLimits l;
    l.memory_bytes = memory_mb << 20;
    l.max_rows = max_rows;
    l.timeout_ms = timeout_ms;
    return l;
}

TEST_F(QueryBudgetTest, TenUnrelatedVariablesAreRefusedBeforeRunning) {
    std::string vars;
    for (int i = 0; i < 10; ++i)
        vars += " $v" + std::to_string(i) + ": Person";
    auto got = run("query q() { match {" + vars + " } return { count($v0) as n } }",
                   limits(512, 100'000'000));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, query::kResourceLimit) << got.error().to_string();
    EXPECT_NE(got.error().message.find("refused before running"), std::string::npos);
    EXPECT_EQ(detail(got.error(), "resource"), query::kQueryIntermediateRows);
    EXPECT_EQ(detail(got.error(), "limit"), "100000000");
    // 3000^10 does not fit: reported as the largest count.
    EXPECT_EQ(detail(got.error(), "actual"), std::to_string(UINT64_MAX));
}

TEST_F(QueryBudgetTest, CrossProductUnderTheRowLimitIsBoundedByMemory) {
    // 3000 x 3000 = 9M rows: allowed by rows, not by a 16 MiB frame budget (a 4096-row morsel
    // times 3000 is 12M ids of 8 bytes = ~98 MB).
    auto got = run("query q() { match { $a: Person $b: Person $a.age < $b.age } return { "
                   "count($a) as n } }",
                   limits(16, 100'000'000));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, query::kResourceLimit);
    EXPECT_EQ(detail(got.error(), "resource"), query::kQueryMemoryBytes);
    EXPECT_EQ(detail(got.error(), "limit"), std::to_string(16u << 20));
}

TEST_F(QueryBudgetTest, CrossProductWithinTheBudgetAnswers) {
    auto got = run("query q() { match { $a: Person $b: Person $a.age < 3 $a.age < $b.age } "
                   "return { count($a) as n } }",
                   limits(512, 100'000'000));
    ASSERT_TRUE(got) << got.error().to_string();
    // Ages 0..99, 30 persons each: a of age 0..2 pairs with the 30 persons of each older age.
    EXPECT_EQ(got->result.rows.at(0).at(0).integer, 30 * 30 * (99 + 98 + 97));
}

TEST_F(QueryBudgetTest, ExplainShowsTheCrossProductEstimate) {
    auto got = run("query q() { match { $a: Person $b: Person } return { count($a) as n } }", {},
                   {}, true);
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_NE(got->plan->find("cross product: est. 9000000 rows"), std::string::npos) << *got->plan;
    EXPECT_NE(got->plan->find("cost: est. 9003000 intermediate rows"), std::string::npos)
        << *got->plan;
}

// The deepest nest of negations the parser takes (62 inside query and match: 64 levels), each
// pairing a fresh person with the rows outside it: 3000^62 rows if run.
std::string deep_not_query(int depth = 62) {
    auto x = [](int i) { return "$x" + std::to_string(i); };
    std::string body = x(depth) + ": Person " + x(depth) + ".age >= " + x(depth - 1) + ".age";
    for (int i = depth - 1; i >= 1; --i)
        body = x(i) + ": Person " + x(i) + ".age >= " + x(i - 1) + ".age not { " + body + " }";
    return "query q() { match { $x0: Person not { " + body + " } } return { $x0.name } }";
}

TEST_F(QueryBudgetTest, DeepNotNestsAreBounded) {
    auto got = run(deep_not_query(), limits(512, 100'000'000));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, query::kResourceLimit) << got.error().to_string();
    EXPECT_NE(got.error().message.find("refused before running"), std::string::npos);
    // Without the early refusal the operators stop it by memory, not by the kernel.
    auto run_anyway = run(deep_not_query(), limits(64, 0));
    ASSERT_FALSE(run_anyway);
    EXPECT_EQ(run_anyway.error().code, query::kResourceLimit);
    EXPECT_EQ(detail(run_anyway.error(), "resource"), query::kQueryMemoryBytes);
}

TEST_F(QueryBudgetTest, LongHopChainsAreBounded) {
    // 1,000 chained hops: each row fans out three ways per hop.
    std::string chain;
    for (int i = 0; i < 1000; ++i)
        chain += " $h" + std::to_string(i) + " knows $h" + std::to_string(i + 1);
    std::string text =
        "query q() { match { $h0: Person" + chain + " } return { count($h0) as n } }";
    auto refused = run(text, limits(512, 100'000'000));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, query::kResourceLimit);
    auto run_anyway = run(text, limits(64, 0));
    ASSERT_FALSE(run_anyway);
    EXPECT_EQ(run_anyway.error().code, query::kResourceLimit);
    EXPECT_EQ(detail(run_anyway.error(), "resource"), query::kQueryMemoryBytes);
}

TEST_F(QueryBudgetTest, RowLimitStopsAtRunTime) {
    // Estimated 9,000 rows of expansion fits; a row budget of 5,000 stops it while it runs.
    auto got =
        run("query q() { match { $a: Person $a knows $b } return { $b.name } }", limits(0, 5000));
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, query::kResourceLimit);
    EXPECT_EQ(detail(got.error(), "resource"), query::kQueryIntermediateRows);
}

TEST_F(QueryBudgetTest, DeadlineAndCancellation) {
    std::string text = "query q() { match { $a: Person $b: Person $a.age < $b.age } return { "
                       "count($a) as n } }";
    auto late = run(text, limits(0, 0, 1));
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, query::kQueryTimeout);
    EXPECT_EQ(detail(late.error(), "resource"), query::kQueryTimeMs);
    int polls = 0;
    auto cancelled = run(text, limits(0, 0), [&] { return ++polls > 3; });
    ASSERT_FALSE(cancelled);
    EXPECT_EQ(cancelled.error().code, query::kQueryCancelled);
}

TEST_F(QueryBudgetTest, LimitWithoutOrderStopsTheMatchEarly) {
    // 3,000 persons in morsels of 100: `limit 2` stops after the first morsel, so a row budget
    // far below the table's rows suffices (a full frame would need 3,000 + 9,000 rows).
    query::QueryLimits l = limits(0, 500);
    l.morsel_rows = 100;
    auto got = run("query q() { match { $a: Person $a knows $b } return { $a.name, $b.name } "
                   "limit 2 }",
                   l);
    ASSERT_TRUE(got) << got.error().to_string();
    ASSERT_EQ(got->result.rows.size(), 2u);
    EXPECT_EQ(got->result.rows[0][0].text, "p0");
    EXPECT_EQ(got->result.rows[0][1].text, "p1");
    EXPECT_EQ(got->result.rows[1][1].text, "p2");
}

TEST_F(QueryBudgetTest, OrderLimitKeepsABoundedHeapAndMatchesAFullSort) {
    // The 3 oldest (age 99, ties broken by id), in morsels of 64 with a memory budget far
    // below every projected row.
    query::QueryLimits l = limits(1, 0);
    l.morsel_rows = 64;
    auto top = run("query q() { match { $p: Person } return { $p.name, $p.age } order { $p.age "
                   "desc } limit 3 }",
                   l);
    ASSERT_TRUE(top) << top.error().to_string();
    auto full = run("query q() { match { $p: Person } return { $p.name, $p.age } order { $p.age "
                    "desc } }",
                    {});
    ASSERT_TRUE(full);
    ASSERT_EQ(top->result.rows.size(), 3u);
    for (size_t i = 0; i < 3; ++i)
        EXPECT_EQ(top->result.rows[i][0].text, full->result.rows[i][0].text);
    EXPECT_EQ(top->result.rows[0][1].integer, 99);
    // The whole answer does not fit the same 1 MiB: every row is held.
    auto all = run("query q() { match { $p: Person } return { $p.name, $p.age } order { $p.age "
                   "desc } }",
                   l);
    ASSERT_FALSE(all);
    EXPECT_EQ(all.error().code, query::kResourceLimit);
}

TEST_F(QueryBudgetTest, AggregationFoldsMorselsAndMatchesOneFrame) {
    std::string text = "query q() { match { $a: Person $a knows $b } return { $a.age, count($b) as "
                       "n, sum($b.age) as s } order { $a.age } }";
    query::QueryLimits small;
    small.morsel_rows = 7;
    auto morsels = run(text, small);
    query::QueryLimits whole;
    whole.morsel_rows = kPeople;
    auto one = run(text, whole);
    ASSERT_TRUE(morsels && one);
    ASSERT_EQ(morsels->result.rows.size(), 100u);
    for (size_t i = 0; i < 100; ++i)
        for (size_t c = 0; c < 3; ++c)
            EXPECT_TRUE(query::order_values(morsels->result.rows[i][c], one->result.rows[i][c]) ==
                        0);
    EXPECT_EQ(morsels->result.rows[0][1].integer, 90); // 30 persons of age 0, 3 friends each
}

} // namespace
} // namespace omnigraph::testing
