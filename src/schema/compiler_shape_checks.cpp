// Phases 6-8 of schema compilation, over the whole schema rather than one declaration:
// duplicate names, unresolved edge endpoints, interface contributions that disagree, and
// edge names that collide in the catalog after case folding.
#include "schema/compiler_phases.h"

namespace omnigraph::schema::detail {

Status Compiler::check_shape() {
    std::set<std::pair<int, std::string>> names;
    for (const auto& t : types_) {
        if (names.insert({static_cast<int>(t.kind), t.name}).second)
            continue;
        const char* code = t.kind == WorkType::Kind::kInterface ? "PG-SHP-002"
                           : t.kind == WorkType::Kind::kNode    ? "PG-SHP-003"
                                                                : "PG-SHP-004";
        return err(code, std::string("duplicate ") + t.kind_name() + " name '" + t.name + "'",
                   t.span);
    }
    for (const auto& t : types_) {
        if (t.kind != WorkType::Kind::kEdge)
            continue;
        for (const auto& [name, span] :
             {std::pair{t.from_type, t.from_span}, std::pair{t.to_type, t.to_span}})
            if (!find_type(WorkType::Kind::kNode, name))
                return err("PG-SHP-005",
                           "edge '" + t.name + "' has unresolved endpoint '" + name +
                               "' (endpoints must be node types)",
                           span);
    }
    for (const auto& t : types_) {
        if (t.kind == WorkType::Kind::kNode)
            continue;
        std::set<std::string> seen;
        for (const auto& p : t.properties)
            if (!seen.insert(p.name).second)
                return err("PG-SHP-001",
                           "duplicate property in schema shape: '" + t.name + "." + p.name + "'",
                           p.span);
    }
    for (auto& t : types_) {
        if (t.kind != WorkType::Kind::kNode)
            continue;
        for (const auto& p : t.properties) {
            if (p.declared_directly || p.satisfies.size() < 2)
                continue;
            // Every contributing interface property must mean the same thing.
            const WorkProp* first = nullptr;
            for (const auto& link : p.satisfies) {
                WorkProp* ip =
                    find_type(WorkType::Kind::kInterface, link.owner)->find_property(link.property);
                if (!first) {
                    first = ip;
                    continue;
                }
                if (ip->type != first->type || opaque(*ip) != opaque(*first) ||
                    ip->property_constraints() != first->property_constraints() ||
                    embed_of(*ip) != embed_of(*first))
                    return err("PG-SHP-006",
                               "interfaces contribute property '" + t.name + "." + p.name +
                                   "' with incompatible property semantics",
                               p.span);
            }
        }
    }
    return ok();
}

Status Compiler::check_node_properties() {
    for (const auto& t : types_) {
        if (t.kind != WorkType::Kind::kNode)
            continue;
        std::set<std::string> seen;
        for (const auto& p : t.properties)
            if (!seen.insert(p.name).second)
                return err("PG-IRV-001", "duplicate property '" + t.name + "." + p.name + "'",
                           p.span);
    }
    return ok();
}

Status Compiler::check_catalog() {
    std::map<std::string, std::string> folded;
    for (const auto& t : types_) {
        if (t.kind != WorkType::Kind::kEdge)
            continue;
        auto [it, inserted] = folded.emplace(fold_case(t.name), t.name);
        if (!inserted)
            return err("PG-CAT-001",
                       "edge names '" + it->second + "' and '" + t.name +
                           "' have a collision after case folding",
                       t.span);
    }
    return ok();
}

} // namespace omnigraph::schema::detail
