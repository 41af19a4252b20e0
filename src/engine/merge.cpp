#include "engine/merge.h"

#include "base/clock.h"
#include "base/failpoint.h"
#include "base/json.h"
#include "base/log.h"
#include "base/text.h"
#include "base/ulid.h"
#include "engine/cell_visit.h"
#include "engine/commit_graph.h"
#include "engine/pending.h"
#include "engine/table_delta.h"
#include "format/segment.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::engine {

namespace {

constexpr int kMergeAttempts = 8;

struct Conflict {
    std::string entity_kind; // "node" / "edge"
    std::string type_name;
    std::optional<std::string> entity_id;
    std::string kind; // MergeConflictKindOutput
    std::string message;
};

Error conflicts_error(const std::vector<Conflict>& conflicts) {
    base::Json list = base::Json::array();
    std::string items;
    for (size_t i = 0; i < conflicts.size(); ++i) {
        const Conflict& c = conflicts[i];
        base::Json j;
        j["entity_kind"] = c.entity_kind;
        j["type_name"] = c.type_name;
        j["entity_id"] = c.entity_id ? base::Json(*c.entity_id) : base::Json(nullptr);
        j["kind"] = c.kind;
        j["message"] = c.message;
        list.push_back(std::move(j));
        if (i < 3)
            items += base::concat(i ? "; " : "", c.kind, " ", c.type_name, "/",
                                  c.entity_id.value_or("-"), ": ", c.message);
    }
    if (conflicts.size() > 3)
        items += base::concat("; and ", std::to_string(conflicts.size() - 3), " more");
    return Error(kMergeConflict, "merge conflicts: " + items)
        .with_detail(std::string(kMergeConflictsDetail), list.dump());
}

// Where the rows of one merged table live: the final entry and the deletion vectors it points
// at that the merge writes (by segment key), so checks see the merged graph before it exists.
struct MergedTable {
    format::TableEntry entry;
    std::map<std::string, format::DeletionVector> written; // segment key -> its new vector

    Result<format::DeletionVector> deleted(store::ObjectStore& store,
                                           const format::SegmentRef& seg) const {
        if (auto it = written.find(seg.segment); it != written.end())
            return it->second;
        return read_deletion_vector(store, entry, seg);
    }

    // The live rows holding each of `keys` in `column` ("id", "src"), over every segment.
    Result<std::vector<uint64_t>> count_live(store::ObjectStore& store, std::string_view column,
                                             const std::vector<std::string_view>& keys) const {
        std::vector<uint64_t> counts(keys.size(), 0);
        if (keys.empty())
            return counts;
        for (const auto& seg : entry.segments) {
            auto reader = OG_TRY(open_segment(store, entry, seg));
            auto rows = OG_TRY(reader.lookup_many(column, keys));
            std::optional<format::DeletionVector> dv;
            for (size_t k = 0; k < keys.size(); ++k) {
                if (rows[k].empty())
                    continue;
                if (!dv)
                    dv = OG_TRY(deleted(store, seg));
                for (uint32_t r : rows[k])
                    counts[k] += dv->contains(r) ? 0 : 1;
            }
        }
        return counts;
    }
};

// One table in the merge: its three entries, the sides' deltas, and what the merge keeps.
struct TableMerge {
    std::string key;
    TableSchema schema;
    const format::TableEntry *base = nullptr, *source = nullptr, *target = nullptr;
    std::optional<TableDelta> s, t; // set when that side changed the table
    // Added rows (by id) of each side that the merged table does not keep.
    std::set<std::string> dropped_source, dropped_target;
    // Rows of the target's segments the merge deletes: segment key -> rows.
    std::map<std::string, std::vector<uint64_t>> deletes;
    MergedTable merged;

