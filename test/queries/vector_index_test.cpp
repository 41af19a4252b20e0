// nearest() through the segments' vector indexes (query/vector_search.h): recall against an
// exact top-k on clustered data, exact distances, prefilters, deleted rows, a segment without
// an index beside indexed ones, and proof that the index is what is read (its damage fails
// the query, naming it).
#include "../store/store_fixture.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "engine/optimize.h"
#include "format/segment.h"
#include "format/vector_distance.h"
#include "service/graph_handle.h"
#include "service/mutate.h"
#include "service/read.h"
#include "store/counting_store.h"
#include "store/local_store.h"
#include "test_support.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

namespace omnigraph::testing {
namespace {

constexpr int kIndexed = 5000; // the first load: a segment with an index (71 lists)
constexpr int kPlain = 800;    // the second: too few rows for one
constexpr int kDim = 16;
constexpr int kClusters = 60;

struct Doc {
    std::string slug;
    int group = 0;
    std::vector<float> vec;
};

class VectorIndexTest : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        setenv("OMNIGRAPH_VECTOR_INDEX_MIN_ROWS", "1000", 1);
        temp_ = new TempDir();
        root_ = new std::string(temp_->path() + "/g");
        docs_ = new std::vector<Doc>();
        centres_ = new std::vector<std::vector<float>>(kClusters, std::vector<float>(kDim));
        std::filesystem::create_directories(*root_);
        auto store = store::open_store(*base::parse_storage_uri(*root_));
        ASSERT_TRUE(store);
        ASSERT_TRUE(engine::init_graph(**store, "node Doc { slug: String @key  group: I64  vec: "
                                                "Vector(16) @index }\n"));
        std::mt19937 rng(17);
        std::uniform_int_distribution<int> centre(-80, 80);
        std::normal_distribution<float> noise(0, 1.5f);
        for (auto& c : *centres_)
            for (auto& x : c)
                x = float(centre(rng)) / 8;
        std::string parts[2];
        for (int i = 0; i < kIndexed + kPlain; ++i) {
            Doc d;
            char slug[16];
            std::snprintf(slug, sizeof slug, "d%05d", i);
            d.slug = slug;
            d.group = i % 7;
            std::string vec;
            for (int k = 0; k < kDim; ++k) {
                // Multiples of 1/64: exact in F32 and in the JSON text.
                float x = std::round(((*centres_)[i % kClusters][k] + noise(rng)) * 64) / 64;
                d.vec.push_back(x);
                vec += (k ? "," : "") + std::to_string(x);
            }
            parts[i >= kIndexed] += R"({"type":"Doc","data":{"slug":")" + d.slug + R"(","group":)" +
                                    std::to_string(d.group) + R"(,"vec":[)" + vec + "]}}\n";
            docs_->push_back(std::move(d));
        }
        auto g = service::GraphHandle::open(*root_);
        ASSERT_TRUE(g);
        for (int part = 0; part < 2; ++part) {
            engine::LoadOptions o;
            o.mode = part == 0 ? engine::LoadMode::kOverwrite : engine::LoadMode::kAppend;
            o.source_name = "docs.jsonl";
            auto loaded = engine::load_graph((*g)->store(), (*g)->graph(), parts[part], o);
            ASSERT_TRUE(loaded) << loaded.error().to_string();
        }
        // Deleted rows of the indexed segment stay in its lists: the search must skip them.
        for (const char* slug : {"d00000", "d00061", "d04999"}) {
            auto params = base::parse_json(std::string(R"({"s":")") + slug + "\"}");
            service::MutationRequest m;
            m.source = {"query rm($s: String) { delete Doc where slug = $s }", "<test>"};
            m.params = &*params;
            ASSERT_TRUE(service::run_mutation(**g, m));
            deleted_.insert(slug);
        }
    }
    static void TearDownTestSuite() {
        unsetenv("OMNIGRAPH_VECTOR_INDEX_MIN_ROWS");
        delete docs_;
        delete centres_;
        delete root_;
        delete temp_;
    }
    void TearDown() override { unsetenv("OMNIGRAPH_VECTOR_PROBES"); }

