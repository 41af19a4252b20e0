#include "engine/table_data.h"

#include "base/env.h"
#include "base/json.h"
#include "base/text.h"
#include "base/ulid.h"
#include "engine/cell_visit.h"
#include "engine/reclaimed.h"
#include "format/segment.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace omnigraph::engine {

using format::Column;
using format::ColumnType;
using format::PhysicalKind;

namespace {

std::string property_column(uint64_t id) {
    return "p:" + std::to_string(id);
}

// A manifest is published only after every object it names was written, so a named object
// that is gone is damage (the family's corruption code), not a name the caller got wrong.
template <class T>
Result<T> missing_is_damage(Result<T> read, std::string_view code, store::ObjectStore& store,
                            const std::string& key, const format::TableEntry& entry) {
    if (read || !read.error().is(codes::kNotFound))
        return read;
    return missing_object_error(code, store, key, entry);
}

} // namespace

TableSchema table_schema(const schema::Catalog& catalog, std::string_view table_key) {
    TableSchema s;
    s.name = std::string(table_key.substr(table_key.find(':') + 1));
    s.is_edge = table_key.starts_with("edge:");
    if (s.is_edge) {
        s.edge = catalog.find_edge(s.name);
        if (s.edge) {
            s.properties = &s.edge->properties;
            s.property_ids = &s.edge->property_ids;
        }
    } else {
        s.node = catalog.find_node(s.name);
        if (s.node) {
            s.properties = &s.node->properties;
            s.property_ids = &s.node->property_ids;
        }
    }
    return s;
}

TableData TableData::empty(bool is_edge, const std::map<std::string, schema::PropType>& properties,
                           const std::map<std::string, uint64_t>& property_ids) {
    TableData t;
    t.is_edge = is_edge;
    for (const auto& [name, type] : properties)
        t.columns.emplace(property_ids.at(name), Column(column_type_of(type)));
    return t;
}

void TableData::append_row(const TableData& from, size_t row) {
    ids.push_back(from.ids[row]);
    if (is_edge) {
        src.push_back(from.src[row]);
        dst.push_back(from.dst[row]);
    }
    for (auto& [id, column] : columns)
        column.append_row(from.columns.at(id), row);
}

Result<base::StringList> string_list_of(const format::Column& column, std::string_view name,
                                        const std::string& where) {
    std::string at = where.empty() ? "" : where + ": ";
    if (column.type().kind != PhysicalKind::kString)
        return Error(format::kSegmentCorrupt,
                     at + "column '" + std::string(name) + "' is not a string column");
    base::StringList out;
    out.reserve(column.size(), 0);
    for (size_t i = 0; i < column.size(); ++i) {
        if (column.is_null(i))
            return Error(format::kSegmentCorrupt,
                         at + "column '" + std::string(name) + "' holds a null");
        out.push_back(column.bytes_at(i));
    }
    return out;
}

Result<base::StringList> read_string_column(const format::SegmentReader& reader,
                                            std::string_view name, const std::string& where) {
    return string_list_of(OG_TRY(reader.read_column(name)), name, where);
}

Error missing_object_error(std::string_view code, store::ObjectStore& store, const std::string& key,
                           const format::TableEntry& entry) {
    // The detail lets a reader of an old snapshot tell cleanup from damage (engine/reclaimed.h).
    return Error(code, store.uri_of(key) + " is referenced by table " + entry.table_key +
                           " version " + std::to_string(entry.table_version) + " of branch '" +
                           entry.table_branch + "' but missing")
        .with_detail(std::string(kMissingObjectDetail), key);
}

Result<format::SegmentReader> open_segment(store::ObjectStore& store,
                                           const format::TableEntry& entry,
                                           const format::SegmentRef& seg) {
    return missing_is_damage(format::SegmentReader::open(store, seg.segment, seg.bytes),
                             format::kSegmentCorrupt, store, seg.segment, entry);
}

