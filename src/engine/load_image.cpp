// Building and validating the post-load image of a load, one segment at a time.
#include "engine/load_image.h"

#include "base/text.h"
#include "engine/cell_visit.h"
#include "format/segment.h"

#include <algorithm>

namespace omnigraph::engine {

using format::Column;

namespace {

// The ids (and src/dst, and the properties asked for) of one segment of table `entry_key`.
// A property the segment predates reads as nulls.
Result<TableData> read_segment(store::ObjectStore& store, const format::SegmentRef& seg,
                               const TableSchema& s, bool ends,
                               const std::vector<uint64_t>& properties,
                               const std::string& entry_key) {
    auto opened = format::SegmentReader::open(store, seg.segment, seg.bytes);
    if (!opened && opened.error().is(codes::kNotFound))
        return Error(format::kSegmentCorrupt, store.uri_of(seg.segment) +
                                                  " is referenced by table " + entry_key +
                                                  " but missing");
    auto reader = OG_TRY(std::move(opened));
    std::string where = store.uri_of(seg.segment);
    TableData part;
    part.is_edge = s.is_edge;
    part.ids = OG_TRY(read_string_column(reader, "id", where));
    if (part.ids.size() != seg.rows)
        return Error(format::kSegmentCorrupt, where + " holds " + std::to_string(part.ids.size()) +
                                                  " rows, the manifest says " +
                                                  std::to_string(seg.rows));
    if (s.is_edge && ends) {
        part.src = OG_TRY(read_string_column(reader, "src", where));
        part.dst = OG_TRY(read_string_column(reader, "dst", where));
    }
    for (uint64_t id : properties) {
        std::string name = "p:" + std::to_string(id);
        format::ColumnType type = column_type_of(s.properties->at([&] {
            for (const auto& [prop, pid] : *s.property_ids)
                if (pid == id)
                    return prop;
            return std::string();
        }()));
        if (!reader.footer().find(name)) {
            Column nulls(type);
            for (size_t i = 0; i < seg.rows; ++i)
                nulls.append_null();
            part.columns.emplace(id, std::move(nulls));
            continue;
        }
        auto column = OG_TRY(reader.read_column(name));
        if (!(column.type() == type))
            return Error(format::kSegmentCorrupt,
                         base::concat(where, ": column ", name, " has type ", column.type().name(),
                                      ", not ", type.name()));
        part.columns.emplace(id, std::move(column));
    }
    return part;
}

} // namespace

bool LoadImage::keeps_committed(const std::string& key) const {
    const format::TableEntry* entry = head.find(key);
    if (!entry || entry->segments.empty())
        return false;
    return mode != LoadMode::kOverwrite || !staged.tables.count(key);
}

uint64_t LoadImage::kept_rows(const std::string& key) const {
    if (!keeps_committed(key))
        return 0;
    uint64_t n = head.find(key)->row_count;
    if (auto it = replaced.find(key); it != replaced.end())
        for (const auto& [seg, rows] : it->second)
            n -= rows.size();
    return n;
}

Status LoadImage::for_each_committed_id(
    const std::string& key,
    const std::function<Result<bool>(std::string_view id, uint32_t seg, uint64_t row)>& f) {
    const format::TableEntry& entry = *head.find(key);
    TableSchema s = table_schema(catalog, key);
    for (uint32_t si = 0; si < entry.segments.size(); ++si) {
        const format::SegmentRef& seg = entry.segments[si];
        auto dv = OG_TRY(read_deletion_vector(store, entry, seg));
        auto part = OG_TRY(read_segment(store, seg, s, false, {}, key));
        for (size_t i = 0; i < part.size(); ++i) {
            if (!dv.rows.empty() && dv.contains(i))
                continue;
            if (!OG_TRY(f(part.ids[i], si, i)))
                return ok();
        }
    }
    return ok();
}

Status LoadImage::build() {
    // Named references, not structured bindings: the lambdas below capture them (clang's
    // analyzer takes a captured binding for uninitialized).
    for (auto& table : staged.tables) {
        const std::string& key = table.first;
        auto& t = table.second;
        touched.insert(key);
        if (t.repeat_error)
            return *t.repeat_error;
        if (mode == LoadMode::kOverwrite || !head.find(key))
            continue;
        const std::set<std::string>* deleted = nullptr;
        if (auto d = options.deletes.find(key); d != options.deletes.end())
            deleted = &d->second;
        std::optional<Error> conflict;
        auto& out = replaced[key];
        OG_CHECK(for_each_committed_id(
            key, [&](std::string_view id, uint32_t seg, uint64_t row) -> Result<bool> {
                if (OG_TRY(t.ids.contains(id))) {
                    if (mode == LoadMode::kAppend) {
                        const char* kind = t.schema.is_edge ? "edge" : "node";
                        conflict =
                            Error(kKeyConflict, std::string(kind) + " type '" + t.schema.name +
                                                    "' already has id '" + std::string(id) + "'")
                                .with_detail("entity_kind", kind)
                                .with_detail("type_name", t.schema.name)
                                .with_detail("entity_id", std::string(id));
                        return false;
                    }
                    out[seg].push_back(row); // merge: replaced by the incoming row
                } else if (deleted && deleted->count(std::string(id))) {
                    out[seg].push_back(row);
                }
                return true;
            }));
        if (conflict)
            return *conflict;
    }
    if (mode == LoadMode::kMerge)
        for (const auto& deletion : options.deletes) {
            const std::string& key = deletion.first;
            const std::set<std::string>& ids = deletion.second;
            if (staged.tables.count(key) || !head.find(key))
                continue;
            touched.insert(key);
            auto& out = replaced[key];
            OG_CHECK(for_each_committed_id(
                key, [&](std::string_view id, uint32_t seg, uint64_t row) -> Result<bool> {
                    if (ids.count(std::string(id)))
                        out[seg].push_back(row);
                    return true;
                }));
        }
    return ok();
}

Status LoadImage::validate() {
    for (const auto& key : touched) {
        OG_CHECK(check_values(key));
        OG_CHECK(check_unique(key));
    }
    // Endpoints of touched edge tables, and of every edge table whose endpoint node table an
    // overwrite or merge changed (a removed node must not leave an orphan edge behind).
    std::set<std::string> edge_tables;
    for (const auto& key : touched)
        if (key.starts_with("edge:"))
            edge_tables.insert(key);
    for (const auto& e : catalog.edges)
        if (touched.count("node:" + e.from_type) || touched.count("node:" + e.to_type))
            if (mode != LoadMode::kAppend)
                edge_tables.insert("edge:" + e.name);
    for (const auto& key : edge_tables)
        OG_CHECK(check_endpoints(key));
    for (const auto& key : touched)
        if (key.starts_with("edge:"))
            OG_CHECK(check_cardinality(key));
    return ok();
}

Status LoadImage::for_each_row(const std::string& key, const Visit& what, const RowFn& f) {
    TableSchema s = table_schema(catalog, key);
    if (keeps_committed(key)) {
        const format::TableEntry& entry = *head.find(key);
        const auto* gone = replaced.count(key) ? &replaced.at(key) : nullptr;
        uint64_t tag = 0;
        for (uint32_t si = 0; si < entry.segments.size(); ++si) {
            const format::SegmentRef& seg = entry.segments[si];
            auto dv = OG_TRY(read_deletion_vector(store, entry, seg));
            auto part = OG_TRY(read_segment(store, seg, s, what.ends, what.properties, key));
            const std::vector<uint64_t>* rows = nullptr;
            if (gone)
                if (auto it = gone->find(si); it != gone->end())
                    rows = &it->second;
            for (size_t i = 0; i < part.size(); ++i) {
                if (!dv.rows.empty() && dv.contains(i))
                    continue;
                if (rows && std::binary_search(rows->begin(), rows->end(), i))
                    continue;
                if (!OG_TRY(f(part, i, tag++)))
                    return ok();
            }
        }
    }
    auto it = staged.tables.find(key);
    if (it == staged.tables.end())
        return ok();
    const StagedTable& t = it->second;
    for (size_t si = 0; si < t.segments.size(); ++si) {
        const format::SegmentRef& seg = t.segments[si];
        if (seg.deleted_rows == seg.rows)
            continue;
        auto part = OG_TRY(read_segment(store, seg, s, what.ends, what.properties, key));
        for (size_t i = 0; i < part.size(); ++i) {
            uint64_t row = t.first_rows[si] + i;
            if (t.is_superseded(row))
                continue;
            if (!OG_TRY(f(part, i, kStaged | row)))
                return ok();
        }
    }
    return ok();
}

uint64_t LoadImage::origin_of(const std::string& key, uint64_t tag) const {
    if (!(tag & kStaged))
        return 0; // a committed row
    return staged.tables.at(key).origin_of(tag & ~kStaged);
}

Result<std::string> LoadImage::id_at(const std::string& key, uint64_t tag) {
    std::string id;
    OG_CHECK(
        for_each_row(key, {}, [&](const TableData& part, size_t i, uint64_t t) -> Result<bool> {
            if (t != tag)
                return true;
            id = std::string(part.ids[i]);
            return false;
        }));
    return id;
}

// @range/@check of the staged rows (committed rows were checked when they were loaded): the
// first violation, in constraint order, of a row no later line replaced.
Status LoadImage::check_values(const std::string& key) {
    auto it = staged.tables.find(key);
    if (it == staged.tables.end())
        return ok();
    for (const auto& [where, error] : it->second.violations)
        if (!it->second.is_superseded(where.second))
            return error;
    return ok();
}

Status LoadImage::check_unique(const std::string& key) {
    TableSchema s = table_schema(catalog, key);
    const auto& uniques = s.is_edge ? s.edge->unique_constraints : s.node->unique_constraints;
    for (const auto& cols : uniques) {
        Visit what;
        std::vector<CellRenderer> renderers; // per property column of the tuple
        for (const auto& col : cols) {
            if (col == "src" || col == "dst") {
                what.ends = true;
                renderers.push_back(nullptr);
            } else {
                what.properties.push_back(s.property_ids->at(col));
                renderers.push_back(renderer_of(s.properties->at(col)));
            }
        }
        StringIndex tuples(staged.spill);
        OG_CHECK(for_each_row(key, what,
                              [&](const TableData& t, size_t i, uint64_t tag) -> Result<bool> {
                                  std::string tuple;
                                  for (size_t k = 0; k < cols.size(); ++k) {
                                      const std::string& col = cols[k];
                                      std::string v;
                                      if (col == "src") {
                                          v = t.src[i];
                                      } else if (col == "dst") {
                                          v = t.dst[i];
                                      } else {
                                          const Column& c = t.columns.at(s.property_ids->at(col));
                                          if (c.is_null(i))
                                              return true; // NULLs never collide
                                          v = renderers[k](c, i);
                                      }
                                      tuple += (tuple.empty() ? "" : ", ") + v;
                                  }
                                  OG_CHECK(tuples.add(tuple, tag));
                                  return true;
                              }));
        tuples.seal();
        std::optional<StringIndex::Group> first; // the repeat on the earliest row
        OG_CHECK(tuples.for_each_group([&](const StringIndex::Group& g) -> Result<bool> {
            if (g.tags.size() > 1 && (!first || g.tags[1] < first->tags[1]))
                first = g;
            return true;
        }));
        if (!first)
            continue;
        std::string names;
        for (const auto& c : cols)
            names += (names.empty() ? "" : ",") + c;
        std::string tuple = OG_TRY(staged.spill.get(first->handle));
        std::string held_by = OG_TRY(id_at(key, first->tags[0]));
        std::string and_by = OG_TRY(id_at(key, first->tags[1]));
        return staged.violation(base::concat("@unique violation on ", s.name, ".", names,
                                             ": value '", tuple, "' held by '", held_by, "' and '",
                                             and_by, "'"),
                                origin_of(key, first->tags[1]));
    }
    return ok();
}

Result<bool> LoadImage::has_node(const std::string& key, std::string_view id) {
    if (auto it = staged.tables.find(key); it != staged.tables.end())
        if (OG_TRY(it->second.ids.contains(id)))
            return true;
    auto [cached, fresh] = committed_ids_.try_emplace(key);
    if (fresh) {
        cached->second = std::make_unique<StringIndex>(staged.spill);
        if (keeps_committed(key)) {
            StringIndex& ids = *cached->second;
            OG_CHECK(for_each_row(
                key, {}, [&](const TableData& part, size_t i, uint64_t tag) -> Result<bool> {
                    if (tag & kStaged)
                        return false; // the staged rows are in the table's own index
                    OG_CHECK(ids.add(part.ids[i], 0));
                    return true;
                }));
        }
        cached->second->seal();
    }
    return cached->second->contains(id);
}

// Every edge of `edge_key` must have both endpoints in the post-load node tables; the first
// missing source is reported, else the first missing destination.
Status LoadImage::check_endpoints(const std::string& edge_key) {
    TableSchema s = table_schema(catalog, edge_key);
    struct Missing {
        std::string end, id;
        uint64_t tag;
    };
    std::optional<Missing> src, dst;
    const StagedTable* mine = staged.tables.count(edge_key) ? &staged.tables.at(edge_key) : nullptr;
    auto named = [&](std::string_view id, uint64_t tag) -> Result<std::string> {
        // A loaded edge without an id of its own was given one when written: not shown.
        if ((tag & kStaged) && !OG_TRY(mine->ids.contains(id)))
            return std::string();
        return std::string(id);
    };
    const std::string from_key = "node:" + s.edge->from_type, to_key = "node:" + s.edge->to_type;
    Visit what;
    what.ends = true;
    OG_CHECK(for_each_row(
        edge_key, what, [&](const TableData& part, size_t i, uint64_t tag) -> Result<bool> {
            if (!OG_TRY(has_node(from_key, part.src[i]))) {
                src = Missing{std::string(part.src[i]), OG_TRY(named(part.ids[i], tag)), tag};
                return false; // a missing source is reported before any destination
            }
            if (!dst && !OG_TRY(has_node(to_key, part.dst[i])))
                dst = Missing{std::string(part.dst[i]), OG_TRY(named(part.ids[i], tag)), tag};
            return true;
        }));
    for (const auto& [role, type, missing] :
         {std::tuple{"src", s.edge->from_type, &src}, std::tuple{"dst", s.edge->to_type, &dst}})
        if (*missing)
            return staged.violation(
                std::string(role) + " '" + (*missing)->end + "' not found in " + type + " (edge " +
                    s.name + ((*missing)->id.empty() ? "" : " '" + (*missing)->id + "'") + ")",
                origin_of(edge_key, (*missing)->tag));
    return ok();
}

// @card per source node for the sources a change touches (spec schema-language §3.7: those of
// its loaded edge rows; a node loaded without edges is not checked against a minimum).
Status LoadImage::check_cardinality(const std::string& edge_key) {
    TableSchema s = table_schema(catalog, edge_key);
    if (s.edge->card_min == 0 && !s.edge->card_max)
        return ok();
    StringIndex sources(staged.spill); // tag 1: a loaded edge
    Visit what;
    what.ends = true;
    OG_CHECK(for_each_row(edge_key, what,
                          [&](const TableData& part, size_t i, uint64_t tag) -> Result<bool> {
                              OG_CHECK(sources.add(part.src[i], (tag & kStaged) ? 1 : 0));
                              return true;
                          }));
    sources.seal();
    std::optional<Error> error;
    OG_CHECK(sources.for_each_group([&](const StringIndex::Group& g) -> Result<bool> {
        if (g.tags.back() != 1)
            return true; // no loaded edge leaves this source
        uint64_t n = g.tags.size();
        auto card_violation = [&](std::string_view bound, uint32_t limit) -> Result<bool> {
            std::string src = OG_TRY(staged.spill.get(g.handle));
            error = staged.violation(base::concat("@card violation on edge ", s.name, ": source '",
                                                  src, "' has ", std::to_string(n), " edges (",
                                                  bound, " ", std::to_string(limit), ")"),
                                     0);
            return false;
        };
        if (n < s.edge->card_min)
            return card_violation("min", s.edge->card_min);
        if (const std::optional<uint32_t>& max = s.edge->card_max; max && n > *max)
            return card_violation("max", *max);
        return true;
    }));
    if (error)
        return *error;
    return ok();
}

} // namespace omnigraph::engine
