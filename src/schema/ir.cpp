#include "schema/ir.h"

#include "base/digest.h"
#include "base/json.h"
#include "base/ulid.h"
#include "schema/shape.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::schema {

using base::Json;

std::string IrConstraint::identity_key() const {
    auto field_key = [](const IrField& f) {
        return f.system ? "sys:" + std::to_string(f.stable_table_id) + ":" + f.role
                        : "prop:" + std::to_string(f.property.property_id);
    };
    Constraint c;
    c.kind = kind;
    std::vector<std::string> cols;
    for (const auto& f : fields)
        cols.push_back(field_key(f));
    std::sort(cols.begin(), cols.end());
    c.columns = cols;
    if (kind == Constraint::Kind::kRange || kind == Constraint::Kind::kCheck)
        c.property = field_key(field);
    c.min = min;
    c.max = max;
    c.pattern = pattern;
    return c.sort_key();
}

const IrNode* SchemaIr::find_node(std::string_view name) const {
    for (const auto& n : nodes)
        if (n.name == name)
            return &n;
    return nullptr;
}

const IrEdge* SchemaIr::find_edge(std::string_view name) const {
    for (const auto& e : edges)
        if (e.name == name)
            return &e;
    return nullptr;
}

namespace {

enum class Kind { kInterface = 0, kNode = 1, kEdge = 2 };
const char* kind_name(Kind k) {
    return k == Kind::kInterface ? "interface" : k == Kind::kNode ? "node" : "edge";
}

// The accepted side of one declaration, seen uniformly.
struct AcceptedType {
    Kind kind;
    std::string name;
    uint64_t type_id = 0;
    uint64_t incarnation = 0;
    const std::vector<IrProperty>* properties = nullptr;
};

// The desired side of one declaration during resolution.
struct DesiredType {
    Kind kind;
    const std::string* name = nullptr;
    const std::vector<PropertyDef>* properties = nullptr;
    const std::optional<std::string>* rename_from = nullptr;
    Span span;
    uint64_t type_id = 0;
    uint64_t incarnation = 0;
    const AcceptedType* accepted = nullptr;
    std::map<std::string, uint64_t> property_ids; // by desired property name
};

class IrBuilder {
  public:
    IrBuilder(const Schema& desired, const SchemaIr* accepted, std::string_view domain)
        : desired_(desired), accepted_(accepted) {
        out_.ir.schema_identity_domain =
            accepted ? accepted->schema_identity_domain : std::string(domain);
        counter_ = accepted ? accepted->next_identity_id : 1;
    }

