// Building and validating the post-load image of a load.
#include "engine/load_image.h"

#include "base/json.h"
#include "base/text.h"
#include "engine/cell_visit.h"

#include <regex>
#include <unordered_map>

namespace omnigraph::engine {

using format::Column;

namespace {

// How a cell is shown in messages and compared by @unique. Picked once per column.
using CellRenderer = std::string (*)(const Column& c, size_t row);

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

CellRenderer renderer_of(const schema::PropType& type) {
    if (type.list)
        return &render_list;
    return visit_scalar(type.scalar,
                        [](auto tag) -> CellRenderer { return &render_cell<decltype(tag)>; });
}

std::string render(CellRenderer renderer, const Column& c, size_t row) {
    return c.is_null(row) ? "null" : renderer(c, row);
}

// "on lines 3 and 5" (a parsed batch) or "at q.gq:1:9 and q.gq:2:9" (typed rows).
std::string two_origins(const LoadBatch& batch, uint64_t first, uint64_t second) {
    if (batch.positions.empty())
        return "on lines " + std::to_string(first) + " and " + std::to_string(second);
    return "at " + batch.origin_text(first) + " and " + batch.origin_text(second);
}

} // namespace

Status LoadImage::build() {
    for (const auto& [key, tb] : batch.tables)
        OG_CHECK(build_image(key, tb));
    if (mode == LoadMode::kMerge)
        for (const auto& [key, ids] : options.deletes)
            if (!batch.tables.count(key) && head.find(key))
                OG_CHECK(build_deleted_image(key, ids));
    return ok();
}

Status LoadImage::validate() {
    for (const auto& [key, image] : images) {
        OG_CHECK(check_values(key));
        OG_CHECK(check_unique(key));
    }
    // Endpoints of touched edge tables, and of every edge table whose endpoint node table an
    // overwrite replaced (a removed node must not leave an orphan edge behind).
    std::set<std::string> edge_tables;
    for (const auto& [key, image] : images)
        if (key.starts_with("edge:"))
            edge_tables.insert(key);
    for (const auto& e : catalog.edges)
        if (images.count("node:" + e.from_type) || images.count("node:" + e.to_type))
            if (mode != LoadMode::kAppend)
                edge_tables.insert("edge:" + e.name);
    for (const auto& key : edge_tables)
        OG_CHECK(check_endpoints(key));
    for (const auto& [key, image] : images)
        if (key.starts_with("edge:"))
            OG_CHECK(check_cardinality(key));
    return ok();
}

Result<const TableData*> LoadImage::committed_table(const std::string& key) {
    if (auto it = committed.find(key); it != committed.end())
        return &it->second;
    const format::TableEntry* entry = head.find(key);
    if (!entry)
        return Error(codes::kInternal,
                     "table " + key + " is missing from branch '" + head.branch + "'");
    TableSchema s = table_schema(catalog, key);
    auto data =
        OG_TRY(read_table(store, *entry, s.is_edge, *s.properties, *s.property_ids, &origins[key]));
    return &committed.emplace(key, std::move(data)).first->second;
}

// The post-load rows of a table: its image when touched, else what is committed.
Result<const TableData*> LoadImage::post_table(const std::string& key) {
    if (auto it = images.find(key); it != images.end())
        return it->second;
    return committed_table(key);
}

const TableData& LoadImage::image_of(const std::string& key) const {
    return *images.at(key);
}
size_t LoadImage::loaded_count(const std::string& key) const {
    auto it = loaded.find(key);
    return it == loaded.end() ? 0 : it->second.rows.size();
}

Error LoadImage::violation(std::string message, uint64_t origin) const {
    Error e(kConstraintViolation, std::move(message));
    e.location = batch.locate(origin, options.source_name);
    return e;
}

Status LoadImage::build_image(const std::string& key, const TableBatch& tb) {
    TableSchema s = table_schema(catalog, key);
    const char* kind = s.is_edge ? "edge" : "node";
    bool keyed = !s.is_edge && s.node->key.has_value();
    // Repeated ids inside the file.
    std::unordered_map<std::string_view, size_t> last;
    last.reserve(tb.ids.size());
    bool repeats = false;
    for (size_t i = 0; i < tb.ids.size(); ++i) {
        if (tb.ids[i].empty())
            continue; // an edge without an id: a new row, minted when written
        auto [it, inserted] = last.try_emplace(tb.ids[i], i);
        if (inserted)
            continue;
        repeats = true;
        if (keyed) {
            std::string cols;
            for (const auto& k : *s.node->key)
                cols += (cols.empty() ? "" : ",") + k;
            return violation("@unique violation on " + s.name + "." + cols + ": value '" +
                                 std::string(tb.ids[i]) + "' appears " +
                                 two_origins(batch, tb.origins[it->second], tb.origins[i]),
                             tb.origins[i]);
        }
        if (mode != LoadMode::kMerge)
            return Error(kKeyConflict,
                         std::string(kind) + " type '" + s.name + "' already has id '" +
                             std::string(tb.ids[i]) + "' (repeated " +
                             two_origins(batch, tb.origins[it->second], tb.origins[i]) + ")");
        it->second = i; // merge: the later line wins
    }
    Loaded& taken = loaded[key];
    taken.batch = &tb;
    for (size_t i = 0; i < tb.ids.size(); ++i)
        if (!repeats || tb.ids[i].empty() || last.at(tb.ids[i]) == i)
            taken.rows.push_back(i);

    const TableData* old = nullptr;
    if (mode != LoadMode::kOverwrite)
        old = OG_TRY(committed_table(key));
    const std::set<std::string>* deleted = nullptr;
    if (auto d = options.deletes.find(key); d != options.deletes.end())
        deleted = &d->second;
    if ((!old || old->size() == 0) && !repeats && !deleted) {
        images.emplace(key, &tb); // the batch is the image: no copy
        return ok();
    }
    TableData image = TableData::empty(s.is_edge, *s.properties, *s.property_ids);
    if (old) {
        for (size_t i = 0; i < old->size(); ++i) {
            if (deleted && !last.count(old->ids[i]) && deleted->count(std::string(old->ids[i]))) {
                replaced[key].push_back(i);
                continue;
            }
            if (last.count(old->ids[i])) {
                if (mode == LoadMode::kAppend)
                    return Error(kKeyConflict, std::string(kind) + " type '" + s.name +
                                                   "' already has id '" + std::string(old->ids[i]) +
                                                   "'")
                        .with_detail("entity_kind", kind)
                        .with_detail("type_name", s.name)
                        .with_detail("entity_id", std::string(old->ids[i]));
                replaced[key].push_back(i);
                continue; // merge: replaced by the incoming row
            }
            image.append_row(*old, i);
        }
    }
    for (size_t i : taken.rows)
        image.append_row(tb, i);
    images.emplace(key, &assembled.emplace(key, std::move(image)).first->second);
    return ok();
}

// The image of a table the batch does not touch but whose rows options.deletes removes.
Status LoadImage::build_deleted_image(const std::string& key, const std::set<std::string>& ids) {
    TableSchema s = table_schema(catalog, key);
    const TableData* old = OG_TRY(committed_table(key));
    TableData image = TableData::empty(s.is_edge, *s.properties, *s.property_ids);
    for (size_t i = 0; i < old->size(); ++i) {
        if (ids.count(std::string(old->ids[i])))
            replaced[key].push_back(i);
        else
            image.append_row(*old, i);
    }
    loaded[key]; // touched, with no loaded rows
    images.emplace(key, &assembled.emplace(key, std::move(image)).first->second);
    return ok();
}

// The input line of row `row` of a table's post-load rows (0 when the row was already
// committed). Loaded rows are the last loaded_count() rows of an image.
uint64_t LoadImage::origin_of_row(const std::string& key, size_t row) {
    auto it = loaded.find(key);
    auto image = images.find(key);
    if (it == loaded.end() || image == images.end())
        return 0;
    size_t first_loaded = image->second->size() - it->second.rows.size();
    if (row < first_loaded)
        return 0;
    return it->second.batch->origins[it->second.rows[row - first_loaded]];
}

Status LoadImage::check_values(const std::string& key) {
    TableSchema s = table_schema(catalog, key);
    if (s.is_edge)
        return ok();
    const TableData& t = image_of(key);
    for (const auto& r : s.node->range_constraints)
        OG_CHECK(check_range(key, s, t, r));
    for (const auto& chk : s.node->check_constraints) {
        std::regex pattern;
        try {
            pattern = std::regex(chk.pattern, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            return Error(kConstraintViolation, "@check on " + s.name + "." + chk.property +
                                                   " has an invalid pattern '" + chk.pattern +
                                                   "': " + e.what());
        }
        const Column& c = t.columns.at(s.node->property_ids.at(chk.property));
        for (size_t i = 0; i < t.size(); ++i) {
            if (c.is_null(i))
                continue;
            std::string value(c.bytes_at(i));
            if (!std::regex_search(value, pattern))
                return violation("@check violation on " + s.name + "." + chk.property +
                                     ": value '" + value + "' does not match pattern '" +
                                     chk.pattern + "'",
                                 origin_of_row(key, i));
        }
    }
    return ok();
}

// One @range over a node table's image: a visit per column, then a typed loop over its rows.
Status LoadImage::check_range(const std::string& key, const TableSchema& s, const TableData& t,
                              const schema::RangeConstraint& r) {
    const schema::PropType& type = s.node->properties.at(r.property);
    if (type.list)
        return ok();
    const Column& c = t.columns.at(s.node->property_ids.at(r.property));
    auto bound = [](const schema::Bound& b) { return b.is_float ? b.real : double(b.integer); };
    return visit_scalar(type.scalar, [&](auto tag) -> Status {
        using Tag = decltype(tag);
        if constexpr (!Tag::is_integer && !Tag::is_float) {
            return ok(); // only numbers have a range
        } else {
            for (size_t i = 0; i < t.size(); ++i) {
                if (c.is_null(i))
                    continue;
                double v = static_cast<double>(cell_at<Tag>(c, i));
                bool nan = v != v;
                bool below = r.min && v < bound(*r.min);
                bool above = r.max && v > bound(*r.max);
                if (!nan && !below && !above)
                    continue;
                std::string where = "@range violation on " + s.name + "." + r.property +
                                    ": value " + render_cell<Tag>(c, i);
                if (nan)
                    return violation(where + " is NaN", origin_of_row(key, i));
                if (below)
                    return violation(where + " < min " + base::format_shortest_float(bound(*r.min)),
                                     origin_of_row(key, i));
                return violation(where + " > max " + base::format_shortest_float(bound(*r.max)),
                                 origin_of_row(key, i));
            }
            return ok();
        }
    });
}

Status LoadImage::check_unique(const std::string& key) {
    TableSchema s = table_schema(catalog, key);
    const TableData& t = image_of(key);
    const auto& uniques = s.is_edge ? s.edge->unique_constraints : s.node->unique_constraints;
    for (const auto& cols : uniques) {
        std::vector<CellRenderer> renderers; // per property column of the tuple
        renderers.reserve(cols.size());
        for (const auto& col : cols)
            renderers.push_back(col == "src" || col == "dst" ? nullptr
                                                             : renderer_of(s.properties->at(col)));
        std::unordered_map<std::string, size_t> seen;
        for (size_t i = 0; i < t.size(); ++i) {
            std::string tuple;
            bool has_null = false;
            for (size_t k = 0; k < cols.size(); ++k) {
                const std::string& col = cols[k];
                std::string v;
                if (col == "src")
                    v = t.src[i];
                else if (col == "dst")
                    v = t.dst[i];
                else {
                    const Column& c = t.columns.at(s.property_ids->at(col));
                    has_null |= c.is_null(i);
                    v = render(renderers[k], c, i);
                }
                tuple += (tuple.empty() ? "" : ", ") + v;
            }
            if (has_null)
                continue; // NULLs never collide
            auto [it, inserted] = seen.try_emplace(tuple, i);
            if (!inserted) {
                std::string names;
                for (const auto& c : cols)
                    names += (names.empty() ? "" : ",") + c;
                return violation(base::concat("@unique violation on ", s.name, ".", names,
                                              ": value '", tuple, "' held by '", t.ids[it->second],
                                              "' and '", t.ids[i], "'"),
                                 origin_of_row(key, i));
            }
        }
    }
    return ok();
}

// Every edge of `edge_key` must have both endpoints in the post-load node tables.
Status LoadImage::check_endpoints(const std::string& edge_key) {
    TableSchema s = table_schema(catalog, edge_key);
    const TableData* edges = OG_TRY(post_table(edge_key));
    for (const auto& [role, type] :
         {std::pair{"src", s.edge->from_type}, std::pair{"dst", s.edge->to_type}}) {
        auto [cached, fresh] = id_sets.try_emplace("node:" + type);
        if (fresh) {
            const TableData* nodes = OG_TRY(post_table("node:" + type));
            cached->second.reserve(nodes->size());
            cached->second.insert(nodes->ids.begin(), nodes->ids.end());
        }
        const auto& ids = cached->second;
        const auto& ends = std::string(role) == "src" ? edges->src : edges->dst;
        for (size_t i = 0; i < edges->size(); ++i)
            if (!ids.count(ends[i]))
                return violation(
                    std::string(role) + " '" + std::string(ends[i]) + "' not found in " + type +
                        " (edge " + s.name +
                        (edges->ids[i].empty() ? "" : " '" + std::string(edges->ids[i]) + "'") +
                        ")",
                    origin_of_row(edge_key, i));
    }
    return ok();
}

Status LoadImage::check_cardinality(const std::string& edge_key) {
    TableSchema s = table_schema(catalog, edge_key);
    if (s.edge->card_min == 0 && !s.edge->card_max)
        return ok();
    const TableData& edges = image_of(edge_key);
    std::unordered_map<std::string_view, uint64_t> out_degree;
    out_degree.reserve(edges.size());
    for (const auto& src : edges.src)
        ++out_degree[src];
    // The sources this load touches: those of its edge rows, and its new source nodes.
    // The sources this load touches are those of its edge rows (spec schema-language §3.7:
    // "counted per source node for the sources a change touches"); a node loaded without
    // edges is not checked against a minimum. Loaded rows are the last loaded_count() rows
    // of an image.
    std::unordered_set<std::string_view> touched;
    for (size_t i = edges.size() - loaded_count(edge_key); i < edges.size(); ++i)
        touched.insert(edges.src[i]);
    for (const auto& src : touched) {
        uint64_t n = out_degree[src];
        auto card_violation = [&](std::string_view bound, uint32_t limit) {
            return violation(base::concat("@card violation on edge ", s.name, ": source '", src,
                                          "' has ", std::to_string(n), " edges (", bound, " ",
                                          std::to_string(limit), ")"),
                             0);
        };
        if (n < s.edge->card_min)
            return card_violation("min", s.edge->card_min);
        if (const std::optional<uint32_t>& max = s.edge->card_max; max && n > *max)
            return card_violation("max", *max);
    }
    return ok();
}

} // namespace omnigraph::engine
