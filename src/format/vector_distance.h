// The distance `nearest` ranks by (spec query-language §3.8): squared Euclidean (L2) distance
// between F32 vectors, the metric upstream's vector index uses (its `_distance`). Squared, not
// rooted: the ranking is the same and the figure is the one LanceDB reports. The vector index
// (format/vector_index.h) clusters and searches with the same kernel, so a distance it reports
// is the one an exact scan computes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace omnigraph::format {

// Σ (stored[i] - query[i])² over `dim` values; `stored` is a column's raw bytes (dim F32s, any
// alignment, read with memcpy). Accumulated in float lanes the compiler vectorizes
// (vector_distance.cpp is built at -O3, and for AVX2 too, chosen at run time on x86-64; the
// result is the same float either way).
// NaN in either input gives NaN.
float squared_l2(const char* stored, const float* query, uint32_t dim);

// squared_l2 of each of `rows` vectors stored back to back at `data` against `query`, into
// out[0..rows).
void squared_l2_rows(const char* data, size_t rows, const float* query, uint32_t dim, float* out);

// Σ (code[i] * step[i] + offset[i])²: the squared L2 distance between a vector of 8-bit codes
// (format/vector_index.h, value = low + code * step) and a query q, with offset = low - q. With
// AVX2 and FMA when the CPU has them (fused: the last bits may differ from the portable loop;
// this distance only chooses which rows get an exact one).
float coded_l2(const uint8_t* code, const float* step, const float* offset, uint32_t dim);

} // namespace omnigraph::format
