// Value -> column cell with the loader's checks; one visit of the declared scalar type per cell.
#include "query/stored_value.h"

#include "base/clock.h"
#include "base/digest.h"
#include "base/json_writer.h"
#include "engine/cell_visit.h"
#include "engine/external_blob.h"
#include "engine/load_input.h"
#include "query/executor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

namespace omnigraph::query {

using schema::PropType;
using schema::ScalarType;

namespace {

__extension__ using Int128 = __int128;

// The value as the JSONL load format spells it (query-language §4.3), for messages.
void write_load_text(const Value& v, base::JsonWriter& w) {
    switch (v.kind) {
    case Value::Kind::kNull:
        w.null();
        return;
    case Value::Kind::kBool:
        w.boolean(v.boolean);
        return;
    case Value::Kind::kInt:
    case Value::Kind::kDate:     // integer days
    case Value::Kind::kDateTime: // integer milliseconds
        w.integer(v.integer);
        return;
    case Value::Kind::kUInt:
        w.unsigned_integer(v.uinteger);
        return;
    case Value::Kind::kFloat:
        w.real(v.real);
        return;
    case Value::Kind::kString:
        w.string(v.text);
        return;
    case Value::Kind::kList:
        w.begin_array();
        for (const auto& item : v.items)
            write_load_text(item, w);
        w.end_array();
        return;
    case Value::Kind::kVector:
        w.begin_array();
        for (float f : v.vector)
            w.real(f);
        w.end_array();
        return;
    }
}

std::string shown(const Value& v) {
    base::JsonWriter w;
    write_load_text(v, w);
    std::string s = w.take();
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

Error invalid(std::string message) {
    return Error(engine::kInvalidLoadInput, std::move(message));
}

bool has_non_finite_float(const Value& v) {
    if (v.kind == Value::Kind::kFloat)
        return !std::isfinite(v.real);
    if (v.kind == Value::Kind::kList)
        return std::any_of(v.items.begin(), v.items.end(), has_non_finite_float);
    return false;
}

// The integer of a value the load format writes as a JSON integer.
std::optional<Int128> integral(const Value& v) {
    switch (v.kind) {
    case Value::Kind::kInt:
    case Value::Kind::kDate:
    case Value::Kind::kDateTime:
        return static_cast<Int128>(v.integer);
    case Value::Kind::kUInt:
        return static_cast<Int128>(v.uinteger);
    default:
        return std::nullopt;
    }
}

// The number of a value the load format writes as a JSON number.
std::optional<double> number(const Value& v) {
    if (v.kind == Value::Kind::kFloat)
        return v.real;
    if (auto i = integral(v))
        return static_cast<double>(*i);
    return std::nullopt;
}

// Appends one non-null value of the non-list type `t` to `col`.
Status append_scalar(format::Column& col, const Value& v, const PropType& t,
                     const std::string& prop) {
    return engine::visit_scalar(t.scalar, [&](auto tag) -> Status {
        using Tag = decltype(tag);
        using T = typename Tag::Storage;
        auto mismatch = [&](const std::string& why = {}) {
            return invalid("strict property '" + prop + "' expects " +
                           std::string(Tag::arrow_name) + ", got " + shown(v) +
                           (why.empty() ? "" : " (" + why + ")"));
        };
        // An integer of the storage type, range-checked (a generic lambda: only instantiated
        // for the integral storage types that call it).
        auto checked = [&](auto& out) -> Status {
            using U = std::remove_reference_t<decltype(out)>;
            auto i = integral(v);
            if (!i)
                return mismatch();
            if (*i < static_cast<Int128>(std::numeric_limits<U>::min()) ||
                *i > static_cast<Int128>(std::numeric_limits<U>::max()))
                return mismatch("exceeds " + std::string(Tag::arrow_name) + " range");
            out = static_cast<U>(*i);
            return ok();
        };
        if constexpr (Tag::scalar == ScalarType::kString) {
            if (v.kind != Value::Kind::kString)
                return mismatch();
            if (t.enum_values &&
                !std::binary_search(t.enum_values->begin(), t.enum_values->end(), v.text)) {
                std::string expected;
                for (const auto& e : *t.enum_values)
                    expected += (expected.empty() ? "" : ", ") + e;
                return invalid("invalid enum value '" + v.text + "' for property '" + prop +
                               "' (expected: " + expected + ")");
            }
            col.append_bytes(v.text);
        } else if constexpr (Tag::scalar == ScalarType::kBool) {
            if (v.kind != Value::Kind::kBool)
                return mismatch();
            T b = v.boolean ? 1 : 0;
            col.append_fixed(&b);
        } else if constexpr (Tag::is_integer) {
            T x{};
            OG_CHECK(checked(x));
            col.append_fixed(&x);
        } else if constexpr (Tag::is_float) {
            auto d = number(v);
            if (!d)
                return mismatch();
            if (!std::isfinite(*d) || std::isinf(static_cast<T>(*d)))
                return mismatch("out of range");
            T x = static_cast<T>(*d);
            col.append_fixed(&x);
        } else if constexpr (Tag::scalar == ScalarType::kDate) {
            T days{};
            if (v.kind == Value::Kind::kString) {
                auto parsed = base::parse_epoch_days(v.text);
                if (!parsed)
                    return invalid("invalid Date literal '" + v.text + "' for property '" + prop +
                                   "' (expected YYYY-MM-DD)");
                days = *parsed;
            } else {
                OG_CHECK(checked(days));
            }
            col.append_fixed(&days);
        } else if constexpr (Tag::scalar == ScalarType::kDateTime) {
            T ms{};
            if (v.kind == Value::Kind::kString) {
                auto parsed = base::parse_epoch_millis(v.text);
                if (!parsed)
                    return invalid("invalid DateTime literal '" + v.text + "' for property '" +
                                   prop + "' (expected RFC 3339, e.g. 2024-06-01T12:00:00Z)");
                ms = *parsed;
            } else {
                OG_CHECK(checked(ms));
            }
            col.append_fixed(&ms);
        } else if constexpr (Tag::scalar == ScalarType::kBlob) {
            if (v.kind != Value::Kind::kString)
                return mismatch();
            if (!v.text.starts_with("base64:"))
                return invalid("blob property '" + prop +
                               "' is an external URI; external blob sources are not allowed on "
                               "this path (use \"base64:<data>\")");
            std::string bytes;
            if (!base::base64_decode(std::string_view(v.text).substr(7), bytes))
                return invalid("invalid base64 blob data for property '" + prop + "'");
            col.append_bytes(bytes);
        } else {
            static_assert(Tag::is_vector);
            std::vector<double> items;
            if (v.kind == Value::Kind::kVector) {
                items.assign(v.vector.begin(), v.vector.end());
            } else if (v.kind == Value::Kind::kList) {
                for (const auto& item : v.items) {
                    auto d = number(item);
                    if (!d)
                        return invalid("vector property '" + prop + "' has a non-numeric element " +
                                       shown(item));
                    items.push_back(*d);
                }
            } else {
                return mismatch();
            }
            if (items.size() != t.vector_dim)
                return invalid("vector property '" + prop + "' expects " +
                               std::to_string(t.vector_dim) + " dimensions, got " +
                               std::to_string(items.size()));
            std::vector<T> values;
            values.reserve(items.size());
            for (double d : items) {
                // Only finite values that fit a float (the conversion is undefined otherwise).
                if (!std::isfinite(d) || std::fabs(d) > 3.5e38 || std::isinf(static_cast<T>(d)))
                    return invalid(
                        "vector property '" + prop +
                        "' has an element out of Float32 range: " + base::format_shortest_float(d));
                values.push_back(static_cast<T>(d));
            }
            col.append_fixed(values.data());
        }
        return ok();
    });
}

} // namespace

Status append_stored(format::Column& col, const Value& v, const PropType& type,
                     const std::string& property, const engine::ExternalBlobPolicy* blobs) {
    if (has_non_finite_float(v))
        return Error(kQueryRuntimeError, "a non-finite float cannot be stored");
    if (v.is_null()) {
        if (!type.nullable)
            return invalid("non-nullable property '" + property + "' has null or invalid values");
        col.append_null();
        return ok();
    }
    if (!type.list && type.scalar == ScalarType::kBlob && v.kind == Value::Kind::kString) {
        if (v.external) {
            col.append_external(v.text);
            return ok();
        }
        if (blobs && !v.text.starts_with("base64:")) {
            auto blob = OG_TRY(blobs->admit(v.text, property));
            col.append_external(blob.descriptor());
            return ok();
        }
    }
    if (!type.list)
        return append_scalar(col, v, type, property);
    std::vector<Value> items;
    if (v.kind == Value::Kind::kList) {
        items = v.items;
    } else if (v.kind == Value::Kind::kVector) { // a JSON array of numbers in the load format
        for (float f : v.vector)
            items.push_back(Value::of_float(f));
    } else {
        return invalid("strict property '" + property + "' expects List, got " + shown(v));
    }
    PropType item_type = type;
    item_type.list = false;
    item_type.nullable = false;
    // Checked before anything is appended, so a refused list leaves `col` as it was.
    format::Column items_col(col.child().type());
    for (const auto& item : items) {
        if (item.is_null())
            return invalid("strict list property '" + property +
                           "' contains a null or invalid item");
        OG_CHECK(append_scalar(items_col, item, item_type, property));
    }
    format::Column& child = col.begin_list();
    child.append_column(items_col);
    col.end_list(items.size());
    return ok();
}

} // namespace omnigraph::query
