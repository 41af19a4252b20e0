#include "query/value.h"

#include "base/clock.h"
#include "base/json.h"
#include "engine/cell_visit.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <type_traits>

namespace omnigraph::query {

__extension__ using Int128 = __int128; // exact integer comparisons and range checks

using format::Column;
using schema::PropType;
using schema::ScalarType;

Value Value::of_bool(bool b) {
    Value v;
    v.kind = Kind::kBool;
    v.boolean = b;
    return v;
}
Value Value::of_int(int64_t i) {
    Value v;
    v.kind = Kind::kInt;
    v.integer = i;
    return v;
}
Value Value::of_uint(uint64_t u) {
    Value v;
    v.kind = Kind::kUInt;
    v.uinteger = u;
    return v;
}
Value Value::of_float(double d) {
    Value v;
    v.kind = Kind::kFloat;
    v.real = d;
    return v;
}
Value Value::of_string(std::string s) {
    Value v;
    v.kind = Kind::kString;
    v.text = std::move(s);
    return v;
}
Value Value::of_date(int32_t days) {
    Value v;
    v.kind = Kind::kDate;
    v.integer = days;
    return v;
}
Value Value::of_datetime(int64_t ms) {
    Value v;
    v.kind = Kind::kDateTime;
    v.integer = ms;
    return v;
}

namespace {

Value scalar_at(const Column& col, size_t row, const PropType& t) {
    return engine::visit_scalar(t.scalar, [&](auto tag) {
        using Tag = decltype(tag);
        using S = ScalarType;
        if constexpr (Tag::is_vector) {
            Value v;
            v.kind = Value::Kind::kVector;
            v.vector.resize(t.vector_dim);
            std::memcpy(v.vector.data(), col.fixed_row(row), sizeof(float) * t.vector_dim);
            return v;
        } else {
            auto x = engine::cell_at<Tag>(col, row);
            if constexpr (Tag::is_bytes) {
                return Value::of_string(std::string(x));
            } else if constexpr (Tag::scalar == S::kBool) {
                return Value::of_bool(x != 0);
            } else if constexpr (Tag::scalar == S::kDate) {
                return Value::of_date(x);
            } else if constexpr (Tag::scalar == S::kDateTime) {
                return Value::of_datetime(x);
            } else if constexpr (Tag::is_float) {
                Value v = Value::of_float(x);
                v.single = Tag::scalar == S::kF32;
                return v;
            } else if constexpr (std::is_signed_v<decltype(x)>) {
                return Value::of_int(x);
            } else {
                return Value::of_uint(x);
            }
        }
    });
}

int kind_rank(Value::Kind k) {
    return static_cast<int>(k);
}

} // namespace

Value value_at(const Column& col, size_t row, const PropType& type) {
    if (col.is_null(row))
        return Value::null();
    if (!type.list)
        return scalar_at(col, row, type);
    PropType item = type;
    item.list = false;
    Value v;
    v.kind = Value::Kind::kList;
    for (size_t i = col.list_begin(row); i < col.list_end(row); ++i)
        v.items.push_back(scalar_at(col.child(), i, item));
    return v;
}

std::optional<std::strong_ordering> compare_values(const Value& a, const Value& b) {
    using K = Value::Kind;
    if (a.is_number() && b.is_number()) {
        if (a.kind == K::kFloat || b.kind == K::kFloat) {
            // Exact: an integer widened to long double keeps all 64 bits.
            auto as_long = [](const Value& v) -> long double {
                return v.kind == K::kFloat ? static_cast<long double>(v.real)
                       : v.kind == K::kInt ? static_cast<long double>(v.integer)
                                           : static_cast<long double>(v.uinteger);
            };
            long double x = as_long(a), y = as_long(b);
            if (x < y)
                return std::strong_ordering::less;
            if (x > y)
                return std::strong_ordering::greater;
            if (x == y)
                return std::strong_ordering::equal;
            return std::nullopt; // NaN
        }
        auto as_wide = [](const Value& v) -> Int128 {
            return v.kind == K::kInt ? static_cast<Int128>(v.integer)
                                     : static_cast<Int128>(v.uinteger);
        };
        return as_wide(a) <=> as_wide(b);
    }
    if (a.kind != b.kind)
        return std::nullopt;
    switch (a.kind) {
    case K::kBool:
        return a.boolean <=> b.boolean;
    case K::kString:
        return a.text.compare(b.text) <=> 0;
    case K::kDate:
    case K::kDateTime:
        return a.integer <=> b.integer;
    case K::kList: {
        for (size_t i = 0; i < a.items.size() && i < b.items.size(); ++i) {
            auto c = compare_values(a.items[i], b.items[i]);
            if (!c)
                return std::nullopt;
            if (*c != 0)
                return c;
        }
        return a.items.size() <=> b.items.size();
    }
    default:
        return std::nullopt;
    }
}

std::strong_ordering order_values(const Value& a, const Value& b) {
    if (a.is_null() || b.is_null())
        return b.is_null() <=> a.is_null(); // NULL first
    if (auto c = compare_values(a, b))
        return *c;
    return kind_rank(a.kind) <=> kind_rank(b.kind);
}

std::partial_ordering compare_stat(const format::StatValue& stat, const Value& v) {
    if (const auto* s = std::get_if<std::string>(&stat))
        return v.kind == Value::Kind::kString ? std::string_view(*s) <=> std::string_view(v.text)
                                              : std::partial_ordering::unordered;
    long double want = 0;
    switch (v.kind) {
    case Value::Kind::kInt:
    case Value::Kind::kDate:
    case Value::Kind::kDateTime:
        want = static_cast<long double>(v.integer);
        break;
    case Value::Kind::kUInt:
        want = static_cast<long double>(v.uinteger);
        break;
    case Value::Kind::kFloat:
        want = static_cast<long double>(v.real);
        break;
    default:
        return std::partial_ordering::unordered;
    }
    long double have = std::visit(
        [](const auto& x) -> long double {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>)
                return 0; // handled above
            else
                return static_cast<long double>(x);
        },
        stat);
    return have <=> want;
}

