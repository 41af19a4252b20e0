#include "format/vector_index.h"

#include "base/checksum.h"
#include "base/parallel.h"
#include "format/little_endian.h"
#include "format/segment.h"
#include "format/vector_distance.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace omnigraph::format {

namespace {

// k-means trains on a sample of this many vectors per list (FAISS warns below 39), for this
// many rounds: the lists need only be good enough for a probe of a few percent of them to
// find the nearest rows, not optimal.
constexpr uint64_t kSamplePerList = 40;
constexpr int kRounds = 10;
constexpr size_t kPiece = 2048; // vectors per parallel piece of an assignment

Error corrupt(const std::string& why) {
    return Error(kSegmentCorrupt, "corrupt segment: vector index " + why);
}

uint64_t next_random(uint64_t& state) { // splitmix64: deterministic, good enough to sample
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

bool finite_vector(const char* at, uint32_t dim) {
    for (uint32_t i = 0; i < dim; ++i) {
        float x;
        std::memcpy(&x, at + size_t(i) * sizeof(float), sizeof(float));
        if (!std::isfinite(x))
            return false;
    }
    return true;
}

// The vectors k-means works on: rows of the column, by pointer into its bytes.
struct Points {
    std::vector<const char*> at;
    uint32_t dim = 0;
};

// The centroid nearest to each point, into `out`, on the machine's cores.
void assign(const Points& points, const std::vector<float>& centroids, uint32_t lists,
            std::vector<uint32_t>& out) {
    out.resize(points.at.size());
    size_t pieces = (points.at.size() + kPiece - 1) / kPiece;
    base::parallel_for(pieces, [&](size_t piece) {
        size_t end = std::min(points.at.size(), (piece + 1) * kPiece);
        for (size_t i = piece * kPiece; i < end; ++i) {
            uint32_t best = 0;
            float best_d = INFINITY;
            for (uint32_t c = 0; c < lists; ++c) {
                float d =
                    squared_l2(points.at[i], centroids.data() + size_t(c) * points.dim, points.dim);
                if (d < best_d) {
                    best_d = d;
                    best = c;
                }
            }
            out[i] = best;
        }
    });
}

// Initial centroids by k-means++: each next one a sample point drawn with probability
// proportional to its squared distance from the nearest chosen so far, so that they spread
// over the data instead of crowding where it is dense.
std::vector<float> spread_seeds(const Points& sample, uint32_t lists, uint64_t& state) {
    uint32_t dim = sample.dim;
    size_t n = sample.at.size();
    std::vector<float> centroids(size_t(lists) * dim);
    std::vector<float> nearest(n, INFINITY);
    size_t pick = 0;
    for (uint32_t c = 0; c < lists; ++c) {
        std::memcpy(&centroids[size_t(c) * dim], sample.at[pick], size_t(dim) * sizeof(float));
        const float* chosen = &centroids[size_t(c) * dim];
        size_t pieces = (n + kPiece - 1) / kPiece;
        base::parallel_for(pieces, [&](size_t piece) {
            for (size_t i = piece * kPiece; i < std::min(n, (piece + 1) * kPiece); ++i)
                nearest[i] = std::min(nearest[i], squared_l2(sample.at[i], chosen, dim));
        });
        double total = 0;
        for (float d : nearest)
            total += d;
        if (!(total > 0)) { // every point is a centroid already: take the next ones in order
            pick = (pick + 1) % n;
            continue;
        }
        double at = double(next_random(state) >> 11) / double(uint64_t(1) << 53) * total;
        for (pick = 0; pick + 1 < n && (at -= nearest[pick]) > 0; ++pick) {
        }
    }
    return centroids;
}

// Lloyd's k-means over `sample` from spread seeds. After each round a list holding under an
// eighth of the average share takes half of the largest list (its centroid split in two, as
// FAISS does for empty lists): on data where a few lists would swallow most points, a probe
// of a few lists would otherwise scan most rows.
std::vector<float> train(const Points& sample, uint32_t lists, uint64_t& state) {
    uint32_t dim = sample.dim;
    std::vector<float> centroids = spread_seeds(sample, lists, state);
    std::vector<uint32_t> owner, previous;
    std::vector<double> sums(size_t(lists) * dim);
    std::vector<uint64_t> counts(lists);
    double least = double(sample.at.size()) / double(lists) / 8;
    constexpr float kSplit = 1.0f / 1024;
    for (int round = 0; round < kRounds; ++round) {
        assign(sample, centroids, lists, owner);
        if (owner == previous)
            break;
        std::fill(sums.begin(), sums.end(), 0.0);
        std::fill(counts.begin(), counts.end(), 0);
        for (size_t i = 0; i < sample.at.size(); ++i) {
            double* sum = &sums[size_t(owner[i]) * dim];
            for (uint32_t d = 0; d < dim; ++d) {
                float x;
                std::memcpy(&x, sample.at[i] + size_t(d) * sizeof(float), sizeof(float));
                sum[d] += x;
            }
            ++counts[owner[i]];
        }
        for (uint32_t c = 0; c < lists; ++c)
            if (counts[c] != 0)
                for (uint32_t d = 0; d < dim; ++d)
                    centroids[size_t(c) * dim + d] =
                        static_cast<float>(sums[size_t(c) * dim + d] / double(counts[c]));
        for (uint32_t c = 0; c < lists; ++c) {
            if (double(counts[c]) >= least)
                continue;
            auto largest = static_cast<uint32_t>(std::max_element(counts.begin(), counts.end()) -
                                                 counts.begin());
            if (double(counts[largest]) < 2 * least + 2)
                break;
            float* big = &centroids[size_t(largest) * dim];
            float* small = &centroids[size_t(c) * dim];
            for (uint32_t d = 0; d < dim; ++d) {
                small[d] = big[d] * (1 + (d % 2 ? kSplit : -kSplit));
                big[d] = big[d] * (1 + (d % 2 ? -kSplit : kSplit));
            }
            counts[c] = counts[largest] / 2;
            counts[largest] -= counts[c];
        }
        previous.swap(owner);
    }
    return centroids;
}

} // namespace

Result<std::optional<VectorIndex>> build_vector_index(const Column& column, uint64_t min_rows) {
    if (column.type().kind != PhysicalKind::kVector || column.type().dim == 0)
        return Error(codes::kInvalidArgument, "a vector index needs a Vector column");
    if (column.size() > UINT32_MAX)
        return Error(codes::kInvalidArgument, "segment too large for a vector index");
    Points all;
    all.dim = column.type().dim;
    // The threshold counts non-NULL vectors, as a footer's null count tells (optimize decides
    // from it whether a segment lacks its index).
    if (column.size() - column.null_count() < min_rows)
        return std::optional<VectorIndex>();
    std::vector<uint32_t> rows;
    for (size_t r = 0; r < column.size(); ++r)
        if (!column.is_null(r) && finite_vector(column.fixed_row(r), all.dim)) {
            rows.push_back(static_cast<uint32_t>(r));
            all.at.push_back(column.fixed_row(r));
        }
    if (rows.empty())
        return std::optional<VectorIndex>();
    auto lists = static_cast<uint32_t>(
        std::clamp<double>(std::round(std::sqrt(double(rows.size()))), 1, double(rows.size())));
    // The sample: a seeded partial shuffle, so that data loaded in any order trains alike.
    uint64_t want = std::min<uint64_t>(rows.size(), uint64_t(lists) * kSamplePerList);
    std::vector<uint32_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0u);
    uint64_t state = 0x6F6D6E6967726170ULL; // "omnigrap"
    for (uint64_t i = 0; i < want; ++i)
        std::swap(order[i], order[i + next_random(state) % (order.size() - i)]);
    Points sample;
    sample.dim = all.dim;
    for (uint64_t i = 0; i < want; ++i)
        sample.at.push_back(all.at[order[i]]);

