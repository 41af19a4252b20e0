// nearest() and rrf() beyond the data-driven cases (cases/vector_search.test): the distance
// kernel against a plain double loop (every tail length, NaN, zero vectors), a top-k over a
// generated table against a full sort with prefilters, the spec's LARGE-K case, and String
// queries through a QueryEmbedder.
#include "base/json_writer.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "format/vector_distance.h"
#include "service/graph_handle.h"
#include "service/read.h"
#include "store/object_store.h"
#include "test_support.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <random>

namespace omnigraph::testing {
namespace {

float kernel(const std::vector<float>& stored, const std::vector<float>& query) {
    std::vector<char> raw(stored.size() * sizeof(float) + 1);
    std::memcpy(raw.data() + 1, stored.data(), stored.size() * sizeof(float)); // misaligned
    return format::squared_l2(raw.data() + 1, query.data(), uint32_t(query.size()));
}

TEST(SquaredL2, MatchesAPlainLoopAtEveryTailLength) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-2, 2);
    for (uint32_t dim : {1u, 3u, 4u, 15u, 16u, 17u, 31u, 33u, 100u, 768u}) {
        std::vector<float> a(dim), b(dim);
        for (uint32_t i = 0; i < dim; ++i)
            a[i] = u(rng), b[i] = u(rng);
        double want = 0;
        for (uint32_t i = 0; i < dim; ++i)
            want += double(a[i] - b[i]) * double(a[i] - b[i]);
        EXPECT_NEAR(kernel(a, b), want, 1e-4 * (1 + want)) << "dim " << dim;
    }
}

TEST(SquaredL2, ZeroVectorsAndNaN) {
    std::vector<float> zero(20, 0.0f), ones(20, 1.0f);
    EXPECT_EQ(kernel(zero, zero), 0.0f);
    EXPECT_EQ(kernel(zero, ones), 20.0f);
    auto nan = ones;
    nan[17] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_TRUE(std::isnan(kernel(nan, ones)));
    EXPECT_TRUE(std::isnan(kernel(ones, nan)));
}

TEST(SquaredL2, RowsKernelMatchesOneAtATime) {
    std::vector<float> data = {0, 0, 1, 0, 3, 4};
    std::vector<float> q = {0, 0};
    float out[3];
    format::squared_l2_rows(reinterpret_cast<const char*>(data.data()), 3, q.data(), 2, out);
    EXPECT_EQ(out[0], 0.0f);
    EXPECT_EQ(out[1], 1.0f);
    EXPECT_EQ(out[2], 25.0f);
}

constexpr int kDocs = 10000;
constexpr int kDim = 24;

// Doc n<i>: `line` [i,0,0,0] (the spec's LARGE-K), `vec` a pseudo-random Vector(24), `group`
// i % 7; loaded in two files (two segments).
class NearestTableTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        temp_ = new TempDir();
        std::string root = temp_->path() + "/g";
        std::filesystem::create_directories(root);
        auto store = store::open_store(*base::parse_storage_uri(root));
        ASSERT_TRUE(store);
        ASSERT_TRUE(engine::init_graph(
            **store, "node Doc { slug: String @key  group: I64  line: Vector(4)  vec: Vector(" +
                         std::to_string(kDim) + ") }\n"));
        auto g = service::GraphHandle::open(root);
        ASSERT_TRUE(g);
        std::mt19937 rng(11);
        std::uniform_int_distribution<int> u(-50, 50);
        vecs_ = new std::vector<std::vector<float>>(kDocs);
        std::string half[2];
        for (int i = 0; i < kDocs; ++i) {
            char slug[16];
            std::snprintf(slug, sizeof slug, "n%05d", i);
            std::string vec;
            for (int d = 0; d < kDim; ++d) {
                float x = float(u(rng)) / 8; // exact in F32 and in the JSON text
                (*vecs_)[i].push_back(x);
                vec += (d ? "," : "") + std::to_string(x);
            }
            half[i < kDocs / 2] += std::string(R"({"type":"Doc","data":{"slug":")") + slug +
                                   R"(","group":)" + std::to_string(i % 7) + R"(,"line":[)" +
                                   std::to_string(i) + R"(,0,0,0],"vec":[)" + vec + "]}}\n";
        }
        for (int part = 0; part < 2; ++part) {
            engine::LoadOptions o;
            o.mode = part == 0 ? engine::LoadMode::kOverwrite : engine::LoadMode::kAppend;
            o.source_name = "docs.jsonl";
            auto loaded = engine::load_graph((*g)->store(), (*g)->graph(), half[part], o);
            ASSERT_TRUE(loaded) << loaded.error().to_string();
        }
        root_ = new std::string(root);
    }
    static void TearDownTestSuite() {
        delete vecs_;
        delete root_;
        delete temp_;
    }

    static Result<std::vector<std::string>> slugs(const std::string& text,
                                                  const std::string& params = "null",
                                                  const query::QueryEmbedder* embedder = nullptr) {
        auto g = service::GraphHandle::open(*root_);
        EXPECT_TRUE(g);
        auto json = base::parse_json(params);
        EXPECT_TRUE(json);
        service::ReadRequest r;
        r.source = {text, "<test>"};
        r.params = &*json;
        r.embedder = embedder;
        auto got = OG_TRY(service::run_read(**g, r));
        std::vector<std::string> out;
        for (const auto& row : got.result.rows)
            out.push_back(row[0].text);
        return out;
    }

    static std::string vec_json(const std::vector<float>& v) {
        std::string s = "[";
        for (size_t i = 0; i < v.size(); ++i)
            s += (i ? "," : "") + std::to_string(v[i]);
        return s + "]";
    }

    static TempDir* temp_;
    static std::string* root_;
    static std::vector<std::vector<float>>* vecs_;
};