uint64_t value_bytes(const Value& v) {
    uint64_t n = sizeof(Value) + v.text.size() + v.vector.size() * sizeof(float);
    for (const auto& item : v.items)
        n += value_bytes(item);
    return n;
}

std::string value_key(const Value& v) {
    std::string key(1, static_cast<char>('a' + kind_rank(v.kind)));
    switch (v.kind) {
    case Value::Kind::kNull:
        break;
    case Value::Kind::kBool:
        key += v.boolean ? '1' : '0';
        break;
    case Value::Kind::kInt:
    case Value::Kind::kDate:
    case Value::Kind::kDateTime:
        key += std::to_string(v.integer);
        break;
    case Value::Kind::kUInt:
        key += std::to_string(v.uinteger);
        break;
    case Value::Kind::kFloat: {
        char buf[32];
        int n = std::snprintf(buf, sizeof buf, "%.17g", v.real); // at most 24 characters
        key.append(buf, static_cast<size_t>(n));
        break;
    }
    case Value::Kind::kString:
        key += v.text;
        break;
    case Value::Kind::kList:
        for (const auto& item : v.items) {
            std::string k = value_key(item);
            key += std::to_string(k.size()) + ":" + k;
        }
        break;
    case Value::Kind::kVector:
        key.append(reinterpret_cast<const char*>(v.vector.data()), v.vector.size() * sizeof(float));
        break;
    }
    return key;
}

namespace {

std::string date_text(int64_t days) {
    using namespace std::chrono;
    year_month_day ymd{sys_days{std::chrono::days{days}}};
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                          unsigned(ymd.day()));
    return std::string(buf, static_cast<size_t>(n)); // a short year always fits
}

std::string datetime_text(int64_t ms) {
    using namespace std::chrono;
    auto tp = sys_time<milliseconds>{milliseconds{ms}};
    auto day = floor<std::chrono::days>(tp);
    year_month_day ymd{day};
    hh_mm_ss<milliseconds> time{tp - day};
    char buf[48];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(ymd.year()),
                          unsigned(ymd.month()), unsigned(ymd.day()), int(time.hours().count()),
                          int(time.minutes().count()), int(time.seconds().count()),
                          int(time.subseconds().count()));
    return std::string(buf, static_cast<size_t>(n)); // a short year always fits
}

void write_float(double d, base::JsonWriter& out, bool non_finite_as_null) {
    if (std::isnan(d))
        non_finite_as_null ? out.null() : out.string("NaN");
    else if (std::isinf(d))
        non_finite_as_null ? out.null() : out.string(d > 0 ? "Infinity" : "-Infinity");
    else
        out.real(d);
}

} // namespace

