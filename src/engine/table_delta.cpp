#include "engine/table_delta.h"

#include "engine/cell_visit.h"
#include "format/segment.h"

#include <algorithm>
#include <set>

namespace omnigraph::engine {

namespace {

// Rows of a segment that are not deleted.
std::vector<uint64_t> live_rows(const format::DeletionVector& dv, uint64_t rows) {
    std::vector<uint64_t> out;
    out.reserve(rows - dv.rows.size());
    size_t d = 0;
    for (uint64_t r = 0; r < rows; ++r) {
        if (d < dv.rows.size() && dv.rows[d] == r) {
            ++d;
            continue;
        }
        out.push_back(r);
    }
    return out;
}

// The rows of `rows` (ascending) taken from column `info` of `reader`, page by page.
Result<format::Column> pick_rows(const format::SegmentReader& reader,
                                 const format::SegmentColumnInfo& info,
                                 const std::vector<uint64_t>& rows) {
    format::Column out(info.type);
    size_t i = 0;
    while (i < rows.size()) {
        size_t page = info.pages.empty() ? 0 : rows[i] / reader.footer().page_rows;
        format::Column part = OG_TRY(reader.read_page(info, page));
        uint64_t first = info.pages.empty() ? 0 : reader.page_first_row(page);
        for (; i < rows.size() && rows[i] - first < part.size(); ++i)
            out.append_row(part, rows[i] - first);
        if (i < rows.size() && rows[i] < first + part.size())
            return Error(format::kSegmentCorrupt, reader.key() + ": page " + std::to_string(page) +
                                                      " of column " + info.name +
                                                      " does not hold its rows");
    }
    return out;
}

Result<base::StringList> pick_strings(const format::SegmentReader& reader, std::string_view name,
                                      const std::vector<uint64_t>& rows) {
    const format::SegmentColumnInfo* info = reader.footer().find(name);
    if (!info || info->type.kind != format::PhysicalKind::kString)
        return Error(format::kSegmentCorrupt,
                     reader.key() + ": no String column '" + std::string(name) + "'");
    return string_list_of(OG_TRY(pick_rows(reader, *info, rows)), name, reader.key());
}

} // namespace

Result<TableData> read_rows(store::ObjectStore& store, const format::TableEntry& entry,
                            const format::SegmentRef& seg, const TableSchema& schema,
                            const std::vector<uint64_t>& rows, bool properties) {
    auto reader = OG_TRY(open_segment(store, entry, seg));
    TableData out;
    out.is_edge = schema.is_edge;
    out.ids = OG_TRY(pick_strings(reader, "id", rows));
    if (schema.is_edge) {
        out.src = OG_TRY(pick_strings(reader, "src", rows));
        out.dst = OG_TRY(pick_strings(reader, "dst", rows));
    }
    if (!properties || !schema.properties)
        return out;
    for (const auto& [name, type] : *schema.properties) {
        uint64_t id = schema.property_ids->at(name);
        format::ColumnType want = column_type_of(type);
        const format::SegmentColumnInfo* info = reader.footer().find("p:" + std::to_string(id));
        if (!info) {
            format::Column nulls(want);
            for (size_t i = 0; i < rows.size(); ++i)
                nulls.append_null();
            out.columns.emplace(id, std::move(nulls));
            continue;
        }
        if (!(info->type == want))
            return Error(format::kSegmentCorrupt, reader.key() + ": column " + info->name +
                                                      " has type " + info->type.name() + ", not " +
                                                      want.name());
        out.columns.emplace(id, OG_TRY(pick_rows(reader, *info, rows)));
    }
    return out;
}

Result<TableDelta> table_delta(store::ObjectStore& store, const format::TableEntry* base,
                               const format::TableEntry& side, bool is_edge) {
    TableDelta delta;
    std::map<std::string, const format::SegmentRef*> in_side, in_base;
    for (const auto& seg : side.segments)
        in_side.emplace(seg.segment, &seg);
    if (base) {
        for (const auto& seg : base->segments) {
            in_base.emplace(seg.segment, &seg);
            auto it = in_side.find(seg.segment);
            if (it != in_side.end() && it->second->deletion_vector == seg.deletion_vector)
                continue; // untouched
            auto before = OG_TRY(read_deletion_vector(store, *base, seg));
            std::vector<uint64_t> gone;
            if (it == in_side.end()) {
                gone = live_rows(before, seg.rows); // the side dropped the whole segment
            } else {
                auto after = OG_TRY(read_deletion_vector(store, side, *it->second));
                std::set_difference(after.rows.begin(), after.rows.end(), before.rows.begin(),
                                    before.rows.end(), std::back_inserter(gone));
            }
            if (!gone.empty())
                delta.removed.emplace(seg.segment, std::move(gone));
        }
    }
    for (const auto& seg : side.segments) {
        if (in_base.count(seg.segment))
            continue;
        TableDelta::Added added;
        added.segment = seg;
        added.deleted = OG_TRY(read_deletion_vector(store, side, seg));
        auto reader = OG_TRY(open_segment(store, side, seg));
        std::string where = store.uri_of(seg.segment);
        added.keys.is_edge = is_edge;
        added.keys.ids = OG_TRY(read_string_column(reader, "id", where));
        if (added.keys.ids.size() != seg.rows)
            return Error(format::kSegmentCorrupt,
                         where + " holds " + std::to_string(added.keys.ids.size()) +
                             " rows, the manifest says " + std::to_string(seg.rows));
        if (is_edge) {
            added.keys.src = OG_TRY(read_string_column(reader, "src", where));
            added.keys.dst = OG_TRY(read_string_column(reader, "dst", where));
        }
        auto part = static_cast<uint32_t>(delta.added.size());
        for (uint64_t r : live_rows(added.deleted, seg.rows))
            delta.added_ids.emplace(std::string(added.keys.ids[r]), AddedRow{part, r});
        delta.added.push_back(std::move(added));
    }
    return delta;
}

Result<const format::SegmentRef*> find_segment(const format::TableEntry& entry,
                                               const std::string& key) {
    for (const auto& seg : entry.segments)
        if (seg.segment == key)
            return &seg;
    return Error(codes::kInternal, "segment " + key + " is not in " + entry.table_key);
}

Result<SegmentRows> read_segment_rows(store::ObjectStore& store, const format::TableEntry& entry,
                                      const std::string& key, const TableSchema& schema,
                                      std::vector<uint64_t> rows, bool properties) {
    const format::SegmentRef* seg = OG_TRY(find_segment(entry, key));
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    SegmentRows out;
    out.data = OG_TRY(read_rows(store, entry, *seg, schema, rows, properties));
    for (size_t i = 0; i < rows.size(); ++i)
        out.at.emplace(rows[i], i);
    return out;
}

bool same_row(const TableData& a, size_t i, const TableData& b, size_t j) {
    if (a.is_edge && (a.src[i] != b.src[j] || a.dst[i] != b.dst[j]))
        return false;
    for (const auto& [id, col] : a.columns) {
        auto other = b.columns.find(id);
        if (other == b.columns.end() || !(col.slice(i, i + 1) == other->second.slice(j, j + 1)))
            return false;
    }
    return a.columns.size() == b.columns.size();
}

} // namespace omnigraph::engine
