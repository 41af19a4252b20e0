#include "query/executor.h"

#include "base/clock.h"
#include "engine/table_data.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace omnigraph::query {

__extension__ using Int128 = __int128; // exact integer comparisons and range checks

using schema::PropType;
using schema::ScalarType;

// ---------------------------------------------------------------------------------------------
// Parameters

namespace {

std::string json_shown(const base::Json& j) {
    std::string s = base::to_compact_json(j);
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

Result<Value> bind_scalar(const std::string& name, const PropType& t, const base::Json& j) {
    auto bad = [&](const std::string& why) {
        return Error(kInvalidParams, "param '" + name + "': " + why);
    };
    auto expected = [&](const char* what) {
        return bad(std::string("expected ") + what + ", got " + json_shown(j));
    };
    switch (t.scalar) {
    case ScalarType::kString:
    case ScalarType::kBlob:
        if (!j.is_string())
            return expected("a string");
        return Value::of_string(j.get<std::string>());
    case ScalarType::kBool:
        if (!j.is_boolean())
            return expected("a boolean");
        return Value::of_bool(j.get<bool>());
    case ScalarType::kI32:
    case ScalarType::kI64:
    case ScalarType::kU32:
    case ScalarType::kU64: {
        bool is_unsigned = t.scalar == ScalarType::kU32 || t.scalar == ScalarType::kU64;
        Int128 v = 0;
        if (j.is_number_unsigned()) {
            v = j.get<uint64_t>();
        } else if (j.is_number_integer()) {
            v = j.get<int64_t>();
        } else if (j.is_string()) {
            const std::string& s = j.get_ref<const std::string&>();
            int64_t parsed = 0;
            auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), parsed);
            if (ec != std::errc() || p != s.data() + s.size() || s.empty())
                return expected("an integer");
            v = parsed;
        } else {
            return expected("an integer");
        }
        Int128 lo = t.scalar == ScalarType::kI32   ? INT32_MIN
                    : t.scalar == ScalarType::kI64 ? INT64_MIN
                                                   : 0;
        Int128 hi = t.scalar == ScalarType::kI32   ? INT32_MAX
                    : t.scalar == ScalarType::kU32 ? UINT32_MAX
                                                   : INT64_MAX; // U64 is limited to 2^63-1
        if (v < lo || v > hi)
            return bad(json_shown(j) + " exceeds " + schema::PropType{t.scalar}.display());
        return is_unsigned ? Value::of_uint(static_cast<uint64_t>(v))
                           : Value::of_int(static_cast<int64_t>(v));
    }
    case ScalarType::kF32:
    case ScalarType::kF64:
        if (!j.is_number())
            return expected("a number");
        return Value::of_float(j.get<double>());
    case ScalarType::kDate: {
        if (!j.is_string())
            return expected("a date string (YYYY-MM-DD)");
        auto days = base::parse_epoch_days(j.get_ref<const std::string&>());
        if (!days)
            return bad("invalid Date '" + j.get<std::string>() + "' (expected YYYY-MM-DD)");
        return Value::of_date(*days);
    }
    case ScalarType::kDateTime: {
        if (!j.is_string())
            return expected("a RFC 3339 timestamp string");
        auto ms = base::parse_epoch_millis(j.get_ref<const std::string&>());
        if (!ms)
            return bad("invalid DateTime '" + j.get<std::string>() +
                       "' (expected RFC 3339, e.g. 2024-06-01T12:00:00Z)");
        return Value::of_datetime(*ms);
    }
    case ScalarType::kVector: {
        if (!j.is_array())
            return expected("an array of numbers");
        if (j.size() != t.vector_dim)
            return bad("expected " + std::to_string(t.vector_dim) + " values for Vector(" +
                       std::to_string(t.vector_dim) + "), got " + std::to_string(j.size()));
        Value v;
        v.kind = Value::Kind::kVector;
        for (const auto& x : j) {
            if (!x.is_number())
                return bad("Vector elements must be numbers, got " + json_shown(x));
            v.vector.push_back(static_cast<float>(x.get<double>()));
        }
        return v;
    }
    }
    return Value::null();
}

} // namespace

Result<Params> bind_params(const Query& query, const base::Json& params) {
    if (!params.is_null() && !params.is_object())
        return Error(kInvalidParams, "params must be a JSON object");
    Params out;
    for (const auto& p : query.params) {
        auto it = params.is_object() ? params.find(p.name) : params.end();
        bool absent = !params.is_object() || it == params.end();
        if (absent || it->is_null()) {
            if (!p.type.nullable)
                return Error(kInvalidParams,
                             "param '" + p.name + "': " +
                                 (absent ? "missing required parameter of type " + p.type.display()
                                         : "null is not accepted for non-nullable parameter"));
            out[p.name] = Value::null();
            continue;
        }
        if (p.type.list) {
            if (!it->is_array())
                return Error(kInvalidParams,
                             "param '" + p.name + "': expected an array, got " + json_shown(*it));
            Value list;
            list.kind = Value::Kind::kList;
            PropType item = p.type;
            item.list = false;
            for (const auto& x : *it)
                list.items.push_back(OG_TRY(bind_scalar(p.name, item, x)));
            out[p.name] = std::move(list);
            continue;
        }
        out[p.name] = OG_TRY(bind_scalar(p.name, p.type, *it));
    }
    if (params.is_object())
        for (const auto& [key, value] : params.items())
            if (value.is_object() && !query.find_param(key))
                return Error(kInvalidParams, "param '" + key + "': objects are not accepted");
    return out;
}

