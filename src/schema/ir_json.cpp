// The IR as canonical JSON (_schema.ir.json): the writer, and the text, document and hash
// taken over it. Reading the file back is in ir_read.cpp.
#include "base/digest.h"
#include "base/json.h"
#include "schema/ir.h"
#include "schema/shape.h"

#include <nlohmann/json.hpp>

namespace omnigraph::schema {

using base::Json;

namespace {

using base::JsonWriter;

void write_type_ref(JsonWriter& w, const TypeIdRef& r) {
    w.begin_object()
        .key("type_id")
        .unsigned_integer(r.type_id)
        .key("type_name")
        .string(r.type_name)
        .end_object();
}

void write_property_ref_fields(JsonWriter& w, const PropertyRef& r) {
    w.key("owner_type_id")
        .unsigned_integer(r.owner_type_id)
        .key("owner_type_name")
        .string(r.owner_type_name);
    w.key("property_id")
        .unsigned_integer(r.property_id)
        .key("property_name")
        .string(r.property_name);
}

void write_property_ref(JsonWriter& w, const PropertyRef& r) {
    w.begin_object();
    write_property_ref_fields(w, r);
    w.end_object();
}

void write_field(JsonWriter& w, const IrField& f) {
    w.begin_object();
    if (f.system) {
        w.key("kind").string("system").key("stable_table_id").unsigned_integer(f.stable_table_id);
        w.key("table_type_name")
            .string(f.table_type_name)
            .key("table_incarnation_id")
            .unsigned_integer(f.table_incarnation_id);
        w.key("role").string(f.role);
    } else {
        w.key("kind").string("property");
        write_property_ref_fields(w, f.property);
    }
    w.end_object();
}

const char* constraint_kind_name(Constraint::Kind k) {
    switch (k) {
    case Constraint::Kind::kKey:
        return "key";
    case Constraint::Kind::kUnique:
        return "unique";
    case Constraint::Kind::kIndex:
        return "index";
    case Constraint::Kind::kRange:
        return "range";
    case Constraint::Kind::kCheck:
        return "check";
    }
    return "index";
}

void write_constraints(JsonWriter& w, const std::vector<IrConstraint>& cs) {
    w.begin_array();
    for (const auto& c : cs) {
        w.begin_object().key("kind").string(constraint_kind_name(c.kind));
        switch (c.kind) {
        case Constraint::Kind::kKey:
        case Constraint::Kind::kUnique:
        case Constraint::Kind::kIndex:
            w.key("fields").begin_array();
            for (const auto& f : c.fields)
                write_field(w, f);
            w.end_array();
            break;
        case Constraint::Kind::kRange:
            write_field(w.key("field"), c.field);
            w.key("min");
            write_bound(w, c.min);
            w.key("max");
            write_bound(w, c.max);
            break;
        case Constraint::Kind::kCheck:
            write_field(w.key("field"), c.field);
            w.key("pattern").string(c.pattern);
            break;
        }
        w.end_object();
    }
    w.end_array();
}

void write_properties(JsonWriter& w, const std::vector<IrProperty>& props) {
    w.begin_array();
    for (const auto& p : props) {
        w.begin_object()
            .key("name")
            .string(p.name)
            .key("property_id")
            .unsigned_integer(p.property_id)
            .key("prop_type");
        write_prop_type(w, p.prop_type);
        w.key("annotations");
        write_annotations(w, p.annotations);
        w.key("property_constraints").begin_array();
        for (auto c : p.property_constraints)
            w.string(property_constraint_name(c));
        w.end_array().key("embed_source");
        if (p.embed_source) {
            w.begin_object();
            write_property_ref(w.key("source"), p.embed_source->source);
            w.key("model");
            p.embed_source->model ? w.string(*p.embed_source->model) : w.null();
            w.end_object();
        } else {
            w.null();
        }
        w.key("declared_directly")
            .boolean(p.declared_directly)
            .key("satisfies_interface_properties")
            .begin_array();
        for (const auto& l : p.satisfies)
            write_property_ref(w, l);
        w.end_array().end_object();
    }
    w.end_array();
}

void write_ir(JsonWriter& w, const SchemaIr& ir) {
    w.begin_object().key("ir_version").unsigned_integer(ir.ir_version);
    w.key("schema_identity_domain").string(ir.schema_identity_domain);
    w.key("next_identity_id").unsigned_integer(ir.next_identity_id);
    w.key("interfaces").begin_array();
    for (const auto& i : ir.interfaces) {
        w.begin_object().key("name").string(i.name).key("type_id").unsigned_integer(i.type_id).key(
            "properties");
        write_properties(w, i.properties);
        w.end_object();
    }
    w.end_array().key("nodes").begin_array();
    for (const auto& n : ir.nodes) {
        w.begin_object().key("name").string(n.name).key("type_id").unsigned_integer(n.type_id);
        w.key("table_incarnation_id").unsigned_integer(n.table_incarnation_id).key("annotations");
        write_annotations(w, n.annotations);
        w.key("implements").begin_array();
        for (const auto& r : n.implements)
            write_type_ref(w, r);
        w.end_array().key("properties");
        write_properties(w, n.properties);
        w.key("constraints");
        write_constraints(w, n.constraints);
        w.end_object();
    }
    w.end_array().key("edges").begin_array();
    for (const auto& e : ir.edges) {
        w.begin_object().key("name").string(e.name).key("type_id").unsigned_integer(e.type_id);
        w.key("table_incarnation_id").unsigned_integer(e.table_incarnation_id);
        write_type_ref(w.key("from_type"), e.from_type);
        write_type_ref(w.key("to_type"), e.to_type);
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

std::string ir_text(const SchemaIr& ir) {
    JsonWriter w;
    write_ir(w, ir);
    return w.take();
}

Json ir_json(const SchemaIr& ir) {
    return json_of(ir_text(ir));
}

std::string ir_hash(const SchemaIr& ir) {
    return base::canonical_json_digest([&](JsonWriter& w) { write_ir(w, ir); });
}

} // namespace omnigraph::schema
