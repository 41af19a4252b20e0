// Storage verification of a graph root: what `omnigraph storage verify` runs
// (docs/cli.md, `storage verify`).
//
// verify_graph lists the root once, then walks every live branch (main and every branch record)
// and every version in its log, and reads every object those versions reference through the
// format layer's own readers: each manifest (format::read_manifest), its commit record and the
// commits' parents, the schema it names (both `_schemas/` files, the IR re-hashed), every
// segment (footer and every column chunk decoded) and every deletion vector
// (engine::read_deletion_vector). Whatever those readers refuse is reported as corrupt with
// their code, so checks added to the readers are exercised here without change. Each object is
// read once and dropped before the next; only keys and a few numbers per object are held.
//
// Findings:
//   missing       a referenced key that is not in the listing (or vanished while read);
//   corrupt       an object a reader refused, or whose size or row count disagrees with the
//                 manifest that names it;
//   unreferenced  an object no live branch, version or record references. Transient and
//                 bookkeeping objects are excluded (the init claim, pending-operation records
//                 and the objects they list as created). Unreferenced objects are not damage:
//                 a lost commit race, a deleted branch or an in-flight write leaves them.
// A storage failure (unavailable, permission, I/O) stops the walk with that error: a verify
// that could not read an object proves nothing about it.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "store/object_store.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace omnigraph::engine {

struct MissingObject {
    std::string key;
    std::string referenced_by; // the key (or "graph root") that names it
};

struct CorruptObject {
    std::string key;
    std::string code; // the reader's error code: segment_corrupt, manifest_corrupt, ...
    std::string message;
};

struct UnreferencedObject {
    std::string key;
    uint64_t bytes = 0;
};

struct VerifyReport {
    std::string uri;
    uint64_t objects_checked = 0; // objects read and checked
    uint64_t bytes_read = 0;
    std::vector<MissingObject> missing;
    std::vector<CorruptObject> corrupt;
    std::vector<UnreferencedObject> unreferenced;
    // Objects checked by kind (always every key of kGraphCounters; the cluster adds its own).
    std::map<std::string, uint64_t> counts;

    VerifyReport();
    // No missing and no corrupt object (unreferenced ones are not damage).
    bool ok() const { return missing.empty() && corrupt.empty(); }
    // Adds `part`'s findings and counts, its keys written under `prefix`.
    void absorb(const VerifyReport& part, std::string_view prefix);
};

// The per-kind counters of a graph walk, in report order.
inline constexpr std::string_view kGraphCounters[] = {
    "root_files",      "branches",        "manifests",        "commits",
    "schemas",         "segments",        "column_chunks",    "deletion_vectors",
    "pending_records", "pending_objects", "reclaimed_records"};

// A failure of the storage itself (unavailable, permission, I/O, configuration): a verify that
// meets one stops, since it proves nothing about the object it could not read.
bool is_storage_failure(const Error& e);

// Verifies the graph at `store`'s root. not_found when the root holds nothing; a storage
// failure is returned as it happened. Everything else is a finding in the report.
Result<VerifyReport> verify_graph(store::ObjectStore& store);

// The report as docs/cli.md documents it (`--json`), and as text: one line per finding, then a
// summary line.
base::Json verify_report_json(const VerifyReport& report);
std::vector<std::string> verify_report_lines(const VerifyReport& report);

} // namespace omnigraph::engine
