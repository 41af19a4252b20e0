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

// A thirty-second of the lists, at least 8: about 3% of a large segment's vectors, the share
// LanceDB's default probes too (20 of √n lists at 200k rows); docs/benchmarks.md, "Vectors",
// measures recall and latency. OMNIGRAPH_VECTOR_PROBES sets it.
constexpr uint32_t kLeastProbes = 8;
constexpr uint32_t kProbeShare = 32;

// What searches keep of one segment's index: its header, then each list once read.
struct SegmentIndexCache {
    const format::SegmentVectorIndex* index = nullptr; // null: the segment has none
    std::mutex mu;
    std::shared_ptr<const format::VectorIndexHeader> header;
    std::vector<std::shared_ptr<const format::VectorList>> lists;
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

std::shared_ptr<const format::VectorList> list_of(const LoadedTable& table, size_t segment,
                                                  SegmentIndexCache& seg,
                                                  const format::VectorIndexHeader& header,
                                                  uint32_t list) {
    std::lock_guard lock(seg.mu);
    auto& slot = seg.lists.at(list);
    if (!slot)
        slot = std::make_shared<const format::VectorList>(
            table.read_vector_list(segment, *seg.index, header, list));
    return slot;
}

// Probes segment `segment`'s index: its lists nearest the query first, `probes` of them and
// then more until k rows that pass were measured.
void probe_segment(const LoadedTable& table, size_t segment, SegmentIndexCache& seg,
                   const std::vector<float>& query, uint64_t k, const std::optional<RowSet>& pass,
                   std::vector<VectorHit>& hits) {
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
    uint32_t probes = vector_probes(lists);
    uint64_t found = 0;
    for (uint32_t i = 0; i < lists && (i < probes || found < k); ++i) {
        auto list = list_of(table, segment, seg, *header, order[i]);
        for (size_t j = 0; j < list->rows.size(); ++j) {
            auto row = table.row_of(segment, list->rows[j]);
            if (!row || (pass && !pass->contains(*row)))
                continue;
            float d = format::squared_l2(
                reinterpret_cast<const char*>(list->vectors.data() + j * dim), query.data(), dim);
            hits.push_back({d, *row});
            ++found;
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
    return "vector index (ivf_flat) in " + std::to_string(indexed) + " of " + segments + ": " +
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
    for (size_t s = 0; s < cache.segments.size(); ++s) {
        SegmentIndexCache& seg = *cache.segments[s];
        if (seg.index)
            probe_segment(table, s, seg, query, k, pass, hits);
        else
            measure_segment(table, s, property_id, query, pass, hits);
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
