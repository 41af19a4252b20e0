// The IR's own methods (ir.h). Building it is in ir_build.cpp and ir_identity.cpp, its JSON in
// ir_json.cpp and ir_read.cpp, the projection back to a Schema in ir_projection.cpp.
#include "schema/ir.h"

#include <algorithm>

namespace omnigraph::schema {

std::string IrConstraint::identity_key() const {
    auto field_key = [](const IrField& f) {
        return f.system ? "sys:" + std::to_string(f.stable_table_id) + ":" + f.role
                        : "prop:" + std::to_string(f.property.property_id);
    };
    Constraint c;
    c.kind = kind;
    std::vector<std::string> cols;
    cols.reserve(fields.size());
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

} // namespace omnigraph::schema
