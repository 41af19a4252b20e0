// Strict JSON for one JSONL line: the simdjson fast path, the duplicate-key walk, and the
// nlohmann slow path for the lines simdjson refuses.
#include "engine/load_json_line.h"

#include "base/json.h"
#include "engine/load_input_error.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <simdjson.h>
#include <string>
#include <unordered_set>
#include <vector>

namespace omnigraph::engine {

using base::Json;
using simdjson::dom::element;

namespace {

std::string strict_json_error(uint64_t number, const std::string& what) {
    return "invalid strict JSON at line " + std::to_string(number) + ": " + what;
}

// The first key repeated within one object of `v`, at any depth, in document order.
std::optional<std::string_view> first_duplicate_key(const element& v) {
    if (v.is_array()) {
        simdjson::dom::array items = v.get_array().value_unsafe();
        for (element x : items)
            if (auto d = first_duplicate_key(x))
                return d;
        return std::nullopt;
    }
    if (!v.is_object())
        return std::nullopt;
    simdjson::dom::object object = v.get_object().value_unsafe();
    // Records are small: a linear scan of the keys seen beats a set, up to a point.
    constexpr size_t kLinear = 16;
    std::string_view seen_small[kLinear];
    std::unordered_set<std::string_view> seen_large;
    size_t seen = 0;
    for (auto field : object) {
        if (seen < kLinear) {
            if (std::find(seen_small, seen_small + seen, field.key) != seen_small + seen)
                return field.key;
            seen_small[seen] = field.key;
        } else {
            if (seen == kLinear)
                seen_large.insert(seen_small, seen_small + kLinear);
            if (!seen_large.insert(field.key).second)
                return field.key;
        }
        ++seen;
        if (auto d = first_duplicate_key(field.value))
            return d;
    }
    return std::nullopt;
}

// nlohmann's DOM builder plus a duplicate-key check, driven by the SAX parser. The slow path:
// it runs only on lines simdjson refuses, to give the same error messages as before, and to
// read the integers beyond 64 bits that simdjson refuses and nlohmann reads as doubles.
class StrictDom {
  public:
    explicit StrictDom(Json& root) : dom_(root, true) {}
    std::string duplicate; // the first repeated key, if any

    bool null() { return dom_.null(); }
    bool boolean(bool v) { return dom_.boolean(v); }
    bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
    bool number_float(Json::number_float_t v, const Json::string_t& s) {
        return dom_.number_float(v, s);
    }
    bool string(Json::string_t& v) { return dom_.string(v); }
    bool binary(Json::binary_t& v) { return dom_.binary(v); }
    bool start_object(std::size_t n) {
        if (keys_.size() <= depth_)
            keys_.emplace_back();
        keys_[depth_++].clear();
        return dom_.start_object(n);
    }
    bool key(Json::string_t& k) {
        if (!keys_[depth_ - 1].insert(k).second && duplicate.empty())
            duplicate = k;
        return dom_.key(k);
    }
    bool end_object() {
        --depth_;
        return dom_.end_object();
    }
    bool start_array(std::size_t n) { return dom_.start_array(n); }
    bool end_array() { return dom_.end_array(); }
    bool parse_error(std::size_t at, const std::string& token,
                     const nlohmann::detail::exception& e) {
        return dom_.parse_error(at, token, e);
    }

  private:
    std::vector<std::unordered_set<std::string>> keys_; // the keys of each open object
    nlohmann::detail::json_sax_dom_parser<Json> dom_;
    size_t depth_ = 0;
};

// The byte offset in `text` of the first byte that is not part of a well-formed UTF-8
// sequence (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or npos.
size_t first_invalid_utf8(std::string_view text) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    for (size_t i = 0; i < text.size();) {
        unsigned char c = byte(i);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n = c >= 0xc2 && c <= 0xdf   ? 2
                   : c >= 0xe0 && c <= 0xef ? 3
                   : c >= 0xf0 && c <= 0xf4 ? 4
                                            : 0;
        if (n == 0 || i + n > text.size())
            return i;
        unsigned char lo = 0x80, hi = 0xbf; // the allowed range of the second byte
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
        else if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
        if (byte(i + 1) < lo || byte(i + 1) > hi)
            return i;
        for (size_t k = 2; k < n; ++k)
            if (byte(i + k) < 0x80 || byte(i + k) > 0xbf)
                return i;
        i += n;
    }
    return std::string_view::npos;
}

// Refuses, with its column, what JSON parsers would silently accept or alter on a line: a
// byte order mark (skipped by both parsers) and bytes that are not UTF-8.
void check_line_text(std::string_view line, uint64_t number) {
    if (line.starts_with("\xEF\xBB\xBF"))
        throw LoadError("line " + std::to_string(number) +
                            ": a byte order mark (U+FEFF) is not allowed at the start of a line",
                        1);
    if (size_t at = first_invalid_utf8(line); at != std::string_view::npos) {
        constexpr char kDigits[] = "0123456789abcdef";
        auto byte = static_cast<unsigned char>(line[at]);
        std::string hex = {'0', 'x', kDigits[byte >> 4], kDigits[byte & 15]};
        throw LoadError("invalid UTF-8 at line " + std::to_string(number) + ", column " +
                            std::to_string(at + 1) + ": byte " + hex +
                            " does not start a well-formed UTF-8 sequence",
                        static_cast<int>(at + 1));
    }
}

// Parses one line with nlohmann, rejecting duplicate keys at any depth.
Json parse_line_slow(std::string_view line, uint64_t number) {
    try {
        Json j;
        StrictDom dom(j);
        Json::sax_parse(line.begin(), line.end(), &dom);
        if (!dom.duplicate.empty())
            throw LoadError(strict_json_error(number, "duplicate key '" + dom.duplicate + "'"));
        return j;
    } catch (const Json::exception& e) {
        std::string what = e.what();
        if (auto p = what.find("] "); p != std::string::npos)
            what = what.substr(p + 2);
        throw LoadError(strict_json_error(number, what));
    }
}

} // namespace

struct JsonLineParser::State {
    simdjson::dom::parser parser;
    std::vector<char> padded;
    simdjson::padded_string fallback;
};

JsonLineParser::JsonLineParser() : state_(std::make_unique<State>()) {}
JsonLineParser::~JsonLineParser() = default;

element JsonLineParser::parse(std::string_view line, uint64_t number) {
    // simdjson refuses invalid UTF-8 itself, so a line it parses needs only the BOM check.
    if (line.starts_with("\xEF\xBB\xBF"))
        check_line_text(line, number);
    State& s = *state_;
    if (s.padded.size() < line.size() + simdjson::SIMDJSON_PADDING)
        s.padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(s.padded.data(), line.data(), line.size());
    element doc;
    if (s.parser.parse(s.padded.data(), line.size(), false).get(doc) == simdjson::SUCCESS) {
        if (auto d = first_duplicate_key(doc))
            throw LoadError(strict_json_error(number, "duplicate key '" + std::string(*d) + "'"));
        return doc;
    }
    // Refused: invalid UTF-8 is named with its column; otherwise nlohmann gives the error
    // message, or reads the line (an integer beyond 64 bits becomes a double); its rendering
    // is then what simdjson reads.
    check_line_text(line, number);
    s.fallback = simdjson::padded_string(parse_line_slow(line, number).dump());
    auto error = s.parser.parse(s.fallback).get(doc);
    if (error != simdjson::SUCCESS)
        throw LoadError(strict_json_error(number, simdjson::error_message(error)));
    return doc;
}

} // namespace omnigraph::engine
