// check_identity_guards (plan.h, spec schema-language §4.1, PG-EVO-008): what every id of the
// two IRs identifies, and the rules that keep it the same from the accepted to the desired IR.
#include "schema/plan.h"

#include <map>

namespace omnigraph::schema {

namespace {

// Every id of an IR with what it identifies ("type:node", "property:Person", "incarnation").
std::map<uint64_t, std::string> identity_kinds(const SchemaIr& ir) {
    std::map<uint64_t, std::string> out;
    auto props = [&](const std::string& owner, uint64_t owner_id,
                     const std::vector<IrProperty>& ps) {
        for (const auto& p : ps)
            out[p.property_id] = "property of " + std::to_string(owner_id) + " (" + owner + ")";
    };
    for (const auto& i : ir.interfaces) {
        out[i.type_id] = "interface";
        props(i.name, i.type_id, i.properties);
    }
    for (const auto& n : ir.nodes) {
        out[n.type_id] = "node";
        out[n.table_incarnation_id] = "incarnation of " + std::to_string(n.type_id);
        props(n.name, n.type_id, n.properties);
    }
    for (const auto& e : ir.edges) {
        out[e.type_id] = "edge";
        out[e.table_incarnation_id] = "incarnation of " + std::to_string(e.type_id);
        props(e.name, e.type_id, e.properties);
    }
    return out;
}

} // namespace

// The planner's identity guards (spec §4.1, PG-EVO-008): a kept id keeps what it identifies
// (kind, owner, table), and a new id is never one the accepted IR already retired.
Status check_identity_guards(const SchemaIr& accepted, const SchemaIr& desired) {
    auto before = identity_kinds(accepted);
    for (const auto& [id, kind] : identity_kinds(desired)) {
        auto it = before.find(id);
        if (it == before.end()) {
            if (id < accepted.next_identity_id)
                return Error("PG-EVO-008",
                             "identity " + std::to_string(id) +
                                 " was retired by the accepted schema and cannot be reused");
            continue;
        }
        if (it->second.substr(0, it->second.find(" (")) != kind.substr(0, kind.find(" (")))
            return Error("PG-EVO-008", "identity " + std::to_string(id) + " changes from " +
                                           it->second + " to " + kind);
    }
    return ok();
}

} // namespace omnigraph::schema
