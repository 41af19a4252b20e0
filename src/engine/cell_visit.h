// One visitor over the declared scalar types (schema::ScalarType), in place of a `switch` per
// operation. visit_scalar(type, f) calls f with a ScalarTag<S>, an empty value whose static
// members say how a cell of that type is stored in a format::Column:
//
//   Tag::scalar     the ScalarType
//   Tag::kind       the column's format::PhysicalKind
//   using Storage   the C++ type of one stored value: int32_t for I32 and Date (days), int64_t
//                   for I64 and DateTime (ms), uint32_t, uint64_t, float, double, uint8_t for
//                   Bool (0/1), std::string_view for String and Blob, float for Vector (one per
//                   dimension, `dim` of them per row)
//   Tag::is_bytes   String, Blob: offsets into a byte buffer (Column::bytes_at)
//   Tag::is_vector  Vector: fixed runs of `dim` floats (Column::fixed_row)
//   Tag::is_integer, Tag::is_float   the six numeric types (not Bool, Date, DateTime)
//   Tag::arrow_name the upstream (Arrow) type name used in load error messages
//
// and cell_at<Tag>(column, row) reads one non-null scalar value. f's return type must be the
// same for every tag. On whole columns, dispatch once per column (visit, then loop inside, or
// take a function pointer to a template instantiated per tag), not once per cell.
//
// It lives in engine/ because this is the lowest layer that knows both the declared types
// (schema/) and the columns (format/). Header-only; no state.
#pragma once

#include "format/column.h"
#include "schema/model.h"

#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

namespace omnigraph::engine {

namespace cell_detail {

using schema::ScalarType;

template <ScalarType S> struct Traits;
template <> struct Traits<ScalarType::kString> {
    using Storage = std::string_view;
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kString;
    static constexpr std::string_view arrow_name = "Utf8";
};
template <> struct Traits<ScalarType::kBool> {
    using Storage = uint8_t;
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kBool;
    static constexpr std::string_view arrow_name = "Boolean";
};
template <> struct Traits<ScalarType::kI32> {
    using Storage = int32_t;
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kI32;
    static constexpr std::string_view arrow_name = "Int32";
};
template <> struct Traits<ScalarType::kI64> {
    using Storage = int64_t;
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kI64;
    static constexpr std::string_view arrow_name = "Int64";
};
template <> struct Traits<ScalarType::kU32> {
    using Storage = uint32_t;
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kU32;
    static constexpr std::string_view arrow_name = "UInt32";
};
template <> struct Traits<ScalarType::kU64> {
    using Storage = uint64_t;
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kU64;
    static constexpr std::string_view arrow_name = "UInt64";
};
template <> struct Traits<ScalarType::kF32> {
    using Storage = float;
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kF32;
    static constexpr std::string_view arrow_name = "Float32";
};
template <> struct Traits<ScalarType::kF64> {
    using Storage = double;
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kF64;
    static constexpr std::string_view arrow_name = "Float64";
};
template <> struct Traits<ScalarType::kDate> {
    using Storage = int32_t; // days since the Unix epoch
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kDate;
    static constexpr std::string_view arrow_name = "Date32";
};
template <> struct Traits<ScalarType::kDateTime> {
    using Storage = int64_t; // milliseconds since the Unix epoch
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kDateTime;
    static constexpr std::string_view arrow_name = "Date64";
};
template <> struct Traits<ScalarType::kBlob> {
    using Storage = std::string_view;
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kBlob;
    static constexpr std::string_view arrow_name = "Blob";
};
template <> struct Traits<ScalarType::kVector> {
    using Storage = float; // per dimension
    static constexpr format::PhysicalKind kind = format::PhysicalKind::kVector;
    static constexpr std::string_view arrow_name = "FixedSizeList";
};

} // namespace cell_detail

template <schema::ScalarType S> struct ScalarTag {
    using Storage = typename cell_detail::Traits<S>::Storage;
    static constexpr schema::ScalarType scalar = S;
    static constexpr format::PhysicalKind kind = cell_detail::Traits<S>::kind;
    static constexpr std::string_view arrow_name = cell_detail::Traits<S>::arrow_name;
    static constexpr bool is_bytes =
        S == schema::ScalarType::kString || S == schema::ScalarType::kBlob;
    static constexpr bool is_vector = S == schema::ScalarType::kVector;
    static constexpr bool is_float = S == schema::ScalarType::kF32 || S == schema::ScalarType::kF64;
    static constexpr bool is_integer =
        S == schema::ScalarType::kI32 || S == schema::ScalarType::kI64 ||
        S == schema::ScalarType::kU32 || S == schema::ScalarType::kU64;
};

template <class F> decltype(auto) visit_scalar(schema::ScalarType scalar, F&& f) {
    using S = schema::ScalarType;
    switch (scalar) {
    case S::kString:
        return std::forward<F>(f)(ScalarTag<S::kString>{});
    case S::kBool:
        return std::forward<F>(f)(ScalarTag<S::kBool>{});
    case S::kI32:
        return std::forward<F>(f)(ScalarTag<S::kI32>{});
    case S::kI64:
        return std::forward<F>(f)(ScalarTag<S::kI64>{});
    case S::kU32:
        return std::forward<F>(f)(ScalarTag<S::kU32>{});
    case S::kU64:
        return std::forward<F>(f)(ScalarTag<S::kU64>{});
    case S::kF32:
        return std::forward<F>(f)(ScalarTag<S::kF32>{});
    case S::kF64:
        return std::forward<F>(f)(ScalarTag<S::kF64>{});
    case S::kDate:
        return std::forward<F>(f)(ScalarTag<S::kDate>{});
    case S::kDateTime:
        return std::forward<F>(f)(ScalarTag<S::kDateTime>{});
    case S::kBlob:
        return std::forward<F>(f)(ScalarTag<S::kBlob>{});
    case S::kVector:
        return std::forward<F>(f)(ScalarTag<S::kVector>{});
    }
    std::unreachable(); // every enumerator is handled above
}

// Row `row` of `col` (not null, not a list, not a Vector), as Tag's storage type.
template <class Tag> typename Tag::Storage cell_at(const format::Column& col, size_t row) {
    static_assert(!Tag::is_vector, "a Vector cell is Tag::Storage[dim]: read col.fixed_row(row)");
    if constexpr (Tag::is_bytes)
        return col.bytes_at(row);
    else
        return col.template fixed_at<typename Tag::Storage>(row);
}

// The physical column type of a declared property type.
inline format::ColumnType column_type_of(const schema::PropType& type) {
    format::ColumnType c = visit_scalar(type.scalar, [&](auto tag) {
        return format::ColumnType{tag.kind, tag.is_vector ? type.vector_dim : 0, nullptr};
    });
    return type.list ? format::list_of(c) : c;
}

} // namespace omnigraph::engine
