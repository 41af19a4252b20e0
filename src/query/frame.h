// The rows a match block is building: one column of table-row ordinals per bound variable
// (late materialization: properties are read only to filter, project or order). Plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::query {

// Rows of bound variables, column-wise: cols[i][r] is the table row of vars[i] in row r.
struct Frame {
    std::vector<std::string> vars;
    std::vector<std::vector<uint32_t>> cols;
    size_t rows = 0;

    int index_of(std::string_view var) const {
        for (size_t i = 0; i < vars.size(); ++i)
            if (vars[i] == var)
                return static_cast<int>(i);
        return -1;
    }
    bool has(std::string_view var) const { return index_of(var) >= 0; }
    // The bytes its columns hold (what a QueryBudget charged for them).
    uint64_t bytes() const {
        uint64_t n = 0;
        for (const auto& c : cols)
            n += c.size() * sizeof(uint32_t);
        return n;
    }
    // A frame with the same variables and the rows `keep` of this one.
    Frame select(const std::vector<uint32_t>& keep) const {
        Frame out;
        out.vars = vars;
        out.cols.resize(cols.size());
        for (size_t c = 0; c < cols.size(); ++c) {
            out.cols[c].reserve(keep.size());
            for (uint32_t r : keep)
                out.cols[c].push_back(cols[c][r]);
        }
        out.rows = keep.size();
        return out;
    }
};

} // namespace omnigraph::query
