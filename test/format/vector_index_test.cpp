// The IVF-Flat vector index of a segment (format/vector_index.h): what the build puts in which
// list, its encoding round trip and checks, its place in a segment's footer, and damage
// detection.
#include "format/segment.h"
#include "format/vector_distance.h"
#include "format/vector_index.h"
#include "store/local_store.h"
#include "test_support.h"

#include <cmath>
#include <gtest/gtest.h>
#include <random>
#include <set>

namespace omnigraph::format {
namespace {

constexpr uint32_t kDim = 8;

// `rows` vectors around 20 centres; rows 3 and 10 are NULL, row 5 holds a NaN.
Column clustered(size_t rows) {
    Column c(ColumnType{PhysicalKind::kVector, kDim});
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> centre(-10, 10);
    std::normal_distribution<float> noise(0, 0.5f);
    std::vector<std::vector<float>> centres(20, std::vector<float>(kDim));
    for (auto& v : centres)
        for (auto& x : v)
            x = centre(rng);
    for (size_t r = 0; r < rows; ++r) {
        if (r == 3 || r == 10) {
            c.append_null();
            continue;
        }
        std::vector<float> v = centres[r % centres.size()];
        for (auto& x : v)
            x += noise(rng);
        if (r == 5)
            v[2] = std::numeric_limits<float>::quiet_NaN();
        c.append_fixed(v.data());
    }
    return c;
}

TEST(VectorIndex, EveryFiniteVectorIsInTheListOfItsNearestCentroid) {
    Column c = clustered(2000);
    auto built = build_vector_index(c, 100);
    ASSERT_TRUE(built) << built.error().to_string();
    ASSERT_TRUE(*built);
    const VectorIndex& index = **built;
    EXPECT_EQ(index.dim, kDim);
    ASSERT_EQ(index.lists.size(), 45u); // round(sqrt(1997))
    std::set<uint32_t> seen;
    for (size_t l = 0; l < index.lists.size(); ++l) {
        const VectorList& list = index.lists[l];
        ASSERT_EQ(list.vectors.size(), list.rows.size() * kDim);
        EXPECT_TRUE(std::is_sorted(list.rows.begin(), list.rows.end()));
        for (size_t j = 0; j < list.rows.size(); ++j) {
            uint32_t row = list.rows[j];
            EXPECT_TRUE(seen.insert(row).second) << "row " << row << " in two lists";
            // The copy is the column's vector, bit for bit; each code within half a step.
            EXPECT_EQ(std::memcmp(&list.vectors[j * kDim], c.fixed_row(row), kDim * 4), 0);
            for (uint32_t d = 0; d < kDim; ++d)
                EXPECT_NEAR(index.low[d] + float(list.codes[j * kDim + d]) * index.step[d],
                            list.vectors[j * kDim + d], index.step[d] * 0.5001f);
            // ... in the list of its nearest centroid.
            float own = squared_l2(c.fixed_row(row), &index.centroids[l * kDim], kDim);
            for (size_t o = 0; o < index.lists.size(); ++o)
                EXPECT_LE(own, squared_l2(c.fixed_row(row), &index.centroids[o * kDim], kDim));
        }
    }
    EXPECT_EQ(seen.size(), 1997u); // NULL and NaN rows have no distance: in no list
    EXPECT_FALSE(seen.count(3) || seen.count(5) || seen.count(10));

    // The same column builds the same index; too few vectors build none.
    auto again = build_vector_index(c, 100);
    ASSERT_TRUE(again && *again);
    EXPECT_EQ((*again)->centroids, index.centroids);
    auto none = build_vector_index(c, 1999); // 1998 are not NULL (one holds a NaN)
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    EXPECT_FALSE(build_vector_index(Column(ColumnType{PhysicalKind::kI64}), 1));
}

TEST(VectorIndex, CodedDistanceMatchesAPlainLoopAtEveryTailLength) {
    std::mt19937 rng(9);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> u(-1, 1);
    for (uint32_t dim : {1u, 7u, 15u, 16u, 17u, 33u, 100u, 768u}) {
        std::vector<uint8_t> code(dim);
        std::vector<float> step(dim), offset(dim);
        double want = 0;
        for (uint32_t i = 0; i < dim; ++i) {
            code[i] = static_cast<uint8_t>(byte(rng));
            step[i] = 0.01f + std::abs(u(rng)) / 100;
            offset[i] = u(rng);
            double d = double(code[i]) * step[i] + offset[i];
            want += d * d;
        }
        EXPECT_NEAR(coded_l2(code.data(), step.data(), offset.data(), dim), want, 1e-4 * (1 + want))
            << "dim " << dim;
    }
}

TEST(VectorIndex, CodesAndHeadersRoundTripAndRefuseDamage) {
    VectorList list{{2, 7, 9}, std::vector<uint8_t>(3 * kDim, 200), std::vector<float>(3 * kDim)};
    list.vectors[kDim] = 1.5f;
    std::string raw = encode_vector_codes(list);
    auto back = decode_vector_codes(raw, kDim, 3, 10);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(back->rows, list.rows);
    EXPECT_EQ(back->codes, list.codes);
    ASSERT_EQ(back->vector_sums.size(), 3u);
    EXPECT_EQ(back->vector_sums[0], back->vector_sums[2]); // equal vectors, equal sums
    EXPECT_NE(back->vector_sums[0], back->vector_sums[1]);
    EXPECT_EQ(encode_vector_values(list).size(), 3 * kDim * sizeof(float));
    EXPECT_TRUE(decode_vector_codes(raw, kDim, 3, 9).error().is(kSegmentCorrupt));  // row 9 of 9
    EXPECT_TRUE(decode_vector_codes(raw, kDim, 2, 10).error().is(kSegmentCorrupt)); // size
    VectorList unordered{{7, 2}, std::vector<uint8_t>(2 * kDim), std::vector<float>(2 * kDim)};
    EXPECT_TRUE(decode_vector_codes(encode_vector_codes(unordered), kDim, 2, 10)
                    .error()
                    .is(kSegmentCorrupt));

    VectorIndexHeader header{kDim,
                             std::vector<float>(kDim, -1.0f),
                             std::vector<float>(kDim, 0.01f),
                             std::vector<float>(2 * kDim, 0.25f),
                             {{0, 40, 3, 42, 40}, {200, 50, 1, 7, 250}}};
    std::string h = encode_vector_header(header);
    auto read = decode_vector_header(h, kDim, 2, 300);
    ASSERT_TRUE(read) << read.error().to_string();
    EXPECT_EQ(read->centroids, header.centroids);
    EXPECT_EQ(read->low, header.low);
    EXPECT_EQ(read->step, header.step);
    EXPECT_EQ(read->lists[1].codes_offset, 200u);
    EXPECT_EQ(read->lists[1].codes_checksum, 7u);
    EXPECT_EQ(read->lists[1].vectors_offset, 250u);
    // List 1's vectors end at 250 + 1 * 8 * 4 = 282.
    EXPECT_TRUE(decode_vector_header(h, kDim, 2, 281).error().is(kSegmentCorrupt)); // outside
    EXPECT_TRUE(decode_vector_header(h, kDim, 3, 300).error().is(kSegmentCorrupt)); // size
    auto damaged = header;
    damaged.centroids[5] = INFINITY;
    EXPECT_TRUE(decode_vector_header(encode_vector_header(damaged), kDim, 2, 300)
                    .error()
                    .is(kSegmentCorrupt));
    damaged = header;
    damaged.step[3] = 0;
    EXPECT_TRUE(decode_vector_header(encode_vector_header(damaged), kDim, 2, 300)
                    .error()
                    .is(kSegmentCorrupt));
}

TEST(VectorIndex, SegmentsCarryItAndEveryReadIsVerified) {
    std::vector<NamedColumn> cols;
    Column ids(ColumnType{PhysicalKind::kString});
    for (int i = 0; i < 1000; ++i)
        ids.append_bytes("n" + std::to_string(i));
    cols.push_back({"id", std::move(ids)});
    cols.push_back({"p:1", clustered(1000)});
    SegmentOptions options;
    options.indexed = {"id"};
    options.vector_indexed = {"p:1"};
    options.vector_index_min_rows = 500;
    auto bytes = write_segment(cols, options);
    ASSERT_TRUE(bytes) << bytes.error().to_string();

    testing::TempDir dir;
    auto store = *store::LocalStore::open(*base::parse_storage_uri(dir.path()));
    ASSERT_TRUE(store->put("t/s.seg", *bytes));
    auto reader = SegmentReader::open(*store, "t/s.seg", bytes->size());
    ASSERT_TRUE(reader) << reader.error().to_string();
    const SegmentVectorIndex* entry = reader->footer().find_vector_index("p:1");
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->kind, "ivf_sq8");
    EXPECT_EQ(entry->metric, "l2");
    EXPECT_EQ(entry->dim, kDim);
    EXPECT_EQ(entry->lists, 32u);
    EXPECT_EQ(entry->rows, 997u);
    auto header = reader->read_vector_header(*entry);
    ASSERT_TRUE(header) << header.error().to_string();
    uint64_t rows = 0;
    Column source = clustered(1000);
    for (uint32_t l = 0; l < entry->lists; ++l) {
        auto codes = reader->read_vector_codes(*entry, *header, l);
        ASSERT_TRUE(codes) << codes.error().to_string();
        rows += codes->rows.size();
        for (uint32_t j = 0; j < codes->rows.size(); ++j) { // every exact vector reads back
            auto exact = reader->read_vector_value(*entry, *header, l, j, codes->vector_sums[j]);
            ASSERT_TRUE(exact) << exact.error().to_string();
            EXPECT_EQ(std::memcmp(exact->data(), source.fixed_row(codes->rows[j]), kDim * 4), 0);
        }
    }
    EXPECT_EQ(rows, 997u);

