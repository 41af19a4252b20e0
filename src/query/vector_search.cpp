#include "query/vector_search.h"

#include "base/env.h"
#include "format/vector_distance.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <numeric>

namespace omnigraph::query {

namespace {

// A thirty-second of the lists, at least 4: on 200,000 vectors of 768 values in load-sized
// segments (130 lists each), recall@10 0.97 in about 4 ms; 2 probes 0.92 in 2.5 ms, 8 probes
// 0.99 in 7 ms (docs/benchmarks.md, "Vectors"). OMNIGRAPH_VECTOR_PROBES sets it.
constexpr uint32_t kLeastProbes = 4;
constexpr uint32_t kProbeShare = 32;

// Candidates by their coded distance re-ranked by their exact one, per k wanted: the codes'
// error rarely moves a true neighbour beyond three times k.
constexpr uint64_t kRerankPerK = 3;
constexpr uint64_t kRerankExtra = 16;

// What searches keep of one segment's index: its header, then each list's codes once read.
struct SegmentIndexCache {
    const format::SegmentVectorIndex* index = nullptr; // null: the segment has none
    std::mutex mu;
    std::shared_ptr<const format::VectorIndexHeader> header;
    std::vector<std::shared_ptr<const format::VectorCodes>> lists;
};

struct TableIndexCache {
    std::vector<std::unique_ptr<SegmentIndexCache>> segments;
};

const TableIndexCache& cache_of(const LoadedTable& table, uint64_t property_id) {
    auto made = table.derived("vector_index:" + std::to_string(property_id), [&] {
        auto cache = std::make_shared<TableIndexCache>();
        for (size_t s = 0; s < table.segment_count(); ++s) {
            cache->segments.push_back(std::make_unique<SegmentIndexCache>());
            cache->segments.back()->index = table.segment_vector_index(s, property_id);
        }
        return std::shared_ptr<const void>(cache);
    });
    return *static_cast<const TableIndexCache*>(made.get());
}

std::shared_ptr<const format::VectorIndexHeader> header_of(const LoadedTable& table, size_t segment,
                                                           SegmentIndexCache& seg) {
    std::lock_guard lock(seg.mu);
    if (!seg.header) {
        seg.header = std::make_shared<const format::VectorIndexHeader>(
            table.read_vector_header(segment, *seg.index));
        seg.lists.resize(seg.header->lists.size());
    }
    return seg.header;
}

std::shared_ptr<const format::VectorCodes> codes_of(const LoadedTable& table, size_t segment,
                                                    SegmentIndexCache& seg,
                                                    const format::VectorIndexHeader& header,
                                                    uint32_t list) {
    std::lock_guard lock(seg.mu);
    auto& slot = seg.lists.at(list);
    if (!slot)
        slot = std::make_shared<const format::VectorCodes>(
            table.read_vector_codes(segment, *seg.index, header, list));
    return slot;
}

// A row found through the codes, to be re-ranked by its exact vector.
struct Candidate {
    float coded = 0; // the distance its codes tell
    uint32_t row = 0;
    uint32_t segment = 0, list = 0, at = 0; // the `at`th row of that list
    uint64_t sum = 0;                       // the checksum of its exact vector
};

// Probes segment `segment`'s index: its lists nearest the query first, `probes` of them and
// then more until k rows that pass were measured by their codes.
void probe_segment(const LoadedTable& table, size_t segment, SegmentIndexCache& seg,
                   const std::vector<float>& query, uint64_t k, const std::optional<RowSet>& pass,
                   std::vector<Candidate>& found) {
    auto header = header_of(table, segment, seg);
    auto dim = static_cast<uint32_t>(query.size());
    auto lists = static_cast<uint32_t>(header->lists.size());
    std::vector<float> to_centroid(lists);
    format::squared_l2_rows(reinterpret_cast<const char*>(header->centroids.data()), lists,
                            query.data(), dim, to_centroid.data());
    std::vector<uint32_t> order(lists);
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        return to_centroid[a] != to_centroid[b] ? to_centroid[a] < to_centroid[b] : a < b;
    });
    // The query in code space: Σ step² (code - (q - low) / step)² is its distance to a code.
    std::vector<float> target(dim), weight(dim);
    for (uint32_t d = 0; d < dim; ++d) {
        target[d] = (query[d] - header->low[d]) / header->step[d];
        weight[d] = header->step[d] * header->step[d];
    }
    uint32_t probes = vector_probes(lists);
    uint64_t passing = 0;
    for (uint32_t i = 0; i < lists && (i < probes || passing < k); ++i) {
        auto codes = codes_of(table, segment, seg, *header, order[i]);
        for (size_t j = 0; j < codes->rows.size(); ++j) {
            auto row = table.row_of(segment, codes->rows[j]);
            if (!row || (pass && !pass->contains(*row)))
                continue;
            float d = format::coded_l2(&codes->codes[j * dim], target.data(), weight.data(), dim);
            found.push_back({d, *row, static_cast<uint32_t>(segment), order[i],
                             static_cast<uint32_t>(j), codes->vector_sums[j]});
            ++passing;
        }
    }
}

