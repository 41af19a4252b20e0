// nearest() through the segments' vector indexes (format/vector_index.h): the top k of a
// `order nearest(…) limit k` found by probing a few lists per segment instead of measuring
// every row. Rows of segments without an index (too few vectors to have one) are measured
// one by one, so the answer covers the whole table version.
//
// Prefilter semantics hold: only rows that pass the scan's filters are candidates, and a
// segment keeps probing past its usual lists until k passing rows are found (or its lists
// run out). Distances are exact; what is approximate is only whether a near row sits in a
// list that was not probed.
//
// What a search reads is kept with the table version (LoadedTable::derived) and shared by every
// query of it: the headers, and the codes of the lists used lately up to a bound
// (OMNIGRAPH_VECTOR_CACHE_MB). Safe to call from any number of threads.
#pragma once

#include "query/loaded_table.h"
#include "query/row_set.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::query {

struct VectorHit {
    float distance = 0; // squared L2, as format::squared_l2 measures it
    uint32_t row = 0;   // table row
};

// The exact distance of a table row's vector to the query, nullopt when it has none (NULL,
// NaN): the ranking's own score (query/nearest.cpp), which measures rows of segments without
// an index.
using ExactDistance = std::function<std::optional<double>(uint32_t)>;

// The rows of `pass` (every row when nullopt) nearest to `query` under property
// `property_id` (Vector(query.size())) of `table`: the k nearest found, and any found that tie
// with the k-th, with their distances. nullopt when the index does not pay — no segment has
// one, or so few rows pass that measuring them costs less than probing — or when fewer than k
// rows with a vector were found (the exact scan then ranks them, NULLs last).
std::optional<std::vector<VectorHit>>
nearest_by_index(const LoadedTable& table, uint64_t property_id, const std::vector<float>& query,
                 uint64_t k, const std::optional<RowSet>& pass, const ExactDistance& exact);

// Lists probed in a segment's index of `lists` lists before it stops at k passing rows.
uint32_t vector_probes(uint32_t lists);

// For --explain: how nearest() over the property would search the table version, e.g.
// "vector index (ivf_sq8) in 2 of 3 segments: 14 of 447 lists probed in each".
std::string vector_index_summary(const LoadedTable& table, uint64_t property_id);

} // namespace omnigraph::query
