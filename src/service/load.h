// A load (spec engine-cli §3, server-policy §1.3 rows 17-19): one JSONL graph batch into one
// branch as one commit, the branch created from `from` first when it does not exist.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/load.h"
#include "service/graph_handle.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace omnigraph::service {

struct LoadRequest {
    std::string data; // the JSONL batch (moved in; freed as it is parsed)
    // When set, the batch is read from here instead of `data`, as the load goes (a file).
    std::unique_ptr<engine::LoadSource> source;
    // The load's memory budget; unset: OMNIGRAPH_LOAD_MEMORY_MB, else 1 GiB.
    std::optional<uint64_t> memory_budget_bytes;
    // Without a mode the load is accepted only while the branch holds no rows (the operator
    // guide's first load).
    std::optional<engine::LoadMode> mode;
    std::string branch = "main";
    std::optional<std::string> from;
    std::optional<std::string> actor;
    std::string source_name = "<input>"; // for error locations
    std::function<void(const engine::LoadProgress&)> progress;
};

struct LoadOutcome {
    std::string uri;
    std::optional<std::string> from, actor;
    engine::LoadSummary summary;
};

Result<LoadOutcome> run_load(const GraphHandle& graph, LoadRequest request);

// Whether `branch` exists (a storage failure is an error, not "no").
Result<bool> branch_exists(const GraphHandle& graph, const std::string& branch);

// The shapes of a load's JSON (spec §3.5 LoadOutput for the CLI, IngestOutput for POST /load
// and /ingest, GraphBatchLoadOutput for POST /load/ndjson).
enum class LoadJson { kCli, kIngest, kGraphBatch };
base::Json load_json(const LoadOutcome& outcome, LoadJson shape);

} // namespace omnigraph::service
