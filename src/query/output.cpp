#include "query/output.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

namespace omnigraph::query {

namespace {

// Turns a match block's rows into the result: projection or aggregation, order (the user's
// keys, then every bound id for a total order), limit.
class Output {
  public:
    Output(const ExecContext& ctx, const OutputPlan& plan) : ctx_(ctx), plan_(plan) {}

    QueryResult project(const Frame& f) {
        QueryResult out;
        out.columns = ctx_.checked.columns;
        const auto& projections = ctx_.q.projections;
        if (ctx_.checked.aggregate)
            return aggregate(f, std::move(out));
        std::vector<std::vector<Value>> rows(f.rows);
        for (size_t r = 0; r < f.rows; ++r) {
            rows[r].reserve(projections.size());
            for (const auto& p : projections)
                rows[r].push_back(ctx_.eval(p.expr, f, r));
        }
        std::vector<uint32_t> order(f.rows);
        std::iota(order.begin(), order.end(), 0u);
        if (!ctx_.q.order.empty()) {
            // Keys per row: the user's keys, then every bound id ascending (total order).
            std::vector<std::vector<Value>> keys(f.rows);
            std::vector<std::string> tie_vars;
            for (const auto& v : f.vars)
                if (!v.starts_with("#"))
                    tie_vars.push_back(v);
            std::sort(tie_vars.begin(), tie_vars.end());
            for (size_t r = 0; r < f.rows; ++r) {
                for (const auto& o : ctx_.q.order)
                    keys[r].push_back(o.expr.kind == ExprKind::kAlias
                                          ? rows[r][column_index(o.expr.name)]
                                          : ctx_.eval(o.expr, f, r));
                for (const auto& v : tie_vars)
                    keys[r].push_back(Value::of_string(
                        std::string(ctx_.var(v).table->id(f.cols[f.index_of(v)][r]))));
            }
            auto less = [&](uint32_t a, uint32_t b) {
                for (size_t k = 0; k < keys[a].size(); ++k) {
                    bool desc = k < ctx_.q.order.size() && ctx_.q.order[k].descending;
                    auto c = order_values(keys[a][k], keys[b][k]);
                    if (c != 0)
                        return desc ? c > 0 : c < 0;
                }
                return false;
            };
            sort_rows(order, less);
        }
        size_t n = ctx_.q.limit ? std::min<size_t>(*ctx_.q.limit, order.size()) : order.size();
        out.rows.reserve(n);
        for (size_t i = 0; i < n; ++i)
            out.rows.push_back(std::move(rows[order[i]]));
        return out;
    }

    template <class Less> void sort_rows(std::vector<uint32_t>& order, Less less) const {
        if (ctx_.q.limit && *ctx_.q.limit < order.size())
            std::partial_sort(order.begin(), order.begin() + static_cast<long>(*ctx_.q.limit),
                              order.end(), less); // top-k
        else
            std::stable_sort(order.begin(), order.end(), less);
    }

    size_t column_index(const std::string& name) const {
        for (size_t i = 0; i < ctx_.checked.columns.size(); ++i)
            if (ctx_.checked.columns[i].name == name)
                return i;
        runtime_fail("unknown order key `" + name + "`");
    }

    struct Accumulator {
        int64_t count = 0;
        double sum = 0;
        bool any = false;
        Value best;
    };