// ---------------------------------------------------------------------------------------------
// Execution

namespace {

struct RuntimeFailure : std::runtime_error {
    RuntimeFailure(std::string_view c, const std::string& message)
        : std::runtime_error(message), code(c) {}
    std::string code;
};

[[noreturn]] void runtime_fail(const std::string& message,
                               std::string_view code = kQueryRuntimeError) {
    throw RuntimeFailure(code, message);
}

template <class T> T unwrap(Result<T> r) {
    if (!r)
        throw RuntimeFailure(r.error().code, r.error().message);
    return std::move(*r);
}

// Rows of bound variables, column-wise: cols[i][r] is the table row of vars[i] in row r.
struct Frame {
    std::vector<std::string> vars;
    std::vector<std::vector<uint32_t>> cols;
    size_t rows = 0;

    int index_of(std::string_view var) const {
        for (size_t i = 0; i < vars.size(); ++i)
            if (vars[i] == var)
                return static_cast<int>(i);
        return -1;
    }
    bool has(std::string_view var) const { return index_of(var) >= 0; }
    // A frame with the same variables and the rows `keep` of this one.
    Frame select(const std::vector<uint32_t>& keep) const {
        Frame out;
        out.vars = vars;
        out.cols.resize(cols.size());
        for (size_t c = 0; c < cols.size(); ++c) {
            out.cols[c].reserve(keep.size());
            for (uint32_t r : keep)
                out.cols[c].push_back(cols[c][r]);
        }
        out.rows = keep.size();
        return out;
    }
};

// What a variable stands for while executing a block.
struct VarInfo {
    bool is_edge = false;
    std::string type;
    std::shared_ptr<const LoadedTable> table;
    const std::map<std::string, PropType>* properties = nullptr;
    const std::map<std::string, uint64_t>* property_ids = nullptr;
};

Value literal_value(const Literal& l) {
    return unwrap(literal_to_value(l));
}

class Executor {
  public:
    Executor(TableCache& cache, const engine::Snapshot& snap, const CheckedQuery& checked,
             const Params& params, int64_t now_ms)
        : cache_(cache), snap_(snap), checked_(checked), q_(*checked.query), params_(params),
          now_(Value::of_datetime(now_ms)) {}

    QueryResult run() {
        // A query that only counts bound variables (`return { count($f) as n }`) needs the
        // number of rows, not the rows: its last expansion is counted, never materialized.
        count_only_ = checked_.aggregate;
        for (const auto& p : q_.projections)
            count_only_ = count_only_ && p.expr.kind == ExprKind::kAgg && p.expr.name == "count" &&
                          p.expr.args[0].kind == ExprKind::kVar &&
                          !q_.find_param(p.expr.args[0].var);
        Frame seed;
        seed.rows = 1;
        Frame frame = block(q_.match, std::move(seed));
        return project(frame);
    }

  private:
    // ---- variables ----
    VarInfo& declare(const std::string& var, bool is_edge, const std::string& type) {
        auto [it, inserted] = vars_.try_emplace(var);
        if (inserted) {
            VarInfo& v = it->second;
            v.is_edge = is_edge;
            v.type = type;
            v.table = unwrap(cache_.table(snap_, (is_edge ? "edge:" : "node:") + type));
            engine::TableSchema ts =
                engine::table_schema(snap_.schema->catalog, (is_edge ? "edge:" : "node:") + type);
            v.properties = ts.properties;
            v.property_ids = ts.property_ids;
        }
        return it->second;
    }
    const VarInfo& var(const std::string& name) const { return vars_.at(name); }

    // ---- expressions over frame rows ----
    Value eval(const Expr& e, const Frame& f, size_t row) const {
        switch (e.kind) {
        case ExprKind::kNow:
            return now_;
        case ExprKind::kLiteral:
            return literal_value(e.literal);
        case ExprKind::kVar: {
            if (auto p = params_.find(e.var); p != params_.end() && q_.find_param(e.var))
                return p->second;
            int c = f.index_of(e.var);
            if (c < 0)
                runtime_fail("variable `$" + e.var + "` is not bound");
            return Value::of_string(std::string(var(e.var).table->data.ids[f.cols[c][row]]));
        }
        case ExprKind::kProp: {
            int c = f.index_of(e.var);
            if (c < 0)
                runtime_fail("variable `$" + e.var + "` is not bound");
            return property(e.var, e.name, f.cols[c][row]);
        }
        case ExprKind::kCall:
            runtime_fail(e.name + "() is not yet supported: full-text and vector search arrive "
                                  "in a later release",
                         kNotSupported);
        default:
            runtime_fail("this expression cannot be evaluated here");
        }
    }

