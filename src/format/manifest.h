// Graph manifests and the per-branch version log (docs/format/manifest.md).
//
// A manifest is one immutable JSON object describing one version of one branch of a graph:
// which segments (and deletion vectors) make up each node and edge table, the commit that
// produced it, and the schema it was written under. A snapshot is one manifest: opening it is
// one GET. Versions of a branch live at `_log/<branch>/<inv:020>.json` with inv = 2^64-1-v, so
// a LIST of the prefix yields the newest first and the latest version is one LIST call.
// Creating the next version's object with put_if_absent is the commit point: of several
// writers racing for version v+1 exactly one succeeds; the others get manifest_conflict and
// must re-read, re-validate and retry. Commit records (`_commits/<ulid>.json`) are written
// before the manifest that names them, so a published manifest never points at a missing
// commit; a record whose manifest lost the race is unreferenced residue.
// Thread-safety: the functions are stateless; concurrency safety comes from the store.
#pragma once

#include "base/error.h"
#include "base/record_seal.h"
#include "store/object_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::format {

inline constexpr std::string_view kManifestConflict = "manifest_conflict";
inline constexpr std::string_view kManifestCorrupt = "manifest_corrupt";

struct SegmentRef {
    std::string segment;                        // key under the graph root
    uint64_t rows = 0;                          // rows in the segment file
    uint64_t bytes = 0;                         // file size: readers skip the HEAD
    std::optional<std::string> deletion_vector; // key of the newest deletion vector, if any
    uint64_t deleted_rows = 0;
    friend bool operator==(const SegmentRef&, const SegmentRef&) = default;
};

struct TableEntry {
    std::string table_key; // "node:Person", "edge:Knows"
    uint64_t type_id = 0;  // stable type id (schema IR)
    uint64_t incarnation = 0;
    std::string path;                  // "tables/<type_id:016x>-<incarnation:016x>"
    uint64_t table_version = 1;        // bumped whenever the table's segments change
    std::string table_branch = "main"; // the branch whose write produced this table_version
    uint64_t row_count = 0;            // live rows (segment rows minus deleted rows)
    std::vector<SegmentRef> segments;
    friend bool operator==(const TableEntry&, const TableEntry&) = default;
};

struct Manifest {
    uint64_t version = 0; // per branch, 1 = genesis on main
    std::string branch;
    std::string commit_id;          // the commit that published this version
    std::string schema_ir_hash;     // the schema the tables conform to
    std::vector<TableEntry> tables; // sorted by table_key
    friend bool operator==(const Manifest&, const Manifest&) = default;
    const TableEntry* find(std::string_view table_key) const;
};

struct CommitRecord {
    std::string graph_commit_id; // ULID
    std::string graph_branch;
    uint64_t graph_manifest_version = 0;
    std::optional<std::string> parent_commit_id;
    std::optional<std::string> merged_parent_commit_id;
    std::optional<std::string> actor_id;
    std::optional<std::string> message;
    int64_t created_at = 0; // microseconds since the Unix epoch
    friend bool operator==(const CommitRecord&, const CommitRecord&) = default;
};

// "tables/<type_id:016x>-<incarnation:016x>"
std::string table_path(uint64_t type_id, uint64_t incarnation);
// "_log/<encoded branch>/<2^64-1-v as 20 digits>.json"; '/' and other bytes outside
// [A-Za-z0-9._-] in branch names are %XX-encoded so a branch is one key segment.
std::string manifest_key(std::string_view branch, uint64_t version);
// The branch name as one key segment (the encoding manifest_key uses).
std::string encode_branch(std::string_view branch);
// "_log/<encoded branch>/": every manifest of the branch, newest first.
std::string manifest_log_prefix(std::string_view branch);
std::string commit_key(std::string_view commit_id);

// Manifests and commit records are sealed (base/record_seal.h). The readers take the graph's
// Seal: kRequired in a graph of storage format 2, where an unsealed record is manifest_corrupt.
std::string manifest_text(const Manifest& m); // canonical compact JSON, sealed
Result<Manifest> parse_manifest(std::string_view text, std::string_view where, base::Seal seal);
std::string commit_text(const CommitRecord& c);
Result<CommitRecord> parse_commit(std::string_view text, std::string_view where, base::Seal seal);

// The newest manifest of a branch (one LIST + one GET), or nullopt when the branch has none.
Result<std::optional<Manifest>> read_latest_manifest(store::ObjectStore& store,
                                                     std::string_view branch, base::Seal seal);
Result<Manifest> read_manifest(store::ObjectStore& store, std::string_view branch, uint64_t version,
                               base::Seal seal);
Result<CommitRecord> read_commit(store::ObjectStore& store, std::string_view commit_id,
                                 base::Seal seal);

// Writes `commit`, then creates `manifest` (whose version must be its predecessor's + 1) with
// put_if_absent. manifest_conflict when another writer already published that version.
Status publish(store::ObjectStore& store, const CommitRecord& commit, const Manifest& manifest);

} // namespace omnigraph::format
