#include "query/scan.h"

#include "engine/cell_visit.h"
#include "query/text_search.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

namespace omnigraph::query {

using schema::PropType;
using schema::ScalarType;

namespace {

bool is_text_op(CompareOp op) {
    return op == CompareOp::kContains || op == CompareOp::kStartsWith;
}

// Whether the column loop compares a constant of `c`'s kind with a `type` column under `op`.
bool column_comparable(const PropType& type, const Value& c, CompareOp op) {
    if (c.is_null())
        return true; // NULL never matches: every row fails
    return engine::visit_scalar(type.scalar, [&](auto tag) {
        using Tag = decltype(tag);
        if constexpr (Tag::scalar == ScalarType::kString)
            return c.kind == Value::Kind::kString;
        else if constexpr (Tag::scalar == ScalarType::kBool)
            return c.kind == Value::Kind::kBool && !is_text_op(op);
        else if constexpr (Tag::scalar == ScalarType::kDate)
            return c.kind == Value::Kind::kDate && !is_text_op(op);
        else if constexpr (Tag::scalar == ScalarType::kDateTime)
            return c.kind == Value::Kind::kDateTime && !is_text_op(op);
        else if constexpr (Tag::is_integer || Tag::is_float)
            return c.is_number() && !is_text_op(op);
        else
            return false; // Blob, Vector: compared row by row, if at all
    });
}

// Clears the rows of `keep` whose value fails `op` against the constant; `order(r)` compares
// row r's (non-null) value with the constant.
template <class Order>
void keep_ordered(const ColumnTest& t, std::vector<uint8_t>& keep, Order order) {
    const format::Column& col = *t.column;
    for (size_t r = 0; r < keep.size(); ++r) {
        if (!keep[r])
            continue;
        if (col.is_null(r)) {
            keep[r] = 0;
            continue;
        }
        std::partial_ordering o = order(r);
        bool ok = false;
        switch (t.op) {
        case CompareOp::kEq:
            ok = o == 0;
            break;
        case CompareOp::kNe:
            ok = o != 0 && o != std::partial_ordering::unordered;
            break;
        case CompareOp::kLt:
            ok = o < 0;
            break;
        case CompareOp::kLe:
            ok = o <= 0;
            break;
        case CompareOp::kGt:
            ok = o > 0;
            break;
        case CompareOp::kGe:
            ok = o >= 0;
            break;
        default:
            break;
        }
        keep[r] = ok ? 1 : 0;
    }
}

// Clears the rows of `keep` whose value fails `stored op want`, compared as Cmp, in one loop
// the compiler vectorizes; NULL rows fail. NaN fails every operator, as in keep_ordered.
template <class Stored, class Cmp>
void keep_compared(const ColumnTest& t, Cmp want, std::vector<uint8_t>& keep) {
    // Distinct buffers (restrict), so the byte stores cannot alias the loads.
    const uint8_t* __restrict valid = t.column->validity();
    const char* __restrict data = t.column->fixed_data();
    uint8_t* __restrict out = keep.data();
    size_t n = keep.size();
    auto run = [&](auto test) {
        for (size_t r = 0; r < n; ++r) {
            Stored v;
            std::memcpy(&v, data + r * sizeof(Stored), sizeof(Stored));
            out[r] = out[r] & uint8_t(valid[r] != 0) & uint8_t(test(static_cast<Cmp>(v)));
        }
    };
    switch (t.op) {
    case CompareOp::kEq:
        return run([&](Cmp v) { return v == want; });
    case CompareOp::kNe:
        return run([&](Cmp v) { return v < want || v > want; });
    case CompareOp::kLt:
        return run([&](Cmp v) { return v < want; });
    case CompareOp::kLe:
        return run([&](Cmp v) { return v <= want; });
    case CompareOp::kGt:
        return run([&](Cmp v) { return v > want; });
    case CompareOp::kGe:
        return run([&](Cmp v) { return v >= want; });
    default:
        std::fill(keep.begin(), keep.end(), 0);
    }
}

// Runs a number test in one native type when that is exact for this column and constant:
// signed columns as int64, unsigned as uint64, floats as double. False when it cannot (an
// integer column against a fraction, a negative constant against an unsigned column, ...).
template <class Tag> bool keep_compared_fast(const ColumnTest& t, std::vector<uint8_t>& keep) {
    using Stored = typename Tag::Storage;
    const Value& c = t.constant;
    constexpr int64_t kExactInDouble = int64_t(1) << 53;
    if constexpr (Tag::is_float) {
        if (c.kind == Value::Kind::kFloat)
            return keep_compared<Stored, double>(t, c.real, keep), true;
        if (c.kind == Value::Kind::kInt && c.integer >= -kExactInDouble &&
            c.integer <= kExactInDouble)
            return keep_compared<Stored, double>(t, double(c.integer), keep), true;
    } else if constexpr (Tag::is_integer && std::is_signed_v<Stored>) {
        constexpr auto lo = std::numeric_limits<Stored>::min(),
                       hi = std::numeric_limits<Stored>::max();
        if (c.kind == Value::Kind::kInt && c.integer >= lo && c.integer <= hi)
            return keep_compared<Stored, Stored>(t, Stored(c.integer), keep), true; // native width
        if (c.kind == Value::Kind::kInt)
            return keep_compared<Stored, int64_t>(t, c.integer, keep), true;
        if (c.kind == Value::Kind::kUInt && c.uinteger <= uint64_t(INT64_MAX))
            return keep_compared<Stored, int64_t>(t, int64_t(c.uinteger), keep), true;
    } else if constexpr (Tag::is_integer) {
        if (c.kind == Value::Kind::kUInt && c.uinteger <= std::numeric_limits<Stored>::max())
            return keep_compared<Stored, Stored>(t, Stored(c.uinteger), keep), true;
        if (c.kind == Value::Kind::kUInt)
            return keep_compared<Stored, uint64_t>(t, c.uinteger, keep), true;
        if (c.kind == Value::Kind::kInt && c.integer >= 0)
            return keep_compared<Stored, uint64_t>(t, uint64_t(c.integer), keep), true;
    }
    return false;
}

// Runs a column test over `keep` (see column_comparable for the kinds it accepts).
void apply_column_test(const ColumnTest& t, std::vector<uint8_t>& keep) {
    const format::Column& col = *t.column;
    const Value& c = t.constant;
    if (c.is_null()) {
        std::fill(keep.begin(), keep.end(), 0);
        return;
    }
    if (t.type->scalar == ScalarType::kString) {
        std::string_view want = c.text;
        if (is_text_op(t.op)) {
            for (size_t r = 0; r < keep.size(); ++r)
                if (keep[r])
                    keep[r] = !col.is_null(r) &&
                              (t.op == CompareOp::kContains
                                   ? col.bytes_at(r).find(want) != std::string_view::npos
                                   : col.bytes_at(r).starts_with(want));
            return;
        }
        keep_ordered(t, keep,
                     [&](size_t r) -> std::partial_ordering { return col.bytes_at(r) <=> want; });
        return;
    }
    // Numbers compare exactly across integer and float types: long double holds every 64-bit
    // integer. Dates and datetimes compare their stored days / milliseconds.
    long double want = c.kind == Value::Kind::kFloat ? static_cast<long double>(c.real)
                       : c.kind == Value::Kind::kInt ? static_cast<long double>(c.integer)
                                                     : static_cast<long double>(c.uinteger);
    engine::visit_scalar(t.type->scalar, [&](auto tag) {
        using Tag = decltype(tag);
        using Stored = typename Tag::Storage;
        if constexpr (Tag::scalar == ScalarType::kBool)
            keep_ordered(t, keep, [&](size_t r) -> std::partial_ordering {
                return (col.fixed_at<Stored>(r) != 0) <=> c.boolean;
            });
        else if constexpr (Tag::scalar == ScalarType::kDate || Tag::scalar == ScalarType::kDateTime)
            keep_ordered(t, keep, [&](size_t r) -> std::partial_ordering {
                return int64_t(col.fixed_at<Stored>(r)) <=> c.integer;
            });
        else if constexpr (Tag::is_integer || Tag::is_float) {
            if (!keep_compared_fast<Tag>(t, keep))
                keep_ordered(t, keep, [&](size_t r) -> std::partial_ordering {
                    return static_cast<long double>(col.fixed_at<Stored>(r)) <=> want;
                });
        }
    });
}

// `constant op prop` as `prop op' constant`; nullopt for the operators that are not symmetric.
std::optional<CompareOp> mirrored(CompareOp op) {
    switch (op) {
    case CompareOp::kLt:
        return CompareOp::kGt;
    case CompareOp::kLe:
        return CompareOp::kGe;
    case CompareOp::kGt:
        return CompareOp::kLt;
    case CompareOp::kGe:
        return CompareOp::kLe;
    case CompareOp::kEq:
    case CompareOp::kNe:
        return op;
    default:
        return std::nullopt;
    }
}

} // namespace

std::optional<ColumnTest> column_test(const ExecContext& ctx, const std::string& v,
                                      const Predicate& p) {
    ColumnTest t;
    const Expr* constant = nullptr;
    if (p.match) {
        t.property = p.match->property;
        constant = &p.match->value;
    } else {
        const Clause& c = *p.filter;
        t.op = c.op;
        if (c.left.kind == ExprKind::kProp && c.left.var == v && ctx.is_constant(c.right)) {
            t.property = c.left.name;
            constant = &c.right;
        } else if (c.right.kind == ExprKind::kProp && c.right.var == v && ctx.is_constant(c.left)) {
            auto op = mirrored(t.op);
            if (!op)
                return std::nullopt;
            t.op = *op;
            t.property = c.right.name;
            constant = &c.left;
        } else {
            return std::nullopt;
        }
    }
    if (!ctx.is_constant(*constant))
        return std::nullopt;
    const VarInfo& info = ctx.var(v);
    auto type = info.properties->find(t.property);
    if (type == info.properties->end())
        return std::nullopt;
    t.type = &type->second;
    if (t.type->list || t.type->scalar == ScalarType::kVector ||
        t.type->scalar == ScalarType::kBlob)
        return std::nullopt;
    Frame none;
    t.constant = ctx.eval(*constant, none, 0);
    if (!column_comparable(*t.type, t.constant, t.op))
        return std::nullopt;
    t.property_id = info.property_ids->at(t.property);
    return t;
}

bool passes(const ExecContext& ctx, const std::string& v, const std::vector<Predicate>& list,
            uint32_t row) {
    Frame one;
    one.vars = {v};
    one.cols = {{row}};
    one.rows = 1;
    for (const auto& p : list) {
        if (p.match) {
            auto type = ctx.var(v).properties->find(p.match->property);
            if (type == ctx.var(v).properties->end())
                runtime_fail(ctx.var(v).type + " has no property '" + p.match->property + "'");
            Value have = ctx.property(v, p.match->property, row);
            Value want = ctx.eval(p.match->value, one, 0);
            bool ok = type->second.list ? holds(have, CompareOp::kContains, want)
                                        : holds(have, CompareOp::kEq, want);
            if (!ok)
                return false;
        } else if (!holds(ctx.eval(p.filter->left, one, 0), p.filter->op,
                          ctx.eval(p.filter->right, one, 0))) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> key_of(const ExecContext& ctx, const std::string& v,
                                  const Predicate& p) {
    const VarInfo& info = ctx.var(v);
    if (info.is_edge)
        return std::nullopt;
    const schema::NodeCatalog* node = ctx.catalog.find_node(info.type);
    if (!node || !node->key || node->key->size() != 1)
        return std::nullopt;
    auto t = column_test(ctx, v, p);
    if (!t || t->op != CompareOp::kEq || t->property != node->key->front() || t->type->list)
        return std::nullopt;
    const Value& c = t->constant;
    if (t->type->scalar == ScalarType::kString && c.kind == Value::Kind::kString)
        return c.text;
    bool integer_key =
        engine::visit_scalar(t->type->scalar, [](auto tag) { return decltype(tag)::is_integer; });
    if (integer_key && c.kind == Value::Kind::kInt)
        return std::to_string(c.integer);
    if (integer_key && c.kind == Value::Kind::kUInt)
        return std::to_string(c.uinteger);
    return std::nullopt;
}

namespace {

// Whether a page with these statistics holds no row that passes `t`.
bool page_fails(const ColumnTest& t, const LoadedTable::PageView& page) {
    if (!page.info || page.info->null_count >= page.rows || t.constant.is_null())
        return true; // NULL never passes a comparison
    if (!page.info->min || !page.info->max)
        return false;
    // The constant against the page's bounds (constant <=> min, constant <=> max).
    std::partial_ordering lo = 0 <=> compare_stat(*page.info->min, t.constant),
                          hi = 0 <=> compare_stat(*page.info->max, t.constant);
    if (lo == std::partial_ordering::unordered || hi == std::partial_ordering::unordered)
        return false;
    switch (t.op) {
    case CompareOp::kEq:
        return lo < 0 || hi > 0;
    case CompareOp::kLt: // row < c fails everywhere when min >= c
        return lo <= 0;
    case CompareOp::kLe:
        return lo < 0;
    case CompareOp::kGt:
        return hi >= 0;
    case CompareOp::kGe:
        return hi > 0;
    default:
        return false;
    }
}

// Runs `t` over `keep` (indexed by table row): on the whole column when it is loaded, else
// page by page, skipping the pages whose statistics admit no passing row.
void apply_test(const LoadedTable& table, ColumnTest t, std::vector<uint8_t>& keep) {
    if (const format::Column* whole = table.loaded_column(t.property_id)) {
        t.column = whole;
        apply_column_test(t, keep);
        return;
    }
    std::vector<uint8_t> part;
    std::vector<uint32_t> rows; // table row of each file row of the page (or kGone)
    constexpr uint32_t kGone = std::numeric_limits<uint32_t>::max();
    for (size_t s = 0; s < table.segment_count(); ++s) {
        auto views = table.pages(s, t.property_id);
        std::optional<uint32_t> base = table.contiguous_base(s);
        for (size_t p = 0; p < views.size(); ++p) {
            const auto& view = views[p];
            if (base) { // no deletions: the page's rows are one run of table rows
                auto from = keep.begin() + static_cast<long>(*base + view.first_file_row);
                part.assign(from, from + static_cast<long>(view.rows));
                if (std::none_of(part.begin(), part.end(), [](uint8_t k) { return k != 0; }))
                    continue;
                if (page_fails(t, view)) {
                    std::fill(from, from + static_cast<long>(view.rows), 0);
                    continue;
                }
                t.column = &table.page(s, t.property_id, p);
                apply_column_test(t, part);
                std::copy(part.begin(), part.end(), from);
                continue;
            }
            rows.assign(view.rows, kGone);
            bool any = false;
            for (uint64_t i = 0; i < view.rows; ++i)
                if (auto row = table.row_of(s, view.first_file_row + i); row && keep[*row]) {
                    rows[i] = *row;
                    any = true;
                }
            if (!any)
                continue;
            if (page_fails(t, view)) {
                for (uint32_t row : rows)
                    if (row != kGone)
                        keep[row] = 0;
                continue;
            }
            t.column = &table.page(s, t.property_id, p);
            part.assign(view.rows, 0);
            for (uint64_t i = 0; i < view.rows; ++i)
                part[i] = rows[i] != kGone;
            apply_column_test(t, part);
            for (uint64_t i = 0; i < view.rows; ++i)
                if (rows[i] != kGone)
                    keep[rows[i]] = part[i];
        }
    }
}

} // namespace

std::optional<RowSet> passing_rows(const ExecContext& ctx, const std::string& v,
                                   const std::vector<Predicate>& list) {
    if (list.empty())
        return std::nullopt;
    const LoadedTable& table = *ctx.var(v).table;
    size_t n = table.size();
    for (const auto& p : list)
        if (auto id = key_of(ctx, v, p)) { // one row at most: the others run on it alone
            std::vector<uint32_t> rows;
            if (auto row = table.find_id(*id); row && passes(ctx, v, list, *row))
                rows.push_back(*row);
            return RowSet::of_rows(std::move(rows));
        }
    std::vector<uint8_t> out(n, 1);
    std::vector<Predicate> slow;
    for (const auto& p : list) {
        if (p.filter && apply_text_filter(ctx, v, *p.filter, out))
            continue; // through the table's postings
        if (auto test = column_test(ctx, v, p))
            apply_test(table, *test, out);
        else
            slow.push_back(p);
    }
    if (!slow.empty())
        for (uint32_t r = 0; r < n; ++r) {
            ctx.budget.tick();
            if (out[r])
                out[r] = passes(ctx, v, slow, r) ? 1 : 0;
        }
    return RowSet::of_mask(std::move(out));
}

Frame filter_bound(const ExecContext& ctx, const Frame& f, const std::string& v,
                   const std::vector<Predicate>& list) {
    int c = f.index_of(v);
    std::vector<uint32_t> keep;
    for (size_t r = 0; r < f.rows; ++r) {
        ctx.budget.tick();
        if (passes(ctx, v, list, f.cols[c][r]))
            keep.push_back(static_cast<uint32_t>(r));
    }
    ctx.budget.charge_rows(keep.size(), f.cols.size());
    return f.select(keep);
}

Frame cross(const ExecContext& ctx, const Frame& f, const std::string& v,
            const std::optional<RowSet>& pass) {
    std::vector<uint32_t> rows;
    size_t n = ctx.var(v).table->size();
    if (pass)
        pass->take(0, n, rows);
    else
        for (uint32_t r = 0; r < n; ++r)
            rows.push_back(r);
    return cross_rows(ctx, f, v, rows);
}

Frame cross_rows(const ExecContext& ctx, const Frame& f, const std::string& v,
                 const std::vector<uint32_t>& rows) {
    Frame out;
    out.vars = f.vars;
    out.vars.push_back(v);
    // Charged whole before anything is allocated: a cartesian product fails here, not later.
    ctx.budget.charge_rows(uint64_t(f.rows) * rows.size(), out.vars.size());
    out.cols.resize(out.vars.size());
    for (auto& col : out.cols)
        col.reserve(f.rows * rows.size());
    for (size_t r = 0; r < f.rows; ++r)
        for (uint32_t x : rows) {
            for (size_t c = 0; c < f.cols.size(); ++c)
                out.cols[c].push_back(f.cols[c][r]);
            out.cols.back().push_back(x);
        }
    out.rows = f.rows * rows.size();
    return out;
}

Frame apply_filter(const ExecContext& ctx, const Frame& f, const Clause& filter) {
    std::vector<uint32_t> keep;
    for (size_t r = 0; r < f.rows; ++r) {
        ctx.budget.tick();
        if (holds(ctx.eval(filter.left, f, r), filter.op, ctx.eval(filter.right, f, r)))
            keep.push_back(static_cast<uint32_t>(r));
    }
    ctx.budget.charge_rows(keep.size(), f.cols.size());
    return f.select(keep);
}

} // namespace omnigraph::query