    struct Hit {
        std::string slug;
        double distance = 0;
    };

    static Result<std::vector<Hit>> nearest(const std::vector<float>& q, int k,
                                            const std::string& filter = "") {
        auto g = service::GraphHandle::open(*root_);
        EXPECT_TRUE(g);
        std::string vec = "[";
        for (size_t i = 0; i < q.size(); ++i)
            vec += (i ? "," : "") + std::to_string(q[i]);
        auto params = base::parse_json(R"({"q":)" + vec + "]}");
        service::ReadRequest r;
        r.source = {"query q($q: Vector(16)) { match { $d: Doc " + filter +
                        " } return { $d.slug, nearest($d.vec, $q) as d } "
                        "order { nearest($d.vec, $q) } limit " +
                        std::to_string(k) + " }",
                    "<test>"};
        r.params = &*params;
        auto got = OG_TRY(service::run_read(**g, r));
        std::vector<Hit> out;
        for (const auto& row : got.result.rows)
            out.push_back({row[0].text, row[1].real});
        return out;
    }

    // The five docs nearest the origin, read through the service from the graph at `root`.
    static Result<service::ReadOutcome> nearest_origin(const std::string& root, bool explain) {
        auto g = OG_TRY(service::GraphHandle::open(root));
        auto params = base::parse_json(R"({"q":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]})");
        service::ReadRequest r;
        r.source = {"query q($q: Vector(16)) { match { $d: Doc } return { $d.slug } "
                    "order { nearest($d.vec, $q) } limit 5 }",
                    "<test>"};
        r.params = &*params;
        r.explain = explain;
        return service::run_read(*g, r);
    }

    // The exact top k by (distance, slug) among the live docs that `keep`.
    static std::vector<Hit> exact(const std::vector<float>& q, int k,
                                  const std::function<bool(const Doc&)>& keep = nullptr) {
        std::vector<std::pair<float, std::string>> all;
        for (const auto& d : *docs_)
            if (!deleted_.count(d.slug) && (!keep || keep(d)))
                all.emplace_back(
                    format::squared_l2(reinterpret_cast<const char*>(d.vec.data()), q.data(), kDim),
                    d.slug);
        std::sort(all.begin(), all.end());
        std::vector<Hit> out;
        for (int i = 0; i < k && i < int(all.size()); ++i)
            out.push_back({all[i].second, all[i].first});
        return out;
    }

    // Queries near the cluster centres, one per trial.
    static std::vector<std::vector<float>> queries(int n) {
        std::mt19937 rng(99);
        std::normal_distribution<float> noise(0, 1.0f);
        std::vector<std::vector<float>> out;
        for (int i = 0; i < n; ++i) {
            auto q = (*centres_)[(i * 7) % kClusters];
            for (auto& x : q)
                x = std::round((x + noise(rng)) * 64) / 64;
            out.push_back(q);
        }
        return out;
    }

    static double recall(const std::vector<Hit>& got, const std::vector<Hit>& want) {
        std::set<std::string> truth;
        for (const auto& h : want)
            truth.insert(h.slug);
        int found = 0;
        for (const auto& h : got)
            found += truth.count(h.slug) ? 1 : 0;
        return double(found) / double(want.size());
    }

    // Each hit's distance is the exact one, hits ascend, and no deleted doc is among them.
    static void expect_exact_distances(const std::vector<Hit>& got, const std::vector<float>& q) {
        for (size_t i = 0; i < got.size(); ++i) {
            EXPECT_FALSE(deleted_.count(got[i].slug)) << got[i].slug;
            int n = std::stoi(got[i].slug.substr(1));
            float want = format::squared_l2(reinterpret_cast<const char*>((*docs_)[n].vec.data()),
                                            q.data(), kDim);
            EXPECT_EQ(got[i].distance, double(want)) << got[i].slug;
            if (i)
                EXPECT_LE(got[i - 1].distance, got[i].distance);
        }
    }

