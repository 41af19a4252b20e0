// The read path's entry points: plan, run the match, produce the output; and the result JSON.
#include "query/executor.h"

#include "base/json_writer.h"
#include "query/exec_context.h"
#include "query/match_plan.h"
#include "query/output.h"

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
                                 const CheckedQuery& checked, const Params& params,
                                 int64_t now_ms) {
    if (checked.query->is_mutation())
        return Error(kQueryRuntimeError, "query '" + checked.query->name +
                                             "' is a mutation; run it with `omnigraph mutate`");
    OG_CHECK(require_schema(checked, *snapshot.schema));
    try {
        ExecContext ctx(cache, snapshot, checked, params, now_ms);
        ReadPlan plan = plan_read(ctx);
        ctx.push_scope(plan.match.declared); // the output reads the match's variables
        Frame seed;
        seed.rows = 1;
        Frame frame = run_block(ctx, plan.match, std::move(seed));
        return produce_output(ctx, plan.output, frame);
    } catch (const RuntimeFailure& f) {
        return Error(f.code, f.what());
    } catch (const std::exception& e) { // a bug (or out of memory): never past this boundary
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

std::string result_json(const QueryResult& result, std::string_view query_name,
                        const std::optional<std::string>& branch,
                        const std::optional<std::string>& snapshot,
                        std::string_view graph_commit_id) {
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
    for (size_t r = 0; r < result.rows.size(); ++r)
        write_row(result, r, w);
    w.end_array();
    if (!graph_commit_id.empty())
        w.key("graph_commit_id").string(graph_commit_id);
    w.end_object();
    return w.take();
}

} // namespace omnigraph::query