    QueryResult aggregate(const Frame& f, QueryResult out) {
        const auto& projections = ctx_.q.projections;
        if (plan_.count_only) {
            out.rows.emplace_back(projections.size(), Value::of_int(int64_t(f.rows)));
            if (ctx_.q.limit && *ctx_.q.limit == 0)
                out.rows.clear();
            return out;
        }
        std::vector<size_t> group_cols;
        for (size_t i = 0; i < projections.size(); ++i)
            if (projections[i].expr.kind != ExprKind::kAgg)
                group_cols.push_back(i);
        std::unordered_map<std::string, size_t> group_of;
        std::vector<std::vector<Value>> group_values;
        std::vector<std::vector<Accumulator>> accs;
        // A group key column over a bound variable is evaluated once per distinct table row
        // (memo), and its values are numbered, so a group key is a few integers.
        struct KeyColumn {
            int frame_col = -1; // -1: evaluated per row (a parameter or literal)
            std::vector<int32_t> memo;
            std::unordered_map<std::string, int32_t> ids;
            std::vector<Value> values;
        };
        std::vector<KeyColumn> keys(group_cols.size());
        for (size_t k = 0; k < group_cols.size(); ++k) {
            const Expr& e = projections[group_cols[k]].expr;
            int c =
                (e.kind == ExprKind::kProp || e.kind == ExprKind::kVar) ? f.index_of(e.var) : -1;
            if (c >= 0 && !ctx_.q.find_param(e.var)) {
                keys[k].frame_col = c;
                keys[k].memo.assign(ctx_.var(e.var).table->size(), -1);
            }
        }
        auto value_id = [&](KeyColumn& kc, const Expr& e, size_t r) {
            int32_t* memo = kc.frame_col >= 0 ? &kc.memo[f.cols[kc.frame_col][r]] : nullptr;
            if (memo && *memo >= 0)
                return *memo;
            Value v = ctx_.eval(e, f, r);
            auto [it, fresh] = kc.ids.try_emplace(value_key(v), int32_t(kc.values.size()));
            if (fresh)
                kc.values.push_back(std::move(v));
            if (memo)
                *memo = it->second;
            return it->second;
        };
        // count($v) of a bound node variable counts rows; count($v.p) counts non-null cells.
        auto count_only = [&](const Expr& e) {
            return e.kind == ExprKind::kAgg && e.name == "count";
        };
        std::string key;
        std::vector<int32_t> ids(group_cols.size());
        for (size_t r = 0; r < f.rows; ++r) {
            size_t group = 0;
            if (!group_cols.empty()) {
                key.clear();
                for (size_t k = 0; k < group_cols.size(); ++k) {
                    ids[k] = value_id(keys[k], projections[group_cols[k]].expr, r);
                    key.append(reinterpret_cast<const char*>(&ids[k]), sizeof(int32_t));
                }
                auto [it, fresh] = group_of.try_emplace(key, group_values.size());
                if (fresh) {
                    std::vector<Value> values;
                    values.reserve(group_cols.size());
                    for (size_t k = 0; k < group_cols.size(); ++k)
                        values.push_back(keys[k].values[ids[k]]);
                    group_values.push_back(std::move(values));
                    accs.emplace_back(projections.size());
                }
                group = it->second;
            } else if (accs.empty()) {
                group_values.emplace_back();
                accs.emplace_back(projections.size());
            }
            auto& acc = accs[group];
            for (size_t i = 0; i < projections.size(); ++i) {
                const Expr& e = projections[i].expr;
                if (e.kind != ExprKind::kAgg)
                    continue;
                Accumulator& a = acc[i];
                const Expr& arg = e.args[0];
                if (count_only(e) && (arg.kind == ExprKind::kVar || arg.kind == ExprKind::kProp) &&
                    !ctx_.q.find_param(arg.var)) {
                    if (arg.kind == ExprKind::kVar) {
                        ++a.count; // a bound variable is never NULL
                    } else {
                        const VarInfo& info = ctx_.var(arg.var);
                        const auto& col = ctx_.column(info, arg.name);
                        a.count += col.is_null(f.cols[f.index_of(arg.var)][r]) ? 0 : 1;
                    }
                    continue;
                }
                Value v = ctx_.eval(arg, f, r);
                if (v.is_null())
                    continue;
                ++a.count;
                if (e.name == "sum" || e.name == "avg") {
                    a.sum += v.kind == Value::Kind::kFloat ? v.real
                             : v.kind == Value::Kind::kInt ? static_cast<double>(v.integer)
                                                           : static_cast<double>(v.uinteger);
                    a.any = true;
                } else if (e.name == "min" || e.name == "max") {
                    if (!a.any || (e.name == "min" ? order_values(v, a.best) < 0
                                                   : order_values(v, a.best) > 0))
                        a.best = v;
                    a.any = true;
                }
            }
        }
        if (group_cols.empty() && group_values.empty()) { // no rows, no keys: one row
            group_values.emplace_back();
            accs.emplace_back(projections.size());
        }
        for (size_t g = 0; g < group_values.size(); ++g) {
            std::vector<Value> row;
            size_t next_key = 0;
            for (size_t i = 0; i < projections.size(); ++i) {
                const Expr& e = projections[i].expr;
                if (e.kind != ExprKind::kAgg) {
                    row.push_back(group_values[g][next_key++]);
                    continue;
                }
                const Accumulator& a = accs[g][i];
                if (e.name == "count")
                    row.push_back(Value::of_int(a.count));
                else if (!a.any)
                    row.push_back(Value::null());
                else if (e.name == "sum")
                    row.push_back(Value::of_float(a.sum));
                else if (e.name == "avg")
                    row.push_back(Value::of_float(a.sum / static_cast<double>(a.count)));
                else
                    row.push_back(a.best);
            }
            out.rows.push_back(std::move(row));
        }
        if (!ctx_.q.order.empty()) {
            std::vector<size_t> key_cols;
            key_cols.reserve(ctx_.q.order.size());
            for (const auto& o : ctx_.q.order)
                key_cols.push_back(column_index(
                    o.expr.kind == ExprKind::kAlias ? o.expr.name : default_column_name(o.expr)));
            std::vector<uint32_t> order(out.rows.size());
            std::iota(order.begin(), order.end(), 0u);
            auto less = [&](uint32_t a, uint32_t b) {
                for (size_t k = 0; k < key_cols.size(); ++k) {
                    auto c = order_values(out.rows[a][key_cols[k]], out.rows[b][key_cols[k]]);
                    if (c != 0)
                        return ctx_.q.order[k].descending ? c > 0 : c < 0;
                }
                return false;
            };
            std::stable_sort(order.begin(), order.end(), less); // groups: no tie-breaker
            std::vector<std::vector<Value>> sorted;
            sorted.reserve(order.size());
            for (uint32_t i : order)
                sorted.push_back(std::move(out.rows[i]));
            out.rows = std::move(sorted);
        }
        if (ctx_.q.limit && out.rows.size() > *ctx_.q.limit)
            out.rows.resize(*ctx_.q.limit);
        return out;
    }

  private:
    const ExecContext& ctx_;
    const OutputPlan& plan_;
};

} // namespace

QueryResult produce_output(const ExecContext& ctx, const OutputPlan& plan, const Frame& frame) {
    return Output(ctx, plan).project(frame);
}

} // namespace omnigraph::query
