#include "schema/lint_codes.h"

#include <array>

namespace omnigraph::schema {
namespace {

constexpr std::array<LintCode, 8> kCodes = {{
    {"OG-DS-101", "DS", "destructive", "error", false, "drop populated graph type"},
    {"OG-DS-102", "DS", "destructive", "error", false, "drop populated node type"},
    {"OG-DS-103", "DS", "destructive", "error", false, "drop populated edge type"},
    {"OG-DS-104", "DS", "destructive", "error", false, "drop property from populated type"},
    {"OG-DS-105", "DS", "destructive", "error", false, "drop populated vector property"},
    {"OG-MF-103", "MF", "validated", "error", true, "add required property without default"},
    {"OG-MF-104", "MF", "validated", "error", false, "tighten nullable to required"},
    {"OG-MF-106", "MF", "destructive", "error", true, "narrowing scalar type"},
}};

constexpr std::array<std::string_view, 10> kFamilies = {"DS", "MF", "CD", "BC", "NM",
                                                        "OW", "NL", "VE", "ED", "LK"};

} // namespace

std::span<const LintCode> lint_codes() {
    return kCodes;
}
std::span<const std::string_view> lint_families() {
    return kFamilies;
}

const LintCode* find_lint_code(std::string_view code) {
    for (const auto& c : kCodes)
        if (c.code == code)
            return &c;
    return nullptr;
}

} // namespace omnigraph::schema
