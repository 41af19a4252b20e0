// An export (spec engine-cli §3.6, server-policy §1.3 row 8): the rows of one snapshot as JSONL
// in the load format. Preparing resolves the target and checks the type names against that
// snapshot's schema, so every error is known before the first row is written (a server answers
// them before it starts streaming).
#pragma once

#include "base/error.h"
#include "engine/graph.h"
#include "service/graph_handle.h"
#include "service/target.h"

#include <ostream>
#include <string>
#include <vector>

namespace omnigraph::service {

struct PreparedExport {
    engine::Snapshot snapshot;
    std::vector<std::string> types; // empty = every type
};

// invalid_argument for a type name the snapshot's schema does not declare.
Result<PreparedExport> prepare_export(const GraphHandle& graph, const Target& target,
                                      std::vector<std::string> types);

// Writes the rows; returns how many. Memory is one table at a time; stops once `out` fails.
Result<uint64_t> write_export(const GraphHandle& graph, const PreparedExport& prepared,
                              std::ostream& out);

} // namespace omnigraph::service