    // Damaged codes fail their checksum, naming the index and the list; a damaged exact
    // vector fails its own, naming it; so does the header.
    const VectorListRef& ref = header->lists[3];
    auto codes3 = reader->read_vector_codes(*entry, *header, 3);
    ASSERT_TRUE(codes3);
    ASSERT_GE(ref.rows, 2u);
    std::string damaged = *bytes;
    damaged[ref.codes_offset + ref.codes_length - 1] ^= 0x21;
    damaged[ref.vectors_offset + kDim * 4 + 3] ^= 0x21; // vector 1 of list 3
    damaged[entry->offset + 5] ^= 0x21;
    ASSERT_TRUE(store->put("t/bad.seg", damaged));
    auto bad = SegmentReader::open(*store, "t/bad.seg", damaged.size());
    ASSERT_TRUE(bad);
    auto list = bad->read_vector_codes(*entry, *header, 3);
    ASSERT_FALSE(list);
    EXPECT_TRUE(list.error().is(kSegmentCorrupt));
    EXPECT_NE(list.error().message.find("vector index on 'p:1', list 3"), std::string::npos);
    EXPECT_TRUE(bad->read_vector_codes(*entry, *header, 4)); // the others still read
    EXPECT_TRUE(bad->read_vector_value(*entry, *header, 3, 0, codes3->vector_sums[0]));
    auto vector = bad->read_vector_value(*entry, *header, 3, 1, codes3->vector_sums[1]);
    ASSERT_FALSE(vector);
    EXPECT_TRUE(vector.error().is(kSegmentCorrupt));
    EXPECT_NE(vector.error().message.find("list 3, vector 1"), std::string::npos);
    EXPECT_FALSE(bad->read_vector_value(*entry, *header, 3, ref.rows, 0)); // beyond the list
    auto head = bad->read_vector_header(*bad->footer().find_vector_index("p:1"));
    ASSERT_FALSE(head);
    EXPECT_TRUE(head.error().is(kSegmentCorrupt));

    // Fewer vectors than the threshold: no index; only vector columns that exist.
    options.vector_index_min_rows = 999;
    auto small = write_segment(cols, options);
    ASSERT_TRUE(small);
    ASSERT_TRUE(store->put("t/small.seg", *small));
    EXPECT_EQ(SegmentReader::open(*store, "t/small.seg")->footer().find_vector_index("p:1"),
              nullptr);
    options.vector_indexed = {"p:9"};
    EXPECT_FALSE(write_segment(cols, options));
    options.vector_indexed = {"id"};
    EXPECT_FALSE(write_segment(cols, options));
}

} // namespace
} // namespace omnigraph::format
