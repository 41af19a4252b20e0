#include "query/lint.h"

#include "base/text.h"
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

std::string value_kind(const schema::PropType& t) {
    using schema::ScalarType;
    switch (t.scalar) {
    case ScalarType::kString:
        return "string";
    case ScalarType::kBool:
        return "bool";
    case ScalarType::kI32:
    case ScalarType::kU32:
        return "int";
    case ScalarType::kI64:
    case ScalarType::kU64:
        return "bigint";
    case ScalarType::kF32:
    case ScalarType::kF64:
        return "float";
    case ScalarType::kDate:
        return "date";
    case ScalarType::kDateTime:
        return "datetime";
    case ScalarType::kBlob:
        return "blob";
    case ScalarType::kVector:
        return "vector";
    }
    return "string";
}

namespace {

std::string kind_of(const schema::PropType& t) {
    return value_kind(t);
}

void add(std::vector<std::pair<std::string, std::string>>& list, std::string kind,
         std::string type) {
    std::pair<std::string, std::string> entry{std::move(kind), std::move(type)};
    if (std::find(list.begin(), list.end(), entry) == list.end())
        list.push_back(std::move(entry));
}

void clause_reads(const std::vector<Clause>& clauses, const schema::Catalog& catalog,
                  Operation& op) {
    for (const auto& c : clauses) {
        if (c.kind == Clause::Kind::kBinding) {
            if (const auto* n = catalog.find_node(c.type))
                add(op.reads, "node", n->name);
        } else if (c.kind == Clause::Kind::kTraversal) {
            if (const auto* e = catalog.find_edge(c.edge)) {
                add(op.reads, "edge", e->name);
                add(op.reads, "node", e->from_type);
                add(op.reads, "node", e->to_type);
            }
        } else if (c.kind == Clause::Kind::kNegation) {
            clause_reads(c.body, catalog, op);
        }
    }
}

Operation operation_of(const Query& q, const CheckedQuery& checked,
                       const schema::Catalog& catalog) {
    Operation op;
    for (const auto& c : checked.columns) {
        Operation::ResultColumn rc;
        rc.name = c.name;
        rc.nullable = c.type.nullable;
        if (c.type.list) {
            rc.kind = "list";
            rc.item_kind = kind_of(c.type);
        } else {
            rc.kind = kind_of(c.type);
            if (c.type.scalar == schema::ScalarType::kVector)
                rc.vector_dim = c.type.vector_dim;
        }
        op.result.push_back(std::move(rc));
    }
    clause_reads(q.match, catalog, op);
    for (const auto& m : q.mutations) {
        if (const auto* n = catalog.find_node(m.type)) {
            add(op.reads, "node", n->name);
            add(op.writes, "node", n->name);
            if (m.kind ==
                Mutation::Kind::kDelete) // the cascade reads and writes every incident edge
                for (const auto& e : catalog.edges)
                    if (e.from_type == n->name || e.to_type == n->name) {
                        add(op.reads, "edge", e.name);
                        add(op.writes, "edge", e.name);
                    }
        } else if (const auto* e = catalog.find_edge(m.type)) {
            add(op.reads, "edge", e->name);
            add(op.writes, "edge", e->name);
            if (m.kind == Mutation::Kind::kInsert) {
                add(op.reads, "node", e->from_type);
                add(op.reads, "node", e->to_type);
            }
        }
    }
    return op;
}

} // namespace

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
        } else {
            r.operation = operation_of(q, *checked, catalog);
        }
        if (checked && q.is_mutation()) {
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
            report.findings.push_back(
                {"warning", "L201",
                 base::concat("property ", type, ".", prop,
                              " is nullable but no update in this file assigns it"),
                 std::nullopt, type, prop, queries});
        }
    }
    return report;
}

} // namespace omnigraph::query