    // Over `n` queries, the mean recall of top-`k` searches, each checked to return k rows
    // with exact distances; -1 when a search fails.
    static double mean_recall(int n, int k) {
        double total = 0;
        for (const auto& q : queries(n)) {
            auto got = nearest(q, k);
            EXPECT_TRUE(got) << got.error().to_string();
            if (!got)
                return -1;
            EXPECT_EQ(got->size(), size_t(k));
            expect_exact_distances(*got, q);
            total += recall(*got, exact(q, k));
        }
        return total / double(n);
    }

    static TempDir* temp_;
    static std::string* root_;
    static std::vector<Doc>* docs_;
    static std::vector<std::vector<float>>* centres_;
    static std::set<std::string> deleted_;
};

TempDir* VectorIndexTest::temp_ = nullptr;
std::string* VectorIndexTest::root_ = nullptr;
std::vector<Doc>* VectorIndexTest::docs_ = nullptr;
std::vector<std::vector<float>>* VectorIndexTest::centres_ = nullptr;
std::set<std::string> VectorIndexTest::deleted_;

TEST_F(VectorIndexTest, FindsTheNearestWithExactDistances) {
    EXPECT_GE(mean_recall(30, 10), 0.95);
}

TEST_F(VectorIndexTest, ProbingMoreListsFindsTheExactAnswer) {
    setenv("OMNIGRAPH_VECTOR_PROBES", "20", 1); // of 71
    for (const auto& q : queries(10)) {
        auto got = nearest(q, 10);
        ASSERT_TRUE(got) << got.error().to_string();
        auto want = exact(q, 10);
        ASSERT_EQ(got->size(), want.size());
        for (size_t i = 0; i < want.size(); ++i)
            EXPECT_EQ((*got)[i].slug, want[i].slug) << i;
    }
}

TEST_F(VectorIndexTest, OneProbeStillReturnsKRowsAndLowersRecall) {
    // One list per segment holds fewer than k rows of a cluster often enough: the search
    // probes on until k rows are found, and what it misses shows the index is in use.
    setenv("OMNIGRAPH_VECTOR_PROBES", "1", 1);
    EXPECT_LT(mean_recall(30, 20), 1.0);
}

TEST_F(VectorIndexTest, PrefilterReturnsKRowsThatPass) {
    for (const auto& q : queries(10)) {
        // Most rows pass: the index is probed, skipping rows that fail.
        auto got = nearest(q, 10, "$d.group != 3");
        ASSERT_TRUE(got) << got.error().to_string();
        ASSERT_EQ(got->size(), 10u);
        expect_exact_distances(*got, q);
        for (const auto& h : *got)
            EXPECT_NE(std::stoi(h.slug.substr(1)) % 7, 3) << h.slug;
        // Few rows pass: measuring them is cheaper, and exact.
        auto few = nearest(q, 10, "$d.group = 3");
        ASSERT_TRUE(few) << few.error().to_string();
        auto want = exact(q, 10, [](const Doc& d) { return d.group == 3; });
        ASSERT_EQ(few->size(), want.size());
        for (size_t i = 0; i < want.size(); ++i)
            EXPECT_EQ((*few)[i].slug, want[i].slug);
    }
}

TEST_F(VectorIndexTest, ExplainTellsHowNearestSearches) {
    auto got = nearest_origin(*root_, true);
    ASSERT_TRUE(got) << got.error().to_string();
    ASSERT_TRUE(got->plan);
    EXPECT_NE(got->plan->find("nearest: vector index (ivf_sq8) in 1 of 2 segments: 4 of 71 "
                              "lists probed in each"),
              std::string::npos)
        << *got->plan;
}

