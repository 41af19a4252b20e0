#include "schema/ir.h"

#include "base/digest.h"
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

    const DesiredType& desired_type(Kind kind, const std::string& name) const {
        for (const auto& t : types_)
            if (t.kind == kind && *t.name == name)
                return t;
        return types_.front(); // unreachable: the compiler resolved every reference
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
    std::vector<AcceptedType> accepted_types_;
    uint64_t counter_ = 1;
    IrBuild out_;
};

// ---- JSON -----------------------------------------------------------------------------

Json type_ref_json(const TypeIdRef& r) {
    Json j;
    j["type_id"] = r.type_id;
    j["type_name"] = r.type_name;
    return j;
}

Json property_ref_json(const PropertyRef& r) {
    Json j;
    j["owner_type_id"] = r.owner_type_id;
    j["owner_type_name"] = r.owner_type_name;
    j["property_id"] = r.property_id;
    j["property_name"] = r.property_name;
    return j;
}

Json field_json(const IrField& f) {
    Json j;
    if (f.system) {
        j["kind"] = "system";
        j["stable_table_id"] = f.stable_table_id;
        j["table_type_name"] = f.table_type_name;
        j["table_incarnation_id"] = f.table_incarnation_id;
        j["role"] = f.role;
        return j;
    }
    j["kind"] = "property";
    Json ref = property_ref_json(f.property); // a named local: items() does not extend lifetimes
    for (auto& [k, v] : ref.items())
        j[k] = v;
    return j;
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

Json constraint_json(const IrConstraint& c) {
    Json j;
    j["kind"] = constraint_kind_name(c.kind);
    switch (c.kind) {
    case Constraint::Kind::kKey:
    case Constraint::Kind::kUnique:
    case Constraint::Kind::kIndex: {
        Json fields = Json::array();
        for (const auto& f : c.fields)
            fields.push_back(field_json(f));
        j["fields"] = fields;
        break;
    }
    case Constraint::Kind::kRange:
        j["field"] = field_json(c.field);
        j["min"] = bound_json(c.min);
        j["max"] = bound_json(c.max);
        break;
    case Constraint::Kind::kCheck:
        j["field"] = field_json(c.field);
        j["pattern"] = c.pattern;
        break;
    }
    return j;
}

Json annotations_json(const std::vector<AnnotationValue>& anns) {
    Json out = Json::array();
    for (const auto& a : anns)
        out.push_back(annotation_json(a));
    return out;
}

Json properties_json(const std::vector<IrProperty>& props) {
    Json out = Json::array();
    for (const auto& p : props) {
        Json j;
        j["name"] = p.name;
        j["property_id"] = p.property_id;
        j["prop_type"] = prop_type_json(p.prop_type);
        j["annotations"] = annotations_json(p.annotations);
        Json pcs = Json::array();
        for (auto c : p.property_constraints)
            pcs.push_back(property_constraint_name(c));
        j["property_constraints"] = pcs;
        if (p.embed_source) {
            Json e;
            e["source"] = property_ref_json(p.embed_source->source);
            e["model"] = p.embed_source->model ? Json(*p.embed_source->model) : Json(nullptr);
            j["embed_source"] = e;
        } else {
            j["embed_source"] = nullptr;
        }
        j["declared_directly"] = p.declared_directly;
        Json links = Json::array();
        for (const auto& l : p.satisfies)
            links.push_back(property_ref_json(l));
        j["satisfies_interface_properties"] = links;
        out.push_back(j);
    }
    return out;
}

Json constraints_json(const std::vector<IrConstraint>& cs) {
    Json out = Json::array();
    for (const auto& c : cs)
        out.push_back(constraint_json(c));
    return out;
}

} // namespace

Result<IrBuild> build_ir(const Schema& desired, const SchemaIr* accepted, std::string_view domain) {
    IrBuilder builder(desired, accepted, domain);
    return builder.run();
}

Json ir_json(const SchemaIr& ir) {
    Json j;
    j["ir_version"] = ir.ir_version;
    j["schema_identity_domain"] = ir.schema_identity_domain;
    j["next_identity_id"] = ir.next_identity_id;
    Json interfaces = Json::array();
    for (const auto& i : ir.interfaces) {
        Json o;
        o["name"] = i.name;
        o["type_id"] = i.type_id;
        o["properties"] = properties_json(i.properties);
        interfaces.push_back(o);
    }
    Json nodes = Json::array();
    for (const auto& n : ir.nodes) {
        Json o;
        o["name"] = n.name;
        o["type_id"] = n.type_id;
        o["table_incarnation_id"] = n.table_incarnation_id;
        o["annotations"] = annotations_json(n.annotations);
        Json impl = Json::array();
        for (const auto& r : n.implements)
            impl.push_back(type_ref_json(r));
        o["implements"] = impl;
        o["properties"] = properties_json(n.properties);
        o["constraints"] = constraints_json(n.constraints);
        nodes.push_back(o);
    }
    Json edges = Json::array();
    for (const auto& e : ir.edges) {
        Json o;
        o["name"] = e.name;
        o["type_id"] = e.type_id;
        o["table_incarnation_id"] = e.table_incarnation_id;
        o["from_type"] = type_ref_json(e.from_type);
        o["to_type"] = type_ref_json(e.to_type);
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

std::string ir_hash(const SchemaIr& ir) {
    return "sha256:" + base::sha256_hex(base::to_canonical_json(ir_json(ir)));
}

} // namespace omnigraph::schema
