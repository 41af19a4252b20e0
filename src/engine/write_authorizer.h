// The engine's own check of every write, for defence in depth: a server installs one on its
// graph handles (Graph::set_write_authorizer), so a write whose HTTP-layer decision was skipped
// or wrong is still refused before anything is written. The requests mirror the Cedar requests
// of the HTTP routes (spec server-policy §4.2): `change` on the written branch, `branch_create`
// from a base into a new target, `schema_apply` on a target. Without an authorizer (the CLI)
// every write is allowed.
#pragma once

#include "base/error.h"

#include <functional>
#include <optional>
#include <string>

namespace omnigraph::engine {

// A write refused by the authorizer (HTTP 403 `forbidden`).
inline constexpr std::string_view kForbidden = "forbidden";

// kReadSource: a new branch holds its source's rows, so forking also asks to read the source
// (beyond upstream, which asks branch_create only; docs/policy.md).
enum class WriteAction { kChange, kBranchCreate, kSchemaApply, kReadSource, kBranchMerge };

struct WriteRequest {
    WriteAction action = WriteAction::kChange;
    // change: the branch; branch_create, read_source: the base; branch_merge: the source
    std::optional<std::string> branch;
    // branch_create: the new branch; schema_apply; branch_merge: the target
    std::optional<std::string> target_branch;
    std::optional<std::string> actor;
};

// ok() to allow; an Error (kForbidden for a denial) to refuse.
using WriteAuthorizer = std::function<Status(const WriteRequest&)>;

} // namespace omnigraph::engine