TEST_F(VectorIndexTest, ADamagedIndexFailsTheQueryNamingIt) {
    // A copy of the graph whose index header is damaged.
    std::string copy = temp_->path() + "/damaged";
    std::filesystem::copy(*root_, copy, std::filesystem::copy_options::recursive);
    auto store = store::LocalStore::open(*base::parse_storage_uri(copy));
    ASSERT_TRUE(store);
    int damaged = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(copy)) {
        if (e.path().extension() != ".seg")
            continue;
        std::string key = std::filesystem::relative(e.path(), copy).string();
        auto reader = format::SegmentReader::open(**store, key);
        ASSERT_TRUE(reader) << reader.error().to_string();
        for (const auto& index : reader->footer().vector_indexes) {
            auto bytes = (*store)->get(key);
            ASSERT_TRUE(bytes);
            std::string data = bytes->data;
            data[index.offset] ^= 0x44;
            ASSERT_TRUE((*store)->put(key, data));
            ++damaged;
        }
    }
    ASSERT_EQ(damaged, 1);
    auto got = nearest_origin(copy, false);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, "segment_corrupt");
    EXPECT_NE(got.error().message.find("vector index on 'p:"), std::string::npos)
        << got.error().message;
    // What does not search still reads.
    auto g = service::GraphHandle::open(copy);
    ASSERT_TRUE(g) << g.error().to_string();
    service::ReadRequest count;
    count.source = {"query n() { match { $d: Doc } return { count($d) as n } }", "<test>"};
    auto n = service::run_read(**g, count);
    ASSERT_TRUE(n) << n.error().to_string();
    const query::Value& v = n->result.rows[0][0];
    EXPECT_EQ(v.kind == query::Value::Kind::kUInt ? int64_t(v.uinteger) : v.integer,
              kIndexed + kPlain - 3);
}

// Segments written without the index (before it existed, or with fewer vectors than the
// threshold then) get it from optimize, once.
TEST(VectorIndexOptimize, OptimizeIndexesSegmentsThatLackTheIndex) {
    TempDir temp;
    auto store = store::open_store(*base::parse_storage_uri(temp.path()));
    ASSERT_TRUE(store);
    ASSERT_TRUE(
        engine::init_graph(**store, "node Doc { slug: String @key  vec: Vector(4) @index }\n"));
    std::string rows;
    for (int i = 0; i < 600; ++i)
        rows += R"({"type":"Doc","data":{"slug":"d)" + std::to_string(i) + R"(","vec":[)" +
                std::to_string(i % 10) + "," + std::to_string(i % 7) + ",1," +
                std::to_string(i % 3) + "]}}\n";
    auto graph = engine::Graph::open(**store);
    ASSERT_TRUE(graph);
    engine::LoadOptions o;
    o.source_name = "docs.jsonl";
    ASSERT_TRUE(engine::load_graph(**store, *graph, rows, o)); // 600 < the default threshold
    auto indexes = [&] {
        size_t n = 0;
        auto head = engine::Graph::open(**store)->head("main");
        EXPECT_TRUE(head);
        for (const auto& seg : head->find("node:Doc")->segments) {
            auto reader = format::SegmentReader::open(**store, seg.segment);
            EXPECT_TRUE(reader);
            n += reader->footer().vector_indexes.size();
        }
        return n;
    };
    EXPECT_EQ(indexes(), 0u);
    setenv("OMNIGRAPH_VECTOR_INDEX_MIN_ROWS", "500", 1);
    auto r = engine::optimize_graph(**store, *graph, {});
    ASSERT_TRUE(r) << r.error().to_string();
    ASSERT_TRUE(r->commit);
    EXPECT_EQ(r->tables[0].segments_reindexed, 1u);
    EXPECT_EQ(indexes(), 1u);
    auto again = engine::optimize_graph(**store, *engine::Graph::open(**store), {});
    ASSERT_TRUE(again) << again.error().to_string();
    EXPECT_FALSE(again->commit);
    unsetenv("OMNIGRAPH_VECTOR_INDEX_MIN_ROWS");
}

