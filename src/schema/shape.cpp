#include "schema/shape.h"

#include "base/digest.h"

#include <nlohmann/json.hpp>

namespace omnigraph::schema {

using base::Json;

const char* property_constraint_name(PropertyConstraint c) {
    switch (c) {
    case PropertyConstraint::kKey:
        return "key";
    case PropertyConstraint::kUnique:
        return "unique";
    case PropertyConstraint::kIndex:
        return "index";
    }
    return "index";
}

Json prop_type_json(const PropType& type) {
    Json j;
    if (type.scalar == ScalarType::kVector) {
        Json v;
        v["Vector"] = type.vector_dim;
        j["scalar"] = v;
    } else {
        j["scalar"] = scalar_name(type.scalar);
    }
    j["nullable"] = type.nullable;
    j["list"] = type.list;
    j["enum_values"] = type.enum_values ? Json(*type.enum_values) : Json(nullptr);
    return j;
}

Json annotation_json(const AnnotationValue& a) {
    Json j;
    j["name"] = a.name;
    j["value"] = a.value ? Json(*a.value) : Json(nullptr);
    if (!a.kwargs.empty()) {
        Json k = Json::object();
        for (const auto& [key, v] : a.kwargs)
            k[key] = v;
        j["kwargs"] = k;
    }
    return j;
}

Json bound_json(const std::optional<Bound>& bound) {
    if (!bound)
        return nullptr;
    Json j;
    if (bound->is_float)
        j["Float"] = bound->real;
    else
        j["Integer"] = bound->integer;
    return j;
}

namespace {

Json annotations_json(const std::vector<AnnotationValue>& anns) {
    Json out = Json::array();
    for (const auto& a : anns)
        out.push_back(annotation_json(a));
    return out;
}

Json property_json(const PropertyDef& p) {
    Json j;
    j["name"] = p.name;
    j["prop_type"] = prop_type_json(p.type);
    j["annotations"] = annotations_json(p.annotations);
    Json pcs = Json::array();
    for (auto c : p.property_constraints)
        pcs.push_back(property_constraint_name(c));
    j["property_constraints"] = pcs;
    if (p.embed) {
        Json e;
        e["property_name"] = p.embed->property;
        e["model"] = p.embed->model ? Json(*p.embed->model) : Json(nullptr);
        j["embed_source"] = e;
    } else {
        j["embed_source"] = nullptr;
    }
    j["declared_directly"] = p.declared_directly;
    Json links = Json::array();
    for (const auto& l : p.satisfies) {
        Json link;
        link["owner_name"] = l.owner;
        link["property_name"] = l.property;
        links.push_back(link);
    }
    j["satisfies_interface_properties"] = links;
    return j;
}

Json properties_json(const std::vector<PropertyDef>& props) {
    Json out = Json::array();
    for (const auto& p : props)
        out.push_back(property_json(p));
    return out;
}

Json constraint_json(const Constraint& c) {
    Json j;
    switch (c.kind) {
    case Constraint::Kind::kKey:
        j["Key"] = c.columns;
        break;
    case Constraint::Kind::kUnique:
        j["Unique"] = c.columns;
        break;
    case Constraint::Kind::kIndex:
        j["Index"] = c.columns;
        break;
    case Constraint::Kind::kRange: {
        Json r;
        r["property"] = c.property;
        r["min"] = bound_json(c.min);
        r["max"] = bound_json(c.max);
        j["Range"] = r;
        break;
    }
    case Constraint::Kind::kCheck: {
        Json r;
        r["property"] = c.property;
        r["pattern"] = c.pattern;
        j["Check"] = r;
        break;
    }
    }
    return j;
}

Json constraints_json(const std::vector<Constraint>& cs) {
    Json out = Json::array();
    for (const auto& c : cs)
        out.push_back(constraint_json(c));
    return out;
}

} // namespace

Json shape_json(const Schema& schema) {
    Json j;
    Json interfaces = Json::array();
    for (const auto& i : schema.interfaces) {
        Json o;
        o["name"] = i.name;
        o["properties"] = properties_json(i.properties);
        interfaces.push_back(o);
    }
    Json nodes = Json::array();
    for (const auto& n : schema.nodes) {
        Json o;
        o["name"] = n.name;
        o["annotations"] = annotations_json(n.annotations);
        o["implements"] = n.implements;
        o["properties"] = properties_json(n.properties);
        o["constraints"] = constraints_json(n.constraints);
        nodes.push_back(o);
    }
    Json edges = Json::array();
    for (const auto& e : schema.edges) {
        Json o;
        o["name"] = e.name;
        o["from_type"] = e.from_type;
        o["to_type"] = e.to_type;
        Json card;
        card["min"] = e.card_min;
        card["max"] = e.card_max ? Json(*e.card_max) : Json(nullptr);
        o["cardinality"] = card;
        o["annotations"] = annotations_json(e.annotations);
        o["properties"] = properties_json(e.properties);
        o["constraints"] = constraints_json(e.constraints);
        edges.push_back(o);
    }
    j["interfaces"] = interfaces;
    j["nodes"] = nodes;
    j["edges"] = edges;
    return j;
}

std::string shape_hash(const Schema& schema) {
    return "sha256:" + base::sha256_hex(base::to_canonical_json(shape_json(schema)));
}

} // namespace omnigraph::schema
