// Executing mutation queries (spec query-language §1.9, §3.9): insert (an upsert for @key
// node types), update and delete with node deletes cascading to every incident edge. The
// statements run in order against the branch head plus the rows staged so far (later
// statements see earlier ones), then everything is written as ONE merge load of typed rows
// (engine::load_rows; values converted as a load converts them: types, enums, ranges) — validated
// as a whole (@range, @check, @unique, endpoints, @card) and committed atomically — or not at
// all. A mutation that changes nothing writes no commit. Updates and deletes commit
// only on the head they read (else read_set_conflict); --if-commit pins that head
// (precondition_failure).
#pragma once

#include "base/error.h"
#include "embed/embedder.h"
#include "engine/external_blob.h"
#include "engine/graph.h"
#include "query/executor.h"

#include <optional>
#include <string>

namespace omnigraph::query {

inline constexpr std::string_view kPreconditionFailure = "precondition_failure";
inline constexpr std::string_view kReadSetConflict = "read_set_conflict";

struct MutationOptions {
    std::string branch = "main";
    std::optional<std::string> actor;
    // Compare-and-swap: run only while the branch head is this commit (else
    // precondition_failure, nothing written).
    std::optional<std::string> if_commit;
    int64_t now_ms = 0; // now() for this mutation
    // The query file, for error locations: a mutation's errors point at the statement (or the
    // expression) that caused them, <source_file>:<line>:<column>.
    std::string source_file = "<query>";
    // Computes the @embed targets of inserted rows and of updated sources; null: no provider.
    embed::Embedder* embedder = nullptr;
    // Admits the external Blob references the mutation assigns; null: refused.
    const engine::ExternalBlobPolicy* external_blobs = nullptr;
};

struct MutationResult {
    std::string branch;
    uint64_t affected_nodes = 0;
    uint64_t affected_edges = 0;
    std::optional<format::CommitRecord> commit; // none when nothing changed
};

Result<MutationResult> execute_mutation(store::ObjectStore& store, const engine::Graph& graph,
                                        const CheckedQuery& checked, const Params& params,
                                        const MutationOptions& options);

// The mutation output of §3.10: branch, query_name, affected_nodes, affected_edges, actor_id,
// commit (null or the commit object), as compact JSON text.
std::string mutation_json(const MutationResult& result, std::string_view query_name,
                          const std::optional<std::string>& actor);

} // namespace omnigraph::query
