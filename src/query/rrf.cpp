#include "query/rrf.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace omnigraph::query {

namespace {

constexpr int64_t kDefaultK = 60; // spec query-language §1.8

} // namespace

struct RrfOutput::Impl {
    // One match row, kept under its entity: its projection and its bound ids (the order of an
    // entity's rows), and its place in the match (for equal ids).
    struct Row {
        std::vector<std::string> ids;
        uint64_t seq = 0;
        std::vector<Value> values;
    };
    // An rrf() call's fusion: entities best first, and each one's fused score.
    struct Fused {
        std::vector<uint32_t> order;
        std::unordered_map<uint32_t, double> score;
    };

    const ExecContext& ctx;
    const Expr& call;
    uint64_t limit;
    std::string var; // the ranked variable
    const LoadedTable* table = nullptr;

    std::unordered_map<uint32_t, std::vector<Row>> rows_of; // by entity (table row of `var`)
    std::vector<uint32_t> entities;                         // distinct, first appearance
    uint64_t seq = 0;

    std::vector<std::string> frame_vars; // the shape the columns below were found for
    int entity_col = -1;
    BoundIds ids;

    Impl(const ExecContext& c, const Expr& e, uint64_t l) : ctx(c), call(e), limit(l) {
        var = ranked_variable(e);
        table = ctx.var(var).table.get();
    }

    // The variable both arms of rrf call `e` rank.
    std::string ranked_variable(const Expr& e) const {
        const std::string& a = ctx.search().ranking(e.args[0]).variable();
        const std::string& b = ctx.search().ranking(e.args[1]).variable();
        if (a != b)
            runtime_fail("rrf() fuses two rankings of one variable; these rank `$" + a +
                             "` and `$" + b + "`",
                         kNotSupported);
        return a;
    }

    void shape(const Frame& f) {
        if (!frame_vars.empty() && f.vars == frame_vars)
            return;
        frame_vars = f.vars;
        entity_col = f.index_of(var);
        if (entity_col < 0)
            runtime_fail("variable `$" + var + "` is not bound");
        ids = bound_ids(ctx, f);
    }

    uint64_t add(const Frame& f, const std::function<std::vector<Value>(size_t)>& project) {
        shape(f);
        uint64_t bytes = 0;
        for (size_t r = 0; r < f.rows; ++r) {
            uint32_t entity = f.cols[entity_col][r];
            auto [it, fresh] = rows_of.try_emplace(entity);
            if (fresh)
                entities.push_back(entity);
            Row row;
            for (size_t i = 0; i < ids.size(); ++i)
                row.ids.emplace_back(ids.id(f, i, r));
            row.seq = seq++;
            row.values = project(r);
            bytes += sizeof(Row);
            for (const auto& id : row.ids)
                bytes += id.size() + sizeof(std::string);
            for (const auto& v : row.values)
                bytes += value_bytes(v);
            std::vector<Row>& rows = it->second;
            rows.push_back(std::move(row));
            // An entity never contributes more than `limit` rows: keep its first by ids.
            if (rows.size() >= 2 * limit + 64) {
                auto keep = rows.begin() + static_cast<long>(limit);
                std::nth_element(rows.begin(), keep, rows.end(), row_less);
                rows.erase(keep, rows.end());
            }
        }
        return bytes;
    }

    static bool row_less(const Row& a, const Row& b) {
        return a.ids != b.ids ? a.ids < b.ids : a.seq < b.seq;
    }

    // The entities arm `arm` ranks, best first (ties by id), at most `limit` of them.
    std::vector<uint32_t> ranked(const Expr& arm) {
        Ranking& ranking = ctx.search().ranking(arm);
        std::vector<std::pair<double, uint32_t>> scored;
        for (uint32_t e : entities)
            if (auto s = ranking.score(e))
                scored.emplace_back(ranking.ascending() ? *s : -*s, e);
        auto less = [&](const auto& a, const auto& b) {
            if (a.first != b.first)
                return a.first < b.first;
            return table->id(a.second) < table->id(b.second);
        };
        size_t n = std::min<uint64_t>(scored.size(), limit);
        std::partial_sort(scored.begin(), scored.begin() + static_cast<long>(n), scored.end(),
                          less);
        std::vector<uint32_t> out;
        out.reserve(n);
        for (size_t i = 0; i < n; ++i)
            out.push_back(scored[i].second);
        return out;
    }

    int64_t k_of(const Expr& e) const {
        if (e.args.size() < 3)
            return kDefaultK;
        Frame none;
        Value k = ctx.eval(e.args[2], none, 0);
        int64_t v = k.kind == Value::Kind::kInt    ? k.integer
                    : k.kind == Value::Kind::kUInt ? static_cast<int64_t>(k.uinteger)
                                                   : 0;
        if (v <= 0)
            runtime_fail("rrf() k must be an integer greater than 0");
        return v;
    }

    Fused fuse(const Expr& e) {
        if (ranked_variable(e) != var)
            runtime_fail("every rrf() of a query must rank the same variable", kNotSupported);
        auto k = static_cast<double>(k_of(e));
        std::vector<uint32_t> primary = ranked(e.args[0]), secondary = ranked(e.args[1]);
        Fused out;
        for (size_t rank = 0; rank < primary.size(); ++rank) {
            out.order.push_back(primary[rank]);
            out.score[primary[rank]] += 1.0 / (k + double(rank) + 1);
        }
        for (size_t rank = 0; rank < secondary.size(); ++rank) {
            auto [it, fresh] = out.score.try_emplace(secondary[rank], 0.0);
            if (fresh)
                out.order.push_back(secondary[rank]);
            it->second += 1.0 / (k + double(rank) + 1);
        }
        std::stable_sort(out.order.begin(), out.order.end(),
                         [&](uint32_t a, uint32_t b) { return out.score[a] > out.score[b]; });
        return out;
    }

    std::vector<std::vector<Value>> finish() {
        Fused fused = fuse(call);
        // Every rrf() projection gets its own fusion of the same rows.
        const auto& projections = ctx.q.projections;
        std::vector<std::optional<Fused>> columns(projections.size());
        for (size_t i = 0; i < projections.size(); ++i)
            if (is_rrf(projections[i].expr))
                columns[i] = fuse(projections[i].expr);
        std::vector<std::vector<Value>> out;
        for (size_t i = 0; i < fused.order.size() && i < limit && out.size() < limit; ++i) {
            uint32_t entity = fused.order[i];
            std::vector<Row>& rows = rows_of[entity];
            std::sort(rows.begin(), rows.end(), row_less);
            for (Row& row : rows) {
                if (out.size() >= limit)
                    break;
                for (size_t c = 0; c < columns.size(); ++c) {
                    const std::optional<Fused>& column = columns[c];
                    if (!column)
                        continue;
                    auto s = column->score.find(entity);
                    row.values[c] = Value::of_float(s == column->score.end() ? 0.0 : s->second);
                }
                out.push_back(std::move(row.values));
            }
        }
        return out;
    }
};

RrfOutput::RrfOutput(const ExecContext& ctx, const Expr& call, uint64_t limit)
    : impl_(std::make_unique<Impl>(ctx, call, limit)) {}
RrfOutput::~RrfOutput() = default;

uint64_t RrfOutput::add(const Frame& f, const std::function<std::vector<Value>(size_t)>& project) {
    return impl_->add(f, project);
}

std::vector<std::vector<Value>> RrfOutput::finish() {
    return impl_->finish();
}

} // namespace omnigraph::query
