// parse_ir (ir.h): reading _schema.ir.json back, then checking the spec §3.4 invariants that
// keep an accepted IR usable (PG-IRV-002).
#include "base/json.h"
#include "base/ulid.h"
#include "schema/ir.h"
#include "schema/shape.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::schema {

using base::Json;

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
    auto bad = [](const std::string& why) {
        return Error(kInvalid, "invalid accepted SchemaIR: " + why);
    };
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
