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

// The concatenation of `parts` (anything a string_view can be made from), in one allocation: for
// text built in a loop, where each `+` of a chain would make a temporary string.
template <class... Parts> std::string concat(const Parts&... parts) {
    const std::string_view views[] = {std::string_view(parts)...};
    size_t size = 0;
    for (std::string_view v : views)
        size += v.size();
    std::string out;
    out.reserve(size);
    for (std::string_view v : views)
        out += v;
    return out;
}

} // namespace omnigraph::base