// A cold nearest() from a fresh process reads the header and a few lists' codes of each
// indexed segment and a few exact vectors, not the vector column; on local disk and on S3.
class VectorIndexCold : public StoreTest {};

TEST_P(VectorIndexCold, ReadsAFewListsNotTheColumn) {
    setenv("OMNIGRAPH_VECTOR_INDEX_MIN_ROWS", "1000", 1);
    ASSERT_TRUE(
        engine::init_graph(*store_, "node Doc { slug: String @key  vec: Vector(32) @index }\n"));
    std::mt19937 rng(23);
    std::normal_distribution<float> noise(0, 1);
    std::vector<std::vector<float>> vecs;
    std::string jsonl;
    for (int i = 0; i < 8000; ++i) {
        std::vector<float> v(32);
        std::string text;
        for (int d = 0; d < 32; ++d) {
            v[d] =
                std::round((float(i % 40) * (d % 5 == i % 5 ? 1.0f : 0.0f) + noise(rng)) * 64) / 64;
            text += (d ? "," : "") + std::to_string(v[d]);
        }
        vecs.push_back(v);
        jsonl += R"({"type":"Doc","data":{"slug":"d)" + std::to_string(i) + R"(","vec":[)" + text +
                 "]}}\n";
    }
    auto graph = engine::Graph::open(*store_);
    ASSERT_TRUE(graph);
    ASSERT_TRUE(engine::load_graph(*store_, *graph, jsonl, {}));
    unsetenv("OMNIGRAPH_VECTOR_INDEX_MIN_ROWS");
    uint64_t table_bytes = 0;
    auto tables = store_->list_all("tables/");
    ASSERT_TRUE(tables);
    for (const auto& meta : *tables)
        table_bytes += meta.size;

    auto counting = std::make_unique<store::CountingStore>(*store_);
    store::CountingStore* counter = counting.get();
    auto handle = service::GraphHandle::open(std::move(counting));
    ASSERT_TRUE(handle) << handle.error().to_string();
    const std::vector<float>& q = vecs[123];
    std::string qtext;
    for (int d = 0; d < 32; ++d)
        qtext += (d ? "," : "") + std::to_string(q[d]);
    auto params = base::parse_json(R"({"q":[)" + qtext + "]}");
    service::ReadRequest r;
    r.source = {"query q($q: Vector(32)) { match { $d: Doc } return { $d.slug, nearest($d.vec, $q) "
                "as d } order { nearest($d.vec, $q) } limit 10 }",
                "<test>"};
    r.params = &*params;
    uint64_t requests = counter->requests(), bytes = counter->bytes_read();
    auto got = service::run_read(**handle, r);
    ASSERT_TRUE(got) << got.error().to_string();
    requests = counter->requests() - requests;
    bytes = counter->bytes_read() - bytes;
    ASSERT_EQ(got->result.rows.size(), 10u);
    EXPECT_EQ(got->result.rows[0][0].text, "d123"); // the query is its own nearest
    EXPECT_EQ(got->result.rows[0][1].real, 0.0);
    // The snapshot, the segment's footer, the header, 4 lists' codes, 46 exact vectors, and a
    // page of slugs: well under the vector column alone (8000 × 128 bytes).
    EXPECT_LE(requests, 70u);
    EXPECT_LT(bytes, table_bytes / 4) << "tables " << table_bytes;
    std::cout << "cold nearest: " << requests << " requests, " << bytes << " bytes of "
              << table_bytes << "\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, VectorIndexCold,
                         ::testing::Values(Backend::kLocal, Backend::kS3), backend_name);

} // namespace
} // namespace omnigraph::testing
