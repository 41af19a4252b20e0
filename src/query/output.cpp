#include "query/output.h"

#include "engine/cell_visit.h"
#include "query/rrf.h"
#include "query/text_search.h"

#include <algorithm>
#include <numeric>
#include <optional>
#include <unordered_map>

namespace omnigraph::query {

namespace {

uint64_t row_bytes(const std::vector<Value>& row) {
    uint64_t n = sizeof(std::vector<Value>);
    for (const auto& v : row)
        n += value_bytes(v);
    return n;
}

} // namespace

// The state of one query's output between morsels.
class OutputBuilder::Impl {
    // Ordered: each row with its keys — the user's, then every bound id ascending (a total
    // order), then its place in the match (so the sort is stable). Under a limit k only the
    // best k are kept between prunes: a bounded heap, never every row of the match.
    struct Ranked {
        std::vector<Value> keys;
        uint64_t seq = 0;
        std::vector<Value> row;
        uint64_t bytes = 0;
    };
    struct Less {
        const Query* q;
        bool operator()(const Ranked& a, const Ranked& b) const {
            for (size_t k = 0; k < a.keys.size(); ++k) {
                bool desc = k < q->order.size() && order_descending(q->order[k]);
                auto c = order_values(a.keys[k], b.keys[k]);
                if (c != 0)
                    return desc ? c > 0 : c < 0;
            }
            return a.seq < b.seq;
        }
    };
    Less less() const { return Less{&ctx_.q}; }

    struct CellReader { // where a projection or order key is read from, when it is a column
        const LoadedTable* table = nullptr;
        uint64_t property_id = 0;
        const schema::PropType* type = nullptr;
        int frame_col = -1;
        const format::Column* whole = nullptr; // the whole column, once the table has it
        bool loaded() {
            if (!whole)
                whole = table->loaded_column(property_id);
            return whole != nullptr;
        }
        // Where table row `row`'s value is: the whole column without a lookup once loaded.
        std::pair<const format::Column*, size_t> cell(uint32_t row) {
            if (!whole)
                whole = table->loaded_column(property_id);
            return whole ? std::pair{whole, size_t(row)} : table->cell(property_id, row);
        }
    };

  public:
    Impl(const ExecContext& ctx, const OutputPlan& plan) : ctx_(ctx), plan_(plan) {
        out_.columns = ctx_.checked.columns;
        if (!ctx_.checked.aggregate && !ctx_.q.order.empty() && is_rrf(ctx_.q.order[0].expr))
            rrf_ = std::make_unique<RrfOutput>(ctx_, ctx_.q.order[0].expr,
                                               ctx_.q.limit.value_or(UINT64_MAX));
    }
    ~Impl() { ctx_.budget.release_bytes(held_); }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    bool add(const Frame& f) {
        if (ctx_.checked.aggregate) {
            accumulate(f);
            return true;
        }
        shape_readers(f);
        if (rrf_) { // fused over every row of the match: ranked at finish
            charge(rrf_->add(f, [&](size_t r) { return projected(f, r); }));
            return true;
        }
        if (!ctx_.q.order.empty())
            return rank(f);
        return project(f);
    }

    QueryResult finish() {
        if (ctx_.checked.aggregate)
            return aggregate();
        if (rrf_) {
            out_.rows = rrf_->finish();
            return std::move(out_);
        }
        if (!ctx_.q.order.empty()) {
            std::sort(ranked_.begin(), ranked_.end(), less());
            size_t n = std::min<size_t>(ranked_.size(), ctx_.q.limit.value_or(SIZE_MAX));
            out_.rows.reserve(n);
            for (size_t i = 0; i < n; ++i)
                out_.rows.push_back(std::move(ranked_[i].row));
        }
        return std::move(out_);
    }

  private:
    bool full() const { return ctx_.q.limit && out_.rows.size() >= *ctx_.q.limit; }

