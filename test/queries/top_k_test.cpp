// The fast paths of a whole-table read, checked against the general ones on a generated
// graph large enough for them to engage: a top-k skips rows on the raw cells of its order
// keys once k rows are kept (numbers, strings, NULLs and ties must still rank as a full
// sort does), and a query that only counts one variable counts its scan's candidates.
#include "base/json_writer.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "service/graph_handle.h"
#include "service/read.h"
#include "store/object_store.h"
#include "test_support.h"

#include <cstdio>
#include <filesystem>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

constexpr const char* kSchema = R"(node Person {
    name: String @key
    age: I32?
    score: F64?
    city: String?
    rank: U64?
}
)";

constexpr int kPeople = 6000;

// The rows of read query `text` on `graph`, as compact JSON (one array per row).
std::vector<std::string> rows_of(const service::GraphHandle& graph, const std::string& text) {
    service::ReadRequest r;
    r.source = {text, "<test>"};
    auto got = service::run_read(graph, r);
    EXPECT_TRUE(got) << (got ? "" : got.error().to_string()) << "\n" << text;
    std::vector<std::string> out;
    if (!got)
        return out;
    for (const auto& row : got->result.rows) {
        base::JsonWriter line;
        line.begin_array();
        for (const auto& v : row)
            query::write_value(v, line);
        line.end_array();
        out.push_back(line.take());
    }
    return out;
}

class WholeTableReadTest : public ::testing::Test {
  protected:
    // Ages repeat (many ties, every 7th NULL), scores mix negatives and fractions (every 11th
    // NULL), cities are a handful of strings (every 5th NULL), ranks are large unsigned values.
    static void SetUpTestSuite() {
        temp_ = new TempDir();
        std::string root = temp_->path() + "/g";
        std::filesystem::create_directories(root);
        auto store = store::open_store(*base::parse_storage_uri(root));
        ASSERT_TRUE(store);
        ASSERT_TRUE(engine::init_graph(**store, kSchema));
        auto g = service::GraphHandle::open(root);
        ASSERT_TRUE(g);
        const char* cities[] = {"Oslo", "Lima", "Kyiv", "Bern", "Oslo-Nord"};
        std::string jsonl;
        for (int i = 0; i < kPeople; ++i) {
            uint64_t mixed = (uint64_t(i) * 2654435761u) % 10007;
            std::string age = i % 7 == 0 ? "null" : std::to_string(mixed % 90);
            std::string score =
                i % 11 == 0 ? "null" : std::to_string((double(mixed) - 5000.0) / 8.0);
            std::string city = i % 5 == 0 ? "null" : "\"" + std::string(cities[mixed % 5]) + "\"";
            std::string rank =
                i % 13 == 0 ? "null" : std::to_string(18446744073709551000ull - mixed % 300);
            jsonl += R"({"type": "Person", "data": {"name": "p)" + std::to_string(mixed) + "-" +
                     std::to_string(i) + R"(", "age": )" + age + R"(, "score": )" + score +
                     R"(, "city": )" + city + R"(, "rank": )" + rank + "}}\n";
        }
        engine::LoadOptions o;
        o.mode = engine::LoadMode::kOverwrite;
        o.source_name = "people.jsonl";
        auto loaded = engine::load_graph((*g)->store(), (*g)->graph(), jsonl, o);
        ASSERT_TRUE(loaded) << loaded.error().to_string();
        root_ = new std::string(root);
    }
    static void TearDownTestSuite() {
        delete root_;
        delete temp_;
    }

    static std::vector<std::string> rows(const std::string& text) {
        auto g = service::GraphHandle::open(*root_);
        EXPECT_TRUE(g);
        return g ? rows_of(**g, text) : std::vector<std::string>();
    }

    static TempDir* temp_;
    static std::string* root_;
};

TempDir* WholeTableReadTest::temp_ = nullptr;
std::string* WholeTableReadTest::root_ = nullptr;