Result<TableData> read_table(store::ObjectStore& store, const format::TableEntry& entry,
                             bool is_edge,
                             const std::map<std::string, schema::PropType>& properties,
                             const std::map<std::string, uint64_t>& property_ids,
                             std::vector<RowOrigin>* origins) {
    TableData out = TableData::empty(is_edge, properties, property_ids);
    for (size_t s = 0; s < entry.segments.size(); ++s) {
        const format::SegmentRef& seg = entry.segments[s];
        auto deleted = OG_TRY(read_deletion_vector(store, entry, seg));
        // The segment may vanish between reads of its parts too (a cleanup of an old snapshot).
        auto damage = [&](auto read) {
            return missing_is_damage(std::move(read), format::kSegmentCorrupt, store, seg.segment,
                                     entry);
        };
        auto reader = OG_TRY(open_segment(store, entry, seg));
        TableData part;
        part.is_edge = is_edge;
        part.ids = OG_TRY(damage(read_string_column(reader, "id")));
        if (is_edge) {
            part.src = OG_TRY(damage(read_string_column(reader, "src")));
            part.dst = OG_TRY(damage(read_string_column(reader, "dst")));
        }
        for (const auto& [id, column] : out.columns) {
            // A property added after this segment was written has no column here: all null.
            if (!reader.footer().find(property_column(id))) {
                Column nulls(column.type());
                for (size_t i = 0; i < part.ids.size(); ++i)
                    nulls.append_null();
                part.columns.emplace(id, std::move(nulls));
                continue;
            }
            auto column_read = OG_TRY(damage(reader.read_column(property_column(id))));
            if (!(column_read.type() == column.type()))
                return Error(format::kSegmentCorrupt, store.uri_of(seg.segment) + ": column " +
                                                          property_column(id) + " has type " +
                                                          column_read.type().name() + ", not " +
                                                          column.type().name());
            part.columns.emplace(id, std::move(column_read));
        }
        if (part.ids.size() != seg.rows)
            return Error(format::kSegmentCorrupt,
                         store.uri_of(seg.segment) + " holds " + std::to_string(part.ids.size()) +
                             " rows, the manifest says " + std::to_string(seg.rows));
        for (size_t i = 0; i < part.ids.size(); ++i) {
            if (!deleted.rows.empty() && deleted.contains(i))
                continue;
            out.append_row(part, i);
            if (origins)
                origins->push_back({uint32_t(s), i});
        }
    }
    return out;
}

Result<format::DeletionVector> read_deletion_vector(store::ObjectStore& store,
                                                    const format::TableEntry& entry,
                                                    const format::SegmentRef& seg) {
    if (!seg.deletion_vector)
        return format::DeletionVector{seg.rows, {}};
    auto bytes =
        OG_TRY(missing_is_damage(store.read(*seg.deletion_vector), format::kDeletionVectorCorrupt,
                                 store, *seg.deletion_vector, entry));
    auto dv = OG_TRY(format::parse_deletion_vector(bytes, store.uri_of(*seg.deletion_vector)));
    if (dv.segment_rows != seg.rows || dv.rows.size() != seg.deleted_rows)
        return Error(format::kDeletionVectorCorrupt,
                     store.uri_of(*seg.deletion_vector) + " does not belong to " +
                         store.uri_of(seg.segment) + " (row counts disagree)");
    return dv;
}

namespace {

template <class Tag> std::string render_cell(const Column& c, size_t row) {
    if constexpr (Tag::is_vector) {
        return "<value>";
    } else {
        auto v = cell_at<Tag>(c, row);
        if constexpr (Tag::is_bytes)
            return std::string(v);
        else if constexpr (Tag::scalar == schema::ScalarType::kBool)
            return v ? "true" : "false";
        else if constexpr (Tag::is_float)
            return base::format_shortest_float(v);
        else
            return std::to_string(v); // integers, Date, DateTime
    }
}

std::string render_list(const Column&, size_t) {
    return "<value>";
}

} // namespace

CellRenderer renderer_of(const schema::PropType& type) {
    if (type.list)
        return &render_list;
    return visit_scalar(type.scalar,
                        [](auto tag) -> CellRenderer { return &render_cell<decltype(tag)>; });
}

