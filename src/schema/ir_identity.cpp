// Identity for the IR (spec schema-language §3.5): which accepted declaration each desired type
// and property continues (same name first, then @rename_from, with the PG-EVO-* errors and
// PG-W-* warnings), and fresh ids from the graph's one allocator for everything else.
#include "base/text.h"
#include "schema/ir_builder.h"

#include <algorithm>
#include <set>

namespace omnigraph::schema::detail {

namespace {

const char* kind_name(Kind k) {
    return k == Kind::kInterface ? "interface" : k == Kind::kNode ? "node" : "edge";
}

} // namespace

Result<uint64_t> IrBuilder::allocate() {
    if (counter_ == UINT64_MAX)
        return Error("PG-EVO-008", "schema identity allocator exhausted");
    return counter_++;
}

void IrBuilder::collect() {
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

const AcceptedType* IrBuilder::find_accepted(Kind kind, const std::string& name) const {
    for (const auto& a : accepted_types_)
        if (a.kind == kind && a.name == name)
            return &a;
    return nullptr;
}

Status IrBuilder::resolve_types() {
    std::set<const AcceptedType*> consumed;
    for (auto& t : types_) { // exact names first: they win over hints
        if (const AcceptedType* a = find_accepted(t.kind, *t.name)) {
            t.accepted = a;
            consumed.insert(a);
            if (*t.rename_from)
                warn("PG-W-002",
                     "@rename_from(\"" + **t.rename_from + "\") on " + kind_name(t.kind) + " '" +
                         *t.name +
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
                 base::concat("@rename_from(\"", old, "\") on ", target,
                              " is ignored: a new graph has no accepted declarations"),
                 t.span);
            continue;
        }
        const AcceptedType* a = find_accepted(t.kind, old);
        if (!a) {
            for (Kind other : {Kind::kInterface, Kind::kNode, Kind::kEdge})
                if (other != t.kind && find_accepted(other, old))
                    return error("PG-EVO-002",
                                 base::concat(target, " declares @rename_from(\"", old, "\") but '",
                                              old, "' is a ", kind_name(other),
                                              "; renames across declaration kinds are not "
                                              "supported"),
                                 t.span);
            return error("PG-EVO-001",
                         base::concat(target, " declares @rename_from(\"", old,
                                      "\") but no accepted declaration has that name"),
                         t.span);
        }
        if (!consumed.insert(a).second)
            return error("PG-EVO-003",
                         base::concat("accepted ", kind_name(t.kind), " '", old,
                                      "' is consumed by more than one desired declaration"),
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

Status IrBuilder::allocate_types() {
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

Status IrBuilder::resolve_properties() {
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
                         "@rename_from(\"" + *p.rename_from + "\") on property '" + owner + "." +
                             p.name +
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
                         "@rename_from(\"" + *p.rename_from + "\") on property '" + owner + "." +
                             p.name +
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
                             "property '" + owner + "." + p.name + "' declares @rename_from(\"" +
                                 *p.rename_from +
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

Status IrBuilder::allocate_properties() {
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

Status IrBuilder::allocate_incarnations() {
    std::vector<DesiredType*> tables;
    for (auto& t : types_)
        if (t.kind != Kind::kInterface && t.incarnation == 0)
            tables.push_back(&t);
    std::sort(tables.begin(), tables.end(),
              [](const DesiredType* a, const DesiredType* b) { return a->type_id < b->type_id; });
    for (auto* t : tables)
        t->incarnation = OG_TRY(allocate());
    return ok();
}

} // namespace omnigraph::schema::detail