    const char* kind() const { return schema.is_edge ? "edge" : "node"; }
};

bool same_table(const format::TableEntry* a, const format::TableEntry* b) {
    return !a || !b || (a->type_id == b->type_id && a->incarnation == b->incarnation);
}

// A row of an added segment of `side`, or of a base segment, read with every property.
struct Image {
    const TableData* data = nullptr;
    size_t row = 0;
};

// Rows read with every property, by (segment key, row): the data and the row in it.
using Images =
    std::map<std::pair<std::string, uint64_t>, std::pair<std::shared_ptr<TableData>, size_t>>;

// Reads the rows of `wanted` (segment key -> rows) of `entry`, every property.
Result<Images> read_images(store::ObjectStore& store, const format::TableEntry& entry,
                           const TableSchema& schema,
                           const std::map<std::string, std::vector<uint64_t>>& wanted) {
    Images out;
    for (const auto& [key, rows] : wanted) {
        auto read = std::make_shared<SegmentRows>(
            OG_TRY(read_segment_rows(store, entry, key, schema, rows, true)));
        std::shared_ptr<TableData> data(read, &read->data);
        for (const auto& [row, i] : read->at)
            out[{key, row}] = {data, i};
    }
    return out;
}

// A merged table entry as the target publishes it: the target's own entry when the segments are
// the same, else the next table version, written by the target's branch.
void stamp_for_target(format::TableEntry& entry, const format::TableEntry* mine,
                      const std::string& branch) {
    if (mine && mine->segments == entry.segments) {
        entry = *mine;
        return;
    }
    entry.table_version = (mine ? mine->table_version : 0) + 1;
    entry.table_branch = branch;
}

class Merger {
  public:
    Merger(store::ObjectStore& store, const schema::Catalog& catalog, const format::Manifest& base,
           const format::Manifest& source, const format::Manifest& target)
        : store_(store), catalog_(catalog), base_(base), source_(source), target_(target) {}

    // The merged tables, or the conflicts.
    Result<std::vector<format::TableEntry>>
    run(std::vector<std::pair<std::string, std::string>>& objects);

  private:
    Status merge_rows(TableMerge& m, TableDelta& s, TableDelta& t);
    Status build_merged(TableMerge& m);
    Status check_endpoints(TableMerge& edges);
    Status check_unique(TableMerge& m);
    Status check_cardinality(TableMerge& edges);
    // Added rows of a side the merged table keeps: (part, row) by id.
    static std::vector<std::pair<const TableDelta::Added*, uint64_t>>
    kept_added(const std::optional<TableDelta>& d, const std::set<std::string>& dropped);

