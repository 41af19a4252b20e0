// JSON value -> column cell, per declared property type.
#include "engine/load_value.h"

#include "base/clock.h"
#include "base/digest.h"
#include "engine/load_input.h"
#include "engine/load_input_error.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <simdjson.h>
#include <vector>

namespace omnigraph::engine {

using format::Column;
using format::ColumnType;
using format::PhysicalKind;
using schema::PropType;
using schema::ScalarType;
using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

const char* arrow_name(const PropType& t) {
    if (t.list)
        return "List";
    switch (t.scalar) {
    case ScalarType::kString:
        return "Utf8";
    case ScalarType::kBool:
        return "Boolean";
    case ScalarType::kI32:
        return "Int32";
    case ScalarType::kI64:
        return "Int64";
    case ScalarType::kU32:
        return "UInt32";
    case ScalarType::kU64:
        return "UInt64";
    case ScalarType::kF32:
        return "Float32";
    case ScalarType::kF64:
        return "Float64";
    case ScalarType::kDate:
        return "Date32";
    case ScalarType::kDateTime:
        return "Date64";
    case ScalarType::kBlob:
        return "Blob";
    case ScalarType::kVector:
        return "FixedSizeList";
    }
    return "?";
}

std::string shown(const element& v) {
    std::string s = simdjson::to_string(v);
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

[[noreturn]] void mismatch(const std::string& prop, const PropType& t, const element& v,
                           const std::string& why = {}) {
    throw LoadError("strict property '" + prop + "' expects " + arrow_name(t) + ", got " +
                    shown(v) + (why.empty() ? "" : " (" + why + ")"));
}

template <class T> T checked_integer(const std::string& prop, const PropType& t, const element& v) {
    if (v.type() == element_type::UINT64) {
        uint64_t u = v.get_uint64().value_unsafe();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
            mismatch(prop, t, v, std::string("exceeds ") + arrow_name(t) + " range");
        return static_cast<T>(u);
    }
    if (v.type() == element_type::INT64) {
        int64_t i = v.get_int64().value_unsafe();
        if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            (i > 0 &&
             static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
            mismatch(prop, t, v, std::string("exceeds ") + arrow_name(t) + " range");
        return static_cast<T>(i);
    }
    mismatch(prop, t, v);
}

bool is_number(const element& v) {
    auto type = v.type();
    return type == element_type::INT64 || type == element_type::UINT64 ||
           type == element_type::DOUBLE;
}

std::string_view string_of(const element& v) {
    return v.get_string().value_unsafe();
}

// Appends one non-null value of scalar type `t` (not a list) to `col`.
void append_scalar(Column& col, const std::string& prop, const PropType& t, const element& v) {
    switch (t.scalar) {
    case ScalarType::kString: {
        if (!v.is_string())
            mismatch(prop, t, v);
        std::string_view s = string_of(v);
        if (t.enum_values && !std::binary_search(t.enum_values->begin(), t.enum_values->end(), s)) {
            std::string expected;
            for (const auto& e : *t.enum_values)
                expected += (expected.empty() ? "" : ", ") + e;
            throw LoadError("invalid enum value '" + std::string(s) + "' for property '" + prop +
                            "' (expected: " + expected + ")");
        }
        col.append_bytes(s);
        return;
    }
    case ScalarType::kBool: {
        if (!v.is_bool())
            mismatch(prop, t, v);
        uint8_t b = v.get_bool().value_unsafe() ? 1 : 0;
        col.append_fixed(&b);
        return;
    }
    case ScalarType::kI32: {
        auto x = checked_integer<int32_t>(prop, t, v);
        col.append_fixed(&x);
        return;
    }
    case ScalarType::kI64: {
        auto x = checked_integer<int64_t>(prop, t, v);
        col.append_fixed(&x);
        return;
    }
    case ScalarType::kU32: {
        auto x = checked_integer<uint32_t>(prop, t, v);
        col.append_fixed(&x);
        return;
    }
    case ScalarType::kU64: {
        auto x = checked_integer<uint64_t>(prop, t, v);
        col.append_fixed(&x);
        return;
    }
    case ScalarType::kF32:
    case ScalarType::kF64: {
        if (!is_number(v))
            mismatch(prop, t, v);
        double d = v.get_double().value_unsafe();
        if (!std::isfinite(d) ||
            (t.scalar == ScalarType::kF32 && std::isinf(static_cast<float>(d))))
            mismatch(prop, t, v, "out of range");
        if (t.scalar == ScalarType::kF32) {
            float f = static_cast<float>(d);
            col.append_fixed(&f);
        } else {
            col.append_fixed(&d);
        }
        return;
    }
    case ScalarType::kDate: {
        int32_t days = 0;
        if (v.is_string()) {
            auto parsed = base::parse_epoch_days(string_of(v));
            if (!parsed)
                throw LoadError("invalid Date literal '" + std::string(string_of(v)) +
                                "' for property '" + prop + "' (expected YYYY-MM-DD)");
            days = *parsed;
        } else {
            days = checked_integer<int32_t>(prop, t, v);
        }
        col.append_fixed(&days);
        return;
    }
    case ScalarType::kDateTime: {
        int64_t ms = 0;
        if (v.is_string()) {
            auto parsed = base::parse_epoch_millis(string_of(v));
            if (!parsed)
                throw LoadError("invalid DateTime literal '" + std::string(string_of(v)) +
                                "' for property '" + prop +
                                "' (expected RFC 3339, e.g. 2024-06-01T12:00:00Z)");
            ms = *parsed;
        } else {
            ms = checked_integer<int64_t>(prop, t, v);
        }
        col.append_fixed(&ms);
        return;
    }
    case ScalarType::kBlob: {
        if (!v.is_string())
            mismatch(prop, t, v);
        std::string_view s = string_of(v);
        if (!s.starts_with("base64:"))
            throw LoadError("blob property '" + prop +
                            "' is an external URI; external blob sources are "
                            "not allowed on this path (use \"base64:<data>\")");
        std::string bytes;
        if (!base::base64_decode(s.substr(7), bytes))
            throw LoadError("invalid base64 blob data for property '" + prop + "'");
        col.append_bytes(bytes);
        return;
    }
    case ScalarType::kVector: {
        if (!v.is_array())
            mismatch(prop, t, v);
        simdjson::dom::array items = v.get_array().value_unsafe();
        if (items.size() != t.vector_dim)
            throw LoadError("vector property '" + prop + "' expects " +
                            std::to_string(t.vector_dim) + " dimensions, got " +
                            std::to_string(items.size()));
        std::vector<float> values;
        values.reserve(t.vector_dim);
        for (element x : items) {
            if (!is_number(x))
                throw LoadError("vector property '" + prop + "' has a non-numeric element " +
                                shown(x));
            double d = x.get_double().value_unsafe();
            // Only finite values that fit a float (the conversion is undefined otherwise).
            if (!std::isfinite(d) || std::fabs(d) > 3.5e38 || std::isinf(static_cast<float>(d)))
                throw LoadError("vector property '" + prop +
                                "' has an element out of Float32 range: " + shown(x));
            values.push_back(static_cast<float>(d));
        }
        col.append_fixed(values.data());
        return;
    }
    }
}

} // namespace

std::string key_spelling(const Column& col, const PropType& t) {
    size_t row = col.size() - 1;
    char buf[32];
    switch (t.scalar) {
    case ScalarType::kString:
        return std::string(col.bytes_at(row));
    case ScalarType::kBool:
        return col.fixed_at<uint8_t>(row) ? "true" : "false";
    case ScalarType::kI32:
    case ScalarType::kDate:
        return std::to_string(col.fixed_at<int32_t>(row));
    case ScalarType::kI64:
    case ScalarType::kDateTime:
        return std::to_string(col.fixed_at<int64_t>(row));
    case ScalarType::kU32:
        return std::to_string(col.fixed_at<uint32_t>(row));
    case ScalarType::kU64:
        return std::to_string(col.fixed_at<uint64_t>(row));
    case ScalarType::kF32: {
        float f = col.fixed_at<float>(row);
        if (f == 0)
            return "0"; // signed zero spells as 0
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
        return std::string(buf, end);
    }
    case ScalarType::kF64: {
        double d = col.fixed_at<double>(row);
        if (d == 0)
            return "0";
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
        return std::string(buf, end);
    }
    case ScalarType::kBlob:
    case ScalarType::kVector:
        return {};
    }
    return {};
}

void append_value(Column& col, const std::string& prop, const PropType& t, const element* v) {
    if (v == nullptr || v->is_null()) {
        if (!t.nullable)
            throw LoadError("non-nullable property '" + prop + "' has null or invalid values");
        col.append_null();
        return;
    }
    if (!t.list) {
        append_scalar(col, prop, t, *v);
        return;
    }
    if (!v->is_array())
        mismatch(prop, t, *v);
    PropType item = t;
    item.list = false;
    item.nullable = false;
    Column& items = col.begin_list();
    size_t count = 0;
    simdjson::dom::array values = v->get_array().value_unsafe();
    for (element x : values) {
        if (x.is_null())
            throw LoadError("strict list property '" + prop + "' contains a null or invalid item");
        append_scalar(items, prop, item, x);
        ++count;
    }
    col.end_list(count);
}

format::ColumnType column_type_of(const PropType& t) {
    ColumnType c;
    switch (t.scalar) {
    case ScalarType::kString:
        c.kind = PhysicalKind::kString;
        break;
    case ScalarType::kBool:
        c.kind = PhysicalKind::kBool;
        break;
    case ScalarType::kI32:
        c.kind = PhysicalKind::kI32;
        break;
    case ScalarType::kI64:
        c.kind = PhysicalKind::kI64;
        break;
    case ScalarType::kU32:
        c.kind = PhysicalKind::kU32;
        break;
    case ScalarType::kU64:
        c.kind = PhysicalKind::kU64;
        break;
    case ScalarType::kF32:
        c.kind = PhysicalKind::kF32;
        break;
    case ScalarType::kF64:
        c.kind = PhysicalKind::kF64;
        break;
    case ScalarType::kDate:
        c.kind = PhysicalKind::kDate;
        break;
    case ScalarType::kDateTime:
        c.kind = PhysicalKind::kDateTime;
        break;
    case ScalarType::kBlob:
        c.kind = PhysicalKind::kBlob;
        break;
    case ScalarType::kVector:
        c.kind = PhysicalKind::kVector;
        c.dim = t.vector_dim;
        break;
    }
    return t.list ? format::list_of(c) : c;
}

} // namespace omnigraph::engine