    VectorIndex index;
    index.dim = all.dim;
    // The quantizer: each dimension's range over the indexed vectors in 255 steps.
    index.low.assign(all.dim, INFINITY);
    std::vector<float> high(all.dim, -INFINITY);
    for (const char* at : all.at)
        for (uint32_t d = 0; d < all.dim; ++d) {
            float x;
            std::memcpy(&x, at + size_t(d) * sizeof(float), sizeof(float));
            index.low[d] = std::min(index.low[d], x);
            high[d] = std::max(high[d], x);
        }
    index.step.resize(all.dim);
    for (uint32_t d = 0; d < all.dim; ++d) {
        float step = (high[d] - index.low[d]) / 255.0f;
        index.step[d] = std::isfinite(step) && step > 0 ? step : 1.0f;
    }
    index.centroids = train(sample, lists, state);
    std::vector<uint32_t> owner;
    assign(all, index.centroids, lists, owner);
    index.lists.resize(lists);
    for (size_t i = 0; i < rows.size(); ++i) {
        VectorList& list = index.lists[owner[i]];
        list.rows.push_back(rows[i]);
        size_t from = list.vectors.size();
        list.vectors.resize(from + all.dim);
        std::memcpy(&list.vectors[from], all.at[i], size_t(all.dim) * sizeof(float));
        list.codes.resize(from + all.dim);
        quantize(&list.vectors[from], index.low.data(), index.step.data(), all.dim,
                 &list.codes[from]);
    }
    return std::optional<VectorIndex>(std::move(index));
}

void quantize(const float* vector, const float* low, const float* step, uint32_t dim,
              uint8_t* out) {
    for (uint32_t d = 0; d < dim; ++d) {
        float c = std::round((vector[d] - low[d]) / step[d]);
        out[d] = static_cast<uint8_t>(std::clamp(c, 0.0f, 255.0f));
    }
}

