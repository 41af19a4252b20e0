// Phase 3 of schema compilation: nodes take the properties of the interfaces they implement
// (injected copies, or links from a direct re-declaration of the same type).
#include "schema/compiler_phases.h"

#include <algorithm>

namespace omnigraph::schema::detail {

// First declaration of that kind and name (duplicates are reported in phase 6).
WorkType* Compiler::find_type(WorkType::Kind kind, std::string_view name) {
    if (type_index_.empty())
        for (auto& t : types_)
            type_index_.emplace(std::pair(static_cast<int>(t.kind), t.name), &t);
    auto it = type_index_.find(std::pair(static_cast<int>(kind), std::string(name)));
    return it == type_index_.end() ? nullptr : it->second;
}

Status Compiler::resolve_interfaces(WorkType& node) {
    // Direct properties are declared before anything is injected.
    size_t direct = node.properties.size();
    std::set<std::string> seen;
    for (const auto& [iface_name, span] : node.implements) {
        if (!seen.insert(iface_name).second)
            continue; // "implements I, I" is "implements I"
        WorkType* iface = find_type(WorkType::Kind::kInterface, iface_name);
        if (!iface)
            return err("PG-IFC-001",
                       "node '" + node.name + "' implements unknown interface '" + iface_name + "'",
                       span);
        for (const auto& ip : iface->properties) {
            WorkProp* existing = node.find_property(ip.name);
            if (existing && existing->type != ip.type)
                return err("PG-IFC-002",
                           "property '" + node.name + "." + ip.name + "' has type " +
                               existing->type.display() + " but interface '" + iface->name +
                               "' declares it as " + ip.type.display(),
                           existing - &node.properties[0] < static_cast<ptrdiff_t>(direct)
                               ? existing->span
                               : span);
            InterfacePropertyRef link{iface->name, ip.name};
            if (existing) {
                existing->satisfies.push_back(link);
                continue;
            }
            WorkProp injected = ip;
            injected.declared_directly = false;
            injected.satisfies = {link};
            injected.source = &ip;
            injected.source_interface = iface->name;
            injected.span = span;
            node.properties.push_back(std::move(injected));
        }
    }
    // Q9: a direct re-declaration does not inherit the interface's constraint annotations.
    for (size_t i = 0; i < direct; ++i) {
        auto& p = node.properties[i];
        for (const auto& link : p.satisfies) {
            WorkType* iface = find_type(WorkType::Kind::kInterface, link.owner);
            WorkProp* ip = iface ? iface->find_property(link.property) : nullptr;
            if (!ip)
                continue;
            auto inherited = ip->property_constraints();
            auto own = p.property_constraints();
            // Warn only when something the interface declares is actually lost.
            if (!std::includes(own.begin(), own.end(), inherited.begin(), inherited.end()))
                warn("PG-W-003",
                     "property '" + node.name + "." + p.name +
                         "' is declared directly, so it "
                         "does not inherit the @key/@unique/@index of interface property '" +
                         link.owner + "." + link.property + "'",
                     p.span);
        }
    }
    return ok();
}

} // namespace omnigraph::schema::detail
