// `omnigraph repair` (spec engine-cli §2.7) for our storage format.
//
// The original repairs drift between a Lance dataset's HEAD and the version the graph manifest
// publishes. Our tables have no second pointer: a manifest version is the only thing that says
// which segments make a table, so per table there is never drift (`no_drift`, `no_op`). What
// can be out of step in a root, and what repair does about it:
//   pending operation, owner gone     verified_maintenance: roll forward or back exactly as the
//                                     next writer would (engine/pending.h); healed with --confirm
//   pending operation, owner alive    unverifiable: a write in progress; left alone (no_op)
//   pending record unreadable         suspicious: writers refuse (recovery_required). With
//                                     --confirm --force it is moved aside to `_quarantine/`
//                                     (what it created stays unreferenced, for cleanup)
//   root schema files behind main     verified_maintenance: a schema apply stopped after its
//   (state names another schema)      commit; rewritten from `_schemas/` with --confirm
//   root schema files edited          suspicious: the state file names main's schema but the
//   (state names main's schema)       files disagree; rewritten only with --confirm --force
//   objects missing or corrupt        unverifiable: data repair cannot make up; refused with
//   (storage verify's damage)         --confirm (restore the objects from a backup)
//   unreferenced objects              verified_maintenance, no_op: `cleanup` reclaims them
//                                     once older than its grace period
// Without --confirm nothing is written (action `preview`). --force requires --confirm.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "store/object_store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::engine {

struct RepairOptions {
    bool confirm = false;
    bool force = false; // requires confirm
};

struct RepairFinding {
    std::string kind;    // pending_operation | unreadable_pending_record | root_schema_files |
                         // damaged_objects | unreferenced_objects
    std::string subject; // the key (or keys) it is about
    std::string classification; // no_drift | verified_maintenance | suspicious | unverifiable
    std::string action;         // no_op | preview | healed | forced | refused
    std::vector<std::string> operations;
    std::optional<std::string> error;
};

struct RepairedTable {
    std::string table_key;
    uint64_t table_version = 0;
};

struct RepairResult {
    std::string uri;
    RepairOptions options;
    std::optional<uint64_t> graph_manifest_version; // main's head; nullopt when unreadable
    std::vector<RepairedTable> tables;
    std::vector<RepairFinding> findings;
    bool refused() const; // any finding refused: the command fails (exit 1)
};

// not_found when the root holds no graph; storage failures are returned as they happen.
Result<RepairResult> repair_graph(store::ObjectStore& store, const RepairOptions& options);

base::Json repair_json(const RepairResult& result);
std::vector<std::string> repair_lines(const RepairResult& result);

} // namespace omnigraph::engine