std::string encode_vector_codes(const VectorList& list) {
    size_t dim = list.rows.empty() ? 0 : list.vectors.size() / list.rows.size();
    std::string out;
    out.reserve(list.rows.size() * (sizeof(uint32_t) + dim + sizeof(uint64_t)));
    for (uint32_t r : list.rows)
        put_le<uint32_t>(out, r);
    out.append(reinterpret_cast<const char*>(list.codes.data()), list.codes.size());
    for (size_t j = 0; j < list.rows.size(); ++j)
        put_le<uint64_t>(out, base::xxh3_64(std::string_view(
                                  reinterpret_cast<const char*>(list.vectors.data() + j * dim),
                                  dim * sizeof(float))));
    return out;
}

Result<VectorCodes> decode_vector_codes(std::string_view raw, uint32_t dim, uint32_t rows,
                                        uint64_t segment_rows) {
    size_t want = size_t(rows) * (sizeof(uint32_t) + dim + sizeof(uint64_t));
    if (raw.size() != want)
        return corrupt("list of " + std::to_string(rows) + " rows holds " +
                       std::to_string(raw.size()) + " bytes of codes, not " + std::to_string(want));
    VectorCodes list;
    list.rows.resize(rows);
    for (uint32_t i = 0; i < rows; ++i) {
        list.rows[i] = get_le<uint32_t>(raw.data() + size_t(i) * sizeof(uint32_t));
        if (list.rows[i] >= segment_rows || (i != 0 && list.rows[i] <= list.rows[i - 1]))
            return corrupt("list names row " + std::to_string(list.rows[i]) +
                           " out of order or beyond the segment's " + std::to_string(segment_rows));
    }
    const char* codes = raw.data() + size_t(rows) * sizeof(uint32_t);
    list.codes.assign(reinterpret_cast<const uint8_t*>(codes),
                      reinterpret_cast<const uint8_t*>(codes) + size_t(rows) * dim);
    const char* sums = codes + size_t(rows) * dim;
    list.vector_sums.resize(rows);
    for (uint32_t i = 0; i < rows; ++i)
        list.vector_sums[i] = get_le<uint64_t>(sums + size_t(i) * sizeof(uint64_t));
    return list;
}

std::string encode_vector_values(const VectorList& list) {
    return std::string(reinterpret_cast<const char*>(list.vectors.data()),
                       list.vectors.size() * sizeof(float));
}

std::string encode_vector_header(const VectorIndexHeader& header) {
    std::string out;
    for (const auto& ref : header.lists) {
        put_le<uint64_t>(out, ref.codes_offset);
        put_le<uint64_t>(out, ref.codes_length);
        put_le<uint32_t>(out, ref.rows);
        put_le<uint64_t>(out, ref.codes_checksum);
        put_le<uint64_t>(out, ref.vectors_offset);
    }
    for (const auto* floats : {&header.low, &header.step, &header.centroids})
        out.append(reinterpret_cast<const char*>(floats->data()), floats->size() * sizeof(float));
    return out;
}

Result<VectorIndexHeader> decode_vector_header(std::string_view raw, uint32_t dim, uint32_t lists,
                                               uint64_t data_end) {
    constexpr size_t kRef = 8 + 8 + 4 + 8 + 8;
    size_t want = size_t(lists) * kRef + (size_t(2) + lists) * dim * sizeof(float);
    if (raw.size() != want)
        return corrupt("header of " + std::to_string(lists) + " lists holds " +
                       std::to_string(raw.size()) + " bytes, not " + std::to_string(want));
    VectorIndexHeader header;
    header.dim = dim;
    header.lists.resize(lists);
    for (uint32_t i = 0; i < lists; ++i) {
        const char* p = raw.data() + size_t(i) * kRef;
        VectorListRef& ref = header.lists[i];
        ref.codes_offset = get_le<uint64_t>(p);
        ref.codes_length = get_le<uint64_t>(p + 8);
        ref.rows = get_le<uint32_t>(p + 16);
        ref.codes_checksum = get_le<uint64_t>(p + 20);
        ref.vectors_offset = get_le<uint64_t>(p + 28);
        uint64_t vectors_length = uint64_t(ref.rows) * dim * sizeof(float);
        if (ref.codes_offset > data_end || ref.codes_length > data_end - ref.codes_offset ||
            ref.vectors_offset > data_end || vectors_length > data_end - ref.vectors_offset)
            return corrupt("list " + std::to_string(i) + " lies outside the data area");
    }
    const char* floats = raw.data() + size_t(lists) * kRef;
    auto take = [&](std::vector<float>& into, size_t n) {
        into.resize(n);
        std::memcpy(into.data(), floats, n * sizeof(float));
        floats += n * sizeof(float);
    };
    take(header.low, dim);
    take(header.step, dim);
    take(header.centroids, size_t(lists) * dim);
    for (const auto* values : {&header.low, &header.centroids})
        for (float x : *values)
            if (!std::isfinite(x))
                return corrupt("quantizer or centroid holds a non-finite value");
    for (float x : header.step)
        if (!std::isfinite(x) || x <= 0)
            return corrupt("quantizer step is not a positive number");
    return header;
}

} // namespace omnigraph::format
