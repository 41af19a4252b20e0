#include "query/exec_context.h"

#include "query/text_search.h"

#include <algorithm>

namespace omnigraph::query {

void runtime_fail(const std::string& message, std::string_view code) {
    throw RuntimeFailure(code, message);
}

ExecContext::ExecContext(TableCache& cache_, const engine::Snapshot& snap_,
                         const CheckedQuery& checked_, const Params& params_, int64_t now_ms,
                         QueryBudget* budget_)
    : cache(cache_), snap(snap_), catalog(snap_.schema->catalog), checked(checked_),
      q(*checked_.query), params(params_), now(Value::of_datetime(now_ms)),
      budget(budget_ ? *budget_ : unlimited_) {}

VarInfo ExecContext::make_var(bool is_edge, const std::string& type) const {
    std::string key = (is_edge ? "edge:" : "node:") + type;
    engine::TableSchema ts = engine::table_schema(catalog, key);
    if (!ts.properties)
        runtime_fail("schema " + snap.schema->hash + " declares no " + key);
    VarInfo v;
    v.is_edge = is_edge;
    v.type = type;
    v.table = unwrap(cache.table(snap, key));
    v.properties = ts.properties;
    v.property_ids = ts.property_ids;
    return v;
}

const VarInfo* ExecContext::find_var(std::string_view name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it)
        if (auto found = (*it)->find(name); found != (*it)->end())
            return &found->second;
    return nullptr;
}

const VarInfo& ExecContext::var(std::string_view name) const {
    if (const VarInfo* v = find_var(name))
        return *v;
    runtime_fail("variable `$" + std::string(name) + "` is not bound");
}

Value ExecContext::eval(const Expr& e, const Frame& f, size_t row) const {
    switch (e.kind) {
    case ExprKind::kNow:
        return now;
    case ExprKind::kLiteral:
        return unwrap(literal_to_value(e.literal));
    case ExprKind::kVar: {
        if (auto p = params.find(e.var); p != params.end() && q.find_param(e.var))
            return p->second;
        int c = f.index_of(e.var);
        if (c < 0)
            runtime_fail("variable `$" + e.var + "` is not bound");
        return Value::of_string(std::string(var(e.var).table->id(f.cols[c][row])));
    }
    case ExprKind::kProp: {
        int c = f.index_of(e.var);
        if (c < 0)
            runtime_fail("variable `$" + e.var + "` is not bound");
        return property(e.var, e.name, f.cols[c][row]);
    }
    case ExprKind::kCall:
        if (e.name == "nearest" || e.name == "bm25")
            return search_.value(e, f, row);
        if (e.name == "rrf") // fused over the whole match: the output computes it (query/rrf.h)
            runtime_fail("rrf() can be returned only by a query whose first order key is rrf()",
                         kNotSupported);
        if (is_text_filter(e.name))
            return eval_text_call(*this, e, f, row);
        runtime_fail(e.name + "() is not a function of the query language", kNotSupported);
    default:
        runtime_fail("this expression cannot be evaluated here");
    }
}

const format::Column& ExecContext::column(const VarInfo& v, const std::string& prop) const {
    auto p = v.property(prop);
    if (!p)
        runtime_fail(v.type + " has no property '" + prop + "' in schema " + snap.schema->hash);
    return v.table->column(p->id);
}

Value ExecContext::property(std::string_view var_name, const std::string& prop,
                            uint32_t row) const {
    const VarInfo& v = var(var_name);
    auto p = v.property(prop);
    if (!p)
        runtime_fail(v.type + " has no property '" + prop + "' in schema " + snap.schema->hash);
    auto [col, at] = v.table->cell(p->id, row);
    return value_at(*col, at, *p->type);
}

void ExecContext::vars_of(const Expr& e, std::set<std::string>& out) const {
    if ((e.kind == ExprKind::kProp || e.kind == ExprKind::kVar) && !q.find_param(e.var))
        out.insert(e.var);
    for (const auto& a : e.args)
        vars_of(a, out);
}

bool ExecContext::is_constant(const Expr& e) const {
    return e.kind == ExprKind::kNow ||
           (e.kind == ExprKind::kLiteral && e.literal.kind != LiteralKind::kList) ||
           (e.kind == ExprKind::kVar && q.find_param(e.var));
}

BoundIds bound_ids(const ExecContext& ctx, const Frame& f) {
    std::vector<std::string> names;
    for (const auto& v : f.vars)
        if (!v.starts_with("#"))
            names.push_back(v);
    std::sort(names.begin(), names.end());
    BoundIds ids;
    for (const auto& v : names) {
        ids.cols.push_back(f.index_of(v));
        ids.tables.push_back(ctx.var(v).table.get());
    }
    return ids;
}

} // namespace omnigraph::query
