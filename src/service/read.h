// A read (spec query-language §3, engine-cli §4.2, server-policy §1.3 rows 6, 7, 13): an
// ad-hoc query source or a stored query, its parameters and a target. The one pipeline both
// programs run: parse → pick → resolve the target → type-check against the schema of the
// snapshot being read → bind parameters → plan → execute (or explain the plan).
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "query/executor.h"
#include "service/graph_handle.h"
#include "service/query_text.h"
#include "service/stored_query.h"
#include "service/target.h"

#include <functional>
#include <optional>
#include <string>

namespace omnigraph::service {

struct ReadRequest {
    QueryText source;                // the ad-hoc query (unused with `stored`)
    std::optional<std::string> name; // picks a query of a multi-query source
    const StoredQuery* stored = nullptr;
    const base::Json* params = nullptr; // a JSON object or null; nullptr for none (not owned)
    Target target;
    bool explain = false;            // plan only: nothing is executed
    bool read_only_source = false;   // refuse a source that holds any mutation (POST /query)
    int64_t now_ms = 0;              // now() for the query; 0 = the clock
    query::QueryLimits limits;       // the run's budget (query/budget.h); zeros: unlimited
    std::function<bool()> cancelled; // polled while it runs: true stops it (query_cancelled)
    // Embeds nearest()'s String queries (not owned); nullptr: no provider configured, and such
    // a query fails with embedding_provider_missing.
    const query::QueryEmbedder* embedder = nullptr; // null: the graph's provider
};

struct ReadOutcome {
    std::string query_name;
    std::optional<std::string> branch, snapshot_id; // the target echo of §3.10
    std::string commit_id;                          // the commit of the version read
    std::string schema_ir_hash;                     // the schema it was checked and run under
    query::QueryResult result;                      // empty when explaining
    std::optional<std::string> plan;                // set when explaining
};

Result<ReadOutcome> run_read(const GraphHandle& graph, const ReadRequest& request);

// ReadOutput (§3.10) as compact JSON; `with_commit_id` adds graph_commit_id (POST /query and
// the CLI; the deprecated POST /read has none). An explained read is
// {query_name, target, schema_ir_hash, plan: [lines]}.
std::string read_json(const ReadOutcome& outcome, bool with_commit_id = true);

// read_json of an executed (not explained) read, streamed to `sink` in pieces while its rows
// are freed (query::stream_result_json).
void stream_read_json(ReadOutcome& outcome, bool with_commit_id, const query::JsonSink& sink);

} // namespace omnigraph::service
