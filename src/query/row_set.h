// The rows of one table version that pass a variable's pushed predicates. A key lookup pins
// at most a few rows: those are kept as a sorted list, so planning and scanning cost what the
// lookup found, not the table's size. Other predicates keep one byte per row.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace omnigraph::query {

class RowSet {
  public:
    // A set given by its rows (sorted and distinct): a key lookup's, a top-k cutoff's.
    static RowSet of_rows(std::vector<uint32_t> sorted) {
        RowSet s;
        s.sparse_ = true;
        s.count_ = sorted.size();
        s.rows_ = std::move(sorted);
        return s;
    }
    // A set given by one byte per table row (1: in the set).
    static RowSet of_mask(std::vector<uint8_t> mask) {
        RowSet s;
        s.count_ = static_cast<size_t>(std::count(mask.begin(), mask.end(), 1));
        s.mask_ = std::move(mask);
        return s;
    }

    size_t count() const { return count_; }
    bool contains(uint32_t row) const {
        return sparse_ ? std::binary_search(rows_.begin(), rows_.end(), row)
                       : row < mask_.size() && mask_[row] != 0;
    }

    // Appends to `out` the set's rows at or after `from`, in order, until `out` holds `most`
    // rows; returns where the next call starts (the row after the last one visited).
    uint32_t take(uint32_t from, size_t most, std::vector<uint32_t>& out) const {
        if (sparse_) {
            auto it = std::lower_bound(rows_.begin(), rows_.end(), from);
            for (; it != rows_.end() && out.size() < most; ++it)
                out.push_back(*it);
            return it == rows_.end() ? UINT32_MAX : *it;
        }
        auto n = static_cast<uint32_t>(mask_.size());
        uint32_t r = from;
        for (; r < n && out.size() < most; ++r)
            if (mask_[r])
                out.push_back(r);
        return r;
    }

  private:
    bool sparse_ = false;
    size_t count_ = 0;
    std::vector<uint32_t> rows_; // sparse
    std::vector<uint8_t> mask_;  // dense
};

} // namespace omnigraph::query
