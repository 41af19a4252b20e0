// project_schema (ir.h): the IR projected back to the identity-free Schema it stands for, so
// its shape hash can be compared with the source's.
#include "schema/ir.h"

#include <algorithm>

namespace omnigraph::schema {

namespace {

std::vector<PropertyDef> project_properties(const std::vector<IrProperty>& props) {
    std::vector<PropertyDef> out;
    for (const auto& p : props) {
        PropertyDef d;
        d.name = p.name;
        d.type = p.prop_type;
        d.annotations = p.annotations;
        d.property_constraints = p.property_constraints;
        if (p.embed_source)
            d.embed = EmbedSource{p.embed_source->source.property_name, p.embed_source->model};
        d.declared_directly = p.declared_directly;
        for (const auto& l : p.satisfies)
            d.satisfies.push_back({l.owner_type_name, l.property_name});
        std::sort(d.satisfies.begin(), d.satisfies.end());
        out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

std::vector<Constraint> project_constraints(const std::vector<IrConstraint>& cs) {
    std::vector<Constraint> out;
    for (const auto& ic : cs) {
        Constraint c;
        c.kind = ic.kind;
        for (const auto& f : ic.fields)
            c.columns.push_back(f.name());
        std::sort(c.columns.begin(), c.columns.end());
        if (ic.kind == Constraint::Kind::kRange || ic.kind == Constraint::Kind::kCheck)
            c.property = ic.field.name();
        c.min = ic.min;
        c.max = ic.max;
        c.pattern = ic.pattern;
        out.push_back(std::move(c));
    }
    std::sort(out.begin(), out.end(),
              [](const Constraint& a, const Constraint& b) { return a.sort_key() < b.sort_key(); });
    return out;
}

} // namespace

Schema project_schema(const SchemaIr& ir) {
    Schema s;
    for (const auto& i : ir.interfaces)
        s.interfaces.push_back({i.name, project_properties(i.properties), {}});
    for (const auto& n : ir.nodes) {
        NodeDef d;
        d.name = n.name;
        d.annotations = n.annotations;
        for (const auto& r : n.implements)
            d.implements.push_back(r.type_name);
        std::sort(d.implements.begin(), d.implements.end());
        d.properties = project_properties(n.properties);
        d.constraints = project_constraints(n.constraints);
        s.nodes.push_back(std::move(d));
    }
    for (const auto& e : ir.edges) {
        EdgeDef d;
        d.name = e.name;
        d.from_type = e.from_type.type_name;
        d.to_type = e.to_type.type_name;
        d.card_min = e.card_min;
        d.card_max = e.card_max;
        d.annotations = e.annotations;
        d.properties = project_properties(e.properties);
        d.constraints = project_constraints(e.constraints);
        s.edges.push_back(std::move(d));
    }
    auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
    std::sort(s.interfaces.begin(), s.interfaces.end(), by_name);
    std::sort(s.nodes.begin(), s.nodes.end(), by_name);
    std::sort(s.edges.begin(), s.edges.end(), by_name);
    return s;
}

} // namespace omnigraph::schema
