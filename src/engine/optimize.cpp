#include "engine/optimize.h"

#include "base/clock.h"
#include "base/failpoint.h"
#include "base/text.h"
#include "base/ulid.h"
#include "engine/pending.h"
#include "engine/table_data.h"

#include <nlohmann/json.hpp>

namespace omnigraph::engine {

namespace {

bool needs_rewrite(const format::SegmentRef& seg, const OptimizeOptions& o) {
    return seg.deletion_vector || (seg.rows < o.target_rows / 2 && seg.bytes < o.target_bytes / 2);
}

// The new segment list of one table: the segments to rewrite, grouped in order into runs of
// about the target size, each run read (live rows only) and encoded as one segment. Untouched
// segments keep their place; the rewritten ones take the place of the first they replace.
Status compact_table(store::ObjectStore& store, const schema::Catalog& catalog,
                     format::TableEntry& entry, const OptimizeOptions& o, OptimizedTable& out,
                     std::vector<std::pair<std::string, std::string>>& written) {
    out.table_key = entry.table_key;
    out.segments_before = out.segments_after = entry.segments.size();
    out.table_version = entry.table_version;
    std::vector<size_t> chosen;
    for (size_t i = 0; i < entry.segments.size(); ++i)
        if (needs_rewrite(entry.segments[i], o))
            chosen.push_back(i);
    bool has_deletions = false;
    for (size_t i : chosen)
        has_deletions = has_deletions || entry.segments[i].deletion_vector.has_value();
    if (chosen.size() < 2 && !has_deletions)
        return ok(); // already compact
    TableSchema ts = table_schema(catalog, entry.table_key);
    if (!ts.properties || !ts.property_ids) {
        out.skipped = "not_in_schema";
        return ok();
    }
    std::vector<format::SegmentRef> added;
    format::TableEntry group = entry;
    group.segments.clear();
    uint64_t group_rows = 0, group_bytes = 0;
    auto flush = [&]() -> Status {
        if (group.segments.empty())
            return ok();
        auto rows = OG_TRY(read_table(store, group, ts.is_edge, *ts.properties, *ts.property_ids));
        group.segments.clear();
        group_rows = group_bytes = 0;
        if (rows.size() == 0)
            return ok(); // every row was deleted: the segments just go
        std::string bytes = OG_TRY(encode_table(rows, ts));
        std::string key = entry.path + "/" + base::new_ulid() + ".seg";
        added.push_back({key, rows.size(), bytes.size(), std::nullopt, 0});
        written.emplace_back(std::move(key), std::move(bytes));
        return ok();
    };
    for (size_t i : chosen) {
        const format::SegmentRef& seg = entry.segments[i];
        group.segments.push_back(seg);
        group_rows += seg.rows - seg.deleted_rows;
        group_bytes += seg.bytes;
        if (group_rows >= o.target_rows || group_bytes >= o.target_bytes)
            OG_CHECK(flush());
    }
    OG_CHECK(flush());
    std::vector<format::SegmentRef> next;
    for (size_t i = 0; i < entry.segments.size(); ++i) {
        if (i == chosen.front())
            next.insert(next.end(), added.begin(), added.end());
        if (!needs_rewrite(entry.segments[i], o))
            next.push_back(entry.segments[i]);
    }
    out.fragments_removed = chosen.size();
    out.fragments_added = added.size();
    out.segments_after = next.size();
    out.committed = true;
    entry.segments = std::move(next);
    return ok();
}

// One attempt against the branch's current head; manifest_conflict when another writer won.
Result<OptimizeResult> attempt(store::ObjectStore& store, const Graph& graph,
                               const OptimizeOptions& o) {
    auto head = OG_TRY(graph.head(o.branch));
    SchemaRef schema = OG_TRY(graph.schema_version(head.schema_ir_hash));
    OptimizeResult result;
    result.uri = graph.uri();
    result.branch = head.branch;
    format::Manifest next = head;
    next.version = head.version + 1;
    std::vector<std::pair<std::string, std::string>> written; // key, bytes
    for (auto& entry : next.tables) {
        OptimizedTable t;
        OG_CHECK(compact_table(store, schema->catalog, entry, o, t, written));
        if (t.committed) {
            entry.table_version += 1;
            entry.table_branch = head.branch;
            t.table_version = entry.table_version;
        }
        result.tables.push_back(std::move(t));
    }
    bool changed = false;
    for (const auto& t : result.tables)
        changed = changed || t.committed;
    if (!changed)
        return result;

    format::CommitRecord commit;
    commit.graph_commit_id = base::new_ulid();
    commit.graph_branch = head.branch;
    commit.graph_manifest_version = next.version;
    commit.parent_commit_id = head.commit_id;
    commit.actor_id = o.actor;
    commit.message = "optimize";
    commit.created_at = base::unix_micros(base::now());
    next.commit_id = commit.graph_commit_id;

    // As a load does (engine/load.cpp): recorded before the first object, so a crash anywhere
    // is rolled back or forward by the next writer.
    PendingOp op = new_pending_op("optimize", head.branch, head.version, commit.graph_commit_id);
    for (const auto& [key, bytes] : written)
        op.created.push_back(key);
    op.created.push_back(format::commit_key(commit.graph_commit_id));
    OG_CHECK(begin_pending(store, op));
    Status published = [&]() -> Status {
        for (const auto& [key, bytes] : written) {
            OG_CHECK(store.put_if_absent(key, bytes));
            OG_CHECK(base::failpoint("optimize.after_segment"));
        }
        OG_CHECK(base::failpoint("optimize.before_publish"));
        return format::publish(store, commit, next);
    }();
    if (!published && !published.error().is(format::kManifestConflict)) {
        auto landed = pending_committed(store, op, graph.seal());
        if (landed && *landed)
            published = ok();
    }
    if (!published) {
        finish_pending_failed(store, op, graph.seal());
        return std::move(published).error();
    }
    finish_pending_committed(store, op);
    result.commit = commit;
    return result;
}

} // namespace

Result<OptimizeResult> optimize_graph(store::ObjectStore& store, const Graph& graph,
                                      const OptimizeOptions& options) {
    OG_CHECK(graph.authorize_write({WriteAction::kChange, options.branch, {}, options.actor}));
    OG_CHECK(graph.heal());
    OG_CHECK(refuse_pending_operations(store, graph.seal(), "optimize"));
    for (int i = 1;; ++i) {
        auto result = attempt(store, graph, options);
        if (result || !result.error().is(format::kManifestConflict) || i == kOptimizeAttempts)
            return result;
    }
}

base::Json optimize_json(const OptimizeResult& result) {
    base::Json out;
    out["uri"] = result.uri;
    out["datasets"] = base::Json::array();
    for (const auto& t : result.tables) {
        base::Json d;
        d["type_key"] = t.table_key;
        d["fragments_removed"] = t.fragments_removed;
        d["fragments_added"] = t.fragments_added;
        d["committed"] = t.committed;
        d["skipped"] = t.skipped ? base::Json(*t.skipped) : base::Json(nullptr);
        // Our tables have no separate storage head: the published version is the head.
        d["published_dataset_version"] = t.table_version;
        d["lance_head_version"] = t.table_version;
        d["pending_indexes"] = base::Json::array();
        out["datasets"].push_back(std::move(d));
    }
    out["graph_manifest_version"] =
        result.commit ? base::Json(result.commit->graph_manifest_version) : base::Json(nullptr);
    out["commit_id"] =
        result.commit ? base::Json(result.commit->graph_commit_id) : base::Json(nullptr);
    return out;
}

std::vector<std::string> optimize_lines(const OptimizeResult& result) {
    std::vector<std::string> lines{base::concat("optimize ", result.uri, " \u2014 ",
                                                std::to_string(result.tables.size()), " datasets")};
    for (const auto& t : result.tables) {
        bool edge = t.table_key.starts_with("edge:");
        std::string label = base::concat(edge ? "edge" : "node", " type '",
                                         t.table_key.substr(t.table_key.find(':') + 1), "'");
        if (label.size() < 40)
            label.resize(40, ' ');
        std::string what =
            t.skipped     ? "skipped (" + *t.skipped + ")"
            : t.committed ? base::concat("frags ", std::to_string(t.segments_before), " \u2192 ",
                                         std::to_string(t.segments_after), " \u2713")
                          : std::string("no-op");
        lines.push_back(label + what);
    }
    if (result.commit)
        lines.push_back(base::concat(
            "committed version ", std::to_string(result.commit->graph_manifest_version),
            " of branch '", result.branch, "' (commit ", result.commit->graph_commit_id, ")"));
    return lines;
}

} // namespace omnigraph::engine