    store::ObjectStore& store_;
    const schema::Catalog& catalog_;
    const format::Manifest &base_, &source_, &target_;
    std::map<std::string, TableMerge> tables_;
    std::vector<Conflict> conflicts_;
};

std::vector<std::pair<const TableDelta::Added*, uint64_t>>
Merger::kept_added(const std::optional<TableDelta>& d, const std::set<std::string>& dropped) {
    std::vector<std::pair<const TableDelta::Added*, uint64_t>> out;
    if (!d)
        return out;
    for (const auto& [id, at] : d->added_ids)
        if (!dropped.count(id))
            out.emplace_back(&d->added[at.part], at.row);
    return out;
}

// Both sides changed the table: which rows each keeps, and the conflicts where they changed the
// same id differently (spec §2.3's per-row rules).
Status Merger::merge_rows(TableMerge& m, TableDelta& s, TableDelta& t) {
    std::set<std::string> target_segments;
    for (const auto& seg : m.target->segments)
        target_segments.insert(seg.segment);
    // Segments both sides gained (an earlier merge): shared, not a change of either side.
    for (auto* d : {&s, &t})
        std::erase_if(d->added_ids, [&](const auto& kv) {
            const std::string& key = d->added[kv.second.part].segment.segment;
            const TableDelta& other = d == &s ? t : s;
            return std::any_of(other.added.begin(), other.added.end(),
                               [&](const auto& a) { return a.segment.segment == key; });
        });
    // Base rows the source removed: deleted from the target too, unless the target removed them
    // as well (then both changed that id).
    std::map<std::string, std::vector<uint64_t>> both; // base segment -> rows
    for (const auto& [seg, rows] : s.removed) {
        const std::vector<uint64_t>* theirs = nullptr;
        if (auto it = t.removed.find(seg); it != t.removed.end())
            theirs = &it->second;
        for (uint64_t r : rows) {
            bool also = theirs && std::binary_search(theirs->begin(), theirs->end(), r);
            if (also || !target_segments.count(seg))
                both[seg].push_back(r);
            else
                m.deletes[seg].push_back(r);
        }
    }
    // The ids both sides changed: base rows both removed, and ids both added.
    std::map<std::string, std::pair<std::string, uint64_t>> base_of; // id -> base row
    for (const auto& [seg, rows] : both) {
        const format::SegmentRef* ref = OG_TRY(find_segment(*m.base, seg));
        auto ids = OG_TRY(read_rows(store_, *m.base, *ref, m.schema, rows, false));
        for (size_t i = 0; i < rows.size(); ++i)
            base_of[std::string(ids.ids[i])] = {seg, rows[i]};
    }
    std::set<std::string> candidates;
    for (const auto& [id, at] : base_of)
        candidates.insert(id);
    for (const auto& [id, at] : s.added_ids)
        if (t.added_ids.count(id))
            candidates.insert(id);
    if (candidates.empty())
        return ok();
    // Their images: base rows, and the two sides' added rows.
    std::map<std::string, std::vector<uint64_t>> want_base, want_s, want_t;
    for (const auto& id : candidates) {
        if (auto b = base_of.find(id); b != base_of.end())
            want_base[b->second.first].push_back(b->second.second);
        if (auto a = s.added_ids.find(id); a != s.added_ids.end())
            want_s[s.added[a->second.part].segment.segment].push_back(a->second.row);
        if (auto a = t.added_ids.find(id); a != t.added_ids.end())
            want_t[t.added[a->second.part].segment.segment].push_back(a->second.row);
    }
    auto base_rows = OG_TRY(read_images(store_, *m.base, m.schema, want_base));
    auto s_rows = OG_TRY(read_images(store_, *m.source, m.schema, want_s));
    auto t_rows = OG_TRY(read_images(store_, *m.target, m.schema, want_t));
    auto image = [](const auto& rows, const std::pair<std::string, uint64_t>& at) -> Image {
        auto it = rows.find(at);
        return it == rows.end() ? Image{} : Image{it->second.first.get(), it->second.second};
    };
    auto same = [](Image a, Image b) {
        if (!a.data || !b.data)
            return !a.data && !b.data;
        return same_row(*a.data, a.row, *b.data, b.row);
    };
    for (const auto& id : candidates) {
        Image b, si, ti;
        if (auto x = base_of.find(id); x != base_of.end())
            b = image(base_rows, x->second);
        if (auto a = s.added_ids.find(id); a != s.added_ids.end())
            si = image(s_rows, {s.added[a->second.part].segment.segment, a->second.row});
        if (auto a = t.added_ids.find(id); a != t.added_ids.end())
            ti = image(t_rows, {t.added[a->second.part].segment.segment, a->second.row});
        bool in_base = base_of.count(id) > 0;
        if (same(si, ti) || (in_base && si.data && same(si, b))) {
            if (si.data)
                m.dropped_source.insert(id); // keep the target's
            continue;
        }
        if (in_base && ti.data && same(ti, b)) {
            m.dropped_target.insert(id); // take the source's
            continue;
        }
        Conflict c{m.kind(), m.schema.name, id, "", ""};
        if (!in_base) {
            c.kind = "divergent_insert";
            c.message = base::concat(m.kind(), " '", id,
                                     "' was inserted on both branches with different values");
        } else if (!si.data || !ti.data) {
            c.kind = "delete_vs_update";
            c.message = base::concat(m.kind(), " '", id, "' was deleted on ",
                                     si.data ? "the target" : "the source",
                                     " and updated on the other branch");
        } else {
            c.kind = "divergent_update";
            c.message =
                base::concat(m.kind(), " '", id, "' was updated differently on both branches");
        }
        conflicts_.push_back(std::move(c));
    }
    return ok();
}

// The merged entry of a table the target and the source both changed: the target's segments
// less the rows the merge deletes, then the source's own segments less the rows it does not
// take. Only deletion vectors are new.
Status Merger::build_merged(TableMerge& m) {
    MergedTable& out = m.merged;
    if (!m.s) { // the source left the table alone
        if (m.target)
            out.entry = *m.target;
        return ok();
    }
    if (!m.t) { // only the source changed it
        out.entry = *m.source;
        return ok();
    }
    out.entry = *m.target;
    // The target's added rows the merge drops are deleted from the target's segments.
    for (const auto& id : m.dropped_target) {
        const AddedRow& at = m.t->added_ids.at(id);
        m.deletes[m.t->added[at.part].segment.segment].push_back(at.row);
    }
    std::set<std::string> present;
    for (const auto& seg : out.entry.segments)
        present.insert(seg.segment);
    std::map<std::string, std::vector<uint64_t>> source_drops;
    for (const auto& id : m.dropped_source) {
        const AddedRow& at = m.s->added_ids.at(id);
        source_drops[m.s->added[at.part].segment.segment].push_back(at.row);
    }
    for (const auto& added : m.s->added) {
        const std::string& key = added.segment.segment;
        if (present.count(key)) {
            // Gained by both (an earlier merge): the source's deletions in it apply too.
            for (uint64_t r : added.deleted.rows)
                m.deletes[key].push_back(r);
            continue;
        }
        format::SegmentRef ref = added.segment;
        auto drops = source_drops.find(key);
        if (drops != source_drops.end() && !drops->second.empty()) {
            format::DeletionVector dv = added.deleted.merged_with(drops->second);
            ref.deleted_rows = dv.rows.size();
            ref.deletion_vector = out.entry.path + "/" + base::new_ulid() + ".dv";
            out.written[ref.segment] = std::move(dv);
        }
        out.entry.segments.push_back(std::move(ref));
    }
    for (auto& seg : out.entry.segments) {
        auto it = m.deletes.find(seg.segment);
        if (it == m.deletes.end() || it->second.empty())
            continue;
        format::DeletionVector dv = OG_TRY(read_deletion_vector(store_, *m.target, seg));
        dv = dv.merged_with(it->second);
        if (dv.rows.size() == seg.deleted_rows)
            continue;
        seg.deleted_rows = dv.rows.size();
        seg.deletion_vector = out.entry.path + "/" + base::new_ulid() + ".dv";
        out.written[seg.segment] = std::move(dv);
    }
    std::erase_if(out.entry.segments, [](const auto& s) { return s.deleted_rows == s.rows; });
    out.entry.row_count = 0;
    for (const auto& seg : out.entry.segments)
        out.entry.row_count += seg.rows - seg.deleted_rows;
    return ok();
}

// Every edge either side added (and the merge keeps) has both endpoints in the merged node
// tables: a side may have deleted a node the other side's new edge points at (OrphanEdge).
Status Merger::check_endpoints(TableMerge& e) {
    auto edges = kept_added(e.s, e.dropped_source);
    auto theirs = kept_added(e.t, e.dropped_target);
    edges.insert(edges.end(), theirs.begin(), theirs.end());
    if (edges.empty())
        return ok();
    for (bool src : {true, false}) {
        const std::string& type = src ? e.schema.edge->from_type : e.schema.edge->to_type;
        auto nodes = tables_.find("node:" + type);
        std::set<std::string_view> wanted;
        for (const auto& [part, row] : edges)
            wanted.insert(src ? part->keys.src[row] : part->keys.dst[row]);
        std::vector<std::string_view> keys(wanted.begin(), wanted.end());
        std::vector<uint64_t> live(keys.size(), 0);
        if (nodes != tables_.end())
            live = OG_TRY(nodes->second.merged.count_live(store_, "id", keys));
        std::set<std::string_view> missing;
        for (size_t k = 0; k < keys.size(); ++k)
            if (live[k] == 0)
                missing.insert(keys[k]);
        for (const auto& [part, row] : edges) {
            std::string_view end = src ? part->keys.src[row] : part->keys.dst[row];
            if (!missing.count(end))
                continue;
            conflicts_.push_back(
                {"edge", e.schema.name, std::string(part->keys.ids[row]), "orphan_edge",
                 base::concat(src ? "src '" : "dst '", end, "' not found in ", type)});
        }
    }
    return ok();
}

// @unique tuples: the rows the source adds against those the target added (rows neither side
// touched were already checked by both).
Status Merger::check_unique(TableMerge& m) {
    const auto& uniques =
        m.schema.is_edge ? m.schema.edge->unique_constraints : m.schema.node->unique_constraints;
    auto mine = kept_added(m.s, m.dropped_source), theirs = kept_added(m.t, m.dropped_target);
    if (uniques.empty() || mine.empty() || theirs.empty())
        return ok();
    auto read = [&](const auto& rows, const format::TableEntry& entry) {
        std::map<std::string, std::vector<uint64_t>> want;
        for (const auto& [part, row] : rows)
            want[part->segment.segment].push_back(row);
        return read_images(store_, entry, m.schema, want);
    };
    auto s_rows = OG_TRY(read(mine, *m.source));
    auto t_rows = OG_TRY(read(theirs, *m.target));
    for (const auto& cols : uniques) {
        auto tuple = [&](const TableData& d, size_t i) -> std::optional<std::string> {
            std::string out;
            for (const auto& col : cols) {
                std::string v;
                if (col == "src" || col == "dst") {
                    v = std::string(col == "src" ? d.src[i] : d.dst[i]);
                } else {
                    const format::Column& c = d.columns.at(m.schema.property_ids->at(col));
                    if (c.is_null(i))
                        return std::nullopt;                             // NULLs never collide
                    v = renderer_of(m.schema.properties->at(col))(c, i); // as a load does
                }
                out += v + '\x1e';
            }
            return out;
        };
        std::map<std::string, std::string> held; // tuple -> target id
        for (const auto& [at, img] : t_rows)
            if (auto k = tuple(*img.first, img.second))
                held.emplace(*k, std::string(img.first->ids[img.second]));
        std::string names;
        for (const auto& c : cols)
            names += (names.empty() ? "" : ",") + c;
        for (const auto& [at, img] : s_rows) {
            auto k = tuple(*img.first, img.second);
            if (!k)
                continue;
            std::string id(img.first->ids[img.second]);
            auto other = held.find(*k);
            if (other == held.end() || other->second == id)
                continue;
            conflicts_.push_back({m.kind(), m.schema.name, id, "unique_violation",
                                  base::concat("@unique violation on ", m.schema.name, ".", names,
                                               ": held by '", other->second, "' and '", id, "'")});
        }
    }
    return ok();
}

// @card of every source node whose edges the merge changes, counted in the merged table.
Status Merger::check_cardinality(TableMerge& e) {
    const schema::EdgeCatalog& edge = *e.schema.edge;
    if (edge.card_min == 0 && !edge.card_max)
        return ok();
    std::set<std::string> sources;
    for (const auto& [part, row] : kept_added(e.s, e.dropped_source))
        sources.insert(std::string(part->keys.src[row]));
    for (const auto& [part, row] : kept_added(e.t, e.dropped_target))
        sources.insert(std::string(part->keys.src[row]));
    if (edge.card_min > 0 && e.s && e.base) // removed edges may leave a source below its minimum
        for (const auto& [key, rows] : e.s->removed) {
            const format::SegmentRef* seg = OG_TRY(find_segment(*e.base, key));
            auto ends = OG_TRY(read_rows(store_, *e.base, *seg, e.schema, rows, false));
            for (size_t i = 0; i < ends.size(); ++i)
                sources.insert(std::string(ends.src[i]));
        }
    std::vector<std::string_view> keys(sources.begin(), sources.end());
    auto counts = OG_TRY(e.merged.count_live(store_, "src", keys));
    for (size_t k = 0; k < keys.size(); ++k) {
        uint64_t n = counts[k];
        std::optional<std::string> bound;
        if (n < edge.card_min)
            bound = "min " + std::to_string(edge.card_min);
        else if (edge.card_max && n > *edge.card_max)
            bound = "max " + std::to_string(*edge.card_max);
        if (bound)
            conflicts_.push_back(
                {"edge", e.schema.name, std::nullopt, "cardinality_violation",
                 base::concat("@card violation on edge ", e.schema.name, ": source '", keys[k],
                              "' has ", std::to_string(n), " edges (", *bound, ")")});
    }
    return ok();
}

Result<std::vector<format::TableEntry>>
Merger::run(std::vector<std::pair<std::string, std::string>>& objects) {
    std::set<std::string> keys;
    for (const auto* m : {&base_, &source_, &target_})
        for (const auto& t : m->tables)
            keys.insert(t.table_key);
    for (const auto& key : keys) {
        TableMerge m;
        m.key = key;
        m.schema = table_schema(catalog_, key);
        m.base = base_.find(key);
        m.source = source_.find(key);
        m.target = target_.find(key);
        if (!same_table(m.base, m.source) || !same_table(m.base, m.target) ||
            !same_table(m.source, m.target))
            return Error(kConflict, "cannot merge: table " + key +
                                        " was dropped and re-created on one of the branches");
        auto changed = [&](const format::TableEntry* side) {
            if (!side)
                return false; // a table only the other side has
            return !m.base || side->segments != m.base->segments;
        };
        if (changed(m.source))
            m.s = OG_TRY(table_delta(store_, m.base, *m.source, m.schema.is_edge));
        if (changed(m.target))
            m.t = OG_TRY(table_delta(store_, m.base, *m.target, m.schema.is_edge));
        if (m.s && m.t)
            OG_CHECK(merge_rows(m, *m.s, *m.t));
        tables_.emplace(key, std::move(m));
    }
    if (!conflicts_.empty())
        return conflicts_error(conflicts_);
    for (auto& [key, m] : tables_)
        OG_CHECK(build_merged(m));
    for (auto& [key, m] : tables_) {
        if (!m.schema.properties)
            continue;
        OG_CHECK(check_unique(m));
        if (m.schema.is_edge) {
            OG_CHECK(check_endpoints(m));
            OG_CHECK(check_cardinality(m));
        }
    }
    if (!conflicts_.empty())
        return conflicts_error(conflicts_);
    std::vector<format::TableEntry> out;
    for (auto& [key, m] : tables_) {
        if (!m.source && !m.target)
            continue;
        format::TableEntry entry = std::move(m.merged.entry);
        stamp_for_target(entry, m.target, target_.branch);
        for (const auto& seg : entry.segments) {
            auto dv = m.merged.written.find(seg.segment);
            if (dv != m.merged.written.end() && seg.deletion_vector)
                objects.emplace_back(seg.deletion_vector.value(),
                                     format::write_deletion_vector(dv->second));
        }
        out.push_back(std::move(entry));
    }
    return out;
}

struct Heads {
    format::Manifest source, target;
    format::CommitRecord base;
};

Result<MergeResult> attempt(store::ObjectStore& store, const Graph& graph, const MergeOptions& o) {
    Heads h{OG_TRY(graph.head(o.source)), OG_TRY(graph.head(o.target)), {}};
    h.base = OG_TRY(merge_base(graph, h.source.commit_id, h.target.commit_id));
    MergeResult result;
    result.source = o.source;
    result.target = o.target;
    result.base_commit_id = h.base.graph_commit_id;
    if (h.source.commit_id == h.target.commit_id || h.base.graph_commit_id == h.source.commit_id) {
        result.outcome = MergeOutcome::kAlreadyUpToDate;
        return result;
    }
    format::Manifest next = h.target;
    next.version = h.target.version + 1;
    std::vector<std::pair<std::string, std::string>> objects; // deletion vectors: key, bytes
    if (h.base.graph_commit_id == h.target.commit_id) {
        result.outcome = MergeOutcome::kFastForward;
        next.schema_ir_hash = h.source.schema_ir_hash;
        next.tables = h.source.tables;
        for (auto& entry : next.tables)
            stamp_for_target(entry, h.target.find(entry.table_key), h.target.branch);
    } else {
        result.outcome = MergeOutcome::kMerged;
        if (h.source.schema_ir_hash != h.target.schema_ir_hash)
            return Error(kConflict,
                         base::concat("cannot merge '", o.source, "' into '", o.target,
                                      "': their heads have different schemas (",
                                      h.source.schema_ir_hash, " and ", h.target.schema_ir_hash,
                                      "); apply the same schema to both branches first"));
        format::Manifest base =
            OG_TRY(graph.snapshot({.commit_id = h.base.graph_commit_id})).manifest;
        SchemaRef schema = OG_TRY(graph.schema_version(h.target.schema_ir_hash));
        Merger merger(store, schema->catalog, base, h.source, h.target);
        next.tables = OG_TRY(merger.run(objects));
    }

    format::CommitRecord commit = new_commit(h.target, next, o.actor);
    commit.merged_parent_commit_id = h.source.commit_id;

    // As a load does (engine/load.cpp): recorded before the first object, so a crash anywhere
    // is rolled back or forward by the next writer.
    PendingOp op =
        new_pending_op("merge", h.target.branch, h.target.version, commit.graph_commit_id);
    for (const auto& [key, bytes] : objects)
        op.created.push_back(key);
    op.created.push_back(format::commit_key(commit.graph_commit_id));
    OG_CHECK(begin_pending(store, op));
    Status published = [&]() -> Status {
        for (const auto& [key, bytes] : objects)
            OG_CHECK(store.put_if_absent(key, bytes));
        OG_CHECK(base::failpoint("merge.before_publish"));
        return format::publish(store, commit, next);
    }();
    OG_CHECK(settle_publish(store, op, graph.seal(), std::move(published)));
    if (h.target.branch == "main" && next.schema_ir_hash != h.target.schema_ir_hash) {
        // A fast-forward brought a new schema to main: the root's files follow (a failure here
        // is repaired by the next writer's heal()).
        auto schema = graph.schema_version(next.schema_ir_hash);
        Status promoted = schema ? write_root_schema(store, **schema) : Status(schema.error());
        if (!promoted)
            base::log(base::LogLevel::kWarn, "merge.promote_failed",
                      {{"error", promoted.error().message}});
    }
    finish_pending_committed(store, op);
    result.commit = commit;
    return result;
}

} // namespace

