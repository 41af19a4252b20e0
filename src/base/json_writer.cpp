#include "base/json_writer.h"

#include "base/json.h"

#include <charconv>
#include <nlohmann/json.hpp>

namespace omnigraph::base {
namespace {

// True when `s` is well-formed UTF-8 per RFC 3629 (no overlong forms, no surrogates, nothing
// above U+10FFFF); then it is written byte for byte.
bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t n;
        uint32_t cp;
        if ((c >> 5) == 6) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c >> 4) == 14) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c >> 3) == 30) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size())
            return false;
        for (size_t k = 1; k <= n; ++k) {
            unsigned char cc = static_cast<unsigned char>(s[i + k]);
            if ((cc >> 6) != 2)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

template <class T> void append_integer(T v, std::string& out) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, end);
}

} // namespace

void append_json_string(std::string_view s, std::string& out) {
    // Fast path: printable ASCII without quotes or backslashes is written as is.
    bool plain = true;
    for (char ch : s) {
        unsigned char c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
            plain = false;
            break;
        }
    }
    if (plain) {
        out += '"';
        out += s;
        out += '"';
        return;
    }
    if (!valid_utf8(s)) { // rare: let nlohmann substitute U+FFFD exactly as to_compact_json does
        out += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
        return;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s) {
        unsigned char c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                out += "\\u00";
                out += kHex[c >> 4];
                out += kHex[c & 15];
            } else {
                out += ch;
            }
        }
    }
    out += '"';
}

void JsonWriter::flush() {
    if (digest_ && !out_.empty()) {
        digest_->update(out_);
        out_.clear();
    }
}

void JsonWriter::separate() {
    maybe_flush();
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back())
            out_ += ',';
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::begin_object() {
    separate();
    out_ += '{';
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    out_ += '}';
    first_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    separate();
    out_ += '[';
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    out_ += ']';
    first_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    separate();
    append_json_string(name, out_);
    out_ += ':';
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view v) {
    separate();
    append_json_string(v, out_);
    return *this;
}

JsonWriter& JsonWriter::integer(int64_t v) {
    separate();
    append_integer(v, out_);
    return *this;
}

JsonWriter& JsonWriter::unsigned_integer(uint64_t v) {
    separate();
    append_integer(v, out_);
    return *this;
}

JsonWriter& JsonWriter::real(double v) {
    separate();
    out_ += format_shortest_float(v);
    return *this;
}

JsonWriter& JsonWriter::boolean(bool v) {
    separate();
    out_ += v ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null() {
    separate();
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::raw(std::string_view canonical_json) {
    separate();
    out_ += canonical_json;
    return *this;
}

} // namespace omnigraph::base
