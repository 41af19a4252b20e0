// A single value in query execution: a parameter, a literal, a property read from a column, or
// an aggregate. Comparison follows the spec's rules (query-language §3.2): numbers compare
// exactly across integer and float types, strings by bytes, NULL never compares. Plain value.
#pragma once

#include "base/error.h"
#include "base/json_writer.h"
#include "format/column.h"
#include "format/segment.h"
#include "query/ast.h"
#include "schema/model.h"

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::query {

struct Value {
    enum class Kind {
        kNull,
        kBool,
        kInt,
        kUInt,
        kFloat,
        kString,
        kDate,
        kDateTime,
        kList,
        kVector
    };
    Kind kind = Kind::kNull;
    bool boolean = false;
    int64_t integer = 0; // kInt; kDate (days); kDateTime (ms)
    uint64_t uinteger = 0;
    double real = 0;
    bool single = false; // kFloat read from an F32 column (rendered widened)
    // kString of a stored external Blob reference: `text` is its descriptor, carried as it is
    // when a mutation rewrites the row (engine/external_blob.h). Never set from input.
    bool external = false;
    std::string text;
    std::vector<Value> items; // kList
    std::vector<float> vector;

    bool is_null() const { return kind == Kind::kNull; }
    bool is_number() const {
        return kind == Kind::kInt || kind == Kind::kUInt || kind == Kind::kFloat;
    }
    static Value null() { return {}; }
    static Value of_bool(bool b);
    static Value of_int(int64_t i);
    static Value of_uint(uint64_t u);
    static Value of_float(double d);
    static Value of_string(std::string s);
    static Value of_date(int32_t days);
    static Value of_datetime(int64_t ms);
};

// Row `row` of `col` (declared type `type`) as a Value.
Value value_at(const format::Column& col, size_t row, const schema::PropType& type);

// Three-way comparison of two non-null values of compatible types; nullopt when they cannot be
// compared (different kinds that are not both numbers).
std::optional<std::strong_ordering> compare_values(const Value& a, const Value& b);
// Total order for sorting: NULL first, then by compare_values (incomparable kinds by kind).
std::strong_ordering order_values(const Value& a, const Value& b);
// A page statistic (min or max) against a non-null value, as compare_values would order the
// stored value: unordered when they are not comparable (a string against a number, a bool).
std::partial_ordering compare_stat(const format::StatValue& stat, const Value& v);

// A key that is equal for equal values (group-by, distinct sets).
std::string value_key(const Value& v);
// What a value holds in memory, roughly (what a query's budget charges for an answer cell).
uint64_t value_bytes(const Value& v);

// JSON per query-language §3.10: floats as shortest round-trip digits with ".0", Date as
// "YYYY-MM-DD", DateTime as "YYYY-MM-DDTHH:MM:SS.mmmZ", non-finite floats as strings.
void write_value(const Value& v, base::JsonWriter& out);
// The text of a value for table/csv/kv output (strings bare, null as "null").
std::string display_value(const Value& v);

// The value of a literal; Date and DateTime literals are parsed here, so a malformed one (or an
// integer beyond 64 bits) is an error with code `query_runtime_error`.
inline constexpr std::string_view kLiteralError = "query_runtime_error";
Result<Value> literal_to_value(const Literal& l);

// `left op right` under three-valued logic (spec §3.2): a NULL operand is never true;
// `contains` tests list membership or a substring, `starts_with` a prefix.
bool holds(const Value& left, CompareOp op, const Value& right);

} // namespace omnigraph::query
