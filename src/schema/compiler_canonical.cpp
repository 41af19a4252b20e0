// The end of schema compilation: the validated WorkTypes become the canonical Schema model
// (names sorted, opaque annotations and constraints in canonical order, injected properties
// carrying their interface property's meaning).
#include "schema/compiler_phases.h"

#include <algorithm>

namespace omnigraph::schema::detail {

namespace {

// Annotations with a meaning of their own; everything else is opaque (custom or metadata).
bool is_structural(std::string_view name) {
    return name == "rename_from" || name == "embed" || name == "key" || name == "unique" ||
           name == "index";
}

} // namespace

std::vector<AnnotationValue> Compiler::opaque(const std::vector<DecodedAnnotation>& anns) {
    std::map<std::string, AnnotationValue> sorted;
    for (const auto& a : anns)
        if (!is_structural(a.value.name))
            sorted.emplace(a.value.canonical_json(), a.value);
    std::vector<AnnotationValue> out;
    out.reserve(sorted.size());
    for (auto& [k, v] : sorted)
        out.push_back(v);
    return out;
}
std::vector<AnnotationValue> Compiler::opaque(const WorkProp& p) {
    return opaque(p.annotations);
}

std::optional<EmbedSource> Compiler::embed_of(const WorkProp& p) {
    const DecodedAnnotation* e = p.find("embed");
    if (!e || !e->value.value)
        return std::nullopt;
    EmbedSource src{*e->value.value, std::nullopt};
    for (const auto& [k, v] : e->value.kwargs)
        if (k == "model")
            src.model = v;
    return src;
}

std::optional<std::string> Compiler::rename_of(const std::vector<DecodedAnnotation>& anns) {
    for (const auto& a : anns)
        if (a.value.name == "rename_from" && a.value.value)
            return a.value.value;
    return std::nullopt;
}

PropertyDef Compiler::to_def(const WorkProp& p) {
    // An injected property means what its interface property means.
    const WorkProp& semantic = p.source ? *p.source : p;
    PropertyDef d;
    d.name = p.name;
    d.type = p.type;
    d.annotations = opaque(semantic);
    d.property_constraints = semantic.property_constraints();
    d.embed = embed_of(semantic);
    d.declared_directly = p.declared_directly;
    d.satisfies = p.satisfies;
    std::sort(d.satisfies.begin(), d.satisfies.end());
    d.rename_from = rename_of(p.annotations);
    d.span = p.span;
    return d;
}

std::vector<PropertyDef> Compiler::to_defs(const std::vector<WorkProp>& props) {
    std::vector<PropertyDef> out;
    out.reserve(props.size());
    for (const auto& p : props)
        out.push_back(to_def(p));
    std::sort(out.begin(), out.end(),
              [](const PropertyDef& a, const PropertyDef& b) { return a.name < b.name; });
    return out;
}

std::vector<Constraint> Compiler::canonical_constraints(const WorkType& t) const {
    std::map<std::string, Constraint> sorted;
    for (auto w : all_constraints(t)) {
        auto& cols = w.constraint.columns;
        std::sort(cols.begin(), cols.end());
        cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
        sorted.emplace(w.constraint.sort_key(), w.constraint);
    }
    std::vector<Constraint> out;
    out.reserve(sorted.size());
    for (auto& [k, c] : sorted)
        out.push_back(c);
    return out;
}

Schema Compiler::build() {
    Schema s;
    for (const auto& t : types_) {
        switch (t.kind) {
        case WorkType::Kind::kInterface:
            s.interfaces.push_back({t.name, to_defs(t.properties), t.span});
            break;
        case WorkType::Kind::kNode: {
            NodeDef n;
            n.name = t.name;
            n.annotations = opaque(t.annotations);
            for (const auto& [name, span] : t.implements)
                n.implements.push_back(name);
            std::sort(n.implements.begin(), n.implements.end());
            n.implements.erase(std::unique(n.implements.begin(), n.implements.end()),
                               n.implements.end());
            n.properties = to_defs(t.properties);
            n.constraints = canonical_constraints(t);
            n.rename_from = rename_of(t.annotations);
            n.span = t.span;
            s.nodes.push_back(std::move(n));
            break;
        }
        case WorkType::Kind::kEdge: {
            EdgeDef e;
            e.name = t.name;
            e.from_type = t.from_type;
            e.to_type = t.to_type;
            e.card_min = t.card_min;
            e.card_max = t.card_max;
            e.annotations = opaque(t.annotations);
            e.properties = to_defs(t.properties);
            e.constraints = canonical_constraints(t);
            e.rename_from = rename_of(t.annotations);
            e.span = t.span;
            s.edges.push_back(std::move(e));
            break;
        }
        }
    }
    auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
    std::sort(s.interfaces.begin(), s.interfaces.end(), by_name);
    std::sort(s.nodes.begin(), s.nodes.end(), by_name);
    std::sort(s.edges.begin(), s.edges.end(), by_name);
    s.warnings = std::move(warnings_);
    s.source_file = file_;
    return s;
}

} // namespace omnigraph::schema::detail