void write_value(const Value& v, base::JsonWriter& out) {
    switch (v.kind) {
    case Value::Kind::kNull:
        out.null();
        return;
    case Value::Kind::kBool:
        out.boolean(v.boolean);
        return;
    case Value::Kind::kInt:
        out.integer(v.integer);
        return;
    case Value::Kind::kUInt:
        out.unsigned_integer(v.uinteger);
        return;
    case Value::Kind::kFloat:
        write_float(v.real, out, false);
        return;
    case Value::Kind::kString:
        out.string(v.text);
        return;
    case Value::Kind::kDate:
        out.string(date_text(v.integer));
        return;
    case Value::Kind::kDateTime:
        out.string(datetime_text(v.integer));
        return;
    case Value::Kind::kList:
        out.begin_array();
        for (const auto& item : v.items)
            write_value(item, out);
        out.end_array();
        return;
    case Value::Kind::kVector:
        out.begin_array();
        for (float f : v.vector)
            write_float(f, out, true);
        out.end_array();
        return;
    }
}

std::string display_value(const Value& v) {
    switch (v.kind) {
    case Value::Kind::kNull:
        return "null";
    case Value::Kind::kString:
        return v.text;
    case Value::Kind::kDate:
        return date_text(v.integer);
    case Value::Kind::kDateTime:
        return datetime_text(v.integer);
    default: {
        base::JsonWriter w;
        write_value(v, w);
        return w.take();
    }
    }
}

bool holds(const Value& left, CompareOp op, const Value& right) {
    if (left.is_null() || right.is_null())
        return false;
    switch (op) {
    case CompareOp::kContains:
        if (left.kind == Value::Kind::kList) {
            for (const auto& item : left.items)
                if (auto c = compare_values(item, right); c && *c == 0)
                    return true;
            return false;
        }
        return left.kind == Value::Kind::kString && right.kind == Value::Kind::kString &&
               left.text.find(right.text) != std::string::npos;
    case CompareOp::kStartsWith:
        return left.kind == Value::Kind::kString && right.kind == Value::Kind::kString &&
               left.text.starts_with(right.text);
    default:
        break;
    }
    auto c = compare_values(left, right);
    if (!c)
        return false;
    switch (op) {
    case CompareOp::kEq:
        return *c == 0;
    case CompareOp::kNe:
        return *c != 0;
    case CompareOp::kLt:
        return *c < 0;
    case CompareOp::kLe:
        return *c <= 0;
    case CompareOp::kGt:
        return *c > 0;
    case CompareOp::kGe:
        return *c >= 0;
    default:
        return false;
    }
}

Result<Value> literal_to_value(const Literal& l) {
    switch (l.kind) {
    case LiteralKind::kInt: {
        int64_t i = 0;
        auto [p, ec] = std::from_chars(l.text.data(), l.text.data() + l.text.size(), i);
        if (ec == std::errc() && p == l.text.data() + l.text.size())
            return Value::of_int(i);
        uint64_t u = 0;
        auto [pu, ecu] = std::from_chars(l.text.data(), l.text.data() + l.text.size(), u);
        if (ecu == std::errc() && pu == l.text.data() + l.text.size())
            return Value::of_uint(u);
        return Error(kLiteralError, "integer literal " + l.text + " is out of range");
    }
    case LiteralKind::kFloat:
        return Value::of_float(std::strtod(l.text.c_str(), nullptr));
    case LiteralKind::kString:
        return Value::of_string(l.text);
    case LiteralKind::kBool:
        return Value::of_bool(l.boolean);
    case LiteralKind::kDate: {
        auto days = base::parse_epoch_days(l.text);
        if (!days)
            return Error(kLiteralError,
                         "invalid date literal '" + l.text + "' (expected YYYY-MM-DD)");
        return Value::of_date(*days);
    }
    case LiteralKind::kDateTime: {
        auto ms = base::parse_epoch_millis(l.text);
        if (!ms)
            return Error(kLiteralError, "invalid datetime literal '" + l.text +
                                            "' (expected RFC 3339, e.g. 2024-06-01T12:00:00Z)");
        return Value::of_datetime(*ms);
    }
    case LiteralKind::kList: {
        Value v;
        v.kind = Value::Kind::kList;
        for (const auto& item : l.items)
            v.items.push_back(OG_TRY(literal_to_value(item)));
        return v;
    }
    }
    return {};
}

} // namespace omnigraph::query
