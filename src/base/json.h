// JSON helpers over nlohmann::json. Only the forward declarations are included here; files that
// build or inspect documents include <nlohmann/json.hpp> themselves.
//
// Output conventions of the spec's artefacts: keys keep insertion order (ordered_json), pretty
// output is 2-space indented with a trailing newline, compact output has no spaces, non-ASCII is
// written as UTF-8 (not \u escapes), and invalid UTF-8 is replaced rather than thrown on.
#pragma once

#include "base/error.h"

#include <limits>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace omnigraph::base {

using Json = nlohmann::ordered_json;

std::string to_pretty_json(const Json& value);  // 2-space indent + trailing '\n'
std::string to_compact_json(const Json& value); // one line, no trailing newline

// The canonical compact form digests are taken over (spec schema-language §3.3, also used by
// cluster digests): no whitespace, keys in insertion order, strings escaped as serde_json does
// (\" \\ \b \f \n \r \t, other control characters as lower-case \u00xx, everything else raw
// UTF-8), floats as format_shortest_float.
std::string to_canonical_json(const Json& value);

// Shortest round-trip digits of `value`, written plain when the decimal exponent k (value =
// 0.d1..dn x 10^k) satisfies -5 < k <= 16 (integral values keep ".0": "100.0", "-0.0"), else
// scientific without '+' or leading zeros ("1e16", "1.5e-7"). Non-finite values give "null".
std::string format_shortest_float(double value);

// Parses a whole document. Errors carry code parse_error and, when `source` is given,
// a location "source:line:col" pointing at the offending byte.
Result<Json> parse_json(std::string_view text, std::string_view source = {});

// Line/column (1-based) of a byte offset in `text`.
SourceLocation location_of(std::string_view text, size_t offset, std::string_view file);

// An integral JSON value as T. Throws std::out_of_range for anything else — a float, a string,
// a value outside T — where nlohmann's get<T>() would convert a float with undefined behaviour
// (found by fuzzing manifests). Parsers call it inside their try blocks.
template <class T, class J> T json_int(const J& j) {
    if (j.is_number_unsigned()) {
        auto u = j.template get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
            throw std::out_of_range("integer " + std::to_string(u) + " is out of range");
        return static_cast<T>(u);
    }
    if (j.is_number_integer()) {
        auto i = j.template get<int64_t>();
        if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            (i > 0 &&
             static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
            throw std::out_of_range("integer " + std::to_string(i) + " is out of range");
        return static_cast<T>(i);
    }
    throw std::out_of_range("expected an integer");
}

} // namespace omnigraph::base