    Result<IrBuild> run() {
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

  private:
    Error error(std::string_view code, std::string message, Span span) const {
        return Error(code, std::move(message),
                     SourceLocation{desired_.source_file, span.line, span.column});
    }
    void warn(std::string_view code, std::string message, Span span) {
        out_.warnings.push_back(
            Diagnostic{std::string(code), Severity::kWarning, std::move(message),
                       SourceLocation{desired_.source_file, span.line, span.column}});
    }
    Result<uint64_t> allocate() {
        if (counter_ == UINT64_MAX)
            return Error("PG-EVO-008", "schema identity allocator exhausted");
        return counter_++;
    }

    void collect() {
        for (const auto& i : desired_.interfaces)
            types_.push_back({Kind::kInterface, &i.name, &i.properties, &no_hint_, i.span});
        for (const auto& n : desired_.nodes)
            types_.push_back({Kind::kNode, &n.name, &n.properties, &n.rename_from, n.span});
        for (const auto& e : desired_.edges)
            types_.push_back({Kind::kEdge, &e.name, &e.properties, &e.rename_from, e.span});
        if (!accepted_)
            return;
        for (const auto& i : accepted_->interfaces)
            accepted_types_.push_back({Kind::kInterface, i.name, i.type_id, 0, &i.properties});
        for (const auto& n : accepted_->nodes)
            accepted_types_.push_back(
                {Kind::kNode, n.name, n.type_id, n.table_incarnation_id, &n.properties});
        for (const auto& e : accepted_->edges)
            accepted_types_.push_back(
                {Kind::kEdge, e.name, e.type_id, e.table_incarnation_id, &e.properties});
    }

    const AcceptedType* find_accepted(Kind kind, const std::string& name) const {
        for (const auto& a : accepted_types_)
            if (a.kind == kind && a.name == name)
                return &a;
        return nullptr;
    }

    Status resolve_types() {
        std::set<const AcceptedType*> consumed;
        for (auto& t : types_) { // exact names first: they win over hints
            if (const AcceptedType* a = find_accepted(t.kind, *t.name)) {
                t.accepted = a;
                consumed.insert(a);
                if (*t.rename_from)
                    warn("PG-W-002",
                         "@rename_from(\"" + **t.rename_from + "\") on " + kind_name(t.kind) +
                             " '" + *t.name +
                             "' is ignored: the name already matches an "
                             "accepted declaration",
                         t.span);
            }
        }
        for (auto& t : types_) {
            if (t.accepted || !*t.rename_from)
                continue;
            const std::string& old = **t.rename_from;
            std::string target = std::string(kind_name(t.kind)) + " '" + *t.name + "'";
            if (!accepted_) {
                warn("PG-W-001",
                     "@rename_from(\"" + old + "\") on " + target +
                         " is ignored: a new graph has no accepted declarations",
                     t.span);
                continue;
            }
            const AcceptedType* a = find_accepted(t.kind, old);
            if (!a) {
                for (Kind other : {Kind::kInterface, Kind::kNode, Kind::kEdge})
                    if (other != t.kind && find_accepted(other, old))
                        return error("PG-EVO-002",
                                     target + " declares @rename_from(\"" + old + "\") but '" +
                                         old + "' is a " + kind_name(other) +
                                         "; renames across declaration kinds are not "
                                         "supported",
                                     t.span);
                return error("PG-EVO-001",
                             target + " declares @rename_from(\"" + old +
                                 "\") but no accepted declaration has that name",
                             t.span);
            }
            if (!consumed.insert(a).second)
                return error("PG-EVO-003",
                             "accepted " + std::string(kind_name(t.kind)) + " '" + old +
                                 "' is consumed by more than one desired declaration",
                             t.span);
            t.accepted = a;
        }
        for (auto& t : types_)
            if (t.accepted) {
                t.type_id = t.accepted->type_id;
                t.incarnation = t.accepted->incarnation;
            }
        return ok();
    }

    Status allocate_types() {
        std::vector<DesiredType*> fresh;
        for (auto& t : types_)
            if (!t.accepted)
                fresh.push_back(&t);
        std::sort(fresh.begin(), fresh.end(), [](const DesiredType* a, const DesiredType* b) {
            return std::pair(static_cast<int>(a->kind), *a->name) <
                   std::pair(static_cast<int>(b->kind), *b->name);
        });
        for (auto* t : fresh)
            t->type_id = OG_TRY(allocate());
        return ok();
    }

    Status resolve_properties() {
        for (auto& t : types_) {
            std::string owner = *t.name;
            if (!t.accepted) {
                for (const auto& p : *t.properties)
                    if (p.rename_from) {
                        if (accepted_)
                            return error("PG-EVO-006",
                                         "property '" + owner + "." + p.name +
                                             "' declares @rename_from(\"" + *p.rename_from +
                                             "\") inside a new type, which cannot import "
                                             "property identity",
                                         p.span);
                        warn("PG-W-001",
                             "@rename_from(\"" + *p.rename_from + "\") on property '" + owner +
                                 "." + p.name +
                                 "' is ignored: a new graph has no accepted "
                                 "declarations",
                             p.span);
                    }
                continue;
            }
            const auto& accepted_props = *t.accepted->properties;
            auto find = [&](const std::string& name) -> const IrProperty* {
                for (const auto& ap : accepted_props)
                    if (ap.name == name)
                        return &ap;
                return nullptr;
            };
            std::set<uint64_t> consumed;
            for (const auto& p : *t.properties) {
                if (const IrProperty* ap = find(p.name)) {
                    t.property_ids[p.name] = ap->property_id;
                    consumed.insert(ap->property_id);
                    if (p.rename_from)
                        warn("PG-W-002",
                             "@rename_from(\"" + *p.rename_from + "\") on property '" + owner +
                                 "." + p.name +
                                 "' is ignored: the name already matches an "
                                 "accepted property",
                             p.span);
                }
            }
            for (const auto& p : *t.properties) {
                if (t.property_ids.count(p.name) || !p.rename_from)
                    continue;
                const IrProperty* ap = find(*p.rename_from);
                if (!ap) {
                    for (const auto& other : accepted_types_)
                        if (&other != t.accepted)
                            for (const auto& op : *other.properties)
                                if (op.name == *p.rename_from)
                                    return error("PG-EVO-005",
                                                 "property '" + owner + "." + p.name +
                                                     "' declares @rename_from(\"" + *p.rename_from +
                                                     "\"), a property of '" + other.name +
                                                     "': property moves across stable owners "
                                                     "are not supported",
                                                 p.span);
                    return error("PG-EVO-004",
                                 "property '" + owner + "." + p.name +
                                     "' declares @rename_from(\"" + *p.rename_from +
                                     "\") but no accepted property with that "
                                     "name exists under the stable owner '" +
                                     t.accepted->name + "'",
                                 p.span);
                }
                if (!consumed.insert(ap->property_id).second)
                    return error("PG-EVO-007",
                                 "accepted property '" + t.accepted->name + "." + ap->name +
                                     "' is consumed more than once",
                                 p.span);
                t.property_ids[p.name] = ap->property_id;
            }
        }
        return ok();
    }

    Status allocate_properties() {
        std::vector<std::pair<uint64_t, std::pair<std::string, DesiredType*>>> fresh;
        for (auto& t : types_)
            for (const auto& p : *t.properties)
                if (!t.property_ids.count(p.name))
                    fresh.push_back({t.type_id, {p.name, &t}});
        std::sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) {
            return std::pair(a.first, a.second.first) < std::pair(b.first, b.second.first);
        });
        for (auto& [owner, named] : fresh)
            named.second->property_ids[named.first] = OG_TRY(allocate());
        return ok();
    }

