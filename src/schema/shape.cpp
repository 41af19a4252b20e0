#include "schema/shape.h"

#include "base/digest.h"

#include <nlohmann/json.hpp>

namespace omnigraph::schema {

using base::Json;
using base::JsonWriter;

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

Json json_of(const std::string& canonical_text) {
    return Json::parse(canonical_text);
}

void write_prop_type(JsonWriter& w, const PropType& type) {
    w.begin_object().key("scalar");
    if (type.scalar == ScalarType::kVector)
        w.begin_object().key("Vector").unsigned_integer(type.vector_dim).end_object();
    else
        w.string(scalar_name(type.scalar));
    w.key("nullable").boolean(type.nullable).key("list").boolean(type.list).key("enum_values");
    if (type.enum_values) {
        w.begin_array();
        for (const auto& v : *type.enum_values)
            w.string(v);
        w.end_array();
    } else {
        w.null();
    }
    w.end_object();
}

void write_annotation(JsonWriter& w, const AnnotationValue& a) {
    w.begin_object().key("name").string(a.name).key("value");
    a.value ? w.string(*a.value) : w.null();
    if (!a.kwargs.empty()) {
        w.key("kwargs").begin_object();
        for (const auto& [k, v] : a.kwargs)
            w.key(k).string(v);
        w.end_object();
    }
    w.end_object();
}

void write_annotations(JsonWriter& w, const std::vector<AnnotationValue>& annotations) {
    w.begin_array();
    for (const auto& a : annotations)
        write_annotation(w, a);
    w.end_array();
}

void write_bound(JsonWriter& w, const std::optional<Bound>& bound) {
    if (!bound) {
        w.null();
        return;
    }
    w.begin_object();
    if (bound->is_float)
        w.key("Float").real(bound->real);
    else
        w.key("Integer").integer(bound->integer);
    w.end_object();
}

Json prop_type_json(const PropType& type) {
    JsonWriter w;
    write_prop_type(w, type);
    return json_of(w.text());
}

Json annotation_json(const AnnotationValue& annotation) {
    JsonWriter w;
    write_annotation(w, annotation);
    return json_of(w.text());
}

namespace {

void write_property(JsonWriter& w, const PropertyDef& p) {
    w.begin_object().key("name").string(p.name).key("prop_type");
    write_prop_type(w, p.type);
    w.key("annotations");
    write_annotations(w, p.annotations);
    w.key("property_constraints").begin_array();
    for (auto c : p.property_constraints)
        w.string(property_constraint_name(c));
    w.end_array().key("embed_source");
    if (p.embed) {
        w.begin_object().key("property_name").string(p.embed->property).key("model");
        p.embed->model ? w.string(*p.embed->model) : w.null();
        w.end_object();
    } else {
        w.null();
    }
    w.key("declared_directly")
        .boolean(p.declared_directly)
        .key("satisfies_interface_properties")
        .begin_array();
    for (const auto& l : p.satisfies)
        w.begin_object()
            .key("owner_name")
            .string(l.owner)
            .key("property_name")
            .string(l.property)
            .end_object();
    w.end_array().end_object();
}

void write_properties(JsonWriter& w, const std::vector<PropertyDef>& props) {
    w.begin_array();
    for (const auto& p : props)
        write_property(w, p);
    w.end_array();
}

void write_columns(JsonWriter& w, const std::vector<std::string>& cols) {
    w.begin_array();
    for (const auto& c : cols)
        w.string(c);
    w.end_array();
}

void write_constraints(JsonWriter& w, const std::vector<Constraint>& cs) {
    w.begin_array();
    for (const auto& c : cs) {
        w.begin_object();
        switch (c.kind) {
        case Constraint::Kind::kKey:
            write_columns(w.key("Key"), c.columns);
            break;
        case Constraint::Kind::kUnique:
            write_columns(w.key("Unique"), c.columns);
            break;
        case Constraint::Kind::kIndex:
            write_columns(w.key("Index"), c.columns);
            break;
        case Constraint::Kind::kRange:
            w.key("Range").begin_object().key("property").string(c.property).key("min");
            write_bound(w, c.min);
            w.key("max");
            write_bound(w, c.max);
            w.end_object();
            break;
        case Constraint::Kind::kCheck:
            w.key("Check")
                .begin_object()
                .key("property")
                .string(c.property)
                .key("pattern")
                .string(c.pattern)
                .end_object();
            break;
        }
        w.end_object();
    }
    w.end_array();
}

} // namespace

namespace {

void write_shape(JsonWriter& w, const Schema& schema) {
    w.begin_object().key("interfaces").begin_array();
    for (const auto& i : schema.interfaces) {
        w.begin_object().key("name").string(i.name).key("properties");
        write_properties(w, i.properties);
        w.end_object();
    }
    w.end_array().key("nodes").begin_array();
    for (const auto& n : schema.nodes) {
        w.begin_object().key("name").string(n.name).key("annotations");
        write_annotations(w, n.annotations);
        write_columns(w.key("implements"), n.implements);
        w.key("properties");
        write_properties(w, n.properties);
        w.key("constraints");
        write_constraints(w, n.constraints);
        w.end_object();
    }
    w.end_array().key("edges").begin_array();
    for (const auto& e : schema.edges) {
        w.begin_object()
            .key("name")
            .string(e.name)
            .key("from_type")
            .string(e.from_type)
            .key("to_type")
            .string(e.to_type);
        w.key("cardinality").begin_object().key("min").unsigned_integer(e.card_min).key("max");
        e.card_max ? w.unsigned_integer(*e.card_max) : w.null();
        w.end_object().key("annotations");
        write_annotations(w, e.annotations);
        w.key("properties");
        write_properties(w, e.properties);
        w.key("constraints");
        write_constraints(w, e.constraints);
        w.end_object();
    }
    w.end_array().end_object();
}

} // namespace

std::string shape_text(const Schema& schema) {
    JsonWriter w;
    write_shape(w, schema);
    return w.take();
}

Json shape_json(const Schema& schema) {
    return json_of(shape_text(schema));
}

std::string shape_hash(const Schema& schema) {
    return base::canonical_json_digest([&](JsonWriter& w) { write_shape(w, schema); });
}

} // namespace omnigraph::schema
