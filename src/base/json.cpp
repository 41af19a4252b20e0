#include "base/json.h"

#include <nlohmann/json.hpp>

namespace omnigraph::base {

std::string to_pretty_json(const Json& value) {
    std::string out = value.dump(2, ' ', false, Json::error_handler_t::replace);
    out += '\n';
    return out;
}

std::string to_compact_json(const Json& value) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
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

Result<Json> parse_json(std::string_view text, std::string_view source) {
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