    Value property(const std::string& var_name, const std::string& prop, uint32_t row) const {
        const VarInfo& v = var(var_name);
        const PropType& type = v.properties->at(prop);
        const auto& column = v.table->data.columns.at(v.property_ids->at(prop));
        return value_at(column, row, type);
    }

    // ---- the variables an expression reads (parameters excluded) ----
    void vars_of(const Expr& e, std::set<std::string>& out) const {
        if ((e.kind == ExprKind::kProp || e.kind == ExprKind::kVar) && !q_.find_param(e.var))
            out.insert(e.var);
        for (const auto& a : e.args)
            vars_of(a, out);
    }

    // ---- one match block ----
    struct Predicate {                    // a single-variable test applied to that variable's rows
        const Clause* filter = nullptr;   // a filter clause over one variable
        const PropMatch* match = nullptr; // or a binding's property match
    };

    Frame block(const std::vector<Clause>& clauses, Frame frame) {
        struct Depth { // nesting of this block (1 = the query's match block)
            explicit Depth(int& d) : depth(++d) {}
            ~Depth() { --depth; }
            int& depth;
        } nesting(depth_);
        // The variables of this block: types from bindings and traversals, in written order.
        std::map<std::string, std::vector<Predicate>> preds;
        std::vector<const Clause*> traversals, residual, negations;
        std::vector<std::string> order_seen;       // variables in order of first mention
        std::map<const Clause*, std::string> anon; // traversal -> hidden name of its `$_`
        auto mention = [&](const std::string& v) {
            if (std::find(order_seen.begin(), order_seen.end(), v) == order_seen.end())
                order_seen.push_back(v);
        };
        for (const auto& c : clauses) {
            switch (c.kind) {
            case Clause::Kind::kBinding:
                if (c.var == "_")
                    break;
                declare(c.var, false, snap_.schema->catalog.find_node(c.type)->name);
                mention(c.var);
                for (const auto& m : c.props)
                    preds[c.var].push_back({nullptr, &m});
                break;
            case Clause::Kind::kTraversal: {
                const auto* edge = snap_.schema->catalog.find_edge(c.edge);
                bool reverse =
                    checked_.reverse.count(&c) ? checked_.reverse.at(&c) : infer_reverse(c, *edge);
                reverse_[&c] = reverse;
                const std::string& src_type = reverse ? edge->to_type : edge->from_type;
                const std::string& dst_type = reverse ? edge->from_type : edge->to_type;
                for (auto [name, type] :
                     {std::pair{&c.src, &src_type}, std::pair{&c.dst, &dst_type}}) {
                    std::string v = *name;
                    if (v == "_") {
                        v = "_#" + std::to_string(anon_counter_++);
                        anon[&c] += (anon[&c].empty() ? "" : ",") + v;
                    }
                    declare(v, false, *type);
                    mention(v);
                }
                if (!c.edge_var.empty())
                    declare(c.edge_var, true, edge->name);
                traversals.push_back(&c);
                break;
            }
            case Clause::Kind::kFilter: {
                std::set<std::string> used;
                vars_of(c.left, used);
                vars_of(c.right, used);
                bool simple = used.size() == 1 && !vars_.at(*used.begin()).is_edge &&
                              !frame.has(*used.begin());
                if (simple)
                    preds[*used.begin()].push_back({&c, nullptr});
                else
                    residual.push_back(&c);
                break;
            }
            case Clause::Kind::kNegation:
                negations.push_back(&c);
                break;
            }
        }
        // Rename `$_` endpoints to their hidden names.
        std::map<const Clause*, std::pair<std::string, std::string>> ends;
        for (const Clause* t : traversals) {
            std::string src = t->src, dst = t->dst;
            std::string hidden = anon.count(t) ? anon[t] : "";
            size_t comma = hidden.find(',');
            if (src == "_") {
                src = hidden.substr(0, comma);
                hidden = comma == std::string::npos ? "" : hidden.substr(comma + 1);
            }
            if (dst == "_")
                dst = hidden;
            ends[t] = {src, dst};
        }
        // Variables already bound by the enclosing block: apply this block's tests to them.
        for (auto& [v, list] : preds)
            if (frame.has(v))
                frame = filter_bound(frame, v, list);

        // Candidate rows of each variable that is not yet bound (nullopt: every row).
        std::map<std::string, std::optional<std::vector<uint8_t>>> pass;
        auto candidates = [&](const std::string& v) -> const std::optional<std::vector<uint8_t>>& {
            auto it = pass.find(v);
            if (it == pass.end())
                it = pass.emplace(v, passing_rows(v, preds[v])).first;
            return it->second;
        };
        auto candidate_count = [&](const std::string& v) {
            const auto& p = candidates(v);
            return p ? static_cast<size_t>(std::count(p->begin(), p->end(), 1))
                     : var(v).table->data.size();
        };

        std::vector<const Clause*> pending = traversals;
        while (true) {
            // Expand a traversal that touches a bound variable.
            bool progressed = false;
            for (size_t i = 0; i < pending.size(); ++i) {
                const Clause* t = pending[i];
                auto [src, dst] = ends[t];
                bool src_bound = frame.has(src), dst_bound = frame.has(dst);
                if (!src_bound && !dst_bound)
                    continue;
                bool from_src = src_bound;
                const std::string& to = from_src ? dst : src;
                bool last =
                    count_only_ && depth_ == 1 && pending.size() == 1 && residual.empty() &&
                    negations.empty() && t->edge_var.empty() &&
                    std::all_of(order_seen.begin(), order_seen.end(),
                                [&](const std::string& v) { return v == to || frame.has(v); });
                frame = expand(frame, *t, from_src ? src : dst, to, from_src,
                               frame.has(to) ? nullptr : &candidates(to), last);
                pending.erase(pending.begin() + static_cast<long>(i));
                progressed = true;
                break;
            }
            if (progressed) {
                frame = apply_residual(frame, residual);
                continue;
            }
            // Otherwise start a new component at its most selective variable.
            std::string root;
            size_t best = SIZE_MAX;
            for (const auto& v : order_seen) {
                if (frame.has(v))
                    continue;
                size_t n = candidate_count(v);
                if (n < best) {
                    best = n;
                    root = v;
                }
            }
            if (root.empty())
                break;
            frame = cross(frame, root, candidates(root));
            frame = apply_residual(frame, residual);
        }
        frame = apply_residual(frame, residual);
        if (!residual.empty())
            runtime_fail("a filter references a variable this match block never binds");
        for (const Clause* n : negations)
            frame = anti_join(frame, *n);
        return frame;
    }

