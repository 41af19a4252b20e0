// JSON value -> column cell, per declared property type: one appender per scalar type
// (instantiated from the cell visitor's tags), picked once per column.
#include "engine/load_value.h"

#include "base/clock.h"
#include "base/digest.h"
#include "engine/cell_visit.h"
#include "engine/external_blob.h"
#include "engine/load_input_error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <simdjson.h>
#include <vector>

namespace omnigraph::engine {

using format::Column;
using schema::PropType;
using schema::ScalarType;
using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

std::string shown(const element& v) {
    std::string s = simdjson::to_string(v);
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

[[noreturn]] void mismatch(const std::string& prop, std::string_view type_name, const element& v,
                           const std::string& why = {}) {
    throw LoadError("strict property '" + prop + "' expects " + std::string(type_name) + ", got " +
                    shown(v) + (why.empty() ? "" : " (" + why + ")"));
}

template <class T>
T checked_integer(const std::string& prop, std::string_view type_name, const element& v) {
    auto out_of_range = [&] {
        mismatch(prop, type_name, v, "exceeds " + std::string(type_name) + " range");
    };
    if (v.type() == element_type::UINT64) {
        uint64_t u = v.get_uint64().value_unsafe();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
            out_of_range();
        return static_cast<T>(u);
    }
    if (v.type() == element_type::INT64) {
        int64_t i = v.get_int64().value_unsafe();
        if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            (i > 0 &&
             static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
            out_of_range();
        return static_cast<T>(i);
    }
    mismatch(prop, type_name, v);
}

bool is_number(const element& v) {
    auto type = v.type();
    return type == element_type::INT64 || type == element_type::UINT64 ||
           type == element_type::DOUBLE;
}

std::string_view string_of(const element& v) {
    return v.get_string().value_unsafe();
}

std::string enum_list(const std::vector<std::string>& values) {
    std::string out;
    for (const auto& e : values)
        out += (out.empty() ? "" : ", ") + e;
    return out;
}

// Appends one non-null value of scalar type Tag (declared as `t`, not a list) to `col`.
template <class Tag>
void append_scalar(Column& col, const std::string& prop, const PropType& t, const element& v) {
    using T = typename Tag::Storage;
    constexpr std::string_view name = Tag::arrow_name;
    if constexpr (Tag::scalar == ScalarType::kString) {
        if (!v.is_string())
            mismatch(prop, name, v);
        std::string_view s = string_of(v);
        if (t.enum_values && !std::binary_search(t.enum_values->begin(), t.enum_values->end(), s))
            throw LoadError("invalid enum value '" + std::string(s) + "' for property '" + prop +
                            "' (expected: " + enum_list(*t.enum_values) + ")");
        col.append_bytes(s);
    } else if constexpr (Tag::scalar == ScalarType::kBool) {
        if (!v.is_bool())
            mismatch(prop, name, v);
        T b = v.get_bool().value_unsafe() ? 1 : 0;
        col.append_fixed(&b);
    } else if constexpr (Tag::is_integer) {
        T x = checked_integer<T>(prop, name, v);
        col.append_fixed(&x);
    } else if constexpr (Tag::is_float) {
        if (!is_number(v))
            mismatch(prop, name, v);
        double d = v.get_double().value_unsafe();
        // Only finite values that fit the type (the conversion is undefined otherwise).
        if (!std::isfinite(d) || std::isinf(static_cast<T>(d)))
            mismatch(prop, name, v, "out of range");
        T x = static_cast<T>(d);
        col.append_fixed(&x);
    } else if constexpr (Tag::scalar == ScalarType::kDate) {
        T days = 0;
        if (v.is_string()) {
            auto parsed = base::parse_epoch_days(string_of(v));
            if (!parsed)
                throw LoadError("invalid Date literal '" + std::string(string_of(v)) +
                                "' for property '" + prop + "' (expected YYYY-MM-DD)");
            days = *parsed;
        } else {
            days = checked_integer<T>(prop, name, v);
        }
        col.append_fixed(&days);
    } else if constexpr (Tag::scalar == ScalarType::kDateTime) {
        T ms = 0;
        if (v.is_string()) {
            auto parsed = base::parse_epoch_millis(string_of(v));
            if (!parsed)
                throw LoadError("invalid DateTime literal '" + std::string(string_of(v)) +
                                "' for property '" + prop +
                                "' (expected RFC 3339, e.g. 2024-06-01T12:00:00Z)");
            ms = *parsed;
        } else {
            ms = checked_integer<T>(prop, name, v);
        }
        col.append_fixed(&ms);
    } else if constexpr (Tag::scalar == ScalarType::kBlob) {
        if (!v.is_string())
            mismatch(prop, name, v);
        std::string_view s = string_of(v);
        if (!s.starts_with("base64:"))
            throw LoadError("blob property '" + prop +
                            "' is an external URI; external blob sources are "
                            "not allowed on this path (use \"base64:<data>\")");
        std::string bytes;
        if (!base::base64_decode(s.substr(7), bytes))
            throw LoadError("invalid base64 blob data for property '" + prop + "'");
        col.append_bytes(bytes);
    } else {
        static_assert(Tag::is_vector);
        if (!v.is_array())
            mismatch(prop, name, v);
        simdjson::dom::array items = v.get_array().value_unsafe();
        if (items.size() != t.vector_dim)
            throw LoadError("vector property '" + prop + "' expects " +
                            std::to_string(t.vector_dim) + " dimensions, got " +
                            std::to_string(items.size()));
        std::vector<T> values;
        values.reserve(t.vector_dim);
        for (element x : items) {
            if (!is_number(x))
                throw LoadError("vector property '" + prop + "' has a non-numeric element " +
                                shown(x));
            double d = x.get_double().value_unsafe();
            // Only finite values that fit a float (the conversion is undefined otherwise).
            if (!std::isfinite(d) || std::fabs(d) > 3.5e38 || std::isinf(static_cast<T>(d)))
                throw LoadError("vector property '" + prop +
                                "' has an element out of Float32 range: " + shown(x));
            values.push_back(static_cast<T>(d));
        }
        col.append_fixed(values.data());
    }
}

} // namespace

ValueConverter::ValueConverter(const std::string& property, const PropType& type,
                               const ExternalBlobPolicy* blobs)
    : property_(&property), type_(&type), item_(type), blobs_(blobs) {
    item_.list = false;
    item_.nullable = false;
    scalar_ = visit_scalar(
        type.scalar, [](auto tag) -> ScalarAppender { return &append_scalar<decltype(tag)>; });
}

void ValueConverter::append(Column& col, const element* v) const {
    const PropType& t = *type_;
    if (v == nullptr || v->is_null()) {
        if (!t.nullable)
            throw LoadError("non-nullable property '" + *property_ +
                            "' has null or invalid values");
        col.append_null();
        return;
    }
    if (!t.list) {
        if (t.scalar == ScalarType::kBlob && blobs_ && v->is_string() &&
            !string_of(*v).starts_with("base64:")) {
            auto blob = blobs_->admit(string_of(*v), *property_);
            if (!blob)
                throw LoadError(std::move(blob.error()));
            col.append_external(blob->descriptor());
            return;
        }
        scalar_(col, *property_, t, *v);
        return;
    }
    if (!v->is_array())
        mismatch(*property_, "List", *v);
    Column& items = col.begin_list();
    size_t count = 0;
    simdjson::dom::array values = v->get_array().value_unsafe();
    for (element x : values) {
        if (x.is_null())
            throw LoadError("strict list property '" + *property_ +
                            "' contains a null or invalid item");
        scalar_(items, *property_, item_, x);
        ++count;
    }
    col.end_list(count);
}

} // namespace omnigraph::engine
