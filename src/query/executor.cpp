// The read path's entry points: plan, run the match, produce the output; and the result JSON.
#include "query/executor.h"

#include "base/json_writer.h"
#include "query/exec_context.h"
#include "query/match_plan.h"
#include "query/output.h"
#include "query/plan_cost.h"

namespace omnigraph::query {

Status require_schema(const CheckedQuery& checked, const engine::SchemaVersion& schema) {
    if (checked.schema_ir_hash == schema.hash)
        return ok();
    return Error(
        kSchemaMismatch,
        "query '" + checked.query->name + "' was checked against schema " +
            (checked.schema_ir_hash.empty() ? std::string("<none>") : checked.schema_ir_hash) +
            " but the snapshot has schema " + schema.hash);
}

Result<QueryResult> execute_read(TableCache& cache, const engine::Snapshot& snapshot,
                                 const CheckedQuery& checked, const Params& params, int64_t now_ms,
                                 QueryBudget* budget, const QueryEmbedder* embedder) {
    if (checked.query->is_mutation())
        return Error(kQueryRuntimeError, "query '" + checked.query->name +
                                             "' is a mutation; run it with `omnigraph mutate`");
    OG_CHECK(require_schema(checked, *snapshot.schema));
    try {
        ExecContext ctx(cache, snapshot, checked, params, now_ms, budget);
        ctx.embedder = embedder;
        ReadPlan plan = plan_read(ctx);
        // A plan whose estimate already exceeds the row budget is refused before it runs —
        // unless a limit without an order may stop it after a few morsels.
        bool stops_early = plan.output.limit && !plan.output.aggregate && ctx.q.order.empty();
        if (ctx.budget.limits().max_rows && !stops_early)
            ctx.budget.refuse_estimate(estimate_block(ctx, plan.match, 1).produced,
                                       "the plan of '" + checked.query->name + "'");
        ctx.push_scope(plan.match.declared); // the output reads the match's variables
        OutputBuilder output(ctx, plan.output);
        run_match(ctx, plan.match, [&](Frame& rows) {
            bool more = output.add(rows);
            ctx.budget.release_bytes(rows.bytes());
            return more;
        });
        return output.finish();
    } catch (const RuntimeFailure& f) {
        return f.error();
    } catch (const std::bad_alloc&) { // the process's own limit (e.g. ulimit -v), not a bug
        uint64_t limit = budget ? budget->limits().memory_bytes : 0;
        Error e = resource_limit_error(kQueryMemoryBytes, limit, budget ? budget->peak_bytes() : 0);
        e.message = "query '" + checked.query->name +
                    "' ran out of process memory before its budget; " + e.message;
        return e;
    } catch (const std::exception& e) { // a bug: never past this boundary
        return Error(codes::kInternal,
                     "query '" + checked.query->name + "' failed: " + std::string(e.what()));
    }
}

void write_row(const QueryResult& result, size_t row, base::JsonWriter& out) {
    out.begin_object();
    for (size_t i = 0; i < result.rows[row].size(); ++i) {
        out.key(result.columns[i].name);
        write_value(result.rows[row][i], out);
    }
    out.end_object();
}

namespace {

// The envelope of §3.10 around the rows, handed to `sink` a piece (~64 KiB) at a time;
// `written(r)` runs after row r is out. Stops early when `sink` returns false.
template <class Written>
void write_envelope(const QueryResult& result, std::string_view query_name,
                    const std::optional<std::string>& branch,
                    const std::optional<std::string>& snapshot, std::string_view graph_commit_id,
                    const JsonSink& sink, Written written) {
    base::JsonWriter w;
    w.begin_object();
    w.key("query_name").string(query_name);
    w.key("target").begin_object();
    w.key("branch");
    branch ? w.string(*branch) : w.null();
    w.key("snapshot");
    snapshot ? w.string(*snapshot) : w.null();
    w.end_object();
    w.key("row_count").unsigned_integer(result.rows.size());
    if (!result.columns.empty()) {
        w.key("columns").begin_array();
        for (const auto& c : result.columns)
            w.string(c.name);
        w.end_array();
    }
    w.key("rows").begin_array();
    for (size_t r = 0; r < result.rows.size(); ++r) {
        write_row(result, r, w);
        written(r);
        if (w.text().size() >= (64u << 10) && !sink(w.take()))
            return;
    }
    w.end_array();
    if (!graph_commit_id.empty())
        w.key("graph_commit_id").string(graph_commit_id);
    w.end_object();
    sink(w.take());
}

} // namespace

std::string result_json(const QueryResult& result, std::string_view query_name,
                        const std::optional<std::string>& branch,
                        const std::optional<std::string>& snapshot,
                        std::string_view graph_commit_id) {
    std::string out;
    write_envelope(
        result, query_name, branch, snapshot, graph_commit_id,
        [&](std::string_view piece) {
            out += piece;
            return true;
        },
        [](size_t) {});
    return out;
}

void stream_result_json(QueryResult& result, std::string_view query_name,
                        const std::optional<std::string>& branch,
                        const std::optional<std::string>& snapshot,
                        std::string_view graph_commit_id, const JsonSink& sink) {
    write_envelope(result, query_name, branch, snapshot, graph_commit_id, sink,
                   [&](size_t r) { std::vector<Value>().swap(result.rows[r]); });
}

} // namespace omnigraph::query