    bool infer_reverse(const Clause& c, const schema::EdgeCatalog& edge) const {
        // Inside negations the checker's environment was a copy: infer from known variables.
        if (c.undirected)
            return false;
        if (auto it = vars_.find(c.src); it != vars_.end() && c.src != "_")
            return it->second.type != edge.from_type && it->second.type == edge.to_type;
        if (auto it = vars_.find(c.dst); it != vars_.end() && c.dst != "_")
            return it->second.type != edge.to_type && it->second.type == edge.from_type;
        return false;
    }

    bool passes(const std::string& v, const std::vector<Predicate>& list, uint32_t row) const {
        Frame one;
        one.vars = {v};
        one.cols = {{row}};
        one.rows = 1;
        for (const auto& p : list) {
            if (p.match) {
                const PropType& type = var(v).properties->at(p.match->property);
                Value have = property(v, p.match->property, row);
                Value want = eval(p.match->value, one, 0);
                bool ok = type.list ? holds(have, CompareOp::kContains, want)
                                    : holds(have, CompareOp::kEq, want);
                if (!ok)
                    return false;
            } else if (!holds(eval(p.filter->left, one, 0), p.filter->op,
                              eval(p.filter->right, one, 0))) {
                return false;
            }
        }
        return true;
    }

    std::optional<std::vector<uint8_t>> passing_rows(const std::string& v,
                                                     const std::vector<Predicate>& list) const {
        if (list.empty())
            return std::nullopt;
        size_t n = var(v).table->data.size();
        std::vector<uint8_t> out(n, 1);
        std::vector<Predicate> slow;
        for (const auto& p : list)
            if (!apply_on_column(v, p, out))
                slow.push_back(p);
        if (!slow.empty())
            for (uint32_t r = 0; r < n; ++r)
                if (out[r])
                    out[r] = passes(v, slow, r) ? 1 : 0;
        return out;
    }

    static bool is_constant(const Expr& e, const Query& q) {
        return e.kind == ExprKind::kNow ||
               (e.kind == ExprKind::kLiteral && e.literal.kind != LiteralKind::kList) ||
               (e.kind == ExprKind::kVar && q.find_param(e.var));
    }

