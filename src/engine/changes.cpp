#include "engine/changes.h"

#include "engine/cell_json.h"
#include "engine/reclaimed.h"
#include "engine/table_delta.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>

namespace omnigraph::engine {

using base::Json;

namespace {

Error refusal(std::string_view reason, const format::CommitRecord& c, std::string message) {
    return Error(kChangeDiffRefusal, std::move(message))
        .with_detail("reason", std::string(reason))
        .with_detail("graph_commit_id", c.graph_commit_id);
}

Error gap(const format::CommitRecord& c, const Error& why) {
    return Error(kChangeFeedGap, "the history commit " + c.graph_commit_id +
                                     " needs is no longer readable (" + why.message +
                                     "); capture a new baseline")
        .with_detail("first_unreadable_commit_id", c.graph_commit_id);
}

// A reclaimed version, or an object cleanup removed under the read, is a gap in the feed's
// history; anything else stays what it is.
Error explain(const Graph& graph, const format::CommitRecord& c, const format::Manifest& m,
              Error failure) {
    Error e = explain_read_failure(graph.store(), m, std::move(failure));
    return e.is(kVersionReclaimed) ? gap(c, e) : e;
}

Result<format::Manifest> manifest_of(const Graph& graph, const format::CommitRecord& diffed,
                                     const format::CommitRecord& c) {
    auto m = graph.at_version(c.graph_branch, c.graph_manifest_version);
    if (!m)
        return m.error().is(kVersionReclaimed) ? gap(diffed, m.error()) : m.error();
    if (m->commit_id != c.graph_commit_id)
        return Error(codes::kNotFound, "commit " + c.graph_commit_id +
                                           " is no longer the published version " +
                                           std::to_string(c.graph_manifest_version) +
                                           " of branch '" + c.graph_branch + "'");
    return m;
}

std::string type_identity(const format::TableEntry& e) {
    char buf[40];
    int n = std::snprintf(buf, sizeof buf, "%016llx-%016llx",
                          static_cast<unsigned long long>(e.type_id),
                          static_cast<unsigned long long>(e.incarnation));
    return std::string(buf, static_cast<size_t>(std::max(n, 0)));
}

// The changes of one table whose segments differ between `before` (null: the commit added the
// table) and `after`.
Status diff_table(const Graph& graph, const CommitDiff& diff, const format::TableEntry* before,
                  const format::TableEntry& after, const TableSchema& schema,
                  std::vector<EntityChange>& out) {
    store::ObjectStore& store = graph.store();
    auto delta = table_delta(store, before, after, schema.is_edge);
    if (!delta)
        return explain(graph, diff.commit, before ? diff.parent_manifest : diff.manifest,
                       std::move(delta).error());
    // The removed rows' ids.
    std::map<std::string, EntityChange::Place> removed; // id -> place in the parent
    for (const auto& [segment, rows] : delta->removed) {
        auto read = read_segment_rows(store, *before, segment, schema, rows, false);
        if (!read)
            return explain(graph, diff.commit, diff.parent_manifest, std::move(read).error());
        for (const auto& [row, i] : read->at)
            removed.emplace(std::string(read->data.ids[i]), EntityChange::Place{segment, row});
    }
    // An id both removed and added is an update unless its values are the same (a rewrite):
    // those rows are read with their values, grouped by segment.
    std::map<std::string, std::vector<uint64_t>> old_rows, new_rows;
    for (const auto& [id, at] : delta->added_ids)
        if (auto it = removed.find(id); it != removed.end()) {
            old_rows[it->second.segment].push_back(it->second.row);
            new_rows[delta->added[at.part].segment.segment].push_back(at.row);
        }
    std::map<std::pair<std::string, uint64_t>, std::pair<std::shared_ptr<SegmentRows>, size_t>>
        old_of, new_of;
    auto read_all = [&](const format::TableEntry& entry, const format::Manifest& m,
                        const std::map<std::string, std::vector<uint64_t>>& wanted,
                        auto& into) -> Status {
        for (const auto& [segment, rows] : wanted) {
            auto read = read_segment_rows(store, entry, segment, schema, rows, true);
            if (!read)
                return explain(graph, diff.commit, m, std::move(read).error());
            auto shared = std::make_shared<SegmentRows>(std::move(*read));
            for (const auto& [row, i] : shared->at)
                into[{segment, row}] = {shared, i};
        }
        return ok();
    };
    if (!old_rows.empty()) {
        OG_CHECK(read_all(*before, diff.parent_manifest, old_rows, old_of));
        OG_CHECK(read_all(after, diff.manifest, new_rows, new_of));
    }
    EntityChange base;
    base.is_edge = schema.is_edge;
    base.table_key = after.table_key;
    base.type_id = type_identity(after);
    base.type_name = schema.name;
    for (const auto& [id, at] : delta->added_ids) {
        EntityChange c = base;
        c.id = id;
        c.after = EntityChange::Place{delta->added[at.part].segment.segment, at.row};
        if (auto it = removed.find(id); it != removed.end()) {
            auto& [o, oi] = old_of.at({it->second.segment, it->second.row});
            auto& [n, ni] = new_of.at({c.after->segment, c.after->row});
            bool same = same_row(o->data, oi, n->data, ni);
            c.before = it->second;
            c.op = ChangeOp::kUpdate;
            removed.erase(it);
            if (same)
                continue;
        }
        out.push_back(std::move(c));
    }
    for (auto& [id, place] : removed) {
        EntityChange c = base;
        c.id = id;
        c.op = ChangeOp::kDelete;
        c.before = std::move(place);
        out.push_back(std::move(c));
    }
    return ok();
}

Json image_of(const TableData& data, size_t row, const TableSchema& schema) {
    Json properties = Json::object();
    for (const auto& [name, type] : *schema.properties)
        properties[name] = cell_json(data.columns.at(schema.property_ids->at(name)), row);
    Json image = Json::object({{"properties", std::move(properties)}});
    if (schema.is_edge)
        image["endpoints"] = Json::object({{"from", data.src[row]}, {"to", data.dst[row]}});
    return image;
}

} // namespace

std::string_view op_name(ChangeOp op) {
    switch (op) {
    case ChangeOp::kInsert:
        return "insert";
    case ChangeOp::kUpdate:
        return "update";
    case ChangeOp::kDelete:
        return "delete";
    }
    return "insert";
}

std::optional<ChangeOp> parse_op(std::string_view text) {
    for (ChangeOp op : {ChangeOp::kInsert, ChangeOp::kUpdate, ChangeOp::kDelete})
        if (op_name(op) == text)
            return op;
    return std::nullopt;
}

Result<ChangeFilter> make_change_filter(std::vector<std::string> kinds,
                                        std::vector<std::string> types,
                                        const std::vector<std::string>& ops,
                                        std::string_view prefix) {
    ChangeFilter f;
    for (const auto& k : kinds)
        if (k != "node" && k != "edge")
            return Error(codes::kInvalidArgument, "invalid " + std::string(prefix) + "kind '" + k +
                                                      "': expected node or edge");
    for (const auto& o : ops) {
        auto op = parse_op(o);
        if (!op)
            return Error(codes::kInvalidArgument, "invalid " + std::string(prefix) + "op '" + o +
                                                      "': expected insert, update or delete");
        f.ops.push_back(*op);
    }
    f.kinds = std::move(kinds);
    f.types = std::move(types);
    return f;
}

bool ChangeFilter::admits_table(bool is_edge, std::string_view type_name) const {
    std::string_view kind = is_edge ? "edge" : "node";
    return (kinds.empty() || std::find(kinds.begin(), kinds.end(), kind) != kinds.end()) &&
           (types.empty() || std::find(types.begin(), types.end(), type_name) != types.end());
}

bool ChangeFilter::admits(ChangeOp op) const {
    return ops.empty() || std::find(ops.begin(), ops.end(), op) != ops.end();
}

ChangeFilter ChangeFilter::canonical() const {
    ChangeFilter c = *this;
    auto tidy = [](auto& v) {
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
    };
    tidy(c.kinds);
    tidy(c.types);
    tidy(c.ops);
    return c;
}

Result<CommitDiff> diff_commit(const Graph& graph, const format::CommitRecord& commit,
                               const ChangeFilter& filter) {
    CommitDiff diff;
    diff.commit = commit;
    if (!commit.parent_commit_id)
        return refusal("parentless_commit", commit,
                       "commit " + commit.graph_commit_id +
                           " has no parent to diff against (the graph's first commit)");
    auto parent = OG_TRY(graph.commit(*commit.parent_commit_id));
    diff.manifest = OG_TRY(manifest_of(graph, commit, commit));
    diff.parent_manifest = OG_TRY(manifest_of(graph, commit, parent));
    if (diff.manifest.schema_ir_hash != diff.parent_manifest.schema_ir_hash)
        return refusal("schema_boundary", commit,
                       "commit " + commit.graph_commit_id +
                           " is a schema boundary: it changed the schema, so its entity changes "
                           "cannot be stated in one schema (compare the snapshots on either "
                           "side, or take a baseline after it)");
    diff.schema = OG_TRY(graph.schema_version(diff.manifest.schema_ir_hash));
    for (const auto& after : diff.manifest.tables) {
        const format::TableEntry* before = diff.parent_manifest.find(after.table_key);
        if (before && before->segments == after.segments)
            continue;
        TableSchema schema = table_schema(diff.schema->catalog, after.table_key);
        if (!schema.properties)
            return Error(kGraphInvalid, "manifest " + std::to_string(diff.manifest.version) +
                                            " of branch '" + diff.manifest.branch + "' lists " +
                                            after.table_key +
                                            ", which its schema does not declare");
        if (!filter.admits_table(schema.is_edge, schema.name))
            continue;
        if (before &&
            (before->type_id != after.type_id || before->incarnation != after.incarnation))
            return refusal("schema_boundary", commit,
                           "commit " + commit.graph_commit_id +
                               " is a schema boundary: it re-created table " + after.table_key)
                .with_detail("type_name", schema.name);
        OG_CHECK(diff_table(graph, diff, before, after, schema, diff.changes));
    }
    std::erase_if(diff.changes, [&](const EntityChange& c) { return !filter.admits(c.op); });
    std::sort(diff.changes.begin(), diff.changes.end(),
              [](const EntityChange& a, const EntityChange& b) {
                  return std::tie(a.is_edge, a.type_id, a.id, a.op) <
                         std::tie(b.is_edge, b.type_id, b.id, b.op);
              });
    return diff;
}

Status read_images(const Graph& graph, const CommitDiff& diff, size_t begin, size_t end,
                   Json& out) {
    end = std::min(end, diff.changes.size());
    out = Json::array();
    for (size_t i = begin; i < end; ++i)
        out.push_back(Json::object({{"before", nullptr}, {"after", nullptr}}));
    // One read per (table, side, segment) for the rows this page shows.
    using Group = std::tuple<std::string, bool, std::string>;         // table, after?, segment
    std::map<Group, std::vector<std::pair<size_t, uint64_t>>> groups; // (change, row)
    for (size_t i = begin; i < end; ++i) {
        const EntityChange& c = diff.changes[i];
        if (c.before)
            groups[{c.table_key, false, c.before->segment}].emplace_back(i, c.before->row);
        if (c.after)
            groups[{c.table_key, true, c.after->segment}].emplace_back(i, c.after->row);
    }
    for (const auto& [group, members] : groups) {
        const auto& [table_key, after, segment] = group;
        const format::Manifest& m = after ? diff.manifest : diff.parent_manifest;
        const format::TableEntry* entry = m.find(table_key);
        if (!entry)
            return Error(codes::kInternal, "change diff: " + table_key + " is not in manifest " +
                                               std::to_string(m.version));
        TableSchema schema = table_schema(diff.schema->catalog, table_key);
        std::vector<uint64_t> rows;
        for (const auto& [i, row] : members)
            rows.push_back(row);
        auto read = read_segment_rows(graph.store(), *entry, segment, schema, rows, true);
        if (!read)
            return explain(graph, diff.commit, m, std::move(read).error());
        for (const auto& [i, row] : members)
            out[i - begin][after ? "after" : "before"] =
                image_of(read->data, read->at.at(row), schema);
    }
    return ok();
}

} // namespace omnigraph::engine
