// Migration planning (plan.h, spec schema-language §4.2): the accepted and the desired IR
// compared id by id — types, then their properties and constraints — into ordered steps, with
// every change v1 cannot carry out reported as unsupported. The identity guards that run first
// are in plan_identity.cpp; the step output (JSON and human lines) in plan_render.cpp.
#include "schema/plan.h"

#include "base/text.h"
#include "schema/shape.h"

#include <algorithm>
#include <set>

namespace omnigraph::schema {

using Kind = MigrationStep::Kind;

namespace {

constexpr const char* kV1 = " is not supported in schema migration v1";

bool is_metadata(const AnnotationValue& a) {
    return a.name == "description" || a.name == "instruction";
}

std::vector<AnnotationValue> metadata_of(const std::vector<AnnotationValue>& anns) {
    std::vector<AnnotationValue> out;
    for (const auto& a : anns)
        if (is_metadata(a))
            out.push_back(a);
    return out;
}

std::vector<AnnotationValue> other_of(const std::vector<AnnotationValue>& anns) {
    std::vector<AnnotationValue> out;
    for (const auto& a : anns)
        if (!is_metadata(a))
            out.push_back(a);
    return out;
}

std::vector<uint64_t> link_ids(const std::vector<PropertyRef>& links) {
    std::vector<uint64_t> ids;
    ids.reserve(links.size());
    for (const auto& l : links)
        ids.push_back(l.property_id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

class Planner {
  public:
    Planner(const SchemaIr& accepted, const SchemaIr& desired, bool hard)
        : accepted_(accepted), desired_(desired), hard_(hard) {}

    MigrationPlan run() {
        plan_interfaces();
        plan_nodes();
        plan_edges();
        if (plan_.steps.empty() && !(accepted_ == desired_))
            unsupported("schema", "unclassified schema change" + std::string(kV1));
        for (const auto& s : plan_.steps)
            if (s.kind == Kind::kUnsupported)
                plan_.supported = false;
        return std::move(plan_);
    }

  private:
    void unsupported(std::string entity, std::string reason, std::string code = {}) {
        MigrationStep s;
        s.kind = Kind::kUnsupported;
        s.entity = std::move(entity);
        s.reason = std::move(reason);
        s.code = std::move(code);
        plan_.steps.push_back(std::move(s));
    }
    void push(MigrationStep s) { plan_.steps.push_back(std::move(s)); }

    MigrationStep type_step(Kind kind, const std::string& type_kind, const std::string& name) {
        MigrationStep s;
        s.kind = kind;
        s.type_kind = type_kind;
        s.name = name;
        return s;
    }

    template <class T> static const T* by_id(const std::vector<T>& items, uint64_t id) {
        for (const auto& i : items)
            if (i.type_id == id)
                return &i;
        return nullptr;
    }
    template <class T> static std::set<uint64_t> ids(const std::vector<T>& items) {
        std::set<uint64_t> out;
        for (const auto& i : items)
            out.insert(i.type_id);
        return out;
    }

    void plan_interfaces() {
        auto desired_ids = ids(desired_.interfaces);
        for (const auto& d : desired_.interfaces) {
            const IrInterface* a = by_id(accepted_.interfaces, d.type_id);
            if (!a) {
                push(type_step(Kind::kAddType, "interface", d.name));
                continue;
            }
            if (a->name != d.name)
                unsupported("interface:" + d.name,
                            "renaming interface '" + a->name + "' to '" + d.name + "'" + kV1);
            plan_properties("interface", d.name, a->properties, d.properties);
        }
        for (const auto& a : accepted_.interfaces)
            if (!desired_ids.count(a.type_id))
                unsupported("interface:" + a.name, "removing interface '" + a.name + "'" + kV1);
    }

    void plan_nodes() {
        auto desired_ids = ids(desired_.nodes);
        for (const auto& d : desired_.nodes) {
            const IrNode* a = by_id(accepted_.nodes, d.type_id);
            if (!a) {
                push(type_step(Kind::kAddType, "node", d.name));
                continue;
            }
            plan_rename("node", *a, d);
            std::set<uint64_t> ai, di;
            for (const auto& r : a->implements)
                ai.insert(r.type_id);
            for (const auto& r : d.implements)
                di.insert(r.type_id);
            if (ai != di)
                unsupported("node:" + d.name,
                            "changing implemented interfaces of '" + d.name + "'" + kV1);
            plan_type_metadata("node", d.name, a->annotations, d.annotations);
            plan_properties("node", d.name, a->properties, d.properties);
            plan_constraints("node", d.name, a->constraints, d.constraints);
        }
        for (const auto& a : accepted_.nodes)
            if (!desired_ids.count(a.type_id))
                push(drop_type("node", a.name));
    }

    void plan_edges() {
        auto desired_ids = ids(desired_.edges);
        for (const auto& d : desired_.edges) {
            const IrEdge* a = by_id(accepted_.edges, d.type_id);
            if (!a) {
                push(type_step(Kind::kAddType, "edge", d.name));
                continue;
            }
            plan_rename("edge", *a, d);
            if (a->from_type.type_id != d.from_type.type_id ||
                a->to_type.type_id != d.to_type.type_id)
                unsupported("edge:" + d.name, "changing edge endpoints of '" + d.name + "'" + kV1);
            if (a->card_min != d.card_min || a->card_max != d.card_max)
                unsupported("edge:" + d.name, "changing cardinality of '" + d.name + "'" + kV1);
            plan_type_metadata("edge", d.name, a->annotations, d.annotations);
            plan_properties("edge", d.name, a->properties, d.properties);
            plan_constraints("edge", d.name, a->constraints, d.constraints);
        }
        for (const auto& a : accepted_.edges)
            if (!desired_ids.count(a.type_id))
                push(drop_type("edge", a.name));
    }

    template <class T> void plan_rename(const char* type_kind, const T& a, const T& d) {
        if (a.name == d.name)
            return;
        MigrationStep s;
        s.kind = Kind::kRenameType;
        s.type_kind = type_kind;
        s.from = a.name;
        s.to = d.name;
        push(std::move(s));
    }

    MigrationStep drop_type(const char* type_kind, const std::string& name) {
        MigrationStep s = type_step(Kind::kDropType, type_kind, name);
        s.hard = hard_;
        return s;
    }

    // Returns false when the annotations changed beyond metadata (reported as unsupported).
    void plan_type_metadata(const char* type_kind, const std::string& name,
                            const std::vector<AnnotationValue>& a,
                            const std::vector<AnnotationValue>& d) {
        std::string entity = std::string(type_kind) + ":" + name;
        if (other_of(a) != other_of(d)) {
            unsupported(entity, "changing annotations beyond @description/@instruction on '" +
                                    name + "'" + kV1);
            return;
        }
        if (metadata_of(a) != metadata_of(d)) {
            MigrationStep s = type_step(Kind::kUpdateTypeMetadata, type_kind, name);
            s.annotations = metadata_of(d);
            push(std::move(s));
        }
    }

    void plan_properties(const char* type_kind, const std::string& owner,
                         const std::vector<IrProperty>& accepted,
                         const std::vector<IrProperty>& desired) {
        std::set<uint64_t> desired_ids;
        for (const auto& d : desired) {
            desired_ids.insert(d.property_id);
            const IrProperty* a = nullptr;
            for (const auto& ap : accepted)
                if (ap.property_id == d.property_id)
                    a = &ap;
            std::string qualified = owner + "." + d.name;
            std::string entity = std::string(type_kind) + ":" + qualified;
            if (!a) {
                if (!d.prop_type.nullable) {
                    unsupported(entity,
                                "adding required property '" + qualified + "' (" +
                                    render_plan_type(d.prop_type) + ") without a default" + kV1,
                                "OG-MF-103");
                    continue;
                }
                MigrationStep s;
                s.kind = Kind::kAddProperty;
                s.type_kind = type_kind;
                s.type_name = owner;
                s.property_name = d.name;
                s.property_type = d.prop_type;
                push(std::move(s));
                continue;
            }
            plan_kept_property(type_kind, owner, *a, d);
        }
        for (const auto& a : accepted) {
            if (desired_ids.count(a.property_id))
                continue;
            MigrationStep s;
            s.kind = Kind::kDropProperty;
            s.type_kind = type_kind;
            s.type_name = owner;
            s.property_name = a.name;
            s.hard = hard_;
            push(std::move(s));
        }
    }

    void plan_kept_property(const char* type_kind, const std::string& owner, const IrProperty& a,
                            const IrProperty& d) {
        std::string qualified = owner + "." + d.name;
        std::string entity = std::string(type_kind) + ":" + qualified;
        if (a.name != d.name) {
            MigrationStep s;
            s.kind = Kind::kRenameProperty;
            s.type_kind = type_kind;
            s.type_name = owner;
            s.from = a.name;
            s.to = d.name;
            push(std::move(s));
        }
        if (a.prop_type != d.prop_type) {
            const PropType& x = a.prop_type;
            const PropType& y = d.prop_type;
            bool widening = x.enum_values && y.enum_values && x.nullable == y.nullable &&
                            x.list == y.list &&
                            std::includes(y.enum_values->begin(), y.enum_values->end(),
                                          x.enum_values->begin(), x.enum_values->end());
            if (widening) {
                MigrationStep s;
                s.kind = Kind::kExtendEnum;
                s.type_kind = type_kind;
                s.type_name = owner;
                s.property_name = d.name;
                for (const auto& v : *y.enum_values)
                    if (!std::binary_search(x.enum_values->begin(), x.enum_values->end(), v))
                        s.added_values.push_back(v);
                push(std::move(s));
            } else {
                unsupported(entity,
                            "changing property type for '" + qualified + "' from " +
                                render_plan_type(x) + " to " + render_plan_type(y) + kV1,
                            "OG-MF-106");
            }
        }
        auto embed_key = [](const IrProperty& p) {
            return p.embed_source ? std::to_string(p.embed_source->source.property_id) + "|" +
                                        p.embed_source->model.value_or("\x01")
                                  : std::string();
        };
        if (embed_key(a) != embed_key(d))
            unsupported(entity, "changing @embed source or model of '" + qualified + "'" + kV1);
        std::set<PropertyConstraint> ac(a.property_constraints.begin(),
                                        a.property_constraints.end());
        std::set<PropertyConstraint> dc(d.property_constraints.begin(),
                                        d.property_constraints.end());
        if (!std::includes(dc.begin(), dc.end(), ac.begin(), ac.end()))
            unsupported(entity, "removing property constraints from '" + qualified + "'" + kV1);
        for (auto c : dc) {
            if (ac.count(c))
                continue;
            if (c == PropertyConstraint::kIndex) {
                MigrationStep s;
                s.kind = Kind::kAddConstraint;
                s.type_kind = type_kind;
                s.type_name = owner;
                s.index_columns = {d.name};
                push(std::move(s));
            } else {
                unsupported(entity, std::string("adding property-level @") +
                                        property_constraint_name(c) + " to '" + qualified + "'" +
                                        kV1);
            }
        }
        if (a.declared_directly != d.declared_directly)
            unsupported(entity, "changing declaration provenance of '" + qualified + "'" + kV1);
        if (link_ids(a.satisfies) != link_ids(d.satisfies))
            unsupported(entity,
                        "changing interface satisfaction links of '" + qualified + "'" + kV1);
        if (other_of(a.annotations) != other_of(d.annotations)) {
            unsupported(entity, "changing annotations beyond @description/@instruction on '" +
                                    qualified + "'" + kV1);
        } else if (metadata_of(a.annotations) != metadata_of(d.annotations)) {
            MigrationStep s;
            s.kind = Kind::kUpdatePropertyMetadata;
            s.type_kind = type_kind;
            s.type_name = owner;
            s.property_name = d.name;
            s.annotations = metadata_of(d.annotations);
            push(std::move(s));
        }
    }

    void plan_constraints(const char* type_kind, const std::string& owner,
                          const std::vector<IrConstraint>& accepted,
                          const std::vector<IrConstraint>& desired) {
        std::set<std::string> ak, dk;
        for (const auto& c : accepted)
            ak.insert(c.identity_key());
        for (const auto& c : desired)
            dk.insert(c.identity_key());
        std::string entity = std::string(type_kind) + ":" + owner;
        for (const auto& k : ak)
            if (!dk.count(k)) {
                unsupported(entity, "removing constraints from '" + owner + "'" + kV1);
                break;
            }
        for (const auto& c : desired) {
            std::string key = c.identity_key();
            if (ak.count(key))
                continue;
            if (c.kind != Constraint::Kind::kIndex) {
                unsupported(entity,
                            base::concat("adding constraint '", key, "' to '", owner, "'", kV1));
                continue;
            }
            MigrationStep s;
            s.kind = Kind::kAddConstraint;
            s.type_kind = type_kind;
            s.type_name = owner;
            for (const auto& f : c.fields)
                s.index_columns.push_back(f.name());
            if (std::find(plan_.steps.begin(), plan_.steps.end(), s) == plan_.steps.end())
                push(std::move(s));
        }
    }

    const SchemaIr& accepted_;
    const SchemaIr& desired_;
    bool hard_;
    MigrationPlan plan_;
};

} // namespace

Result<MigrationPlan> plan_migration(const SchemaIr& accepted, const SchemaIr& desired,
                                     bool allow_data_loss) {
    if (accepted.schema_identity_domain != desired.schema_identity_domain)
        return Error("PG-EVO-008", "cannot plan between schemas of different identity domains ('" +
                                       accepted.schema_identity_domain + "' and '" +
                                       desired.schema_identity_domain + "')");
    if (desired.next_identity_id < accepted.next_identity_id)
        return Error("PG-EVO-008", "the desired schema's identity allocator went backwards");
    OG_CHECK(check_identity_guards(accepted, desired));
    Planner planner(accepted, desired, allow_data_loss);
    return planner.run();
}

} // namespace omnigraph::schema