    // Evaluates `property op constant` straight on the column (no Value per row) and clears
    // the rows of `keep` that fail it. False when the predicate has another shape.
    bool apply_on_column(const std::string& v, const Predicate& p,
                         std::vector<uint8_t>& keep) const {
        std::string prop;
        CompareOp op = CompareOp::kEq;
        const Expr* constant = nullptr;
        if (p.match) {
            prop = p.match->property;
            constant = &p.match->value;
        } else {
            const Clause& c = *p.filter;
            op = c.op;
            if (c.left.kind == ExprKind::kProp && c.left.var == v && is_constant(c.right, q_)) {
                prop = c.left.name;
                constant = &c.right;
            } else if (c.right.kind == ExprKind::kProp && c.right.var == v &&
                       is_constant(c.left, q_)) {
                prop = c.right.name;
                constant = &c.left;
                switch (op) { // constant op prop  ==  prop op' constant
                case CompareOp::kLt:
                    op = CompareOp::kGt;
                    break;
                case CompareOp::kLe:
                    op = CompareOp::kGe;
                    break;
                case CompareOp::kGt:
                    op = CompareOp::kLt;
                    break;
                case CompareOp::kGe:
                    op = CompareOp::kLe;
                    break;
                case CompareOp::kEq:
                case CompareOp::kNe:
                    break;
                default:
                    return false; // contains/starts_with are not symmetric
                }
            } else {
                return false;
            }
        }
        if (!is_constant(*constant, q_))
            return false;
        const VarInfo& info = var(v);
        const PropType& type = info.properties->at(prop);
        if (type.list || type.scalar == ScalarType::kVector || type.scalar == ScalarType::kBlob)
            return false;
        Frame none;
        Value c = eval(*constant, none, 0);
        const format::Column& col = info.table->data.columns.at(info.property_ids->at(prop));
        size_t n = keep.size();
        auto test = [&](auto order) { // order: row -> std::partial_ordering vs the constant
            for (size_t r = 0; r < n; ++r) {
                if (!keep[r])
                    continue;
                if (col.is_null(r)) {
                    keep[r] = 0;
                    continue;
                }
                std::partial_ordering o = order(r);
                bool ok = false;
                switch (op) {
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
            return true;
        };
        if (c.is_null()) {
            std::fill(keep.begin(), keep.end(), 0); // NULL never matches
            return true;
        }
        switch (type.scalar) {
        case ScalarType::kString: {
            if (c.kind != Value::Kind::kString)
                return false;
            std::string_view want = c.text;
            if (op == CompareOp::kContains || op == CompareOp::kStartsWith) {
                for (size_t r = 0; r < n; ++r)
                    if (keep[r])
                        keep[r] = !col.is_null(r) &&
                                  (op == CompareOp::kContains
                                       ? col.bytes_at(r).find(want) != std::string_view::npos
                                       : col.bytes_at(r).starts_with(want));
                return true;
            }
            return test(
                [&](size_t r) -> std::partial_ordering { return col.bytes_at(r) <=> want; });
        }
        case ScalarType::kBool:
            if (c.kind != Value::Kind::kBool || op == CompareOp::kContains ||
                op == CompareOp::kStartsWith)
                return false;
            return test([&](size_t r) -> std::partial_ordering {
                return (col.fixed_at<uint8_t>(r) != 0) <=> c.boolean;
            });
        case ScalarType::kDate:
        case ScalarType::kDateTime: {
            auto want =
                type.scalar == ScalarType::kDate ? Value::Kind::kDate : Value::Kind::kDateTime;
            if (c.kind != want || op == CompareOp::kContains || op == CompareOp::kStartsWith)
                return false;
            if (type.scalar == ScalarType::kDate)
                return test([&](size_t r) -> std::partial_ordering {
                    return int64_t(col.fixed_at<int32_t>(r)) <=> c.integer;
                });
            return test([&](size_t r) -> std::partial_ordering {
                return col.fixed_at<int64_t>(r) <=> c.integer;
            });
        }
        default: {
            if (!c.is_number() || op == CompareOp::kContains || op == CompareOp::kStartsWith)
                return false;
            // Exact across integer and float types: long double holds every 64-bit integer.
            long double want = c.kind == Value::Kind::kFloat ? static_cast<long double>(c.real)
                               : c.kind == Value::Kind::kInt ? static_cast<long double>(c.integer)
                                                             : static_cast<long double>(c.uinteger);
            auto cmp = [&](long double x) -> std::partial_ordering { return x <=> want; };
            switch (type.scalar) {
            case ScalarType::kI32:
                return test([&](size_t r) { return cmp(col.fixed_at<int32_t>(r)); });
            case ScalarType::kI64:
                return test([&](size_t r) { return cmp(col.fixed_at<int64_t>(r)); });
            case ScalarType::kU32:
                return test([&](size_t r) { return cmp(col.fixed_at<uint32_t>(r)); });
            case ScalarType::kU64:
                return test([&](size_t r) { return cmp(col.fixed_at<uint64_t>(r)); });
            case ScalarType::kF32:
                return test([&](size_t r) { return cmp(col.fixed_at<float>(r)); });
            case ScalarType::kF64:
                return test([&](size_t r) { return cmp(col.fixed_at<double>(r)); });
            default:
                return false;
            }
        }
        }
    }

    Frame filter_bound(const Frame& f, const std::string& v, const std::vector<Predicate>& list) {
        int c = f.index_of(v);
        std::vector<uint32_t> keep;
        for (size_t r = 0; r < f.rows; ++r)
            if (passes(v, list, f.cols[c][r]))
                keep.push_back(static_cast<uint32_t>(r));
        return f.select(keep);
    }

    Frame cross(const Frame& f, const std::string& v,
                const std::optional<std::vector<uint8_t>>& pass) {
        std::vector<uint32_t> rows;
        size_t n = var(v).table->data.size();
        for (uint32_t r = 0; r < n; ++r)
            if (!pass || (*pass)[r])
                rows.push_back(r);
        Frame out;
        out.vars = f.vars;
        out.vars.push_back(v);
        out.cols.resize(out.vars.size());
        for (size_t r = 0; r < f.rows; ++r)
            for (uint32_t x : rows) {
                for (size_t c = 0; c < f.cols.size(); ++c)
                    out.cols[c].push_back(f.cols[c][r]);
                out.cols.back().push_back(x);
            }
        out.rows = f.rows * rows.size();
        return out;
    }

    // Applies the residual filters whose variables are all bound; removes them from the list.
    Frame apply_residual(Frame f, std::vector<const Clause*>& residual) {
        for (size_t i = 0; i < residual.size();) {
            const Clause* c = residual[i];
            std::set<std::string> used;
            vars_of(c->left, used);
            vars_of(c->right, used);
            bool ready = std::all_of(used.begin(), used.end(),
                                     [&](const std::string& v) { return f.has(v); });
            if (!ready) {
                ++i;
                continue;
            }
            std::vector<uint32_t> keep;
            for (size_t r = 0; r < f.rows; ++r)
                if (holds(eval(c->left, f, r), c->op, eval(c->right, f, r)))
                    keep.push_back(static_cast<uint32_t>(r));
            f = f.select(keep);
            residual.erase(residual.begin() + static_cast<long>(i));
        }
        return f;
    }

    // Expands `f` over traversal `t` from the bound variable `from` to `to` (`forward`: from
    // the clause's src to its dst). `to_pass` filters new destinations (null when `to` is
    // already bound: the traversal then only keeps rows whose `to` is reachable).
    Frame expand(const Frame& f, const Clause& t, const std::string& from, const std::string& to,
                 bool forward, const std::optional<std::vector<uint8_t>>* to_pass,
                 bool count_only = false) {
        const auto* edge = snap_.schema->catalog.find_edge(t.edge);
        auto adj = unwrap(cache_.adjacency(snap_, edge->name));
        // Which adjacency leads from `from` to `to`: the clause direction, flipped by `reverse`
        // and by expanding from the clause's dst.
        bool use_out = (forward != reverse_.at(&t));
        std::vector<const Adjacency*> lists;
        if (t.undirected)
            lists = {&adj->out, &adj->in};
        else
            lists = {use_out ? &adj->out : &adj->in};
        bool same_type = edge->from_type == edge->to_type;
        uint64_t max_hops = same_type ? t.max_hops.value_or(1) : 1;
        uint64_t min_hops = t.min_hops;
        int from_col = f.index_of(from);
        int to_col = f.index_of(to);

        Frame out;
        out.vars = f.vars;
        if (to_col < 0)
            out.vars.push_back(to);
        if (!t.edge_var.empty())
            out.vars.push_back(t.edge_var);
        out.cols.resize(out.vars.size());
        auto emit = [&](size_t r, uint32_t node, std::optional<uint32_t> edge_row) {
            for (size_t c = 0; c < f.cols.size(); ++c)
                out.cols[c].push_back(f.cols[c][r]);
            size_t next = f.cols.size();
            if (to_col < 0)
                out.cols[next++].push_back(node);
            if (edge_row)
                out.cols[next].push_back(*edge_row);
            ++out.rows;
        };

        if (!t.edge_var.empty()) {
            // One row per matching edge row: sorted by edge id, then destination id.
            const auto& edge_ids = var(t.edge_var).table->data.ids;
            const auto& node_ids = var(to).table->data.ids;
            for (size_t r = 0; r < f.rows; ++r) {
                uint32_t s = f.cols[from_col][r];
                std::vector<std::pair<uint32_t, uint32_t>> hits; // (edge row, node row)
                for (const Adjacency* a : lists)
                    for (uint32_t i = a->offsets[s]; i < a->offsets[s + 1]; ++i)
                        hits.emplace_back(a->edge_rows[i], a->neighbours[i]);
                std::sort(hits.begin(), hits.end(), [&](auto x, auto y) {
                    if (x.first != y.first) {
                        auto c = edge_ids[x.first].compare(edge_ids[y.first]);
                        if (c != 0)
                            return c < 0;
                    }
                    return node_ids[x.second] < node_ids[y.second];
                });
                hits.erase(std::unique(hits.begin(), hits.end()), hits.end()); // self-loops
                for (auto [e, n] : hits) {
                    if (to_col >= 0 ? f.cols[to_col][r] != n : (*to_pass && !(**to_pass)[n]))
                        continue;
                    emit(r, n, e);
                }
            }
            return out;
        }

        // Reached destinations per source node, shared by rows with the same source.
        std::unordered_map<uint32_t, std::vector<uint32_t>> reached_from;
        std::vector<uint32_t> visited_mark; // per node row: the BFS epoch that visited it
        std::vector<uint32_t> emitted_mark;
        uint32_t epoch = 0;
        size_t node_count = var(to).table->data.size();
        auto search = [&](uint32_t source) -> const std::vector<uint32_t>& {
            auto [it, fresh] = reached_from.try_emplace(source);
            if (!fresh)
                return it->second;
            std::vector<uint32_t>& emitted = it->second;
            if (visited_mark.size() < node_count) {
                visited_mark.assign(node_count, 0);
                emitted_mark.assign(node_count, 0);
            }
            ++epoch;
            std::vector<uint32_t> frontier{source};
            if (same_type)
                visited_mark[source] = epoch;
            for (uint64_t hop = 1; hop <= max_hops && !frontier.empty(); ++hop) {
                std::vector<uint32_t> next;
                for (uint32_t node : frontier)
                    for (const Adjacency* a : lists)
                        for (uint32_t i = a->offsets[node]; i < a->offsets[node + 1]; ++i) {
                            uint32_t nb = a->neighbours[i];
                            if (same_type && nb == node) { // a self-loop
                                if (hop >= min_hops && emitted_mark[nb] != epoch) {
                                    emitted_mark[nb] = epoch;
                                    emitted.push_back(nb);
                                }
                                continue;
                            }
                            if (!same_type || visited_mark[nb] != epoch) {
                                if (same_type)
                                    visited_mark[nb] = epoch;
                                next.push_back(nb);
                                if (hop >= min_hops && emitted_mark[nb] != epoch) {
                                    emitted_mark[nb] = epoch;
                                    emitted.push_back(nb);
                                }
                            }
                        }
                frontier = std::move(next);
            }
            return emitted;
        };
        // How many destinations each row keeps (and which), then the output column by column.
        std::vector<uint32_t> kept(f.rows, 0);
        std::vector<uint32_t> destinations;
        for (size_t r = 0; r < f.rows; ++r) {
            const auto& reached = search(f.cols[from_col][r]);
            if (to_col >= 0) {
                kept[r] =
                    std::find(reached.begin(), reached.end(), f.cols[to_col][r]) != reached.end();
                continue;
            }
            for (uint32_t n : reached)
                if (!*to_pass || (**to_pass)[n]) {
                    destinations.push_back(n);
                    ++kept[r];
                }
        }
        size_t total = 0;
        for (uint32_t k : kept)
            total += k;
        if (count_only) { // only the number of rows is read from here on
            out.cols.assign(out.vars.size(), {});
            out.rows = total;
            return out;
        }
        for (size_t c = 0; c < f.cols.size(); ++c) {
            auto& column = out.cols[c];
            column.reserve(total);
            for (size_t r = 0; r < f.rows; ++r)
                column.insert(column.end(), kept[r], f.cols[c][r]);
        }
        if (to_col < 0)
            out.cols[f.cols.size()] = std::move(destinations);
        out.rows = total;
        return out;
    }

    // Keeps the rows of `f` for which the negated block finds no match.
    Frame anti_join(const Frame& f, const Clause& negation) {
        Frame seed = f;
        const std::string tag = "#row" + std::to_string(anon_counter_++); // unique when nested
        seed.vars.push_back(tag);
        seed.cols.emplace_back(f.rows);
        std::iota(seed.cols.back().begin(), seed.cols.back().end(), 0u);
        auto outer_vars = vars_; // the block's own variables are scoped to it
        Frame inner = block(negation.body, std::move(seed));
        vars_ = std::move(outer_vars);
        std::vector<uint8_t> matched(f.rows, 0);
        int t = inner.index_of(tag);
        for (size_t r = 0; r < inner.rows; ++r)
            matched[inner.cols[t][r]] = 1;
        std::vector<uint32_t> keep;
        for (size_t r = 0; r < f.rows; ++r)
            if (!matched[r])
                keep.push_back(static_cast<uint32_t>(r));
        return f.select(keep);
    }

    // ---- return, aggregation, order, limit ----
    QueryResult project(const Frame& f) {
        QueryResult out;
        out.columns = checked_.columns;
        const auto& projections = q_.projections;
        if (checked_.aggregate)
            return aggregate(f, std::move(out));
        std::vector<std::vector<Value>> rows(f.rows);
        for (size_t r = 0; r < f.rows; ++r) {
            rows[r].reserve(projections.size());
            for (const auto& p : projections)
                rows[r].push_back(eval(p.expr, f, r));
        }
        std::vector<uint32_t> order(f.rows);
        std::iota(order.begin(), order.end(), 0u);
        if (!q_.order.empty()) {
            // Keys per row: the user's keys, then every bound id ascending (total order).
            std::vector<std::vector<Value>> keys(f.rows);
            std::vector<std::string> tie_vars;
            for (const auto& v : f.vars)
                if (!v.starts_with("#"))
                    tie_vars.push_back(v);
            std::sort(tie_vars.begin(), tie_vars.end());
            for (size_t r = 0; r < f.rows; ++r) {
                for (const auto& o : q_.order)
                    keys[r].push_back(o.expr.kind == ExprKind::kAlias
                                          ? rows[r][column_index(o.expr.name)]
                                          : eval(o.expr, f, r));
                for (const auto& v : tie_vars)
                    keys[r].push_back(Value::of_string(
                        std::string(var(v).table->data.ids[f.cols[f.index_of(v)][r]])));
            }
            auto less = [&](uint32_t a, uint32_t b) {
                for (size_t k = 0; k < keys[a].size(); ++k) {
                    bool desc = k < q_.order.size() && q_.order[k].descending;
                    auto c = order_values(keys[a][k], keys[b][k]);
                    if (c != 0)
                        return desc ? c > 0 : c < 0;
                }
                return false;
            };
            sort_rows(order, less);
        }
        size_t n = q_.limit ? std::min<size_t>(*q_.limit, order.size()) : order.size();
        out.rows.reserve(n);
        for (size_t i = 0; i < n; ++i)
            out.rows.push_back(std::move(rows[order[i]]));
        return out;
    }

    template <class Less> void sort_rows(std::vector<uint32_t>& order, Less less) const {
        if (q_.limit && *q_.limit < order.size())
            std::partial_sort(order.begin(), order.begin() + static_cast<long>(*q_.limit),
                              order.end(), less); // top-k
        else
            std::stable_sort(order.begin(), order.end(), less);
    }

    size_t column_index(const std::string& name) const {
        for (size_t i = 0; i < checked_.columns.size(); ++i)
            if (checked_.columns[i].name == name)
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
        const auto& projections = q_.projections;
        if (count_only_) {
            out.rows.emplace_back(projections.size(), Value::of_int(int64_t(f.rows)));
            if (q_.limit && *q_.limit == 0)
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
            if (c >= 0 && !q_.find_param(e.var)) {
                keys[k].frame_col = c;
                keys[k].memo.assign(var(e.var).table->data.size(), -1);
            }
        }
        auto value_id = [&](KeyColumn& kc, const Expr& e, size_t r) {
            int32_t* memo = kc.frame_col >= 0 ? &kc.memo[f.cols[kc.frame_col][r]] : nullptr;
            if (memo && *memo >= 0)
                return *memo;
            Value v = eval(e, f, r);
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
                    !q_.find_param(arg.var)) {
                    if (arg.kind == ExprKind::kVar) {
                        ++a.count; // a bound variable is never NULL
                    } else {
                        const VarInfo& info = var(arg.var);
                        const auto& col =
                            info.table->data.columns.at(info.property_ids->at(arg.name));
                        a.count += col.is_null(f.cols[f.index_of(arg.var)][r]) ? 0 : 1;
                    }
                    continue;
                }
                Value v = eval(arg, f, r);
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
        if (!q_.order.empty()) {
            std::vector<size_t> key_cols;
            for (const auto& o : q_.order)
                key_cols.push_back(column_index(
                    o.expr.kind == ExprKind::kAlias ? o.expr.name : default_column_name(o.expr)));
            std::vector<uint32_t> order(out.rows.size());
            std::iota(order.begin(), order.end(), 0u);
            auto less = [&](uint32_t a, uint32_t b) {
                for (size_t k = 0; k < key_cols.size(); ++k) {
                    auto c = order_values(out.rows[a][key_cols[k]], out.rows[b][key_cols[k]]);
                    if (c != 0)
                        return q_.order[k].descending ? c > 0 : c < 0;
                }
                return false;
            };
            std::stable_sort(order.begin(), order.end(), less); // groups: no tie-breaker
            std::vector<std::vector<Value>> sorted;
            for (uint32_t i : order)
                sorted.push_back(std::move(out.rows[i]));
            out.rows = std::move(sorted);
        }
        if (q_.limit && out.rows.size() > *q_.limit)
            out.rows.resize(*q_.limit);
        return out;
    }

    TableCache& cache_;
    const engine::Snapshot& snap_;
    const CheckedQuery& checked_;
    const Query& q_;
    const Params& params_;
    Value now_;
    std::map<std::string, VarInfo> vars_;
    std::map<const Clause*, bool> reverse_;
    int anon_counter_ = 0;
    int depth_ = 0;
    bool count_only_ = false;
};

} // namespace

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
        return Executor(cache, snapshot, checked, params, now_ms).run();
    } catch (const RuntimeFailure& f) {
        return Error(f.code, f.what());
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