    void charge(uint64_t bytes) {
        held_ += bytes;
        ctx_.budget.charge_bytes(bytes);
    }
    void release(uint64_t bytes) {
        held_ -= std::min(bytes, held_);
        ctx_.budget.release_bytes(bytes);
    }

    std::vector<Value> projected(const Frame& f, size_t r) {
        std::vector<Value> row;
        row.reserve(ctx_.q.projections.size());
        for (size_t i = 0; i < ctx_.q.projections.size(); ++i) {
            const Expr& e = ctx_.q.projections[i].expr;
            // An rrf() score is known once the whole match is ranked: RrfOutput fills it in.
            row.push_back(is_rrf(e) ? Value::null() : read(projection_readers_[i], e, f, r));
        }
        return row;
    }

    // No order: the rows in match order, and nothing past the limit is ever projected.
    bool project(const Frame& f) {
        for (size_t r = 0; r < f.rows && !full(); ++r) {
            auto row = projected(f, r);
            charge(row_bytes(row));
            out_.rows.push_back(std::move(row));
        }
        return !full();
    }

    bool rank(const Frame& f) {
        uint64_t k = ctx_.q.limit.value_or(UINT64_MAX);
        if (k == 0)
            return false;
        if (!ties_) // every frame of a match has the same variables
            ties_ = bound_ids(ctx_, f);
        bool plain_keys = std::none_of(ctx_.q.order.begin(), ctx_.q.order.end(), [](const auto& o) {
            return o.expr.kind == ExprKind::kAlias;
        });
        const Expr* ranking = !ctx_.q.order.empty() && ctx_.q.order[0].expr.kind == ExprKind::kCall
                                  ? &ctx_.q.order[0].expr
                                  : nullptr;
        std::vector<Value> user_keys;
        for (size_t r = 0; r < f.rows; ++r) {
            // Once k rows are kept, a row whose own order keys already rank below the k-th
            // kept row's cannot enter the top k: skip it before projecting or reading its ids.
            if (worst_kept_ && plain_keys) {
                if (auto below = below_kept_raw(f, r, *worst_kept_)) {
                    if (*below)
                        continue;
                    // equal keys so far: fall through to the ids
                }
                user_keys.clear();
                for (size_t k = 0; k < ctx_.q.order.size(); ++k)
                    user_keys.push_back(order_key(k, f, r));
                if (ranks_below(user_keys, *worst_kept_))
                    continue;
            }
            if (ranking && !ctx_.search().ranks(*ranking, f, r))
                continue; // bm25 ranks only the rows that hold a query term
            Ranked e;
            e.row = projected(f, r);
            for (size_t k = 0; k < ctx_.q.order.size(); ++k) {
                const Expr& key = ctx_.q.order[k].expr;
                e.keys.push_back(key.kind == ExprKind::kAlias ? e.row[column_index(key.name)]
                                                              : order_key(k, f, r));
            }
            for (size_t i = 0; i < ties_->size(); ++i)
                e.keys.push_back(Value::of_string(std::string(ties_->id(f, i, r))));
            e.seq = seq_++;
            e.bytes = row_bytes(e.row) + row_bytes(e.keys) + sizeof(Ranked);
            charge(e.bytes);
            ranked_.push_back(std::move(e));
            if (k <= kPruneAbove && ranked_.size() >= 2 * k + 1024)
                prune(k);
        }
        return true;
    }

    static constexpr uint64_t kPruneAbove = UINT64_MAX / 4;

    // Keeps the best k ranked rows (top-k), and the order keys of the worst of them.
    void prune(uint64_t k) {
        auto keep_end = ranked_.begin() + static_cast<long>(k);
        std::nth_element(ranked_.begin(), keep_end, ranked_.end(), less());
        for (auto it = keep_end; it != ranked_.end(); ++it)
            release(it->bytes);
        ranked_.erase(keep_end, ranked_.end());
        if (!ranked_.empty())
            worst_kept_ = std::max_element(ranked_.begin(), ranked_.end(), less())->keys;
    }

