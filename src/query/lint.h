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

// What a query that type-checks does (the lint descriptor, spec §2.5): its result columns and
// the node and edge types it reads and writes.
struct Operation {
    struct ResultColumn {
        std::string name;
        std::string kind; // string|bool|int|bigint|float|date|datetime|blob|vector|list
        std::optional<std::string> item_kind; // list
        std::optional<uint32_t> vector_dim;   // vector
        bool nullable = true;
    };
    std::vector<ResultColumn> result;
    std::vector<std::pair<std::string, std::string>> reads, writes; // (node|edge, type name)
};

struct LintResult {
    std::string name;
    std::string kind; // "read" | "mutation"
    std::optional<Error> error;
    std::vector<std::string> warnings;
    std::optional<Operation> operation; // when it type-checks
};

struct LintReport {
    bool parsed = true;
    std::vector<LintResult> results;
    std::vector<LintFinding> findings;
    size_t errors() const;
    size_t warnings() const;
};

// The JSON kind of a value of type `t` (list types give their item kind): string, bool, int,
// bigint, float, date, datetime, blob or vector.
std::string value_kind(const schema::PropType& t);

LintReport lint_queries(std::string_view source, std::string_view file,
                        const schema::Catalog& catalog);

} // namespace omnigraph::query
