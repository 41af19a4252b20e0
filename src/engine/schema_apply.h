// Live schema migration of one branch: `omnigraph schema plan|apply URI --schema NEW.pg`
// (spec schema-language §4.4–§4.6, engine-cli §2.6).
//
// The desired source is resolved against the branch head's schema (ids inherited by name or
// @rename_from), planned, and — for apply — published as one commit whose manifest names the new
// schema. Because columns are addressed by stable property id, most steps touch no data:
// renames, added properties (old segments read as null), enum widening, indexes, metadata and
// soft drops (the dropped column or table is simply no longer named; earlier versions still
// read it) only change the manifest. Hard drops (--allow-data-loss) rewrite the affected tables
// without the column, or drop the table, and after the commit remove the old segments that no
// live branch head still uses, so pre-drop versions stop opening.
// Unlike upstream, other branches do not block an apply: each branch keeps the schema its own
// head names. Crash safety: a pending-operation record (engine/pending.h) is written before the
// first object and doubles as the per-branch apply lock; root schema files are promoted after
// the commit and re-promoted by Graph::heal when a crash cut that short.
#pragma once

#include "base/error.h"
#include "engine/graph.h"
#include "schema/diagnostic.h"
#include "schema/plan.h"

#include <optional>
#include <string>
#include <vector>

namespace omnigraph::engine {

inline constexpr std::string_view kSchemaApplyInProgress = "schema_apply_in_progress";

struct SchemaApplyOptions {
    std::string branch = "main";
    bool allow_data_loss = false;
    std::optional<std::string> actor;
    std::string schema_file = "schema.pg"; // for diagnostics
    // The controller applying the change (its ManagedBy::owner, engine/graph_lifecycle.h). Unset,
    // a graph that has a controller refuses the apply (kGraphManaged). The value is not compared
    // with the marker's owner: a controller whose storage root moved keeps its graphs.
    std::optional<std::string> as_controller;
};

struct SchemaApplyResult {
    std::string uri;
    schema::MigrationPlan plan;
    SchemaRef desired;
    bool applied = false;
    uint64_t graph_manifest_version = 0; // the branch's version after the call
    std::vector<schema::Diagnostic> warnings;
    std::optional<format::CommitRecord> commit;
};

// Resolves and plans without writing anything.
Result<SchemaApplyResult> plan_schema_change(const Graph& graph, std::string_view source,
                                             const SchemaApplyOptions& options);

// Plans and applies. An unsupported plan fails with the first unsupported step's message
// ("[CODE] …"), changing nothing; an empty plan returns applied=false without a commit.
Result<SchemaApplyResult> apply_schema_change(const Graph& graph, std::string_view source,
                                              const SchemaApplyOptions& options);

// {"uri","supported","applied","step_count","graph_manifest_version","steps"} (spec §4.5).
base::Json apply_result_json(const SchemaApplyResult& r);
// "schema apply for <uri>", "supported:", "applied:", "graph_manifest_version:", step lines.
std::string render_apply_result(const SchemaApplyResult& r);

} // namespace omnigraph::engine