    // Order key `k` of row `r`: a property of a bound variable straight from its column (the
    // per-row path of a top-k over a whole table), anything else through eval.
    Value order_key(size_t k, const Frame& f, size_t r) {
        const Expr& e = ctx_.q.order[k].expr;
        if (e.kind == ExprKind::kCall) // a ranking: its score, rows without one last
            return ctx_.search().order_key(e, f, r);
        return read(key_readers_[k], e, f, r);
    }

    // The value of `e` (read by `reader`) in row `r` of `f`.
    Value read(CellReader& reader, const Expr& e, const Frame& f, size_t r) {
        if (!reader.table)
            return ctx_.eval(e, f, r);
        auto [col, at] = reader.cell(f.cols[reader.frame_col][r]);
        return value_at(*col, at, *reader.type);
    }

    // Whether row `r`'s order keys rank strictly below the k-th kept row's, decided on the raw
    // stored cells (numbers and strings, no Value made): true or false once a key differs,
    // nullopt when every key is equal or one cannot be compared raw (not a property, a NULL, a
    // NaN, another kind). The top-k's skip test for most rows.
    std::optional<bool> below_kept_raw(const Frame& f, size_t r, const std::vector<Value>& kept) {
        for (size_t k = 0; k < ctx_.q.order.size(); ++k) {
            CellReader& reader = key_readers_[k];
            if (!reader.table || reader.type->list)
                return std::nullopt;
            uint32_t row = f.cols[reader.frame_col][r];
            // The page's min/max may decide without reading the page (rows loaded in key order
            // leave most pages wholly after the k-th kept value).
            std::partial_ordering c = reader.loaded() ? std::partial_ordering::unordered
                                                      : page_order(reader, row, kept[k]);
            if (c == std::partial_ordering::unordered) {
                auto [col, at] = reader.cell(row);
                if (col->is_null(at))
                    return std::nullopt;
                c = raw_compare(*col, at, reader.type->scalar, kept[k]);
            }
            if (c == std::partial_ordering::unordered)
                return std::nullopt;
            if (c != 0)
                return order_descending(ctx_.q.order[k]) ? c < 0 : c > 0;
        }
        return std::nullopt;
    }

    // Row `row`'s value against `kept` as far as its page's statistics tell: less or greater
    // when the whole page lies on one side, equivalent when min = max = kept, else unordered.
    static std::partial_ordering page_order(const CellReader& reader, uint32_t row,
                                            const Value& kept) {
        auto stats = reader.table->page_stats(reader.property_id, row);
        if (!stats || stats->null_count != 0 || !stats->min || !stats->max)
            return std::partial_ordering::unordered;
        std::partial_ordering lo = compare_stat(*stats->min, kept),
                              hi = compare_stat(*stats->max, kept);
        if (lo > 0)
            return std::partial_ordering::greater;
        if (hi < 0)
            return std::partial_ordering::less;
        if (lo == 0 && hi == 0)
            return std::partial_ordering::equivalent;
        return std::partial_ordering::unordered;
    }

    // Stored cell `row` of `col` against `kept`; unordered when not comparable raw.
    static std::partial_ordering raw_compare(const format::Column& col, uint32_t row,
                                             schema::ScalarType scalar, const Value& kept) {
        return engine::visit_scalar(scalar, [&](auto tag) -> std::partial_ordering {
            using Tag = decltype(tag);
            using Stored = typename Tag::Storage;
            if constexpr (Tag::scalar == schema::ScalarType::kString) {
                if (kept.kind != Value::Kind::kString)
                    return std::partial_ordering::unordered;
                return col.bytes_at(row) <=> std::string_view(kept.text);
            } else if constexpr (Tag::is_integer || Tag::is_float) {
                long double want = kept.kind == Value::Kind::kFloat ? (long double)kept.real
                                   : kept.kind == Value::Kind::kInt ? (long double)kept.integer
                                   : kept.kind == Value::Kind::kUInt
                                       ? (long double)kept.uinteger
                                       : std::numeric_limits<long double>::quiet_NaN();
                return static_cast<long double>(col.fixed_at<Stored>(row)) <=> want;
            } else {
                return std::partial_ordering::unordered;
            }
        });
    }