    Status allocate_incarnations() {
        std::vector<DesiredType*> tables;
        for (auto& t : types_)
            if (t.kind != Kind::kInterface && t.incarnation == 0)
                tables.push_back(&t);
        std::sort(tables.begin(), tables.end(), [](const DesiredType* a, const DesiredType* b) {
            return a->type_id < b->type_id;
        });
        for (auto* t : tables)
            t->incarnation = OG_TRY(allocate());
        return ok();
    }

    // The compiler resolved every reference, so the lookup cannot miss.
    const DesiredType& desired_type(Kind kind, const std::string& name) const {
        if (type_index_.empty())
            for (const auto& t : types_)
                type_index_.emplace(std::pair(static_cast<int>(t.kind), *t.name), &t);
        return *type_index_.at(std::pair(static_cast<int>(kind), name));
    }

    PropertyRef ref(const DesiredType& owner, const std::string& property) const {
        return PropertyRef{owner.type_id, *owner.name, owner.property_ids.at(property), property};
    }

    std::vector<IrProperty> properties(const DesiredType& t) const {
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
                ip.satisfies.push_back(
                    ref(desired_type(Kind::kInterface, link.owner), link.property));
            std::sort(ip.satisfies.begin(), ip.satisfies.end(),
                      [](const PropertyRef& a, const PropertyRef& b) {
                          return a.property_id < b.property_id;
                      });
            out.push_back(std::move(ip));
        }
        return out;
    }

    IrField field(const DesiredType& t, const std::string& column) const {
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

    std::vector<IrConstraint> constraints(const DesiredType& t,
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

    void assemble() {
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

    const Schema& desired_;
    const SchemaIr* accepted_;
    const std::optional<std::string> no_hint_;
    std::vector<DesiredType> types_;
    mutable std::map<std::pair<int, std::string>, const DesiredType*> type_index_;
    std::vector<AcceptedType> accepted_types_;
    uint64_t counter_ = 1;
    IrBuild out_;
};

// ---- JSON -----------------------------------------------------------------------------

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

} // namespace

Result<IrBuild> build_ir(const Schema& desired, const SchemaIr* accepted, std::string_view domain) {
    IrBuilder builder(desired, accepted, domain);
    return builder.run();
}

namespace {

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

namespace omnigraph::schema {

// ---- projection back to the identity-free shape ---------------------------------------

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

// ---- reading _schema.ir.json ------------------------------------------------------------

namespace {

constexpr std::string_view kInvalid = "PG-IRV-002";

struct IrReader {
    // nlohmann throws on type mismatches; the caller turns those into PG-IRV-002.
    static TypeIdRef type_ref(const Json& j) {
        return {base::json_int<uint64_t>(j.at("type_id")), j.at("type_name").get<std::string>()};
    }
    static PropertyRef property_ref(const Json& j) {
        return {base::json_int<uint64_t>(j.at("owner_type_id")),
                j.at("owner_type_name").get<std::string>(),
                base::json_int<uint64_t>(j.at("property_id")),
                j.at("property_name").get<std::string>()};
    }
    static PropType prop_type(const Json& j) {
        PropType t;
        const Json& scalar = j.at("scalar");
        if (scalar.is_object()) {
            t.scalar = ScalarType::kVector;
            t.vector_dim = base::json_int<uint32_t>(scalar.at("Vector"));
        } else {
            std::string name = scalar.get<std::string>();
            bool found = false;
            for (auto s :
                 {ScalarType::kString, ScalarType::kBool, ScalarType::kI32, ScalarType::kI64,
                  ScalarType::kU32, ScalarType::kU64, ScalarType::kF32, ScalarType::kF64,
                  ScalarType::kDate, ScalarType::kDateTime, ScalarType::kBlob})
                if (name == scalar_name(s)) {
                    t.scalar = s;
                    found = true;
                }
            if (!found)
                throw std::runtime_error("unknown scalar type '" + name + "'");
        }
        t.nullable = j.at("nullable").get<bool>();
        t.list = j.at("list").get<bool>();
        if (!j.at("enum_values").is_null())
            t.enum_values = j.at("enum_values").get<std::vector<std::string>>();
        return t;
    }
    static AnnotationValue annotation(const Json& j) {
        AnnotationValue a;
        a.name = j.at("name").get<std::string>();
        if (!j.at("value").is_null())
            a.value = j.at("value").get<std::string>();
        if (j.contains("kwargs"))
            for (auto& [k, v] : j.at("kwargs").items())
                a.kwargs.emplace_back(k, v.get<std::string>());
        return a;
    }
    static std::vector<AnnotationValue> annotations(const Json& j) {
        std::vector<AnnotationValue> out;
        for (const auto& a : j)
            out.push_back(annotation(a));
        return out;
    }
    static std::optional<Bound> bound(const Json& j) {
        if (j.is_null())
            return std::nullopt;
        Bound b;
        if (j.contains("Float")) {
            b.is_float = true;
            b.real = j.at("Float").get<double>();
        } else {
            b.integer = base::json_int<int64_t>(j.at("Integer"));
        }
        return b;
    }
    static IrField field(const Json& j) {
        IrField f;
        std::string kind = j.at("kind").get<std::string>();
        if (kind == "system") {
            f.system = true;
            f.stable_table_id = base::json_int<uint64_t>(j.at("stable_table_id"));
            f.table_type_name = j.at("table_type_name").get<std::string>();
            f.table_incarnation_id = base::json_int<uint64_t>(j.at("table_incarnation_id"));
            f.role = j.at("role").get<std::string>();
        } else if (kind == "property") {
            f.property = property_ref(j);
        } else {
            throw std::runtime_error("unknown field kind '" + kind + "'");
        }
        return f;
    }
    static std::vector<IrConstraint> constraints(const Json& j) {
        std::vector<IrConstraint> out;
        for (const auto& c : j) {
            IrConstraint ic;
            std::string kind = c.at("kind").get<std::string>();
            if (kind == "key" || kind == "unique" || kind == "index") {
                ic.kind = kind == "key"      ? Constraint::Kind::kKey
                          : kind == "unique" ? Constraint::Kind::kUnique
                                             : Constraint::Kind::kIndex;
                for (const auto& f : c.at("fields"))
                    ic.fields.push_back(field(f));
            } else if (kind == "range") {
                ic.kind = Constraint::Kind::kRange;
                ic.field = field(c.at("field"));
                ic.min = bound(c.at("min"));
                ic.max = bound(c.at("max"));
            } else if (kind == "check") {
                ic.kind = Constraint::Kind::kCheck;
                ic.field = field(c.at("field"));
                ic.pattern = c.at("pattern").get<std::string>();
            } else {
                throw std::runtime_error("unknown constraint kind '" + kind + "'");
            }
            out.push_back(std::move(ic));
        }
        return out;
    }
    static std::vector<IrProperty> properties(const Json& j) {
        std::vector<IrProperty> out;
        for (const auto& p : j) {
            IrProperty ip;
            ip.name = p.at("name").get<std::string>();
            ip.property_id = base::json_int<uint64_t>(p.at("property_id"));
            ip.prop_type = prop_type(p.at("prop_type"));
            ip.annotations = annotations(p.at("annotations"));
            for (const auto& c : p.at("property_constraints")) {
                std::string n = c.get<std::string>();
                if (n == "key")
                    ip.property_constraints.push_back(PropertyConstraint::kKey);
                else if (n == "unique")
                    ip.property_constraints.push_back(PropertyConstraint::kUnique);
                else if (n == "index")
                    ip.property_constraints.push_back(PropertyConstraint::kIndex);
                else
                    throw std::runtime_error("unknown property constraint '" + n + "'");
            }
            if (!p.at("embed_source").is_null()) {
                const Json& e = p.at("embed_source");
                IrEmbed embed{property_ref(e.at("source")), std::nullopt};
                if (!e.at("model").is_null())
                    embed.model = e.at("model").get<std::string>();
                ip.embed_source = embed;
            }
            ip.declared_directly = p.at("declared_directly").get<bool>();
            for (const auto& l : p.at("satisfies_interface_properties"))
                ip.satisfies.push_back(property_ref(l));
            out.push_back(std::move(ip));
        }
        return out;
    }
};

bool is_reserved(std::string_view name) {
    for (auto r : {"_rowid", "_rowaddr", "_rowoffset", "_row_created_at_version",
                   "_row_last_updated_at_version"})
        if (name == r)
            return true;
    return false;
}

// The invariants of spec §3.4 that keep ids, names and references consistent.
Status validate_ir(const SchemaIr& ir) {
    auto bad = [](std::string why) { return Error(kInvalid, "invalid accepted SchemaIR: " + why); };
    if (ir.ir_version != 2)
        return bad("unsupported ir_version " + std::to_string(ir.ir_version) + " (expected 2)");
    if (!base::is_ulid(ir.schema_identity_domain))
        return bad("schema_identity_domain '" + ir.schema_identity_domain +
                   "' is not a canonical ULID");
    if (ir.next_identity_id == 0)
        return bad("next_identity_id must be nonzero");
    std::set<uint64_t> ids;
    auto claim = [&](uint64_t id, const std::string& what) -> Status {
        if (id == 0)
            return bad(what + " has id 0");
        if (id >= ir.next_identity_id)
            return bad(what + " has id " + std::to_string(id) + ", not below next_identity_id " +
                       std::to_string(ir.next_identity_id));
        if (!ids.insert(id).second)
            return bad("id " + std::to_string(id) + " is used more than once (" + what + ")");
        return ok();
    };
    auto check_properties = [&](const std::string& owner,
                                const std::vector<IrProperty>& props) -> Status {
        for (size_t i = 0; i < props.size(); ++i) {
            const auto& p = props[i];
            if (i && !(props[i - 1].name < p.name))
                return bad("properties of '" + owner + "' are not sorted and unique at '" + p.name +
                           "'");
            if (is_reserved(p.name))
                return bad("property '" + owner + "." + p.name + "' uses a reserved name");
            OG_CHECK(claim(p.property_id, "property '" + owner + "." + p.name + "'"));
            if (p.prop_type.enum_values &&
                !std::is_sorted(p.prop_type.enum_values->begin(), p.prop_type.enum_values->end()))
                return bad("enum values of '" + owner + "." + p.name + "' are not sorted");
            for (const auto& a : p.annotations)
                if (a.name == "rename_from" || a.name == "embed" || a.name == "key" ||
                    a.name == "unique" || a.name == "index")
                    return bad("property '" + owner + "." + p.name +
                               "' carries structural annotation @" + a.name);
        }
        return ok();
    };
    auto sorted_names = [&](const auto& items, const char* kind) -> Status {
        for (size_t i = 1; i < items.size(); ++i)
            if (!(items[i - 1].name < items[i].name))
                return bad(std::string(kind) + " names are not sorted and unique at '" +
                           items[i].name + "'");
        return ok();
    };
    OG_CHECK(sorted_names(ir.interfaces, "interface"));
    OG_CHECK(sorted_names(ir.nodes, "node"));
    OG_CHECK(sorted_names(ir.edges, "edge"));
    std::map<uint64_t, std::string> node_names, iface_names;
    for (const auto& i : ir.interfaces) {
        OG_CHECK(claim(i.type_id, "interface '" + i.name + "'"));
        OG_CHECK(check_properties(i.name, i.properties));
        iface_names[i.type_id] = i.name;
    }
    for (const auto& n : ir.nodes) {
        OG_CHECK(claim(n.type_id, "node '" + n.name + "'"));
        OG_CHECK(claim(n.table_incarnation_id, "incarnation of node '" + n.name + "'"));
        OG_CHECK(check_properties(n.name, n.properties));
        node_names[n.type_id] = n.name;
    }
    for (const auto& e : ir.edges) {
        OG_CHECK(claim(e.type_id, "edge '" + e.name + "'"));
        OG_CHECK(claim(e.table_incarnation_id, "incarnation of edge '" + e.name + "'"));
        OG_CHECK(check_properties(e.name, e.properties));
    }
    for (const auto& n : ir.nodes)
        for (const auto& r : n.implements)
            if (iface_names.count(r.type_id) == 0 || iface_names[r.type_id] != r.type_name)
                return bad("node '" + n.name + "' implements '" + r.type_name + "' (id " +
                           std::to_string(r.type_id) + "), which is no interface of this IR");
    for (const auto& e : ir.edges)
        for (const auto* r : {&e.from_type, &e.to_type})
            if (node_names.count(r->type_id) == 0 || node_names[r->type_id] != r->type_name)
                return bad("edge '" + e.name + "' endpoint '" + r->type_name + "' (id " +
                           std::to_string(r->type_id) + ") is no node of this IR");
    return ok();
}

} // namespace

Result<SchemaIr> parse_ir(const Json& j) {
    SchemaIr ir;
    try {
        ir.ir_version = base::json_int<uint32_t>(j.at("ir_version"));
        ir.schema_identity_domain = j.at("schema_identity_domain").get<std::string>();
        ir.next_identity_id = base::json_int<uint64_t>(j.at("next_identity_id"));
        for (const auto& i : j.at("interfaces"))
            ir.interfaces.push_back({i.at("name").get<std::string>(),
                                     base::json_int<uint64_t>(i.at("type_id")),
                                     IrReader::properties(i.at("properties"))});
        for (const auto& n : j.at("nodes")) {
            IrNode node;
            node.name = n.at("name").get<std::string>();
            node.type_id = base::json_int<uint64_t>(n.at("type_id"));
            node.table_incarnation_id = base::json_int<uint64_t>(n.at("table_incarnation_id"));
            node.annotations = IrReader::annotations(n.at("annotations"));
            for (const auto& r : n.at("implements"))
                node.implements.push_back(IrReader::type_ref(r));
            node.properties = IrReader::properties(n.at("properties"));
            node.constraints = IrReader::constraints(n.at("constraints"));
            ir.nodes.push_back(std::move(node));
        }
        for (const auto& e : j.at("edges")) {
            IrEdge edge;
            edge.name = e.at("name").get<std::string>();
            edge.type_id = base::json_int<uint64_t>(e.at("type_id"));
            edge.table_incarnation_id = base::json_int<uint64_t>(e.at("table_incarnation_id"));
            edge.from_type = IrReader::type_ref(e.at("from_type"));
            edge.to_type = IrReader::type_ref(e.at("to_type"));
            edge.card_min = base::json_int<uint32_t>(e.at("cardinality").at("min"));
            if (!e.at("cardinality").at("max").is_null())
                edge.card_max = base::json_int<uint32_t>(e.at("cardinality").at("max"));
            edge.annotations = IrReader::annotations(e.at("annotations"));
            edge.properties = IrReader::properties(e.at("properties"));
            edge.constraints = IrReader::constraints(e.at("constraints"));
            ir.edges.push_back(std::move(edge));
        }
    } catch (const std::exception& e) {
        return Error(kInvalid, std::string("invalid accepted SchemaIR: ") + e.what());
    }
    OG_CHECK(validate_ir(ir));
    return ir;
}

} // namespace omnigraph::schema
