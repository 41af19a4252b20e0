// The entity changes one commit made against its first parent (spec engine-cli §2.5, RFC-0030):
// inserts, updates and deletes of nodes and edges, with exact before and after images.
//
// The diff is read off the two manifests like a merge reads a side's change (table_delta.h):
// only tables whose segments differ are looked at, and only the rows they removed or added.
// A row removed and re-added with the same values (optimize's rewrite) is no change, so a
// physical-only commit is an empty diff. The changes are found first with their ids and
// places only (diff_commit); images are read for the rows a page shows (read_images), so a
// page of a large commit costs that page's rows, not the commit's.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/graph.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::engine {

// A diff this commit cannot give (HTTP 409 `change_diff_refusal`): details `reason`
// (parentless_commit | schema_boundary) and `graph_commit_id`.
inline constexpr std::string_view kChangeDiffRefusal = "change_diff_refusal";
// History the diff or the feed needs was reclaimed by cleanup (HTTP 410 `change_feed_gap`):
// details `first_unreadable_commit_id` and, for a feed, `cursor`.
inline constexpr std::string_view kChangeFeedGap = "change_feed_gap";

enum class ChangeOp : uint8_t { kInsert, kUpdate, kDelete }; // the frozen order within an id
std::string_view op_name(ChangeOp op);
std::optional<ChangeOp> parse_op(std::string_view text);

// Which changes to report: each dimension empty = all. Kinds are "node" / "edge", types are
// type names.
struct ChangeFilter {
    std::vector<std::string> kinds;
    std::vector<std::string> types;
    std::vector<ChangeOp> ops;

    bool admits_table(bool is_edge, std::string_view type_name) const;
    bool admits(ChangeOp op) const;
    // Sorted, without repeats: two filters that admit the same changes compare equal.
    ChangeFilter canonical() const;
    friend bool operator==(const ChangeFilter&, const ChangeFilter&) = default;
};

// A filter from the words a caller gave: invalid_argument `invalid <prefix>kind '<k>': expected
// node or edge` (likewise op) for any other word. `prefix` is how the caller spells the
// dimension's name ("--" for CLI flags).
Result<ChangeFilter> make_change_filter(std::vector<std::string> kinds,
                                        std::vector<std::string> types,
                                        const std::vector<std::string>& ops,
                                        std::string_view prefix = "");

// One entity change, without its images: where the before and after rows live.
struct EntityChange {
    bool is_edge = false;
    std::string table_key; // "node:Person"
    std::string type_id;   // opaque type identity: "<type id>-<incarnation>" in hex
    std::string type_name;
    std::string id;
    ChangeOp op = ChangeOp::kInsert;
    struct Place {
        std::string segment; // segment key
        uint64_t row = 0;
    };
    std::optional<Place> before; // in the parent's table (update, delete)
    std::optional<Place> after;  // in the commit's table (insert, update)
};

// A commit's diff: its record, both manifests, the schema, and every admitted change in the
// spec's order (nodes before edges, then type identity, then id, then op).
struct CommitDiff {
    format::CommitRecord commit;
    format::Manifest parent_manifest, manifest;
    SchemaRef schema;
    std::vector<EntityChange> changes;
};

// The diff of `commit` against its first parent. kChangeDiffRefusal for a commit without a
// parent (genesis) or whose parent has another schema; kChangeFeedGap when cleanup reclaimed
// a version the diff reads.
Result<CommitDiff> diff_commit(const Graph& graph, const format::CommitRecord& commit,
                               const ChangeFilter& filter);

// The ChangeImageOutput objects ({"properties": {...}, "endpoints": {from, to}} for edges) of
// changes [begin, end) of `diff`: `images` becomes an array of {"before", "after"} objects, null
// where the op has no such image.
Status read_images(const Graph& graph, const CommitDiff& diff, size_t begin, size_t end,
                   base::Json& images);

} // namespace omnigraph::engine