const char* merge_outcome_name(MergeOutcome outcome) {
    switch (outcome) {
    case MergeOutcome::kAlreadyUpToDate:
        return "already_up_to_date";
    case MergeOutcome::kFastForward:
        return "fast_forward";
    case MergeOutcome::kMerged:
        return "merged";
    }
    return "merged";
}

Result<MergeResult> merge_branch(store::ObjectStore& store, const Graph& graph,
                                 const MergeOptions& options) {
    MergeOptions o = options;
    o.source = OG_TRY(normalize_branch_name(options.source));
    o.target = OG_TRY(normalize_branch_name(options.target));
    if (o.source == o.target)
        return Error(codes::kInvalidArgument, "merge needs distinct source and target branches ('" +
                                                  o.source + "' given for both)");
    OG_CHECK(graph.authorize_write({WriteAction::kBranchMerge, o.source, o.target, o.actor}));
    OG_CHECK(graph.authorize_write({WriteAction::kReadSource, o.source, {}, o.actor}));
    OG_CHECK(graph.heal());
    OG_CHECK(refuse_pending_operations(store, graph.seal(), "merge"));
    for (int i = 1;; ++i) {
        auto result = attempt(store, graph, o);
        if (result || !result.error().is(format::kManifestConflict) || i == kMergeAttempts)
            return result;
    }
}

} // namespace omnigraph::engine
