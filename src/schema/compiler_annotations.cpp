// Phase 4 of schema compilation: where each annotation may appear, how often, with which
// arguments (@rename_from, metadata, @key/@unique/@index/@embed on properties, @embed sources).
#include "base/text.h"
#include "schema/compiler_phases.h"

namespace omnigraph::schema::detail {

Status Compiler::check_rename(const std::vector<DecodedAnnotation>& anns,
                              const std::string& target) const {
    int count = 0;
    for (const auto& a : anns) {
        if (a.value.name != "rename_from")
            continue;
        if (++count > 1)
            return err("PG-REN-003", target + " declares @rename_from multiple times", a.span);
        if (!a.value.value || a.value.value->find_first_not_of(" \t\r\n") == std::string::npos)
            return err("PG-REN-001",
                       "@rename_from on " + target +
                           " requires exactly one non-empty positional value",
                       a.span);
        if (!a.value.kwargs.empty())
            return err("PG-REN-002",
                       "@rename_from on " + target + " does not accept keyword arguments", a.span);
    }
    return ok();
}

Status Compiler::check_metadata(const std::vector<DecodedAnnotation>& anns, std::string_view name,
                                const std::string& target) const {
    int count = 0;
    for (const auto& a : anns) {
        if (a.value.name != name)
            continue;
        if (++count > 1)
            return err("PG-ANN-003", target + " declares @" + std::string(name) + " multiple times",
                       a.span);
        if (!a.value.value || a.value.value->find_first_not_of(" \t\r\n") == std::string::npos)
            return err("PG-ANN-003",
                       "@" + std::string(name) + " on " + target + " requires a non-empty value",
                       a.span);
    }
    return ok();
}

Status Compiler::validate_property(WorkType& owner, WorkProp& p) const {
    std::string target = "property '" + owner.name + "." + p.name + "'";
    OG_CHECK(check_rename(p.annotations, target));
    OG_CHECK(check_metadata(p.annotations, "description", target));
    std::map<std::string, int> counts;
    for (const auto& a : p.annotations) {
        const std::string& n = a.value.name;
        if (n == "instruction")
            return err("PG-ANN-007",
                       "@instruction is only supported on node and edge types, "
                       "not on " +
                           target,
                       a.span);
        bool structural = n == "key" || n == "unique" || n == "index" || n == "embed";
        if (!structural)
            continue;
        if (++counts[n] > 1)
            return err("PG-ANN-009", base::concat(target, " declares @", n, " multiple times"),
                       a.span);
        if (p.type.list)
            return err("PG-ANN-004",
                       "@" + n + " is not supported on list property " + owner.name + "." + p.name,
                       a.span);
        if (p.type.scalar == ScalarType::kVector && (n == "key" || n == "unique"))
            return err("PG-ANN-005",
                       "@" + n + " is not supported on vector property " + owner.name + "." +
                           p.name,
                       a.span);
        if (p.type.scalar == ScalarType::kBlob)
            return err("PG-ANN-006",
                       "@" + n + " is not supported on blob property " + owner.name + "." + p.name,
                       a.span);
        if (owner.kind == WorkType::Kind::kEdge && (n == "key" || n == "embed"))
            return err("PG-ANN-008",
                       "@" + n + " is not supported on edge properties (" + owner.name + "." +
                           p.name + ")",
                       a.span);
        if (n == "embed")
            OG_CHECK(check_embed(owner, p, a));
    }
    return ok();
}

Status Compiler::check_embed(WorkType& owner, const WorkProp& p, const DecodedAnnotation& a) const {
    std::string target = owner.name + "." + p.name;
    if (p.type.scalar != ScalarType::kVector)
        return err("PG-EMB-001", "@embed is only supported on vector properties, not " + target,
                   a.span);
    if (!a.value.value)
        return err("PG-EMB-002", "@embed on " + target + " requires a source property name",
                   a.span);
    if (a.value.value->find_first_not_of(" \t\r\n") == std::string::npos)
        return err("PG-EMB-003",
                   "@embed on " + target + " requires a non-empty source property name", a.span);
    for (const auto& [k, v] : a.value.kwargs)
        if (k != "model")
            return err("PG-EMB-006",
                       base::concat("@embed on ", target, " has keyword argument '", k,
                                    "'; only 'model' is supported"),
                       a.span);
    // On an interface the source must be one of the interface's own properties: the IR
    // records it by id under the interface (nodes check it again after injection).
    const WorkProp* source = owner.find_property(*a.value.value);
    if (!source)
        return err("PG-EMB-004",
                   "@embed on " + target + " references unknown source property '" +
                       *a.value.value + "'",
                   a.span);
    if (source->type.scalar != ScalarType::kString || source->type.list)
        return err("PG-EMB-005",
                   "@embed source '" + owner.name + "." + source->name + "' must be String, not " +
                       source->type.display(),
                   a.span);
    return ok();
}

Status Compiler::validate_annotations(WorkType& t) {
    std::string target = std::string(t.kind_name()) + " '" + t.name + "'";
    if (t.kind != WorkType::Kind::kInterface) {
        OG_CHECK(check_rename(t.annotations, target));
        for (const auto& a : t.annotations) {
            const std::string& n = a.value.name;
            if (n == "key" || n == "unique" || n == "index" || n == "embed") {
                if (t.kind == WorkType::Kind::kNode)
                    return err("PG-ANN-001",
                               base::concat("@", n, " on ", target,
                                            " is only supported on node properties or as "
                                            "body constraint"),
                               a.span);
                return err("PG-ANN-002",
                           base::concat("@", n, " is not supported on edges (", target, ")"),
                           a.span);
            }
        }
        OG_CHECK(check_metadata(t.annotations, "description", target));
        OG_CHECK(check_metadata(t.annotations, "instruction", target));
    }
    for (auto& p : t.properties) {
        if (t.kind == WorkType::Kind::kInterface && p.name == "id")
            return err("PG-NAM-002",
                       "property '" + t.name +
                           ".id' collides with the system "
                           "column 'id' of every node table that implements it; rename it",
                       p.span);
        if (!p.declared_directly) {
            // Injected: the interface's annotations were validated with the interface;
            // only the embed source depends on the node.
            if (const auto* e = p.find("embed"))
                OG_CHECK(check_embed(t, p, *e));
            continue;
        }
        OG_CHECK(validate_property(t, p));
    }
    return ok();
}

} // namespace omnigraph::schema::detail
