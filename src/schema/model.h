// The validated schema: what a `.pg` file means, in canonical order (spec schema-language §3.2,
// "SchemaShape"). Interfaces, nodes, edges and every type's properties are sorted by name;
// enum values, implements lists and constraint columns are sorted and de-duplicated; property
// annotations hold only the opaque ones. Side fields (spans, @rename_from hints) do not take
// part in the shape. Plain values; thread-compatible.
#pragma once

#include "schema/ast.h"
#include "schema/diagnostic.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace omnigraph::schema {

struct PropType {
    ScalarType scalar = ScalarType::kString;
    uint32_t vector_dim = 0; // kVector only
    bool nullable = false;
    bool list = false;
    std::optional<std::vector<std::string>> enum_values; // sorted, unique; scalar is kString

    friend bool operator==(const PropType&, const PropType&) = default;
    // "I32", "[String]?", "Vector(3)", "enum(a, b)?".
    std::string display() const;
    bool is_numeric() const; // the six int/float scalars, not lists
};

// A decoded annotation: name, positional value and kwargs (kwargs sorted by key).
struct AnnotationValue {
    std::string name;
    std::optional<std::string> value;
    std::vector<std::pair<std::string, std::string>> kwargs;

    friend bool operator==(const AnnotationValue&, const AnnotationValue&) = default;
    std::string canonical_json() const; // also the sort key of opaque annotations
};

enum class PropertyConstraint { kKey, kUnique, kIndex }; // declaration order = sort order

struct EmbedSource {
    std::string property;
    std::optional<std::string> model;
    friend bool operator==(const EmbedSource&, const EmbedSource&) = default;
};

struct InterfacePropertyRef {
    std::string owner;    // interface name
    std::string property; // property name
    friend bool operator==(const InterfacePropertyRef&, const InterfacePropertyRef&) = default;
    friend auto operator<=>(const InterfacePropertyRef&, const InterfacePropertyRef&) = default;
};

struct PropertyDef {
    std::string name;
    PropType type;
    std::vector<AnnotationValue> annotations; // opaque only, sorted by canonical JSON, unique
    std::vector<PropertyConstraint> property_constraints; // sorted, unique
    std::optional<EmbedSource> embed;
    bool declared_directly = true;
    std::vector<InterfacePropertyRef> satisfies; // sorted
    // Side fields.
    std::optional<std::string> rename_from;
    Span span;
};

struct Bound {
    bool is_float = false;
    int64_t integer = 0;
    double real = 0;
    friend bool operator==(const Bound&, const Bound&) = default;
};

struct Constraint {
    enum class Kind { kKey, kUnique, kIndex, kRange, kCheck };
    Kind kind = Kind::kIndex;
    std::vector<std::string> columns; // key/unique/index: sorted, unique
    std::string property;             // range/check
    std::optional<Bound> min, max;    // range
    std::string pattern;              // check (decoded)

    friend bool operator==(const Constraint&, const Constraint&) = default;
    // The canonical sort key: "key:a,b", "range:p:Some(Integer(0)):None", "check:p:<re>".
    std::string sort_key() const;
};

struct InterfaceDef {
    std::string name;
    std::vector<PropertyDef> properties;
    Span span;
};

struct NodeDef {
    std::string name;
    std::vector<AnnotationValue> annotations;
    std::vector<std::string> implements; // sorted, unique
    std::vector<PropertyDef> properties;
    std::vector<Constraint> constraints; // sorted by sort_key, unique
    std::optional<std::string> rename_from;
    Span span;
};

struct EdgeDef {
    std::string name;
    std::string from_type;
    std::string to_type;
    uint32_t card_min = 0;
    std::optional<uint32_t> card_max;
    std::vector<AnnotationValue> annotations;
    std::vector<PropertyDef> properties;
    std::vector<Constraint> constraints;
    std::optional<std::string> rename_from;
    Span span;
};

// ASCII lower-case: edge names are looked up case-insensitively (queries, catalog collisions).
std::string fold_case(std::string_view name);

struct Schema {
    std::vector<InterfaceDef> interfaces;
    std::vector<NodeDef> nodes;
    std::vector<EdgeDef> edges;
    std::vector<Diagnostic> warnings; // non-fatal findings of validation
    std::string source_file;          // for diagnostics found later (identity resolution)

    const NodeDef* find_node(std::string_view name) const;
    const EdgeDef* find_edge(std::string_view name) const; // case-insensitive, as queries resolve
    const InterfaceDef* find_interface(std::string_view name) const;
};

} // namespace omnigraph::schema
