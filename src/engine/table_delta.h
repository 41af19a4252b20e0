// What one side (a branch head, a commit) changed in one table since a base version, row by
// row (merge, spec engine-cli §2.3). Segments are immutable and shared between versions, so the
// change is read off the two manifest entries: the base's segments the side dropped or gave new
// deletions to, and the side's segments the base does not name. Only those deletion vectors and
// the id (and src/dst) columns of the side's own segments are read: the cost follows the
// change, not the table.
#pragma once

#include "engine/table_data.h"

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace omnigraph::engine {

// A row of one of a delta's added segments.
struct AddedRow {
    uint32_t part = 0; // index in TableDelta::added
    uint64_t row = 0;  // row in that segment file
};

struct TableDelta {
    // Live base rows the side no longer has, by base segment key, ascending.
    std::map<std::string, std::vector<uint64_t>> removed;
    // The side's segments the base does not name.
    struct Added {
        format::SegmentRef segment;
        format::DeletionVector deleted; // the side's own deletions in it
        TableData keys;                 // every row's id (and src, dst for edges)
    };
    std::vector<Added> added;
    // The live rows of `added`, by id.
    std::unordered_map<std::string, AddedRow> added_ids;

    bool empty() const { return removed.empty() && added.empty(); }
};

// The change from `base` to `side` (either may be null: a table one of them lacks). `base` and
// `side` must be the same table lifetime (type id and incarnation).
Result<TableDelta> table_delta(store::ObjectStore& store, const format::TableEntry* base,
                               const format::TableEntry& side, bool is_edge);

// Rows `rows` (ascending, unique) of segment `seg` of `entry`, in that order: their ids (src, dst
// for edges) and, with `properties`, every declared property (a property the segment predates
// reads as nulls). Reads only the pages that hold them.
Result<TableData> read_rows(store::ObjectStore& store, const format::TableEntry& entry,
                            const format::SegmentRef& seg, const TableSchema& schema,
                            const std::vector<uint64_t>& rows, bool properties);

// The segment `key` of `entry`; internal when it has none (a delta names only its segments).
Result<const format::SegmentRef*> find_segment(const format::TableEntry& entry,
                                               const std::string& key);

// Rows of one segment read with read_rows, and the row of `data` each segment row landed in.
struct SegmentRows {
    TableData data;
    std::map<uint64_t, size_t> at; // segment row -> row of data
};
// Rows `rows` (any order; repeats read once) of segment `key` of `entry`.
Result<SegmentRows> read_segment_rows(store::ObjectStore& store, const format::TableEntry& entry,
                                      const std::string& key, const TableSchema& schema,
                                      std::vector<uint64_t> rows, bool properties);

// Whether row `i` of `a` and row `j` of `b` (same schema) hold the same values in every
// declared property and, for edges, the same endpoints (spec §2.3: null, "" and [] differ).
bool same_row(const TableData& a, size_t i, const TableData& b, size_t j);

} // namespace omnigraph::engine
