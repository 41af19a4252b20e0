// A branch merge as the CLI and the server run it (spec engine-cli §2.3, §4.4; server-policy
// §1.5 "Branches"): the three-way merge (engine/merge.h), then, when asked, the source's
// deletion as a separate step whose refusal or failure is reported, never fatal (the merge has
// already landed).
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/merge.h"
#include "service/graph_handle.h"

#include <functional>
#include <optional>
#include <string>

namespace omnigraph::service {

struct MergeRequest {
    std::string source;
    std::string target = "main";
    std::optional<std::string> actor;
    bool delete_branch = false;
    // Asked before the source is deleted (the server's branch_delete decision); an error
    // becomes branch_delete_error. Null: no check.
    std::function<Status(const std::string& source)> authorize_delete;
};

struct MergeReport {
    engine::MergeResult merge;
    std::optional<std::string> actor;
    bool delete_requested = false;
    std::optional<Error> delete_error; // why the source was not deleted
};

Result<MergeReport> merge_branches(const GraphHandle& graph, const MergeRequest& request);

// BranchMergeOutput: source, target, outcome, actor_id, and branch_deleted (with
// branch_delete_error, the delete error's message) when the deletion was requested.
base::Json merge_report_json(const MergeReport& report);

} // namespace omnigraph::service
