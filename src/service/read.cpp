#include "service/read.h"

#include "base/clock.h"
#include "base/json_writer.h"
#include "query/explain.h"
#include "query/query_embedder.h"
#include "service/errors.h"

namespace omnigraph::service {

namespace {

int64_t clock_ms(std::optional<int64_t> given) {
    return given ? *given : base::unix_micros(base::now()) / 1000;
}

// The query layer's view of the graph's embedding provider: String queries of nearest() go
// through the graph's cached query embedder (no provider: embedding_provider_missing).
class GraphQueryEmbedder final : public query::QueryEmbedder {
  public:
    explicit GraphQueryEmbedder(const GraphHandle& graph) : graph_(graph) {}
    Result<std::vector<float>> embed_query(const query::EmbedQuery& q) const override {
        return graph_.query_embedder().embed_query(
            q.text, q.dim, q.model, std::string(q.type) + "." + std::string(q.property));
    }

  private:
    const GraphHandle& graph_;
};

} // namespace

Result<ReadOutcome> run_read(const GraphHandle& graph, const ReadRequest& request) {
    PickedQuery picked;
    if (request.stored) {
        picked.query = &request.stored->query();
    } else {
        picked = OG_TRY(parse_and_pick(request.source, request.name));
        if (request.read_only_source)
            for (const auto& candidate : picked.file->queries)
                if (candidate.is_mutation())
                    return Error(kWrongQueryKind,
                                 "query source contains mutations (insert/update/delete); run "
                                 "them as a mutation (POST /mutate)");
    }
    const query::Query& q = *picked.query;
    OG_CHECK(require_kind(q, false));
    ResolvedTarget target = OG_TRY(resolve_target(graph.graph(), request.target));
    const engine::Snapshot& snap = target.snapshot;
    std::shared_ptr<const query::CheckedQuery> checked;
    if (request.stored)
        checked = OG_TRY(request.stored->checked_at(*snap.schema));
    else
        checked = std::make_shared<const query::CheckedQuery>(
            OG_TRY(check_at(q, snap, request.source.file)));
    query::Params params = OG_TRY(bind(q, request.params));

    ReadOutcome out;
    out.query_name = q.name;
    out.branch = target.branch;
    out.snapshot_id = target.snapshot_id;
    out.commit_id = snap.manifest.commit_id;
    out.schema_ir_hash = snap.schema->hash;
    if (request.explain)
        out.plan = OG_TRY(query::explain_read(graph.cache(), snap, *checked, params));
    else {
        query::QueryBudget budget(request.limits, request.cancelled);
        GraphQueryEmbedder graph_embedder(graph);
        const query::QueryEmbedder* embedder =
            request.embedder ? request.embedder : &graph_embedder;
        out.result = OG_TRY(query::execute_read(graph.cache(), snap, *checked, params,
                                                clock_ms(request.now_ms), &budget, embedder));
    }
    return out;
}

void stream_read_json(ReadOutcome& outcome, bool with_commit_id, const query::JsonSink& sink) {
    query::stream_result_json(outcome.result, outcome.query_name, outcome.branch,
                              outcome.snapshot_id,
                              with_commit_id ? outcome.commit_id : std::string(), sink);
}

std::string read_json(const ReadOutcome& outcome, bool with_commit_id) {
    if (!outcome.plan)
        return query::result_json(outcome.result, outcome.query_name, outcome.branch,
                                  outcome.snapshot_id,
                                  with_commit_id ? outcome.commit_id : std::string());
    base::JsonWriter w;
    w.begin_object();
    w.key("query_name").string(outcome.query_name);
    w.key("target").begin_object();
    w.key("branch");
    outcome.branch ? w.string(*outcome.branch) : w.null();
    w.key("snapshot");
    outcome.snapshot_id ? w.string(*outcome.snapshot_id) : w.null();
    w.end_object();
    w.key("schema_ir_hash").string(outcome.schema_ir_hash);
    w.key("plan").begin_array();
    std::string_view plan = *outcome.plan;
    while (!plan.empty()) {
        size_t nl = plan.find('\n');
        w.string(plan.substr(0, nl));
        plan = nl == std::string_view::npos ? std::string_view() : plan.substr(nl + 1);
    }
    w.end_array();
    if (with_commit_id)
        w.key("graph_commit_id").string(outcome.commit_id);
    w.end_object();
    return w.take();
}

} // namespace omnigraph::service