// Measures every passing row of a segment without an index, through its column's cells.
void measure_segment(const LoadedTable& table, size_t segment, uint64_t property_id,
                     const std::vector<float>& query, const std::optional<RowSet>& pass,
                     std::vector<VectorHit>& hits) {
    auto dim = static_cast<uint32_t>(query.size());
    for (uint64_t f = 0; f < table.segment_file_rows(segment); ++f) {
        auto row = table.row_of(segment, f);
        if (!row || (pass && !pass->contains(*row)))
            continue;
        auto [col, at] = table.cell(property_id, *row);
        if (col->is_null(at))
            continue;
        float d = format::squared_l2(col->fixed_row(at), query.data(), dim);
        if (!std::isnan(d))
            hits.push_back({d, *row});
    }
}

} // namespace

uint32_t vector_probes(uint32_t lists) {
    uint64_t set = base::env_uint_or("OMNIGRAPH_VECTOR_PROBES", 0, 0, UINT32_MAX);
    uint32_t probes = set ? static_cast<uint32_t>(set)
                          : std::max(kLeastProbes, (lists + kProbeShare - 1) / kProbeShare);
    return std::min(lists, probes);
}

std::string vector_index_summary(const LoadedTable& table, uint64_t property_id) {
    size_t indexed = 0;
    uint32_t fewest = UINT32_MAX, most = 0;
    for (size_t s = 0; s < table.segment_count(); ++s)
        if (const auto* index = table.segment_vector_index(s, property_id)) {
            ++indexed;
            fewest = std::min(fewest, index->lists);
            most = std::max(most, index->lists);
        }
    std::string segments = std::to_string(table.segment_count()) + " segment" +
                           (table.segment_count() == 1 ? "" : "s");
    if (indexed == 0)
        return "exact: no vector index in the " + segments + " (each measures every row)";
    auto lists = [](uint32_t n) {
        return std::to_string(vector_probes(n)) + " of " + std::to_string(n);
    };
    return "vector index (ivf_sq8) in " + std::to_string(indexed) + " of " + segments + ": " +
           (fewest == most ? lists(most) : lists(fewest) + " to " + lists(most)) +
           " lists probed in each, when that measures fewer rows than the scan";
}

std::optional<std::vector<VectorHit>> nearest_by_index(const LoadedTable& table,
                                                       uint64_t property_id,
                                                       const std::vector<float>& query, uint64_t k,
                                                       const std::optional<RowSet>& pass) {
    if (k == 0 || query.empty())
        return std::nullopt;
    const TableIndexCache& cache = cache_of(table, property_id);
    // What probing measures (a share of each indexed segment, every row of the others)
    // against what a scan measures (every passing row).
    uint64_t probed = 0, indexed_rows = 0;
    for (size_t s = 0; s < cache.segments.size(); ++s) {
        const format::SegmentVectorIndex* index = cache.segments[s]->index;
        if (!index) {
            probed += table.segment_file_rows(s);
            continue;
        }
        indexed_rows += index->rows;
        probed += index->rows * vector_probes(index->lists) / index->lists + index->lists;
    }
    uint64_t scanned = pass ? pass->count() : table.size();
    if (indexed_rows == 0 || scanned <= 2 * probed)
        return std::nullopt;
    std::vector<VectorHit> hits;
    std::vector<Candidate> found;
    for (size_t s = 0; s < cache.segments.size(); ++s) {
        SegmentIndexCache& seg = *cache.segments[s];
        if (seg.index)
            probe_segment(table, s, seg, query, k, pass, found);
        else
            measure_segment(table, s, property_id, query, pass, hits);
    }
    // The best by their codes, re-ranked by their exact vectors.
    uint64_t rerank = std::min<uint64_t>(found.size(), kRerankPerK * k + kRerankExtra);
    auto by_code = [](const Candidate& a, const Candidate& b) { return a.coded < b.coded; };
    std::nth_element(found.begin(), found.begin() + static_cast<long>(rerank), found.end(),
                     by_code);
    auto dim = static_cast<uint32_t>(query.size());
    for (uint64_t i = 0; i < rerank; ++i) {
        const Candidate& c = found[i];
        SegmentIndexCache& seg = *cache.segments[c.segment];
        auto header = header_of(table, c.segment, seg);
        std::vector<float> exact =
            table.read_vector_value(c.segment, *seg.index, *header, c.list, c.at, c.sum);
        hits.push_back(
            {format::squared_l2(reinterpret_cast<const char*>(exact.data()), query.data(), dim),
             c.row});
    }
    if (hits.size() < k)
        return std::nullopt;
    auto kth = hits.begin() + static_cast<long>(k - 1);
    auto nearer = [](const VectorHit& a, const VectorHit& b) { return a.distance < b.distance; };
    std::nth_element(hits.begin(), kth, hits.end(), nearer);
    float bound = kth->distance;
    std::erase_if(hits, [&](const VectorHit& h) { return h.distance > bound; });
    return hits;
}

} // namespace omnigraph::query
