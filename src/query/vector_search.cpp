#include "query/vector_search.h"

#include "base/env.h"
#include "base/parallel.h"
#include "format/vector_distance.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <numeric>

namespace omnigraph::query {

namespace {

// A thirty-second of the lists, at least 4: on 200,000 vectors of 768 values in load-sized
// segments (130 lists each), recall@10 0.97 in about 2.5 ms; 2 probes 0.92 in 1.7 ms, 8 probes
// 0.99 in 3.6 ms (docs/benchmarks.md, "Vectors"). OMNIGRAPH_VECTOR_PROBES sets it.
constexpr uint32_t kLeastProbes = 4;
constexpr uint32_t kProbeShare = 32;

// Candidates by their coded distance re-ranked by their exact one, per k wanted: the codes'
// error rarely moves a true neighbour beyond three times k.
constexpr uint64_t kRerankPerK = 3;
constexpr uint64_t kRerankExtra = 16;
constexpr size_t kRemoteReads = 8; // exact vectors read at once from a remote store
constexpr uint64_t kReadCost = 8;  // rows a scan measures in the time of one exact read
// Codes kept per table version and property: 64 MiB, the codes of 83,000 vectors of 768
// values. On the benchmark's 200,000 (docs/benchmarks.md, "Vectors") a query's first run takes
// 4.1 ms with it, 2.9 ms with every list kept, 6.0 ms with none kept.
constexpr uint64_t kDefaultCacheMb = 64;

// What searches keep of one segment's index: its header, and the codes of lists read lately.
struct SegmentIndexCache {
    const format::SegmentVectorIndex* index = nullptr; // null: the segment has none
    std::shared_ptr<const format::VectorIndexHeader> header;
    std::vector<std::shared_ptr<const format::VectorCodes>> lists;
    std::vector<uint64_t> last_used; // per list: the tick of its last use
};

// The codes kept are bounded (OMNIGRAPH_VECTOR_CACHE_MB per table version and property): over
// the bound, the lists used least lately go, as a buffer pool would. A query holds the lists it
// probes (shared_ptr) for as long as it reads them. One mutex: cold reads happen outside it.
struct TableIndexCache {
    std::vector<SegmentIndexCache> segments;
    std::mutex mu;
    uint64_t held = 0, budget = 0, tick = 0;
};

uint64_t codes_bytes(const format::VectorCodes& c) {
    return c.rows.size() * sizeof(uint32_t) + c.codes.size() + c.vector_sums.size() * 8;
}

TableIndexCache& cache_of(const LoadedTable& table, uint64_t property_id) {
    auto made = table.derived("vector_index:" + std::to_string(property_id), [&] {
        auto cache = std::make_shared<TableIndexCache>();
        cache->segments.resize(table.segment_count());
        for (size_t s = 0; s < table.segment_count(); ++s)
            cache->segments[s].index = table.segment_vector_index(s, property_id);
        cache->budget = base::env_uint_or("OMNIGRAPH_VECTOR_CACHE_MB", kDefaultCacheMb, 0, 1u << 20)
                        << 20;
        return std::shared_ptr<const void>(cache);
    });
    // Made above as a mutable TableIndexCache; derived() hands every product out as const.
    return *static_cast<TableIndexCache*>(const_cast<void*>(made.get()));
}

std::shared_ptr<const format::VectorIndexHeader> header_of(const LoadedTable& table, size_t segment,
                                                           TableIndexCache& cache) {
    SegmentIndexCache& seg = cache.segments[segment];
    {
        std::lock_guard lock(cache.mu);
        if (seg.header)
            return seg.header;
    }
    auto read = std::make_shared<const format::VectorIndexHeader>(
        table.read_vector_header(segment, *seg.index));
    std::lock_guard lock(cache.mu);
    if (!seg.header) {
        seg.header = std::move(read);
        seg.lists.resize(seg.header->lists.size());
        seg.last_used.resize(seg.header->lists.size());
    }
    return seg.header;
}

// Drops the codes used least lately until `cache` holds at most its budget (`keep` stays).
void evict(TableIndexCache& cache, const format::VectorCodes* keep) {
    while (cache.held > cache.budget) {
        SegmentIndexCache* oldest_segment = nullptr;
        size_t oldest = 0;
        for (auto& seg : cache.segments)
            for (size_t l = 0; l < seg.lists.size(); ++l)
                if (seg.lists[l] && seg.lists[l].get() != keep &&
                    (!oldest_segment || seg.last_used[l] < oldest_segment->last_used[oldest])) {
                    oldest_segment = &seg;
                    oldest = l;
                }
        if (!oldest_segment)
            return;
        cache.held -= codes_bytes(*oldest_segment->lists[oldest]);
        oldest_segment->lists[oldest].reset();
    }
}

std::shared_ptr<const format::VectorCodes> codes_of(const LoadedTable& table, size_t segment,
                                                    TableIndexCache& cache,
                                                    const format::VectorIndexHeader& header,
                                                    uint32_t list) {
    SegmentIndexCache& seg = cache.segments[segment];
    {
        std::lock_guard lock(cache.mu);
        if (auto kept = seg.lists.at(list)) {
            seg.last_used[list] = ++cache.tick;
            return kept;
        }
    }
    auto read = std::make_shared<const format::VectorCodes>(
        table.read_vector_codes(segment, *seg.index, header, list));
    std::lock_guard lock(cache.mu);
    auto& slot = seg.lists.at(list);
    if (!slot) {
        slot = std::move(read);
        cache.held += codes_bytes(*slot);
        evict(cache, slot.get());
    }
    seg.last_used[list] = ++cache.tick;
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
void probe_segment(const LoadedTable& table, size_t segment, TableIndexCache& cache,
                   const std::vector<float>& query, uint64_t k, const std::optional<RowSet>& pass,
                   std::vector<Candidate>& found) {
    auto header = header_of(table, segment, cache);
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
    // A code's value is low + code * step: its distance to q is Σ (code * step + low - q)².
    std::vector<float> offset(dim);
    for (uint32_t d = 0; d < dim; ++d)
        offset[d] = header->low[d] - query[d];
    uint32_t probes = vector_probes(lists);
    uint64_t passing = 0;
    for (uint32_t i = 0; i < lists && (i < probes || passing < k); ++i) {
        auto codes = codes_of(table, segment, cache, *header, order[i]);
        for (size_t j = 0; j < codes->rows.size(); ++j) {
            auto row = table.row_of(segment, codes->rows[j]);
            if (!row || (pass && !pass->contains(*row)))
                continue;
            float d =
                format::coded_l2(&codes->codes[j * dim], header->step.data(), offset.data(), dim);
            found.push_back({d, *row, static_cast<uint32_t>(segment), order[i],
                             static_cast<uint32_t>(j), codes->vector_sums[j]});
            ++passing;
        }
    }
}

// Measures every passing row of a segment without an index with `exact`.
void measure_segment(const LoadedTable& table, size_t segment, const ExactDistance& exact,
                     const std::optional<RowSet>& pass, std::vector<VectorHit>& hits) {
    for (uint64_t f = 0; f < table.segment_file_rows(segment); ++f) {
        auto row = table.row_of(segment, f);
        if (!row || (pass && !pass->contains(*row)))
            continue;
        if (auto d = exact(*row))
            hits.push_back({static_cast<float>(*d), *row});
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

std::optional<std::vector<VectorHit>>
nearest_by_index(const LoadedTable& table, uint64_t property_id, const std::vector<float>& query,
                 uint64_t k, const std::optional<RowSet>& pass, const ExactDistance& exact) {
    if (k == 0 || query.empty())
        return std::nullopt;
    TableIndexCache& cache = cache_of(table, property_id);
    // What probing measures (a share of each indexed segment, every row of the others, and
    // the re-ranked rows, each a ranged read worth some rows) against what a scan measures
    // (every passing row). An index of another width (the property retyped) is not used.
    uint64_t probed = (kRerankPerK * k + kRerankExtra) * kReadCost, indexed_rows = 0;
    std::vector<bool> usable(cache.segments.size());
    for (size_t s = 0; s < cache.segments.size(); ++s) {
        const format::SegmentVectorIndex* index = cache.segments[s].index;
        usable[s] = index && index->dim == query.size();
        if (!usable[s]) {
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
        if (usable[s])
            probe_segment(table, s, cache, query, k, pass, found);
        else
            measure_segment(table, s, exact, pass, hits);
    }
    // The best by their codes, re-ranked by their exact vectors.
    uint64_t rerank = std::min<uint64_t>(found.size(), kRerankPerK * k + kRerankExtra);
    auto by_code = [](const Candidate& a, const Candidate& b) { return a.coded < b.coded; };
    std::nth_element(found.begin(), found.begin() + static_cast<long>(rerank), found.end(),
                     by_code);
    // One small ranged read each: on S3, several at once.
    auto dim = static_cast<uint32_t>(query.size());
    std::vector<VectorHit> reranked(rerank);
    base::parallel_for(
        rerank,
        [&](size_t i) {
            const Candidate& c = found[i];
            auto header = header_of(table, c.segment, cache);
            std::vector<float> exact = table.read_vector_value(
                c.segment, *cache.segments[c.segment].index, *header, c.list, c.at, c.sum);
            reranked[i] = {
                format::squared_l2(reinterpret_cast<const char*>(exact.data()), query.data(), dim),
                c.row};
        },
        table.remote() ? kRemoteReads : 1);
    hits.insert(hits.end(), reranked.begin(), reranked.end());
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
