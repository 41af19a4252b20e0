// A table's rows in memory: ids (and src/dst for edges) plus one column per declared property,
// read from the segments a manifest lists, or assembled by a write. Plain value.
#pragma once

#include "base/error.h"
#include "base/string_list.h"
#include "format/column.h"
#include "format/deletion_vector.h"
#include "format/manifest.h"
#include "format/segment.h"
#include "schema/catalog.h"
#include "store/object_store.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace omnigraph::engine {

// The declared shape of one table ("node:Person" / "edge:Knows") in a catalog. The pointers are
// null when the catalog has no such type.
struct TableSchema {
    bool is_edge = false;
    std::string name; // the type name
    const std::map<std::string, schema::PropType>* properties = nullptr;
    const std::map<std::string, uint64_t>* property_ids = nullptr;
    const schema::NodeCatalog* node = nullptr;
    const schema::EdgeCatalog* edge = nullptr;
};
TableSchema table_schema(const schema::Catalog& catalog, std::string_view table_key);

struct TableData {
    bool is_edge = false;
    base::StringList ids;
    base::StringList src, dst;
    std::map<uint64_t, format::Column> columns; // by stable property id

    size_t size() const { return ids.size(); }
    // An empty table with one column per declared property.
    static TableData empty(bool is_edge, const std::map<std::string, schema::PropType>& properties,
                           const std::map<std::string, uint64_t>& property_ids);
    // Appends row `row` of `from` (same properties).
    void append_row(const TableData& from, size_t row);
};

// Where a row read by read_table lives: the index of its segment in the entry, and its row in
// that segment file.
struct RowOrigin {
    uint32_t segment = 0;
    uint64_t row = 0;
};

// Reads every live row of `entry`: all its segments (one ranged read per column per segment),
// minus the rows their deletion vectors list. With `origins`, also where each row came from.
// A segment or deletion vector the entry names that is gone is damage, not "not found":
// segment_corrupt / deletion_vector_corrupt, "<object> is referenced by table <key> version
// <n> of branch '<b>' but missing".
Result<TableData> read_table(store::ObjectStore& store, const format::TableEntry& entry,
                             bool is_edge,
                             const std::map<std::string, schema::PropType>& properties,
                             const std::map<std::string, uint64_t>& property_ids,
                             std::vector<RowOrigin>* origins = nullptr);

// The error for object `key` that `entry` names but the store no longer has: damage (`code`:
// segment_corrupt / deletion_vector_corrupt) with the kMissingObjectDetail detail, which lets a
// reader of an old snapshot tell a cleanup from damage (engine/reclaimed.h).
Error missing_object_error(std::string_view code, store::ObjectStore& store, const std::string& key,
                           const format::TableEntry& entry);

// System column `name` ("id", "src", "dst") as strings, from `column` (all of it or some of its
// rows); segment_corrupt (its message prefixed with `where`, when given) unless it is a String
// column without nulls.
Result<base::StringList> string_list_of(const format::Column& column, std::string_view name,
                                        const std::string& where = "");
// The same, reading the whole column of a segment.
Result<base::StringList> read_string_column(const format::SegmentReader& reader,
                                            std::string_view name, const std::string& where = "");

// Opens segment `seg` of `entry` (its footer: one ranged read). A segment the entry names that
// is gone is segment_corrupt, like in read_table.
Result<format::SegmentReader> open_segment(store::ObjectStore& store,
                                           const format::TableEntry& entry,
                                           const format::SegmentRef& seg);

// The deletion vector of `seg` (empty when it has none), checked against the segment.
// deletion_vector_corrupt when it is missing: `entry`, which names it, was published after it.
Result<format::DeletionVector> read_deletion_vector(store::ObjectStore& store,
                                                    const format::TableEntry& entry,
                                                    const format::SegmentRef& seg);

// How a cell is shown in messages and compared by @unique (a load's and a merge's): strings as
// they are, booleans true/false, integers, Date and DateTime in decimal, floats in their shortest
// round trip; vectors and lists as "<value>". Picked once per column.
using CellRenderer = std::string (*)(const format::Column& c, size_t row);
CellRenderer renderer_of(const schema::PropType& type);

// The canonical spelling of a @key value (spec query-language §0), from its stored cell `row` of
// `col` (so 1.50 and 1.5 spell alike): strings as they are, booleans true/false, integers, Date
// (days) and DateTime (ms) in decimal, floats as their shortest round trip ("0" for either
// zero). Empty for blobs and vectors, which cannot be keys.
std::string key_spelling(const format::Column& col, size_t row, const schema::PropType& type);
// The id of a node of a @key type from the spellings of its key values, in @key order: the
// spelling itself for a one-property key, else the compact JSON array of the spellings.
std::string key_id(const std::vector<std::string>& parts);

// The properties of a table that get a full-text index in every segment: the String
// properties of a node type with a single-property @index (catalog IndexKind::kFullText),
// except a one-property @key (whose implied index is the key index).
std::vector<uint64_t> text_indexed_properties(const TableSchema& schema);
// The Vector properties of a node table with an ANN index (`@index` on a Vector), by id.
std::vector<uint64_t> vector_indexed_properties(const TableSchema& schema);
// The fewest non-NULL vectors a segment indexes (OMNIGRAPH_VECTOR_INDEX_MIN_ROWS, default
// format::kDefaultVectorIndexMinRows): below it a scan of them is as fast as a probe.
uint64_t vector_index_min_rows();
// Whether a segment (its footer) holds enough vectors of a vector-indexed property of `schema`
// to have an index, and has none (written before the index existed, or before the @index).
bool lacks_vector_index(const format::SegmentFooter& footer, const TableSchema& schema);

// Encodes `data` as one segment file (columns "id", ["src", "dst"], "p:<id>"), with the key
// indexes and the full-text indexes of `schema`'s text-indexed properties. Edge rows with an
// empty id (loaded without one) get a fresh ULID here.
Result<std::string> encode_table(const TableData& data, const TableSchema& schema);

} // namespace omnigraph::engine
