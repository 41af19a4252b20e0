// What a graph tells about itself: a snapshot's versions and tables, the commit history, one
// commit, the schema (spec engine-cli §4.4, server-policy §1.3 rows 4, 15, 24, 25). Each call
// returns the spec's JSON object; the CLI renders its human lines from the same values.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "format/manifest.h"
#include "service/graph_handle.h"
#include "service/target.h"

#include <string>

namespace omnigraph::service {

// SnapshotOutput {graph_branch, graph_manifest_version, internal_schema_version, datasets[]},
// plus graph_commit_id and schema_ir_hash (beyond the spec: what a reader needs to pin it).
Result<base::Json> snapshot_info(const GraphHandle& graph, const Target& target);

// CommitOutput; `with_message` adds the commit message (the CLI's `commit show|list`).
base::Json commit_json(const format::CommitRecord& commit, bool with_message = false);

// The commits reachable from `branch`'s head, newest first, as CommitOutput objects.
Result<base::Json> commit_list(const GraphHandle& graph, const std::string& branch,
                               bool with_message = false);

// The commit record `id` names; not_found `commit '<id>' not found` for an unknown id or one
// that is not a commit id.
Result<format::CommitRecord> find_commit(const GraphHandle& graph, const std::string& id);

// One commit (not_found when there is none with that id).
Result<base::Json> commit_info(const GraphHandle& graph, const std::string& commit_id,
                               bool with_message = false);

// SchemaOutput {schema_source}: the schema of `target`'s snapshot (main's head by default),
// read per call, so a server sees an apply made after it started.
Result<base::Json> schema_info(const GraphHandle& graph, const Target& target = {});

} // namespace omnigraph::service
