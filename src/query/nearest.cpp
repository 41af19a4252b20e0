#include "query/nearest.h"

#include "format/vector_distance.h"
#include "query/exec_context.h"
#include "query/query_embedder.h"
#include "query/vector_search.h"

#include <algorithm>
#include <cmath>

namespace omnigraph::query {

namespace {

std::string field_text(const Expr& field) {
    return "$" + field.var + "." + field.name;
}

// The query vector of nearest call `e` over property `field` of `v` (Vector(dim)).
std::vector<float> query_vector(const ExecContext& ctx, const Expr& e, const VarInfo& v,
                                uint32_t dim) {
    const Expr& field = e.args[0];
    Frame none;
    Value q = ctx.eval(e.args[1], none, 0);
    std::vector<float> out;
    switch (q.kind) {
    case Value::Kind::kVector:
        out = q.vector;
        break;
    case Value::Kind::kList:
        for (const auto& item : q.items) {
            if (!item.is_number())
                runtime_fail("nearest() query vector needs numbers");
            out.push_back(item.kind == Value::Kind::kFloat ? static_cast<float>(item.real)
                          : item.kind == Value::Kind::kInt ? static_cast<float>(item.integer)
                                                           : static_cast<float>(item.uinteger));
        }
        break;
    case Value::Kind::kString: {
        if (!ctx.embedder)
            runtime_fail("nearest(" + field_text(field) +
                             ", <text>) needs an embedding provider to embed its query string, "
                             "and none is configured",
                         kEmbeddingProviderMissing);
        std::optional<std::string> model;
        if (const auto* node = ctx.catalog.find_node(v.type))
            if (auto it = node->embed_sources.find(field.name); it != node->embed_sources.end())
                model = it->second.model;
        out = unwrap(ctx.embedder->embed_query({q.text, v.type, field.name, dim, model}));
        break;
    }
    case Value::Kind::kNull:
        runtime_fail("nearest() query vector is null");
    default:
        runtime_fail("nearest() query must be a vector or a string");
    }
    if (out.size() != dim)
        runtime_fail("nearest() query has " + std::to_string(out.size()) + " values, " +
                     field_text(field) + " is Vector(" + std::to_string(dim) + ")");
    for (float x : out)
        if (!std::isfinite(x))
            runtime_fail("nearest() query vector has a non-finite value (NaN, infinity, or a "
                         "number beyond F32's range)");
    return out;
}

class NearestRanking final : public Ranking {
  public:
    NearestRanking(const ExecContext& ctx, const Expr& e)
        : Ranking(e.args[0].var), budget_(ctx.budget) {
        const Expr& field = e.args[0];
        const VarInfo& v = ctx.var(field.var);
        auto p = v.property(field.name);
        if (!p || p->type->scalar != schema::ScalarType::kVector || p->type->list)
            runtime_fail("nearest() needs a Vector property, " + field_text(field) + " is not");
        table_ = v.table.get();
        property_id_ = p->id;
        dim_ = p->type->vector_dim;
        query_ = query_vector(ctx, e, v, dim_);
        budget_.charge_bytes(table_->size() * sizeof(float)); // the memo
        memo_.assign(table_->size(), kUnknown);
    }
    ~NearestRanking() override { budget_.release_bytes(memo_.size() * sizeof(float)); }
    NearestRanking(const NearestRanking&) = delete;
    NearestRanking& operator=(const NearestRanking&) = delete;

    std::optional<double> score(uint32_t row) override {
        float d = memo_[row];
        if (d == kUnknown) {
            if (!whole_)
                whole_ = table_->loaded_column(property_id_);
            auto [col, at] =
                whole_ ? std::pair{whole_, size_t(row)} : table_->cell(property_id_, row);
            d = col->is_null(at) ? kNone
                                 : format::squared_l2(col->fixed_row(at), query_.data(), dim_);
            if (std::isnan(d))
                d = kNone;
            memo_[row] = d;
        }
        if (d == kNone)
            return std::nullopt;
        return d;
    }
    bool ascending() const override { return true; }

    // Through the segments' vector indexes, when they pay (query/vector_search.h).
    std::optional<RowSet> narrow(const std::optional<RowSet>& pass, uint64_t k) override {
        auto hits = nearest_by_index(*table_, property_id_, query_, k, pass,
                                     [this](uint32_t row) { return score(row); });
        if (!hits)
            return std::nullopt;
        std::vector<uint32_t> rows;
        rows.reserve(hits->size());
        for (const auto& h : *hits) {
            memo_[h.row] = h.distance;
            rows.push_back(h.row);
        }
        std::sort(rows.begin(), rows.end());
        return RowSet::of_rows(std::move(rows));
    }

  private:
    static constexpr float kUnknown = -1; // distances are never negative
    static constexpr float kNone = -2;    // NULL or NaN: no distance

    QueryBudget& budget_;
    const LoadedTable* table_ = nullptr;
    const format::Column* whole_ = nullptr;
    uint64_t property_id_ = 0;
    uint32_t dim_ = 0;
    std::vector<float> query_;
    std::vector<float> memo_; // per table row
};

} // namespace

std::unique_ptr<Ranking> make_nearest(const ExecContext& ctx, const Expr& e) {
    return std::make_unique<NearestRanking>(ctx, e);
}

} // namespace omnigraph::query