TEST_F(WholeTableReadTest, TopKRanksAsAFullSortDoes) {
    const char* orders[] = {
        "$p.age desc",
        "$p.age",
        "$p.age desc, $p.name",
        "$p.age, $p.name desc",
        "$p.score desc",
        "$p.score, $p.city",
        "$p.city desc, $p.age desc",
        "$p.city, $p.score desc",
        "$p.rank desc, $p.name",
        "$p.rank, $p.age desc",
        "$p.name desc",
    };
    for (const char* order : orders)
        for (int k : {1, 3, 50, 700}) {
            std::string body = "match { $p: Person } return { $p.name, $p.age, $p.score, "
                               "$p.city, $p.rank } order { " +
                               std::string(order) + " }";
            auto full = rows("query q() { " + body + " }");
            ASSERT_EQ(full.size(), size_t(kPeople));
            full.resize(size_t(k));
            auto top = rows("query q() { " + body + " limit " + std::to_string(k) + " }");
            EXPECT_EQ(top, full) << "order { " << order << " } limit " << k;
        }
}

// Appended in name order, each load a segment whose name range lies after the last: the
// top-k's skip test decides most rows on the name pages' min/max without reading them.
TEST(WholeTableReadInKeyOrder, PageStatisticsRankAsAFullSortDoes) {
    TempDir temp;
    std::string root = temp.path() + "/g";
    std::filesystem::create_directories(root);
    auto store = store::open_store(*base::parse_storage_uri(root));
    ASSERT_TRUE(store);
    ASSERT_TRUE(engine::init_graph(**store, kSchema));
    auto g = service::GraphHandle::open(root);
    ASSERT_TRUE(g);
    engine::LoadOptions o;
    o.mode = engine::LoadMode::kAppend;
    o.source_name = "people.jsonl";
    for (int load = 0; load < 12; ++load) {
        std::string jsonl;
        for (int i = 0; i < 250; ++i) {
            int n = load * 250 + i;
            char name[16];
            std::snprintf(name, sizeof name, "n%06d", n);
            std::string age = n % 9 == 0 ? "null" : std::to_string((n * 7) % 5);
            jsonl += std::string(R"({"type": "Person", "data": {"name": ")") + name +
                     R"(", "age": )" + age + "}}\n";
        }
        auto loaded = engine::load_graph((*g)->store(), (*g)->graph(), jsonl, o);
        ASSERT_TRUE(loaded) << loaded.error().to_string();
    }
    auto rows = [&](const std::string& text) { return rows_of(**g, text); };
    for (const char* order : {"$p.age desc, $p.name", "$p.age, $p.name desc",
                              "$p.age desc, $p.name desc", "$p.name desc", "$p.name"})
        for (int k : {1, 3, 40}) {
            std::string body = "match { $p: Person } return { $p.name, $p.age } order { " +
                               std::string(order) + " }";
            auto full = rows("query q() { " + body + " }");
            ASSERT_EQ(full.size(), 3000u);
            full.resize(size_t(k));
            EXPECT_EQ(rows("query q() { " + body + " limit " + std::to_string(k) + " }"), full)
                << "order { " << order << " } limit " << k;
        }
}

TEST_F(WholeTableReadTest, CountingOneVariableCountsItsCandidates) {
    const char* filters[] = {
        "",
        "$p.age > 60",
        "$p.age >= 0",
        "$p.score < 0.0",
        "$p.city = \"Oslo\"",
        "$p.rank != 18446744073709551000",
        "$p.name = \"p0-0\"",
        "$p.name = \"nobody\"",
    };
    for (const char* filter : filters) {
        auto listed = rows("query q() { match { $p: Person " + std::string(filter) +
                           " } return { $p.name } }");
        auto counted = rows("query q() { match { $p: Person " + std::string(filter) +
                            " } return { count($p) as n } }");
        ASSERT_EQ(counted.size(), 1u) << filter;
        EXPECT_EQ(counted[0], "[" + std::to_string(listed.size()) + "]") << filter;
    }
}

} // namespace
} // namespace omnigraph::testing
