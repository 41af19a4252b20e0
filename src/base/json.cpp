#include "base/json.h"

#include "base/json_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

namespace omnigraph::base {

std::string to_pretty_json(const Json& value) {
    std::string out = value.dump(2, ' ', false, Json::error_handler_t::replace);
    out += '\n';
    return out;
}

std::string to_compact_json(const Json& value) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string format_shortest_float(double value) {
    if (!std::isfinite(value))
        return "null";
    std::string sign = std::signbit(value) ? "-" : "";
    double magnitude = std::fabs(value);
    if (magnitude == 0)
        return sign + "0.0";
    // Shortest round-trip digits in scientific form: "d[.ddd]e[+-]XX".
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, magnitude, std::chars_format::scientific);
    std::string sci(buf, end);
    auto e = sci.find('e');
    std::string digits = sci.substr(0, e);
    digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
    int exp10 = std::stoi(sci.substr(e + 1));
    int k = exp10 + 1; // value = 0.digits x 10^k
    int n = static_cast<int>(digits.size());
    std::string out;
    if (k > -5 && k <= 16) {
        if (k <= 0)
            out = "0." + std::string(static_cast<size_t>(-k), '0') + digits;
        else if (k < n)
            out = digits.substr(0, static_cast<size_t>(k)) + "." +
                  digits.substr(static_cast<size_t>(k));
        else
            out = digits + std::string(static_cast<size_t>(k - n), '0') + ".0";
    } else {
        out = digits.substr(0, 1);
        if (n > 1)
            out += "." + digits.substr(1);
        out += "e" + std::to_string(k - 1);
    }
    return sign + out;
}

namespace {

template <class T> void write_integer(T v, std::string& out) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

void write_canonical(const Json& v, std::string& out) {
    switch (v.type()) {
    case Json::value_t::object: {
        out += '{';
        bool first = true;
        for (auto it = v.begin(); it != v.end(); ++it) {
            if (!first)
                out += ',';
            first = false;
            append_json_string(it.key(), out);
            out += ':';
            write_canonical(it.value(), out);
        }
        out += '}';
        return;
    }
    case Json::value_t::array: {
        out += '[';
        bool first = true;
        for (const auto& item : v) {
            if (!first)
                out += ',';
            first = false;
            write_canonical(item, out);
        }
        out += ']';
        return;
    }
    case Json::value_t::string:
        append_json_string(v.get_ref<const std::string&>(), out);
        return;
    case Json::value_t::number_integer:
        write_integer(v.get<int64_t>(), out);
        return;
    case Json::value_t::number_unsigned:
        write_integer(v.get<uint64_t>(), out);
        return;
    case Json::value_t::number_float:
        out += format_shortest_float(v.get<double>());
        return;
    case Json::value_t::boolean:
        out += v.get<bool>() ? "true" : "false";
        return;
    default:
        out += "null";
        return;
    }
}

} // namespace

std::string to_canonical_json(const Json& value) {
    std::string out;
    out.reserve(4096);
    write_canonical(value, out);
    return out;
}

SourceLocation location_of(std::string_view text, size_t offset, std::string_view file) {
    SourceLocation loc{std::string(file), 1, 1};
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++loc.line;
            loc.column = 1;
        } else {
            ++loc.column;
        }
    }
    return loc;
}

namespace {

constexpr size_t kMaxJsonDepth = 128;

// The offset of the first bracket nested deeper than kMaxJsonDepth, if any. nlohmann parses
// iteratively but copies, compares and serializes recursively: a request body of 100k '['
// parsed fine and then overflowed a server worker's stack when its params were copied.
std::optional<size_t> too_deep(std::string_view text) {
    size_t depth = 0;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth)
                return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

} // namespace

Result<Json> parse_json(std::string_view text, std::string_view source) {
    if (auto at = too_deep(text)) {
        std::string name = source.empty() ? "<json>" : std::string(source);
        Error err(codes::kParseError,
                  "invalid JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels",
                  location_of(text, *at, name));
        if (source.empty())
            err.location.reset();
        return err;
    }
    try {
        return Json::parse(text.begin(), text.end());
    } catch (const Json::parse_error& e) {
        // nlohmann reports the 1-based byte position of the failure.
        size_t offset = e.byte > 0 ? e.byte - 1 : 0;
        std::string what = e.what();
        // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 2: ".
        if (auto col = what.find("column "); col != std::string::npos)
            if (auto p = what.find(": ", col); p != std::string::npos)
                what = what.substr(p + 2);
        std::string name = source.empty() ? "<json>" : std::string(source);
        Error err(codes::kParseError, "invalid JSON: " + what, location_of(text, offset, name));
        if (source.empty())
            err.location.reset();
        return err;
    } catch (const Json::exception& e) {
        // Not a syntax error but a value nlohmann cannot hold (e.g. 1e400): still bad input.
        std::string what = e.what();
        if (auto p = what.find("] "); p != std::string::npos)
            what = what.substr(p + 2);
        std::string name = source.empty() ? std::string("JSON") : std::string(source);
        return Error(codes::kParseError, "invalid JSON in " + name + ": " + what);
    }
}

} // namespace omnigraph::base
