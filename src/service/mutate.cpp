#include "service/mutate.h"

#include "base/clock.h"
#include "engine/load.h"

namespace omnigraph::service {

namespace {

constexpr int kSchemaChangeAttempts = 3;

// The graph-commit condition failed: the spec's message, with what was expected and found.
Error precondition_failed(const engine::Graph& graph, const std::string& branch,
                          const std::string& expected) {
    auto head = graph.head(branch);
    std::string actual = head ? head->commit_id : std::string("<absent>");
    Error e(query::kPreconditionFailure, "precondition failed on branch '" + branch +
                                             "': expected head '" + expected + "' but current is " +
                                             actual);
    e.with_detail("expected", expected);
    if (head)
        e.with_detail("actual", head->commit_id);
    return e;
}

} // namespace

Result<MutationOutcome> run_mutation(const GraphHandle& graph, const MutationRequest& request) {
    PickedQuery picked;
    if (request.stored)
        picked.query = &request.stored->query();
    else
        picked = OG_TRY(parse_and_pick(request.source, request.name));
    const query::Query& q = *picked.query;
    OG_CHECK(require_kind(q, true));
    // A live schema apply that lands while the mutation runs makes it start over, checked
    // against the new schema (an additive change keeps it valid; otherwise that check says
    // why not). Nothing was committed by the attempt that lost.
    for (int attempt = 1;; ++attempt) {
        engine::SnapshotSpec spec;
        spec.branch = request.branch;
        engine::Snapshot head = OG_TRY(graph.graph().snapshot(spec));
        std::shared_ptr<const query::CheckedQuery> checked;
        if (request.stored)
            checked = OG_TRY(request.stored->checked_at(*head.schema));
        else
            checked = std::make_shared<const query::CheckedQuery>(
                OG_TRY(check_at(q, head, request.source.file)));
        query::Params params = OG_TRY(bind(q, request.params));

        query::MutationOptions options;
        options.branch = request.branch;
        options.actor = request.actor;
        options.if_commit = request.if_commit;
        options.embedder = graph.embedder();
        options.external_blobs = graph.external_blobs();
        options.source_file = request.stored ? request.stored->file() : request.source.file;
        options.now_ms = request.now_ms ? *request.now_ms : base::unix_micros(base::now()) / 1000;
        auto result =
            query::execute_mutation(graph.store(), graph.graph(), *checked, params, options);
        if (!result && result.error().is(query::kPreconditionFailure) && request.if_commit)
            return precondition_failed(graph.graph(), request.branch, *request.if_commit);
        if (!result && attempt < kSchemaChangeAttempts &&
            result.error().detail(engine::kSchemaChangedDetail))
            continue;
        MutationOutcome out;
        out.query_name = q.name;
        out.actor = request.actor;
        out.result = OG_TRY(std::move(result));
        return out;
    }
}

std::string mutation_json(const MutationOutcome& outcome) {
    return query::mutation_json(outcome.result, outcome.query_name, outcome.actor);
}

} // namespace omnigraph::service
