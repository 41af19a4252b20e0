// A mutation (spec query-language §1.9, §3.9; engine-cli §4.2; server-policy §1.3 rows 9-11,
// 13, 14): an ad-hoc source or a stored mutation, its parameters, the branch it changes and
// the optional graph-commit condition. Checked against the schema of the branch head it
// changes, executed there, committed as one commit (or none when nothing changes).
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "query/mutation.h"
#include "service/graph_handle.h"
#include "service/query_text.h"
#include "service/stored_query.h"

#include <optional>
#include <string>

namespace omnigraph::service {

struct MutationRequest {
    QueryText source;                // the ad-hoc mutation (unused with `stored`)
    std::optional<std::string> name; // picks a query of a multi-query source
    const StoredQuery* stored = nullptr;
    const base::Json* params = nullptr; // a JSON object or null; nullptr for none (not owned)
    std::string branch = "main";
    std::optional<std::string> actor;
    // Only while the branch head is this commit: else kPreconditionFailure with the details
    // `expected` and `actual` (the head found, absent when the branch has none).
    std::optional<std::string> if_commit;
    std::optional<int64_t> now_ms; // now() for the mutation (ms since the epoch); default the clock
};

struct MutationOutcome {
    std::string query_name;
    std::optional<std::string> actor;
    query::MutationResult result;
};

Result<MutationOutcome> run_mutation(const GraphHandle& graph, const MutationRequest& request);

// ChangeOutput (§3.10) as compact JSON.
std::string mutation_json(const MutationOutcome& outcome);

} // namespace omnigraph::service
