// The OG-* migration-diagnostic codes (spec schema-language §5): each names a rule, with its
// family, safety tier and default severity. Only OG-MF-103 and OG-MF-106 are emitted by the
// planner today; the others are reserved (see docs/schema.md). Static data; thread-safe.
#pragma once

#include <span>
#include <string_view>

namespace omnigraph::schema {

struct LintCode {
    std::string_view code;     // "OG-MF-103"
    std::string_view family;   // "MF"
    std::string_view tier;     // "safe" | "validated" | "destructive"
    std::string_view severity; // "error" | "warn" | "info"
    bool emitted;              // the planner can put it in a step
    std::string_view summary;
};

std::span<const LintCode> lint_codes();
const LintCode* find_lint_code(std::string_view code);
// Families: DS destructive, MF maybe-fail, and the reserved CD BC NM OW NL VE ED LK.
std::span<const std::string_view> lint_families();

} // namespace omnigraph::schema
