// Type checking mutation statements: the target type, assignments, required properties and edge
// endpoints on insert, and the where predicate of update and delete.
#include "query/type_checker.h"

#include <algorithm>
#include <set>

namespace omnigraph::query::detail {

void Checker::check_mutations() {
    bool writes = false, deletes = false;
    for (const auto& m : q_.mutations)
        (m.kind == Mutation::Kind::kDelete ? deletes : writes) = true;
    for (const auto& m : q_.mutations)
        mutation(m);
    if (writes && deletes)
        fail(kQueryTypeError,
             "a mutation cannot mix inserts/updates and deletes; split into separate "
             "mutations",
             q_.pos);
}

void Checker::mutation(const Mutation& m) {
    const schema::NodeCatalog* node = catalog_.find_node(m.type);
    const schema::EdgeCatalog* edge = node ? nullptr : catalog_.find_edge(m.type);
    if (m.kind == Mutation::Kind::kUpdate && !node && edge)
        fail("T16", "update works on node types only; `" + m.type + "` is an edge type", m.pos);
    if (!node && !edge)
        fail("T10", "unknown type `" + m.type + "`", m.pos);
    if (m.kind != Mutation::Kind::kDelete && m.assignments.empty())
        fail("T10", "`" + m.type + "` needs at least one assignment", m.pos);
    const auto& props = node ? node->properties : edge->properties;
    std::set<std::string> assigned;
    for (const auto& a : m.assignments) {
        if (!assigned.insert(a.property).second)
            fail("T13", "property `" + a.property + "` is assigned twice", a.pos);
        bool endpoint = edge && (a.property == "from" || a.property == "to");
        if (endpoint) {
            match_value(a.value, scalar_of(ScalarType::kString), false, a.property, "T3", "T7");
            continue;
        }
        auto p = props.find(a.property);
        if (p == props.end())
            fail("T11", "type `" + m.type + "` has no property `" + a.property + "`", a.pos);
        if (m.kind == Mutation::Kind::kUpdate && node->key &&
            std::count(node->key->begin(), node->key->end(), a.property))
            fail(kQueryTypeError,
                 "cannot update @key property `" + a.property + "` of `" + node->name +
                     "`; delete and re-insert instead",
                 a.pos);
        match_value(a.value, p->second, false, a.property, "T3", "T7");
    }
    if (m.kind == Mutation::Kind::kInsert) {
        if (edge) {
            for (const char* end : {"from", "to"})
                if (!assigned.count(end))
                    fail("T12", "insert into edge `" + edge->name + "` needs `" + end + "`", m.pos);
        }
        for (const auto& [name, type] : props) {
            if (type.nullable || assigned.count(name))
                continue;
            if (node) {
                // A non-nullable @embed target may be left out when its source is supplied: the
                // write computes it with the graph's embedding provider (spec §1.9).
                auto embed = node->embed_sources.find(name);
                if (embed != node->embed_sources.end()) {
                    if (assigned.count(embed->second.property))
                        continue;
                    fail("T12",
                         "insert into `" + m.type + "` misses required property `" + name +
                             "` (or its @embed source `" + embed->second.property + "`)",
                         m.pos);
                }
            }
            fail("T12", "insert into `" + m.type + "` misses required property `" + name + "`",
                 m.pos);
        }
    }
    if (m.kind != Mutation::Kind::kInsert) {
        bool endpoint = edge && (m.where_property == "from" || m.where_property == "to");
        PropType want = scalar_of(ScalarType::kString);
        if (!endpoint) {
            auto p = props.find(m.where_property);
            if (p == props.end())
                fail("T11", "type `" + m.type + "` has no property `" + m.where_property + "`",
                     m.where_pos);
            if (is_blob(p->second))
                fail("T11", "Blob property `" + m.where_property + "` cannot be compared",
                     m.where_pos);
            want = p->second;
            if (want.list || is_vector(want))
                fail("T7", "a where predicate needs a scalar property", m.where_pos);
        }
        match_value(m.where_value, want, false, m.where_property, "T3", "T7");
    }
}

} // namespace omnigraph::query::detail
