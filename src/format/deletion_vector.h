// Deletion vectors (docs/format/deletion-vector.md): which rows of one immutable segment are
// deleted. A write that deletes or replaces rows of an existing segment writes a new deletion
// vector (the union of the old one and its own deletions) under a fresh key and points the
// segment's manifest entry at it; the segment itself is never rewritten.
//
// Layout (little-endian): "OGDV", version u8 (1), 3 zero bytes, segment_rows u64,
// deleted_count u64, the deleted rows ascending, each as the LEB128 varint of `row - next`
// where `next` is one past the previous row (0 for the first), then the SHA-256 of everything
// before it (32 bytes). Readers verify the checksum, the count, strict
// ascent and every row < segment_rows.
// Thread-safety: plain values and pure functions.
#pragma once

#include "base/error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::format {

inline constexpr std::string_view kDeletionVectorCorrupt = "deletion_vector_corrupt";

struct DeletionVector {
    uint64_t segment_rows = 0;
    std::vector<uint64_t> rows; // deleted rows, ascending, unique

    bool contains(uint64_t row) const;
    // This vector plus `more` (rows of the same segment, any order, duplicates allowed).
    DeletionVector merged_with(std::vector<uint64_t> more) const;
};

std::string write_deletion_vector(const DeletionVector& dv);
Result<DeletionVector> parse_deletion_vector(std::string_view bytes, std::string_view where);

} // namespace omnigraph::format
