// Linting a .gq file against a schema (spec query-language §2.5): every query parsed and
// type-checked, plus the lint warnings — L201 (a nullable, non-key, non-embed property of a
// node type that some `update` targets is never assigned by any update in the file) and
// parameterless mutations. Used by `omnigraph lint --query` and the cluster's validation.
#pragma once

#include "base/error.h"
#include "schema/catalog.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::query {

struct LintFinding {
    std::string severity; // "error" | "warning" | "info"
    std::string code;     // T1..T24, Q000, L201, query_type_error, or "" (uncoded)
    std::string message;
    std::optional<SourceLocation> location;
    std::optional<std::string> type_name, property;
    std::vector<std::string> query_names;
};

struct LintResult {
    std::string name;
    std::string kind; // "read" | "mutation"
    std::optional<Error> error;
    std::vector<std::string> warnings;
};

struct LintReport {
    bool parsed = true;
    std::vector<LintResult> results;
    std::vector<LintFinding> findings;
    size_t errors() const;
    size_t warnings() const;
};

LintReport lint_queries(std::string_view source, std::string_view file,
                        const schema::Catalog& catalog);

} // namespace omnigraph::query
