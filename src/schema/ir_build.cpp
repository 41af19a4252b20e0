// build_ir (ir.h): the order of its steps, and the assembly of the IR records once every
// declaration has its ids (how ids are resolved and allocated is in ir_identity.cpp).
#include "schema/ir.h"
#include "schema/ir_builder.h"

#include <algorithm>

namespace omnigraph::schema {

namespace detail {

Result<IrBuild> IrBuilder::run() {
    collect();
    OG_CHECK(resolve_types());
    OG_CHECK(allocate_types());
    OG_CHECK(resolve_properties());
    OG_CHECK(allocate_properties());
    OG_CHECK(allocate_incarnations());
    assemble();
    out_.ir.next_identity_id = counter_;
    return std::move(out_);
}

// The compiler resolved every reference, so the lookup cannot miss.
const DesiredType& IrBuilder::desired_type(Kind kind, const std::string& name) const {
    if (type_index_.empty())
        for (const auto& t : types_)
            type_index_.emplace(std::pair(static_cast<int>(t.kind), *t.name), &t);
    return *type_index_.at(std::pair(static_cast<int>(kind), name));
}

PropertyRef IrBuilder::ref(const DesiredType& owner, const std::string& property) const {
    return PropertyRef{owner.type_id, *owner.name, owner.property_ids.at(property), property};
}

std::vector<IrProperty> IrBuilder::properties(const DesiredType& t) const {
    std::vector<IrProperty> out;
    for (const auto& p : *t.properties) {
        IrProperty ip;
        ip.name = p.name;
        ip.property_id = t.property_ids.at(p.name);
        ip.prop_type = p.type;
        ip.annotations = p.annotations;
        ip.property_constraints = p.property_constraints;
        if (p.embed)
            ip.embed_source = IrEmbed{ref(t, p.embed->property), p.embed->model};
        ip.declared_directly = p.declared_directly;
        for (const auto& link : p.satisfies)
            ip.satisfies.push_back(ref(desired_type(Kind::kInterface, link.owner), link.property));
        std::sort(ip.satisfies.begin(), ip.satisfies.end(),
                  [](const PropertyRef& a, const PropertyRef& b) {
                      return a.property_id < b.property_id;
                  });
        out.push_back(std::move(ip));
    }
    return out;
}

IrField IrBuilder::field(const DesiredType& t, const std::string& column) const {
    IrField f;
    if (t.kind == Kind::kEdge && (column == "src" || column == "dst")) {
        f.system = true;
        f.stable_table_id = t.type_id;
        f.table_type_name = *t.name;
        f.table_incarnation_id = t.incarnation;
        f.role = column;
        return f;
    }
    f.property = ref(t, column);
    return f;
}

std::vector<IrConstraint> IrBuilder::constraints(const DesiredType& t,
                                                 const std::vector<Constraint>& cs) const {
    std::vector<IrConstraint> out;
    for (const auto& c : cs) {
        IrConstraint ic;
        ic.kind = c.kind;
        for (const auto& col : c.columns)
            ic.fields.push_back(field(t, col));
        if (c.kind == Constraint::Kind::kRange || c.kind == Constraint::Kind::kCheck)
            ic.field = field(t, c.property);
        ic.min = c.min;
        ic.max = c.max;
        ic.pattern = c.pattern;
        out.push_back(std::move(ic));
    }
    return out;
}

void IrBuilder::assemble() {
    for (const auto& i : desired_.interfaces) {
        const auto& t = desired_type(Kind::kInterface, i.name);
        out_.ir.interfaces.push_back({i.name, t.type_id, properties(t)});
    }
    for (const auto& n : desired_.nodes) {
        const auto& t = desired_type(Kind::kNode, n.name);
        IrNode node;
        node.name = n.name;
        node.type_id = t.type_id;
        node.table_incarnation_id = t.incarnation;
        node.annotations = n.annotations;
        for (const auto& iface : n.implements)
            node.implements.push_back({desired_type(Kind::kInterface, iface).type_id, iface});
        std::sort(node.implements.begin(), node.implements.end(),
                  [](const TypeIdRef& a, const TypeIdRef& b) { return a.type_id < b.type_id; });
        node.properties = properties(t);
        node.constraints = constraints(t, n.constraints);
        out_.ir.nodes.push_back(std::move(node));
    }
    for (const auto& e : desired_.edges) {
        const auto& t = desired_type(Kind::kEdge, e.name);
        IrEdge edge;
        edge.name = e.name;
        edge.type_id = t.type_id;
        edge.table_incarnation_id = t.incarnation;
        edge.from_type = {desired_type(Kind::kNode, e.from_type).type_id, e.from_type};
        edge.to_type = {desired_type(Kind::kNode, e.to_type).type_id, e.to_type};
        edge.card_min = e.card_min;
        edge.card_max = e.card_max;
        edge.annotations = e.annotations;
        edge.properties = properties(t);
        edge.constraints = constraints(t, e.constraints);
        out_.ir.edges.push_back(std::move(edge));
    }
}

} // namespace detail

Result<IrBuild> build_ir(const Schema& desired, const SchemaIr* accepted, std::string_view domain) {
    detail::IrBuilder builder(desired, accepted, domain);
    return builder.run();
}

} // namespace omnigraph::schema
