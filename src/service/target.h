// Which version of a graph a data-plane call reads: a branch head (main by default), a manifest
// version of a branch, or the version a commit published (spec engine-cli §2.4, query-language
// §3.10). Resolving a target yields one immutable snapshot together with the schema its
// manifest names: every later step of the call (type-check, plan, execute) uses that schema.
#pragma once

#include "base/error.h"
#include "engine/graph.h"

#include <cstdint>
#include <optional>
#include <string>

namespace omnigraph::service {

struct Target {
    std::optional<std::string> branch;   // default main
    std::optional<std::string> snapshot; // a commit id; excludes branch
    std::optional<uint64_t> version;     // a manifest version of the branch
};

struct ResolvedTarget {
    engine::Snapshot snapshot;
    // The target as outputs echo it (§3.10 `target`): the branch read, or the snapshot id.
    std::optional<std::string> branch;
    std::optional<std::string> snapshot_id;
};

// kInvalidTarget for a branch together with a snapshot; not_found for an unknown branch,
// version or commit.
Result<ResolvedTarget> resolve_target(const engine::Graph& graph, const Target& target);

// The branch a read of `target` is decided on: the branch asked for, the branch that published
// a snapshot (when the commit exists), else main.
std::string read_branch(const engine::Graph& graph, const Target& target);

} // namespace omnigraph::service