TempDir* NearestTableTest::temp_ = nullptr;
std::string* NearestTableTest::root_ = nullptr;
std::vector<std::vector<float>>* NearestTableTest::vecs_ = nullptr;

// spec §5.3 LARGE-K: a k larger than any single segment, across two loads.
TEST_F(NearestTableTest, LargeKReturnsExactlyTheKNearestInOrder) {
    auto got = slugs("query q($q: Vector(4)) { match { $d: Doc } return { $d.slug } "
                     "order { nearest($d.line, $q) } limit 8193 }",
                     R"({"q":[0,0,0,0]})");
    ASSERT_TRUE(got) << got.error().to_string();
    ASSERT_EQ(got->size(), 8193u);
    for (int i = 0; i < 8193; ++i) {
        char slug[16];
        std::snprintf(slug, sizeof slug, "n%05d", i);
        ASSERT_EQ((*got)[i], slug);
    }
}

// Top-k with and without a prefilter against a full sort by (distance, slug).
TEST_F(NearestTableTest, TopKMatchesAFullSortAmongFilteredRows) {
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> u(-50, 50);
    for (int trial = 0; trial < 4; ++trial) {
        std::vector<float> q(kDim);
        for (auto& x : q)
            x = float(u(rng)) / 8;
        for (int group : {-1, 3}) {
            std::vector<std::pair<double, std::string>> want;
            for (int i = 0; i < kDocs; ++i) {
                if (group >= 0 && i % 7 != group)
                    continue;
                double d = 0;
                for (int k = 0; k < kDim; ++k)
                    d += double((*vecs_)[i][k] - q[k]) * double((*vecs_)[i][k] - q[k]);
                char slug[16];
                std::snprintf(slug, sizeof slug, "n%05d", i);
                want.emplace_back(d, slug);
            }
            std::sort(want.begin(), want.end());
            for (size_t k : {1u, 10u, 100u}) {
                std::string filter = group >= 0 ? " $d.group = " + std::to_string(group) : "";
                auto got = slugs("query q($q: Vector(" + std::to_string(kDim) +
                                     ")) { match { $d: Doc" + filter +
                                     " } return { $d.slug } order { nearest($d.vec, $q) } "
                                     "limit " +
                                     std::to_string(k) + " }",
                                 R"({"q":)" + vec_json(q) + "}");
                ASSERT_TRUE(got) << got.error().to_string();
                ASSERT_EQ(got->size(), k);
                for (size_t i = 0; i < k; ++i)
                    EXPECT_EQ((*got)[i], want[i].second) << "k " << k << " group " << group;
            }
        }
    }
}

// A QueryEmbedder that answers a fixed vector for one text (a test double of a provider).
class FixedEmbedder : public query::QueryEmbedder {
  public:
    explicit FixedEmbedder(std::vector<float> v) : v_(std::move(v)) {}
    Result<std::vector<float>> embed_query(const query::EmbedQuery& q) const override {
        ++calls;
        seen = std::string(q.type) + "." + std::string(q.property) + "/" + std::to_string(q.dim) +
               ":" + std::string(q.text);
        if (q.text == "fail")
            return Error("embedding_request_failed", "provider said no");
        return v_;
    }
    mutable std::string seen;
    mutable int calls = 0;

  private:
    std::vector<float> v_;
};

TEST_F(NearestTableTest, StringQueriesGoThroughTheEmbedder) {
    const std::string text = "query q($t: String) { match { $d: Doc } return { $d.slug } "
                             "order { nearest($d.line, $t) } limit 2 }";
    auto missing = slugs(text, R"({"t":"seven"})");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, "embedding_provider_missing");

    FixedEmbedder seven({7, 0, 0, 0});
    auto got = slugs(text, R"({"t":"seven"})", &seven);
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_EQ(*got, (std::vector<std::string>{"n00007", "n00006"}));
    EXPECT_EQ(seven.seen, "Doc.line/4:seven");

    // The same call in `return` and `order` embeds its text once.
    FixedEmbedder once({7, 0, 0, 0});
    auto both = slugs("query q($t: String) { match { $d: Doc } return { $d.slug, "
                      "nearest($d.line, $t) as d } order { nearest($d.line, $t) } limit 2 }",
                      R"({"t":"seven"})", &once);
    ASSERT_TRUE(both) << both.error().to_string();
    EXPECT_EQ(once.calls, 1);

    auto failed = slugs(text, R"({"t":"fail"})", &seven);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, "embedding_request_failed");

    FixedEmbedder short_answer({1, 2});
    auto wrong = slugs(text, R"({"t":"x"})", &short_answer);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, "query_runtime_error");
    EXPECT_NE(wrong.error().message.find("2 values"), std::string::npos);

    FixedEmbedder nan({std::numeric_limits<float>::quiet_NaN(), 0, 0, 0});
    auto bad = slugs(text, R"({"t":"x"})", &nan);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("non-finite"), std::string::npos);
}

} // namespace
} // namespace omnigraph::testing
