// Phase 5 of schema compilation: body constraints and the ones desugared from property
// annotations, checked against the properties they name and the system columns.
#include "base/text.h"
#include "schema/compiler_phases.h"

namespace omnigraph::schema::detail {

std::vector<WorkConstraint> Compiler::all_constraints(const WorkType& t) const {
    std::vector<WorkConstraint> out = t.constraints;
    for (const auto& p : t.properties) {
        for (auto pc : p.property_constraints()) {
            WorkConstraint w;
            w.from_property = true;
            w.span = p.span;
            w.constraint.kind = pc == PropertyConstraint::kKey      ? Constraint::Kind::kKey
                                : pc == PropertyConstraint::kUnique ? Constraint::Kind::kUnique
                                                                    : Constraint::Kind::kIndex;
            w.constraint.columns = {p.name};
            out.push_back(std::move(w));
        }
    }
    return out;
}

Status Compiler::validate_constraints(WorkType& t) {
    bool edge = t.kind == WorkType::Kind::kEdge;
    auto lookup = [&](const std::string& name) -> WorkProp* { return t.find_property(name); };
    auto system = [&](const std::string& name) { return edge && (name == "src" || name == "dst"); };
    for (const auto& p : t.properties) {
        if (p.name == "id" || (edge && (p.name == "src" || p.name == "dst")))
            return err("PG-NAM-002",
                       "property '" + t.name + "." + p.name + "' collides with the " +
                           "system column '" + p.name + "' of every " + t.kind_name() +
                           " table; rename it",
                       p.span);
    }
    int keys = 0;
    for (const auto& w : all_constraints(t)) {
        const Constraint& c = w.constraint;
        switch (c.kind) {
        case Constraint::Kind::kKey:
            if (edge)
                return err("PG-KEY-001",
                           "@key constraint is not supported on edges ('" + t.name + "')", w.span);
            if (++keys > 1)
                return err("PG-KEY-002", "node '" + t.name + "' has multiple @key constraints",
                           w.span);
            for (const auto& col : c.columns) {
                if (col == "id")
                    return err("PG-CAT-002",
                               "@key must reference declared properties: 'id' on "
                               "node '" +
                                   t.name + "' is the system id field",
                               w.span);
                WorkProp* p = lookup(col);
                if (!p)
                    return err("PG-KEY-003",
                               "@key on '" + t.name + "' references unknown property '" + col + "'",
                               w.span);
                if (p->type.nullable)
                    return err("PG-KEY-004",
                               "@key property '" + t.name + "." + col + "' cannot be nullable",
                               w.span);
                if (p->type.list || p->type.scalar == ScalarType::kVector ||
                    p->type.scalar == ScalarType::kBlob)
                    return err("PG-KEY-005",
                               "@key is not supported on list/vector/blob property '" + t.name +
                                   "." + col + "'",
                               w.span);
            }
            break;
        case Constraint::Kind::kUnique:
        case Constraint::Kind::kIndex: {
            bool unique = c.kind == Constraint::Kind::kUnique;
            std::string ann = unique ? "@unique" : "@index";
            for (const auto& col : c.columns) {
                if (system(col))
                    continue;
                WorkProp* p = lookup(col);
                if (!p)
                    return err(unique ? "PG-UNQ-001" : "PG-IDX-001",
                               base::concat(ann, " on '", t.name, "' references unknown property '",
                                            col, "'"),
                               w.span);
                // Graphs accepted before 0.10 may hold a body @unique over a Blob; reopening
                // them must keep working (spec PG-UNQ-002, "persisted contract" mode).
                bool tolerated = unique && options_.persisted_contract && !w.from_property;
                if (p->type.scalar == ScalarType::kBlob && !tolerated)
                    return err(
                        unique ? "PG-UNQ-002" : "PG-IDX-002",
                        base::concat(ann, " is not supported on blob property ", t.name, ".", col),
                        w.span);
                if (p->type.list)
                    return err(
                        unique ? "PG-UNQ-003" : "PG-IDX-003",
                        base::concat(ann, " is not supported on list property ", t.name, ".", col),
                        w.span);
                if (unique && p->type.scalar == ScalarType::kVector)
                    return err("PG-UNQ-003",
                               "@unique is not supported on vector property " + t.name + "." + col,
                               w.span);
            }
            break;
        }
        case Constraint::Kind::kRange: {
            if (edge)
                return err("PG-RNG-001",
                           "@range constraint is not supported on edges ('" + t.name + "')",
                           w.span);
            WorkProp* p = lookup(c.property);
            if (!p)
                return err("PG-RNG-002",
                           "@range on '" + t.name + "' references unknown property '" + c.property +
                               "'",
                           w.span);
            if (p->type.list)
                return err("PG-RNG-005",
                           "@range is not supported on list property " + t.name + "." + c.property,
                           w.span);
            if (!p->type.is_numeric())
                return err("PG-RNG-003",
                           "@range on '" + t.name + "." + c.property +
                               "' requires a numeric type, not " + p->type.display(),
                           w.span);
            break;
        }
        case Constraint::Kind::kCheck: {
            if (edge)
                return err("PG-CHK-001",
                           "@check constraint is not supported on edges ('" + t.name + "')",
                           w.span);
            WorkProp* p = lookup(c.property);
            if (!p)
                return err("PG-CHK-002",
                           "@check on '" + t.name + "' references unknown property '" + c.property +
                               "'",
                           w.span);
            if (p->type.list)
                return err("PG-CHK-004",
                           "@check is not supported on list property " + t.name + "." + c.property,
                           w.span);
            if (p->type.scalar != ScalarType::kString)
                return err("PG-CHK-003",
                           "@check on '" + t.name + "." + c.property +
                               "' requires String type, not " + p->type.display(),
                           w.span);
            break;
        }
        }
    }
    return ok();
}

} // namespace omnigraph::schema::detail