    // Finds where each projection and order key is read from, once per shape of frame (the
    // morsels of one match share theirs): a property of a bound variable straight from its
    // column, so rows are not evaluated name by name.
    void shape_readers(const Frame& f) {
        if (shaped_ && f.vars == reader_vars_)
            return;
        shaped_ = true;
        reader_vars_ = f.vars;
        auto reader_for = [&](const Expr& e) {
            CellReader reader;
            const VarInfo* v = e.kind == ExprKind::kProp ? ctx_.find_var(e.var) : nullptr;
            int col = v ? f.index_of(e.var) : -1;
            if (col >= 0)
                if (auto p = v->property(e.name))
                    reader = {v->table.get(), p->id, p->type, col};
            return reader;
        };
        key_readers_.clear();
        for (const auto& o : ctx_.q.order)
            key_readers_.push_back(reader_for(o.expr));
        projection_readers_.clear();
        for (const auto& p : ctx_.q.projections)
            projection_readers_.push_back(reader_for(p.expr));
    }

    // Whether order keys `user` (the query's own, without the id tie-break) rank strictly
    // after the first keys of `kept`.
    bool ranks_below(const std::vector<Value>& user, const std::vector<Value>& kept) const {
        for (size_t k = 0; k < user.size(); ++k) {
            auto c = order_values(user[k], kept[k]);
            if (c != 0)
                return order_descending(ctx_.q.order[k]) ? c < 0 : c > 0;
        }
        return false; // equal keys: the ids decide
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
    enum class Fold { kKey, kCountRows, kCountCells, kEval };
    enum class AggOp { kCount, kSum, kAvg, kMin, kMax, kOther };
    struct Aggregate { // how one projection folds into its group (start_groups)
        Fold fold = Fold::kKey;
        AggOp op = AggOp::kOther;
        const format::Column* cells = nullptr; // kCountCells: the property's whole column
        int frame_col = -1;                    // kCountCells: the variable's frame column
    };
    // A group key column over a bound variable is evaluated once per distinct table row
    // (memo), and its values are numbered, so a group key is a few integers.
    struct KeyColumn {
        int frame_col = -1; // -1: evaluated per row (a parameter or literal)
        std::vector<int32_t> memo;
        std::unordered_map<std::string, int32_t> ids;
        std::vector<Value> values;
    };

    // The group key columns, set up at the first morsel (every morsel has the same variables).
    void start_groups(const Frame& f) {
        const auto& projections = ctx_.q.projections;
        for (size_t i = 0; i < projections.size(); ++i)
            if (projections[i].expr.kind != ExprKind::kAgg)
                group_cols_.push_back(i);
        keys_.resize(group_cols_.size());
        for (size_t k = 0; k < group_cols_.size(); ++k) {
            const Expr& e = projections[group_cols_[k]].expr;
            int c =
                (e.kind == ExprKind::kProp || e.kind == ExprKind::kVar) ? f.index_of(e.var) : -1;
            if (c >= 0 && !ctx_.q.find_param(e.var)) {
                keys_[k].frame_col = c;
                keys_[k].memo.assign(ctx_.var(e.var).table->size(), -1);
                charge(keys_[k].memo.size() * sizeof(int32_t));
            }
        }
        // How each projection folds, decided once: count($v) of a bound node variable counts
        // rows; count($v.p) counts the property's non-null cells; the rest evaluate their
        // argument per row.
        for (const auto& p : projections) {
            const Expr& e = p.expr;
            Aggregate how;
            if (e.kind != ExprKind::kAgg) {
                aggregates_.push_back(how);
                continue;
            }
            how.fold = Fold::kEval;
            how.op = e.name == "count" ? AggOp::kCount
                     : e.name == "sum" ? AggOp::kSum
                     : e.name == "avg" ? AggOp::kAvg
                     : e.name == "min" ? AggOp::kMin
                     : e.name == "max" ? AggOp::kMax
                                       : AggOp::kOther;
            const Expr& arg = e.args[0];
            bool bound = (arg.kind == ExprKind::kVar || arg.kind == ExprKind::kProp) &&
                         !ctx_.q.find_param(arg.var);
            if (how.op == AggOp::kCount && bound && arg.kind == ExprKind::kVar) {
                how.fold = Fold::kCountRows;
            } else if (how.op == AggOp::kCount && bound && f.index_of(arg.var) >= 0) {
                how.fold = Fold::kCountCells;
                how.cells = &ctx_.column(ctx_.var(arg.var), arg.name);
                how.frame_col = f.index_of(arg.var);
            }
            aggregates_.push_back(how);
        }
        groups_started_ = true;
    }

    // Folds a morsel into the groups' accumulators: no frame outlives its morsel.
    void accumulate(const Frame& f) {
        const auto& projections = ctx_.q.projections;
        if (plan_.count_only) {
            counted_ += f.rows;
            return;
        }
        if (!groups_started_)
            start_groups(f);
        auto value_id = [&](KeyColumn& kc, const Expr& e, size_t r) {
            int32_t* memo = kc.frame_col >= 0 ? &kc.memo[f.cols[kc.frame_col][r]] : nullptr;
            if (memo && *memo >= 0)
                return *memo;
            Value v = ctx_.eval(e, f, r);
            auto [it, fresh] = kc.ids.try_emplace(value_key(v), int32_t(kc.values.size()));
            if (fresh) {
                charge(2 * value_bytes(v));
                kc.values.push_back(std::move(v));
            }
            if (memo)
                *memo = it->second;
            return it->second;
        };
        auto new_group = [&](const std::vector<int32_t>& ids, size_t key_bytes) {
            std::vector<Value> values;
            values.reserve(group_cols_.size());
            for (size_t k = 0; k < group_cols_.size(); ++k)
                values.push_back(keys_[k].values[ids[k]]);
            charge(row_bytes(values) + key_bytes + projections.size() * sizeof(Accumulator));
            group_values_.push_back(std::move(values));
            accs_.emplace_back(projections.size());
            return group_values_.size() - 1;
        };
        std::string key;
        std::vector<int32_t> ids(group_cols_.size());
        for (size_t r = 0; r < f.rows; ++r) {
            ctx_.budget.tick();
            size_t group = 0;
            if (group_cols_.size() == 1) { // one key: its value's number is the group's index
                ids[0] = value_id(keys_[0], projections[group_cols_[0]].expr, r);
                auto id = static_cast<size_t>(ids[0]);
                if (id >= group_by_id_.size()) {
                    charge((id + 1 - group_by_id_.size()) * sizeof(int64_t));
                    group_by_id_.resize(id + 1, -1);
                }
                if (group_by_id_[id] < 0)
                    group_by_id_[id] = static_cast<int64_t>(new_group(ids, 0));
                group = static_cast<size_t>(group_by_id_[id]);
            } else if (!group_cols_.empty()) {
                key.clear();
                for (size_t k = 0; k < group_cols_.size(); ++k) {
                    ids[k] = value_id(keys_[k], projections[group_cols_[k]].expr, r);
                    key.append(reinterpret_cast<const char*>(&ids[k]), sizeof(int32_t));
                }
                auto it = group_of_.find(key);
                if (it == group_of_.end())
                    it = group_of_.emplace(key, new_group(ids, key.size())).first;
                group = it->second;
            } else if (accs_.empty()) {
                group_values_.emplace_back();
                accs_.emplace_back(projections.size());
            }
            auto& acc = accs_[group];
            for (size_t i = 0; i < projections.size(); ++i) {
                const Aggregate& how = aggregates_[i];
                Accumulator& a = acc[i];
                switch (how.fold) {
                case Fold::kKey:
                    continue;
                case Fold::kCountRows: // a bound variable is never NULL
                    ++a.count;
                    continue;
                case Fold::kCountCells:
                    a.count += how.cells->is_null(f.cols[how.frame_col][r]) ? 0 : 1;
                    continue;
                case Fold::kEval:
                    break;
                }
                Value v = ctx_.eval(projections[i].expr.args[0], f, r);
                if (v.is_null())
                    continue;
                ++a.count;
                if (how.op == AggOp::kSum || how.op == AggOp::kAvg) {
                    a.sum += v.kind == Value::Kind::kFloat ? v.real
                             : v.kind == Value::Kind::kInt ? static_cast<double>(v.integer)
                                                           : static_cast<double>(v.uinteger);
                    a.any = true;
                } else if (how.op == AggOp::kMin || how.op == AggOp::kMax) {
                    if (!a.any || (how.op == AggOp::kMin ? order_values(v, a.best) < 0
                                                         : order_values(v, a.best) > 0))
                        a.best = v;
                    a.any = true;
                }
            }
        }
    }

    QueryResult aggregate() {
        const auto& projections = ctx_.q.projections;
        QueryResult out = std::move(out_);
        if (plan_.count_only) {
            out.rows.emplace_back(projections.size(), Value::of_int(int64_t(counted_)));
            if (ctx_.q.limit && *ctx_.q.limit == 0)
                out.rows.clear();
            return out;
        }
        if (!groups_started_) { // no morsel at all: the group columns are still known
            for (size_t i = 0; i < projections.size(); ++i)
                if (projections[i].expr.kind != ExprKind::kAgg)
                    group_cols_.push_back(i);
        }
        if (group_cols_.empty() && group_values_.empty()) { // no rows, no keys: one row
            group_values_.emplace_back();
            accs_.emplace_back(projections.size());
        }
        for (size_t g = 0; g < group_values_.size(); ++g) {
            std::vector<Value> row;
            size_t next_key = 0;
            for (size_t i = 0; i < projections.size(); ++i) {
                const Expr& e = projections[i].expr;
                if (e.kind != ExprKind::kAgg) {
                    row.push_back(group_values_[g][next_key++]);
                    continue;
                }
                const Accumulator& a = accs_[g][i];
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
                        return order_descending(ctx_.q.order[k]) ? c > 0 : c < 0;
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

    const ExecContext& ctx_;
    const OutputPlan& plan_;
    QueryResult out_;
    uint64_t held_ = 0; // bytes charged to the budget, released when done
    // Ordered projections.
    std::vector<Ranked> ranked_;
    std::unique_ptr<RrfOutput> rrf_;               // when the first order key is rrf()
    std::optional<std::vector<Value>> worst_kept_; // after a prune: the k-th row's order keys
    std::vector<CellReader> key_readers_, projection_readers_;
    std::vector<std::string> reader_vars_; // the frame shape the readers were made for
    bool shaped_ = false;
    std::optional<BoundIds> ties_; // the bound ids that break ties, found at the first frame
    uint64_t seq_ = 0;
    // Aggregation.
    uint64_t counted_ = 0;
    bool groups_started_ = false;
    std::vector<size_t> group_cols_;
    std::vector<KeyColumn> keys_;
    std::unordered_map<std::string, size_t> group_of_; // by key (several key columns)
    std::vector<int64_t> group_by_id_;  // by the key's value number (one key column), -1: none
    std::vector<Aggregate> aggregates_; // per projection
    std::vector<std::vector<Value>> group_values_;
    std::vector<std::vector<Accumulator>> accs_;
};

OutputBuilder::OutputBuilder(const ExecContext& ctx, const OutputPlan& plan)
    : impl_(std::make_unique<Impl>(ctx, plan)) {}
OutputBuilder::~OutputBuilder() = default;

bool OutputBuilder::add(const Frame& frame) {
    return impl_->add(frame);
}

QueryResult OutputBuilder::finish() {
    return impl_->finish();
}

} // namespace omnigraph::query
