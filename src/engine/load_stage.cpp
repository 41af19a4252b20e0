// Staging a load's rows as bounded segments.
#include "engine/load_stage.h"

#include "base/text.h"
#include "base/ulid.h"
#include "engine/cell_visit.h"

#include <algorithm>

namespace omnigraph::engine {

using format::Column;

namespace {

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

uint64_t get_varint(std::string_view in, size_t& at) {
    uint64_t v = 0;
    for (int shift = 0; at < in.size(); shift += 7) {
        auto byte = static_cast<uint8_t>(in[at++]);
        v |= uint64_t(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            break;
    }
    return v;
}

// Origins are mostly increasing: each is stored as the zigzag of its difference to the last.
uint64_t zigzag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t v) {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// How a cell is shown in a @range message.
template <class Tag> std::string render_number(const Column& c, size_t row) {
    auto v = cell_at<Tag>(c, row);
    if constexpr (Tag::is_float)
        return base::format_shortest_float(v);
    else
        return std::to_string(v);
}

} // namespace

bool StagedTable::is_superseded(uint64_t row) const {
    return !superseded.empty() && std::binary_search(superseded.begin(), superseded.end(), row);
}

uint64_t StagedTable::origin_of(uint64_t row) const {
    auto it = std::upper_bound(first_rows.begin(), first_rows.end(), row);
    if (it == first_rows.begin())
        return 0;
    size_t seg = static_cast<size_t>(it - first_rows.begin()) - 1;
    std::string_view deltas = origins[seg];
    size_t at = 0;
    int64_t origin = 0;
    for (uint64_t r = first_rows[seg]; r <= row && at < deltas.size(); ++r)
        origin += unzigzag(get_varint(deltas, at));
    return static_cast<uint64_t>(origin);
}

Status record_created(store::ObjectStore& store, PendingOp& op, bool& begun,
                      const std::string& key) {
    op.created.push_back(key);
    if (begun)
        return rewrite_pending(store, op);
    OG_CHECK(begin_pending(store, op));
    begun = true;
    return ok();
}

StagedLoad::StagedLoad(store::ObjectStore& store, const schema::Catalog& catalog,
                       const format::Manifest& head, LoadMode mode, const LoadOptions& options,
                       LoadBudget budget, PendingOp& op, base::Seal seal)
    : spill(budget.spill_memory()), store(store), catalog(catalog), mode(mode), options(options),
      budget(budget), op(op), seal(seal) {
    for (const auto& entry : head.tables)
        paths_[entry.table_key] = entry.path;
}

Result<std::string> StagedLoad::path_of(const std::string& key) const {
    auto it = paths_.find(key);
    if (it == paths_.end())
        return Error(codes::kInternal, "table " + key + " is missing from the branch");
    return it->second;
}

Error StagedLoad::violation(std::string message, uint64_t origin) const {
    Error e(kConstraintViolation, std::move(message));
    if (origin == 0)
        return e;
    if (positions.empty())
        e.location = SourceLocation{options.source_name, static_cast<int>(origin), 1};
    else if (origin <= positions.size())
        e.location = positions[origin - 1];
    return e;
}

std::string StagedLoad::origin_text(uint64_t origin) const {
    if (positions.empty())
        return "line " + std::to_string(origin);
    if (origin == 0 || origin > positions.size())
        return "<unknown position>";
    return positions[origin - 1].to_string();
}

StagedTable& StagedLoad::table(const std::string& key) {
    auto it = tables.find(key);
    if (it != tables.end())
        return it->second;
    StagedTable& t = tables.emplace(key, StagedTable(spill)).first->second;
    t.key = key;
    t.schema = table_schema(catalog, key);
    t.pending = TableData::empty(t.schema.is_edge, *t.schema.properties, *t.schema.property_ids);
    if (t.schema.node) {
        size_t index = t.schema.node->range_constraints.size();
        for (const auto& chk : t.schema.node->check_constraints) {
            try {
                t.checks.emplace_back(std::regex(chk.pattern, std::regex::ECMAScript));
            } catch (const std::regex_error& e) {
                t.checks.emplace_back(std::nullopt);
                t.violations.emplace(
                    std::pair{index, uint64_t(0)},
                    Error(kConstraintViolation, "@check on " + t.schema.name + "." + chk.property +
                                                    " has an invalid pattern '" + chk.pattern +
                                                    "': " + e.what()));
            }
            ++index;
        }
    }
    return t;
}

// @range and @check of the rows of `tb`, recorded as violations (reported after parsing, as
// every other validation error, and only for rows no later line replaced).
void StagedLoad::check_values(StagedTable& t, const TableBatch& tb) {
    const schema::NodeCatalog* node = t.schema.node;
    if (!node)
        return;
    bool keep_all = mode == LoadMode::kMerge; // a later line may replace a violating row
    auto wanted = [&](size_t index) {
        if (keep_all)
            return true;
        auto it = t.violations.lower_bound({index, 0});
        return it == t.violations.end() || it->first.first != index;
    };
    auto record = [&](size_t index, size_t i, std::string message) {
        uint64_t row = t.rows + i;
        t.violations.emplace(std::pair{index, row}, violation(std::move(message), tb.origins[i]));
    };
    auto bound = [](const schema::Bound& b) { return b.is_float ? b.real : double(b.integer); };
    size_t index = 0;
    for (const auto& r : node->range_constraints) {
        const schema::PropType& type = node->properties.at(r.property);
        if (type.list || !wanted(index)) {
            ++index;
            continue;
        }
        const Column& c = tb.columns.at(node->property_ids.at(r.property));
        visit_scalar(type.scalar, [&](auto tag) {
            using Tag = decltype(tag);
            if constexpr (Tag::is_integer || Tag::is_float) {
                for (size_t i = 0; i < tb.size(); ++i) {
                    if (c.is_null(i))
                        continue;
                    double v = static_cast<double>(cell_at<Tag>(c, i));
                    bool nan = v != v;
                    bool below = r.min && v < bound(*r.min);
                    bool above = r.max && v > bound(*r.max);
                    if (!nan && !below && !above)
                        continue;
                    std::string where = "@range violation on " + t.schema.name + "." + r.property +
                                        ": value " + render_number<Tag>(c, i);
                    if (nan)
                        record(index, i, where + " is NaN");
                    else if (below)
                        record(index, i,
                               where + " < min " + base::format_shortest_float(bound(*r.min)));
                    else
                        record(index, i,
                               where + " > max " + base::format_shortest_float(bound(*r.max)));
                    if (!keep_all)
                        break;
                }
            }
        });
        ++index;
    }
    for (size_t k = 0; k < node->check_constraints.size(); ++k, ++index) {
        const auto& chk = node->check_constraints[k];
        const auto& pattern = t.checks[k];
        if (!pattern || !wanted(index))
            continue;
        const Column& c = tb.columns.at(node->property_ids.at(chk.property));
        for (size_t i = 0; i < tb.size(); ++i) {
            if (c.is_null(i))
                continue;
            std::string value(c.bytes_at(i));
            if (std::regex_search(value, *pattern))
                continue;
            record(index, i,
                   "@check violation on " + t.schema.name + "." + chk.property + ": value '" +
                       value + "' does not match pattern '" + chk.pattern + "'");
            if (!keep_all)
                break;
        }
    }
}

Status StagedLoad::add(LoadBatch&& batch, uint64_t input_bytes) {
    if (!batch.positions.empty())
        positions = std::move(batch.positions);
    for (auto& [key, tb] : batch.tables) {
        StagedTable& t = table(key);
        check_values(t, tb);
        size_t n = tb.size();
        for (size_t i = 0; i < n; ++i)
            if (!tb.ids[i].empty())
                OG_CHECK(t.ids.add(tb.ids[i], t.rows + i));
        TableData& p = t.pending;
        p.ids.append(tb.ids);
        if (p.is_edge) {
            p.src.append(tb.src);
            p.dst.append(tb.dst);
        }
        for (auto& [id, column] : p.columns)
            column.append_column(tb.columns.at(id));
        t.pending_origins.insert(t.pending_origins.end(), tb.origins.begin(), tb.origins.end());
        // What the rows hold in memory, estimated from the text they came from.
        t.pending_bytes +=
            input_bytes > 0 && batch.rows > 0
                ? input_bytes * n / batch.rows
                : tb.ids.byte_size() + tb.src.byte_size() + tb.dst.byte_size() + 64 * n;
        t.rows += n;
        tb = TableBatch(); // free this part of the batch as soon as it is copied
    }
    rows += batch.rows;
    batch = LoadBatch();
    // Over the budget's share: write the largest pending tables until half of it is left.
    auto total = [&] {
        uint64_t sum = 0;
        for (const auto& [key, t] : tables)
            sum += t.pending_bytes;
        return sum;
    };
    if (total() < budget.pending_bytes())
        return ok();
    while (total() > budget.pending_bytes() / 2) {
        auto largest = std::max_element(tables.begin(), tables.end(), [](auto& a, auto& b) {
            return a.second.pending_bytes < b.second.pending_bytes;
        });
        OG_CHECK(flush(largest->second));
    }
    return ok();
}

Status StagedLoad::flush(StagedTable& t) {
    size_t n = t.pending.size();
    t.pending_bytes = 0;
    if (n == 0)
        return ok();
    auto path = path_of(t.key);
    if (!path)
        return std::move(path).error();
    std::string bytes = OG_TRY(encode_table(t.pending, t.schema));
    t.pending = TableData::empty(t.schema.is_edge, *t.schema.properties, *t.schema.property_ids);
    std::string key = *path + "/" + base::new_ulid() + ".seg";
    OG_CHECK(record_created(store, op, begun, key));
    OG_CHECK(store.put_if_absent(key, bytes));
    uint64_t first = t.segments.empty() ? 0 : t.first_rows.back() + t.segments.back().rows;
    t.segments.push_back({key, n, bytes.size(), std::nullopt, 0});
    t.first_rows.push_back(first);
    std::string deltas;
    int64_t last = 0;
    for (uint64_t origin : t.pending_origins) {
        put_varint(deltas, zigzag(static_cast<int64_t>(origin) - last));
        last = static_cast<int64_t>(origin);
    }
    t.origins.push_back(std::move(deltas));
    std::vector<uint64_t>().swap(t.pending_origins);
    return ok();
}

Status StagedLoad::finish() {
    for (auto& [key, t] : tables)
        OG_CHECK(flush(t));
    for (auto& [key, t] : tables)
        OG_CHECK(settle_repeats(t));
    return ok();
}

// Repeated ids inside the input: a repeated @key is a @unique violation in every mode, another
// repeated id a key_conflict, except in a merge, where the later line wins and the earlier
// rows are marked deleted in the new segments.
Status StagedLoad::settle_repeats(StagedTable& t) {
    t.ids.seal();
    const TableSchema& s = t.schema;
    bool keyed = !s.is_edge && s.node->key.has_value();
    std::optional<std::pair<uint64_t, uint64_t>> first_repeat; // (later row, earlier row)
    uint64_t repeat_handle = 0;
    OG_CHECK(t.ids.for_each_group([&](const StringIndex::Group& g) -> Result<bool> {
        if (g.tags.size() < 2)
            return true;
        if (keyed || mode != LoadMode::kMerge) {
            if (!first_repeat || g.tags[1] < first_repeat->first) {
                first_repeat = {g.tags[1], g.tags[0]};
                repeat_handle = g.handle;
            }
            return true;
        }
        t.superseded.insert(t.superseded.end(), g.tags.begin(), g.tags.end() - 1);
        return true;
    }));
    if (first_repeat) {
        std::string id = OG_TRY(spill.get(repeat_handle));
        uint64_t earlier = t.origin_of(first_repeat->second);
        uint64_t later = t.origin_of(first_repeat->first);
        std::string where =
            positions.empty()
                ? "on lines " + std::to_string(earlier) + " and " + std::to_string(later)
                : "at " + origin_text(earlier) + " and " + origin_text(later);
        if (keyed && s.node->key) {
            std::string cols;
            for (const auto& k : *s.node->key)
                cols += (cols.empty() ? "" : ",") + k;
            t.repeat_error = violation("@unique violation on " + s.name + "." + cols + ": value '" +
                                           id + "' appears " + where,
                                       later);
        } else {
            t.repeat_error =
                Error(kKeyConflict, std::string(s.is_edge ? "edge" : "node") + " type '" + s.name +
                                        "' already has id '" + id + "' (repeated " + where + ")");
        }
        return ok();
    }
    if (t.superseded.empty())
        return ok();
    // The rows a later line replaced: a deletion vector on each new segment holding some.
    std::sort(t.superseded.begin(), t.superseded.end());
    auto path = path_of(t.key);
    if (!path)
        return std::move(path).error();
    auto it = t.superseded.begin();
    for (size_t seg = 0; seg < t.segments.size(); ++seg) {
        format::SegmentRef& ref = t.segments[seg];
        uint64_t first = t.first_rows[seg];
        format::DeletionVector dv{ref.rows, {}};
        for (; it != t.superseded.end() && *it < first + ref.rows; ++it)
            dv.rows.push_back(*it - first);
        if (dv.rows.empty())
            continue;
        ref.deleted_rows = dv.rows.size();
        if (ref.deleted_rows == ref.rows)
            continue; // the segment is left out of the manifest
        std::string key = *path + "/" + base::new_ulid() + ".dv";
        OG_CHECK(record_created(store, op, begun, key));
        OG_CHECK(store.put_if_absent(key, format::write_deletion_vector(dv)));
        ref.deletion_vector = key;
    }
    return ok();
}

} // namespace omnigraph::engine
