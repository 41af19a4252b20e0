// Small text helpers shared by the layers.
#pragma once

#include <string>
#include <string_view>

namespace omnigraph::base {

// `s` without leading and trailing ASCII whitespace (space, tab, CR, LF).
inline std::string trim(std::string_view s) {
    constexpr std::string_view kSpace = " \t\r\n";
    size_t first = s.find_first_not_of(kSpace);
    if (first == std::string_view::npos)
        return "";
    return std::string(s.substr(first, s.find_last_not_of(kSpace) - first + 1));
}

} // namespace omnigraph::base
