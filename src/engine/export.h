// `export`: a branch's rows as strict JSONL in the load format (spec engine-cli §3.6), so
// export -> init -> load --mode overwrite rebuilds a graph. Tables in table-key order (edges
// before nodes), rows by id; every record carries data.id.
#pragma once

#include "base/error.h"
#include "engine/graph.h"

#include <ostream>
#include <string>
#include <vector>

namespace omnigraph::engine {

struct ExportOptions {
    SnapshotSpec snapshot;          // a branch head by default
    std::vector<std::string> types; // type names to export; empty = all
};

// Writes one line per row to `out`; returns the number of rows written.
Result<uint64_t> export_graph(store::ObjectStore& store, const Graph& graph,
                              const ExportOptions& options, std::ostream& out);

// The same for a resolved snapshot (a server resolves it, and answers its errors, before it
// starts streaming). Memory is one table at a time; stops with an error once `out` fails.
Result<uint64_t> export_snapshot(store::ObjectStore& store, const Snapshot& snapshot,
                                 const std::vector<std::string>& types, std::ostream& out);

} // namespace omnigraph::engine
