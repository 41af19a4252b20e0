// Binding a JSON params object to a query's declared parameters (spec query-language §3.11):
// type checks, integer ranges, Date/DateTime parsing, vectors of the declared dimension.
#include "base/clock.h"
#include "query/executor.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace omnigraph::query {

__extension__ using Int128 = __int128; // exact integer range checks

using schema::PropType;
using schema::ScalarType;

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

} // namespace omnigraph::query
