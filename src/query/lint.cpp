#include "query/lint.h"

#include "query/parser.h"
#include "query/typecheck.h"

#include <algorithm>
#include <map>
#include <set>

namespace omnigraph::query {

size_t LintReport::errors() const {
    return std::count_if(findings.begin(), findings.end(),
                         [](const LintFinding& f) { return f.severity == "error"; });
}
size_t LintReport::warnings() const {
    return std::count_if(findings.begin(), findings.end(),
                         [](const LintFinding& f) { return f.severity == "warning"; });
}

LintReport lint_queries(std::string_view source, std::string_view file,
                        const schema::Catalog& catalog) {
    LintReport report;
    auto parsed = parse_query_file(source, file);
    if (!parsed) {
        report.parsed = false;
        report.findings.push_back({"error",
                                   "Q000",
                                   parsed.error().message,
                                   parsed.error().location,
                                   std::nullopt,
                                   std::nullopt,
                                   {}});
        return report;
    }
    // node type -> property -> the updates that assign it; and which types updates target.
    std::map<std::string, std::set<std::string>> assigned;
    std::map<std::string, std::vector<std::string>> updated_by;
    for (const auto& q : parsed->queries) {
        LintResult r;
        r.name = q.name;
        r.kind = q.is_mutation() ? "mutation" : "read";
        auto checked = check_query(q, catalog, file);
        if (!checked) {
            r.error = checked.error();
            report.findings.push_back({"error",
                                       checked.error().code,
                                       checked.error().message,
                                       checked.error().location,
                                       std::nullopt,
                                       std::nullopt,
                                       {q.name}});
        } else if (q.is_mutation()) {
            if (q.params.empty()) {
                std::string w = "mutation declares no params; hardcoded mutations are easy to miss";
                r.warnings.push_back(w);
                report.findings.push_back(
                    {"warning",
                     "",
                     w,
                     SourceLocation{std::string(file), q.pos.line, q.pos.column},
                     std::nullopt,
                     std::nullopt,
                     {q.name}});
            }
            for (const auto& m : q.mutations) {
                if (m.kind != Mutation::Kind::kUpdate)
                    continue;
                const auto* node = catalog.find_node(m.type);
                if (!node)
                    continue;
                auto& names = updated_by[node->name];
                if (std::find(names.begin(), names.end(), q.name) == names.end())
                    names.push_back(q.name);
                for (const auto& a : m.assignments)
                    assigned[node->name].insert(a.property);
            }
        }
        report.results.push_back(std::move(r));
    }
    for (const auto& [type, queries] : updated_by) {
        const auto* node = catalog.find_node(type);
        for (const auto& [prop, t] : node->properties) {
            bool key = node->key && std::count(node->key->begin(), node->key->end(), prop);
            bool embed = node->embed_sources.count(prop) > 0;
            if (!t.nullable || key || embed || assigned[type].count(prop))
                continue;
            report.findings.push_back({"warning", "L201",
                                       "property " + type + "." + prop +
                                           " is nullable but no update in this file assigns it",
                                       std::nullopt, type, prop, queries});
        }
    }
    return report;
}

} // namespace omnigraph::query
