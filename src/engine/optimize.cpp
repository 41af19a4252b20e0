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

// A compaction candidate: small (under half the target rows and bytes) or with deletions.
bool small_or_deleted(const format::SegmentRef& seg, const OptimizeOptions& o) {
    return seg.deletion_vector || (seg.rows < o.target_rows / 2 && seg.bytes < o.target_bytes / 2);
}

// The new segment list of one table. Compaction: when two or more segments are candidates (or
// one has deletions), the candidates are grouped in order into runs of about the target size,
// each run read (live rows only) and encoded as one segment; the new segments take the place of
// the first candidate. Re-indexing: every other segment that lacks its key indexes (format 1 or
// 2, or a format-1 upgrade written before indexes), or the vector index of an @index Vector
// property it holds enough vectors of, is rewritten on its own, in its place, rows in order;
// only these count as re-indexed. Both encode through encode_table, so every new
// segment carries its indexes.
Status compact_table(store::ObjectStore& store, const schema::Catalog& catalog,
                     format::TableEntry& entry, const OptimizeOptions& o, OptimizedTable& out,
                     std::vector<std::pair<std::string, std::string>>& written) {
    out.table_key = entry.table_key;
    out.segments_before = out.segments_after = entry.segments.size();
    out.table_version = entry.table_version;
    TableSchema ts = table_schema(catalog, entry.table_key);
    const size_t n = entry.segments.size();
    std::vector<bool> compact(n), unindexed(n);
    size_t candidates = 0;
    bool has_deletions = false;
    for (size_t i = 0; i < n; ++i) {
        compact[i] = small_or_deleted(entry.segments[i], o);
        candidates += compact[i];
        has_deletions = has_deletions || entry.segments[i].deletion_vector.has_value();
    }
    if (candidates < 2 && !has_deletions)
        compact.assign(n, false); // already compact
    // The segments compaction keeps: do they have their indexes? (One footer read each; the
    // compacted ones are rewritten with indexes anyway.)
    for (size_t i = 0; i < n; ++i) {
        if (compact[i])
            continue;
        auto reader = OG_TRY(open_segment(store, entry, entry.segments[i]));
        unindexed[i] = !format::has_key_indexes(reader.footer(), ts.is_edge) ||
                       lacks_vector_index(reader.footer(), ts);
    }
    std::vector<size_t> chosen;
    for (size_t i = 0; i < n; ++i)
        if (compact[i] || unindexed[i])
            chosen.push_back(i);
    if (chosen.empty())
        return ok();
    if (!ts.properties || !ts.property_ids) {
        out.skipped = "not_in_schema";
        return ok();
    }
    // The live rows of `segments` as one new segment; nullopt when every row was deleted.
    auto rewrite = [&](const std::vector<format::SegmentRef>& segments)
        -> Result<std::optional<format::SegmentRef>> {
        format::TableEntry part = entry;
        part.segments = segments;
        auto rows = OG_TRY(read_table(store, part, ts.is_edge, *ts.properties, *ts.property_ids));
        if (rows.size() == 0)
            return std::optional<format::SegmentRef>();
        std::string bytes = OG_TRY(encode_table(rows, ts));
        std::string key = entry.path + "/" + base::new_ulid() + ".seg";
        format::SegmentRef ref{key, rows.size(), bytes.size(), std::nullopt, 0};
        written.emplace_back(std::move(key), std::move(bytes));
        return std::optional<format::SegmentRef>(std::move(ref));
    };
    std::vector<format::SegmentRef> compacted; // replaces the candidates, at the first's place
    std::vector<format::SegmentRef> group;
    uint64_t group_rows = 0, group_bytes = 0;
    auto flush = [&]() -> Status {
        if (group.empty())
            return ok();
        if (auto made = OG_TRY(rewrite(group)))
            compacted.push_back(std::move(*made));
        group.clear();
        group_rows = group_bytes = 0;
        return ok();
    };
    for (size_t i = 0; i < n; ++i) {
        if (!compact[i])
            continue;
        const format::SegmentRef& seg = entry.segments[i];
        group.push_back(seg);
        group_rows += seg.rows - seg.deleted_rows;
        group_bytes += seg.bytes;
        if (group_rows >= o.target_rows || group_bytes >= o.target_bytes)
            OG_CHECK(flush());
    }
    OG_CHECK(flush());
    std::vector<format::SegmentRef> next;
    std::optional<size_t> compacted_at; // where in `next` the compacted segments go
    uint64_t added = compacted.size();
    for (size_t i = 0; i < n; ++i) {
        const format::SegmentRef& seg = entry.segments[i];
        if (compact[i]) {
            if (!compacted_at)
                compacted_at = next.size();
        } else if (unindexed[i]) {
            if (auto made = OG_TRY(rewrite({seg}))) {
                next.push_back(std::move(*made));
                ++added;
            }
        } else {
            next.push_back(seg);
        }
    }
    if (compacted_at)
        next.insert(next.begin() + static_cast<std::ptrdiff_t>(*compacted_at), compacted.begin(),
                    compacted.end());
    for (size_t i : chosen)
        out.segments_reindexed += unindexed[i]; // only ever set outside compaction
    out.fragments_removed = chosen.size();
    out.fragments_added = added;
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

    format::CommitRecord commit = new_commit(head, next, o.actor, "optimize");

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
    OG_CHECK(settle_publish(store, op, graph.seal(), std::move(published)));
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
        d["segments_reindexed"] = t.segments_reindexed;
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
        std::string reindexed =
            t.segments_reindexed == 0
                ? std::string()
                : base::concat(" (", std::to_string(t.segments_reindexed), " re-indexed)");
        std::string what =
            t.skipped     ? "skipped (" + *t.skipped + ")"
            : t.committed ? base::concat("frags ", std::to_string(t.segments_before), " \u2192 ",
                                         std::to_string(t.segments_after), " \u2713", reindexed)
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
