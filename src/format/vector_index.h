// The vector (ANN) index of a Vector(dim) column of one segment: IVF-Flat. The segment's vectors
// are clustered by k-means into about √n lists, each with its centroid; a list holds its rows
// and a copy of their vectors, stored together. A search measures the query against the
// centroids, then scans only the nearest lists' vectors (query/vector_search.h): a few percent
// of the rows, read with one ranged read per list, and distances that are exact (the same
// kernel and the same floats as a scan), so only which rows are found is approximate.
//
// Chosen over HNSW and FAISS's IVF-PQ by measurement (docs/benchmarks.md, "Vector index"):
// it builds in seconds, a cold search reads a few lists rather than a whole graph, and it
// filters (a prefilter is a list scan that skips rows) without a second structure.
//
// Stored as a header chunk (the centroids and, per list, its byte range, row count and
// checksum) that the footer's checksum covers, and one chunk per list that the header's
// checksum covers (docs/format/segment.md, "Vector indexes"). Raw encoding, little-endian:
//   header: { offset u64  length u64  rows u32  checksum u64 }[lists]  centroid f32[lists*dim]
//   list:   row u32[rows] (strictly increasing)  vector f32[rows*dim]
// Rows whose vector is NULL or holds a NaN or infinity are in no list (they have no distance).
// Plain values; the functions are pure and thread-safe.
#pragma once

#include "base/error.h"
#include "format/column.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::format {

// Fewer rows with a vector than this in a segment: no index (scanning them all takes about a
// millisecond, as long as probing an index).
inline constexpr uint64_t kDefaultVectorIndexMinRows = 20'000;

struct VectorList {
    std::vector<uint32_t> rows; // the segment's file rows, ascending
    std::vector<float> vectors; // rows.size() * dim, in the order of `rows`
};

struct VectorIndex {
    uint32_t dim = 0;
    std::vector<float> centroids; // lists * dim
    std::vector<VectorList> lists;
};

// Clusters the vectors of `column` (kVector) into lists. nullopt when fewer than `min_rows`
// rows have a vector (are not NULL), or none is finite. Deterministic: the same column gives the
// same index. Uses up to the machine's cores.
Result<std::optional<VectorIndex>> build_vector_index(const Column& column, uint64_t min_rows);

// Where a stored list lies in the segment file.
struct VectorListRef {
    uint64_t offset = 0, length = 0;
    uint32_t rows = 0;
    uint64_t checksum = 0; // xxh3-64 of the stored bytes
};

struct VectorIndexHeader {
    uint32_t dim = 0;
    std::vector<float> centroids; // lists * dim
    std::vector<VectorListRef> lists;
};

std::string encode_vector_list(const VectorList& list);
// Decodes a list of `rows` rows of `dim` values from a segment of `segment_rows` rows,
// checking the invariants above; segment_corrupt when they do not hold.
Result<VectorList> decode_vector_list(std::string_view raw, uint32_t dim, uint32_t rows,
                                      uint64_t segment_rows);

std::string encode_vector_header(const VectorIndexHeader& header);
// Decodes a header of `lists` lists of `dim`-value centroids whose lists lie in the first
// `data_end` bytes of the file; segment_corrupt when it does not read.
Result<VectorIndexHeader> decode_vector_header(std::string_view raw, uint32_t dim, uint32_t lists,
                                               uint64_t data_end);

} // namespace omnigraph::format