std::string key_spelling(const Column& col, size_t row, const schema::PropType& type) {
    return visit_scalar(type.scalar, [&](auto tag) -> std::string {
        using Tag = decltype(tag);
        using T = typename Tag::Storage;
        if constexpr (Tag::scalar == schema::ScalarType::kString) {
            return std::string(col.bytes_at(row));
        } else if constexpr (Tag::scalar == schema::ScalarType::kBool) {
            return col.fixed_at<T>(row) ? "true" : "false";
        } else if constexpr (Tag::is_float) {
            T x = col.fixed_at<T>(row);
            if (x == 0)
                return "0"; // signed zero spells as 0
            char buf[32];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
            return std::string(buf, end);
        } else if constexpr (Tag::is_bytes || Tag::is_vector) {
            return {}; // Blob, Vector: never a key
        } else {
            return std::to_string(col.fixed_at<T>(row)); // integers, Date, DateTime
        }
    });
}

std::string key_id(const std::vector<std::string>& parts) {
    if (parts.size() == 1)
        return parts[0];
    base::Json array = base::Json::array();
    for (const auto& part : parts)
        array.push_back(part);
    return base::to_compact_json(array);
}

namespace {

// The properties of `schema` with a single-property index of `kind`, by id, once each.
std::vector<uint64_t> single_property_indexes(const TableSchema& schema, schema::IndexKind kind) {
    std::vector<uint64_t> out;
    if (!schema.node)
        return out;
    for (const auto& spec : schema.node->index_specs) {
        if (spec.kind != kind || spec.columns.size() != 1)
            continue;
        // The index @key implies is the key index: an id is looked up, not searched for words
        // (a search on it still works, tokenizing the column once per table version).
        if (kind == schema::IndexKind::kFullText && schema.node->key &&
            *schema.node->key == spec.columns)
            continue;
        auto id = schema.node->property_ids.find(spec.columns[0]);
        if (id != schema.node->property_ids.end() &&
            std::find(out.begin(), out.end(), id->second) == out.end())
            out.push_back(id->second);
    }
    return out;
}

} // namespace

std::vector<uint64_t> text_indexed_properties(const TableSchema& schema) {
    return single_property_indexes(schema, schema::IndexKind::kFullText);
}

std::vector<uint64_t> vector_indexed_properties(const TableSchema& schema) {
    return single_property_indexes(schema, schema::IndexKind::kVector);
}

uint64_t vector_index_min_rows() {
    return base::env_uint_or("OMNIGRAPH_VECTOR_INDEX_MIN_ROWS", format::kDefaultVectorIndexMinRows,
                             1, UINT32_MAX);
}

bool lacks_vector_index(const format::SegmentFooter& footer, const TableSchema& schema) {
    for (uint64_t id : vector_indexed_properties(schema)) {
        std::string name = property_column(id);
        const format::SegmentColumnInfo* col = footer.find(name);
        if (col && col->type.kind == format::PhysicalKind::kVector &&
            footer.row_count - col->null_count >= vector_index_min_rows() &&
            !footer.find_vector_index(name))
            return true;
    }
    return false;
}

Result<std::string> encode_table(const TableData& data, const TableSchema& schema) {
    std::vector<format::NamedColumn> cols;
    auto strings = [](const base::StringList& values) {
        Column c(ColumnType{PhysicalKind::kString});
        for (auto v : values)
            c.append_bytes(v);
        return c;
    };
    Column ids(ColumnType{PhysicalKind::kString});
    for (auto id : data.ids) // an edge loaded without an id gets one now
        ids.append_bytes(id.empty() && data.is_edge ? base::new_ulid() : id);
    cols.push_back({"id", std::move(ids)});
    if (data.is_edge) {
        cols.push_back({"src", strings(data.src)});
        cols.push_back({"dst", strings(data.dst)});
    }
    for (const auto& [id, column] : data.columns)
        cols.push_back({property_column(id), column});
    // Point lookups by id and one-hop expansions probe these instead of reading whole columns.
    format::SegmentOptions options;
    options.indexed = format::key_index_columns(data.is_edge);
    // Full-text search reads these instead of tokenizing the column at every query.
    for (uint64_t id : text_indexed_properties(schema))
        if (data.columns.count(id))
            options.text_indexed.push_back(property_column(id));
    // nearest() probes these instead of measuring every row (once a segment holds enough).
    for (uint64_t id : vector_indexed_properties(schema))
        if (data.columns.count(id))
            options.vector_indexed.push_back(property_column(id));
    options.vector_index_min_rows = vector_index_min_rows();
    return format::write_segment(cols, options);
}

} // namespace omnigraph::engine
