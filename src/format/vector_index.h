// The vector (ANN) index of a Vector(dim) column of one segment: IVF with 8-bit scalar codes and
// an exact re-rank. The segment's vectors are clustered by k-means into about √n lists, each
// with its centroid. A list holds its rows, an 8-bit code per value (each dimension quantized
// between its smallest and largest value in the segment), and a copy of the exact vectors
// stored apart. A search measures the query against the centroids, scans the codes of the
// nearest lists (a few percent of the rows, a quarter of their bytes), then reads the exact
// vectors of the best few candidates and ranks them by their exact distance (the same kernel
// and the same floats as a scan). Only which rows are found is approximate.
//
// Chosen by measurement (docs/benchmarks.md, "Vector index"): HNSW (hnswlib) searches faster
// but builds 5-7 times slower and keeps every vector in memory; FAISS as Debian builds it is
// slow; IVF builds in seconds, reads a few lists per query, filters (a prefilter is a list
// scan that skips rows) without a second structure, and with codes keeps a quarter of the
// vectors' bytes in memory.
//
// Stored as a header chunk (quantizer, centroids and, per list, where its chunks lie) that the
// footer's checksum covers; per list a codes chunk that the header's checksum covers, holding
// the xxh3-64 of each exact vector; and per list the exact vectors, each read alone and
// verified against its own checksum (docs/format/segment.md, "Vector indexes"). Raw encoding,
// little-endian:
//   header:  { codes_offset u64  codes_length u64  rows u32  codes_checksum u64
//              vectors_offset u64 }[lists]  low f32[dim]  step f32[dim]
//              centroid f32[lists*dim]
//   codes:   row u32[rows] (strictly increasing)  code u8[rows*dim]  vector_sum u64[rows]
//   vectors: f32[rows*dim], in the order of the codes' rows
// A value x has code round((x - low) / step) clamped to [0, 255]; a step is > 0.
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

// Fewer rows with a vector than this in a segment: no index (scanning them all costs about as
// much as probing one). A load writes segments of tens of MB, some 16,000 rows of 768 values.
inline constexpr uint64_t kDefaultVectorIndexMinRows = 4096;

// One list as built: everything of its rows.
struct VectorList {
    std::vector<uint32_t> rows; // the segment's file rows, ascending
    std::vector<uint8_t> codes; // rows.size() * dim
    std::vector<float> vectors; // rows.size() * dim, exact
};

struct VectorIndex {
    uint32_t dim = 0;
    std::vector<float> low, step; // dim each: the quantizer
    std::vector<float> centroids; // lists * dim
    std::vector<VectorList> lists;
};

// Clusters the vectors of `column` (kVector) into lists. nullopt when fewer than `min_rows`
// rows have a vector (are not NULL), or none is finite. Deterministic: the same column gives
// the same index. Uses up to the machine's cores.
Result<std::optional<VectorIndex>> build_vector_index(const Column& column, uint64_t min_rows);

// Where a stored list lies in the segment file.
struct VectorListRef {
    uint64_t codes_offset = 0, codes_length = 0;
    uint32_t rows = 0;
    uint64_t codes_checksum = 0; // xxh3-64 of the codes chunk
    uint64_t vectors_offset = 0; // rows * dim * 4 bytes
};

struct VectorIndexHeader {
    uint32_t dim = 0;
    std::vector<float> low, step;
    std::vector<float> centroids; // lists * dim
    std::vector<VectorListRef> lists;
};

// What a search keeps of a list: the codes chunk decoded.
struct VectorCodes {
    std::vector<uint32_t> rows;
    std::vector<uint8_t> codes;
    std::vector<uint64_t> vector_sums; // xxh3-64 of each exact vector's bytes
};

std::string encode_vector_codes(const VectorList& list);
// Decodes the codes chunk of a list of `rows` rows of `dim` values from a segment of
// `segment_rows` rows, checking the invariants above; segment_corrupt when they do not hold.
Result<VectorCodes> decode_vector_codes(std::string_view raw, uint32_t dim, uint32_t rows,
                                        uint64_t segment_rows);
// The exact vectors of a list, back to back.
std::string encode_vector_values(const VectorList& list);

std::string encode_vector_header(const VectorIndexHeader& header);
// Decodes a header of `lists` lists of `dim` values whose chunks lie in the first `data_end`
// bytes of the file; segment_corrupt when it does not read.
Result<VectorIndexHeader> decode_vector_header(std::string_view raw, uint32_t dim, uint32_t lists,
                                               uint64_t data_end);

// The code of each value of `vector` under the quantizer (low, step), into `out` (dim bytes).
void quantize(const float* vector, const float* low, const float* step, uint32_t dim, uint8_t* out);

} // namespace omnigraph::format
