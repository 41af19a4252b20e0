// SchemaIR v2: the identity-bearing form of a schema (spec schema-language §3.4-3.6). Every
// type, property and node/edge table lifetime has a stable numeric id from one allocator per
// graph (namespaced by the graph's identity domain, a ULID), so renames keep identity and a
// drop + re-add mints new ids. The IR is what a graph persists (_schema.ir.json) and what the
// migration planner compares. Plain values; the functions are pure and thread-safe.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "schema/model.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::schema {

struct TypeIdRef {
    uint64_t type_id = 0;
    std::string type_name;
    friend bool operator==(const TypeIdRef&, const TypeIdRef&) = default;
};

struct PropertyRef {
    uint64_t owner_type_id = 0;
    std::string owner_type_name;
    uint64_t property_id = 0;
    std::string property_name;
    friend bool operator==(const PropertyRef&, const PropertyRef&) = default;
};

struct IrEmbed {
    PropertyRef source;
    std::optional<std::string> model;
    friend bool operator==(const IrEmbed&, const IrEmbed&) = default;
};

struct IrProperty {
    std::string name;
    uint64_t property_id = 0;
    PropType prop_type;
    std::vector<AnnotationValue> annotations;
    std::vector<PropertyConstraint> property_constraints;
    std::optional<IrEmbed> embed_source;
    bool declared_directly = true;
    std::vector<PropertyRef> satisfies; // sorted by property id
    friend bool operator==(const IrProperty&, const IrProperty&) = default;
};

// A constraint column: a property, or an edge's system column (src/dst) or a node's id.
struct IrField {
    bool system = false;
    PropertyRef property;         // !system
    uint64_t stable_table_id = 0; // system
    std::string table_type_name;  // system
    uint64_t table_incarnation_id = 0;
    std::string role; // "id" | "src" | "dst"
    friend bool operator==(const IrField&, const IrField&) = default;
    std::string name() const { return system ? role : property.property_name; }
};

struct IrConstraint {
    Constraint::Kind kind = Constraint::Kind::kIndex;
    std::vector<IrField> fields; // key/unique/index, in shape (name) order
    IrField field;               // range/check
    std::optional<Bound> min, max;
    std::string pattern;
    friend bool operator==(const IrConstraint&, const IrConstraint&) = default;
    // Identity-based comparison key: renames and column order never change it.
    std::string identity_key() const;
};

struct IrInterface {
    std::string name;
    uint64_t type_id = 0;
    std::vector<IrProperty> properties;
    friend bool operator==(const IrInterface&, const IrInterface&) = default;
};

struct IrNode {
    std::string name;
    uint64_t type_id = 0;
    uint64_t table_incarnation_id = 0;
    std::vector<AnnotationValue> annotations;
    std::vector<TypeIdRef> implements; // sorted by type id
    std::vector<IrProperty> properties;
    std::vector<IrConstraint> constraints;
    friend bool operator==(const IrNode&, const IrNode&) = default;
};

struct IrEdge {
    std::string name;
    uint64_t type_id = 0;
    uint64_t table_incarnation_id = 0;
    TypeIdRef from_type, to_type;
    uint32_t card_min = 0;
    std::optional<uint32_t> card_max;
    std::vector<AnnotationValue> annotations;
    std::vector<IrProperty> properties;
    std::vector<IrConstraint> constraints;
    friend bool operator==(const IrEdge&, const IrEdge&) = default;
};

struct SchemaIr {
    uint32_t ir_version = 2;
    std::string schema_identity_domain;
    uint64_t next_identity_id = 1;
    std::vector<IrInterface> interfaces;
    std::vector<IrNode> nodes;
    std::vector<IrEdge> edges;
    friend bool operator==(const SchemaIr&, const SchemaIr&) = default;

    const IrNode* find_node(std::string_view name) const;
    const IrEdge* find_edge(std::string_view name) const;
};

// Builds the IR of `desired`. Without `accepted` (graph initialization) every id is fresh and
// @rename_from hints are inert (PG-W-001 warnings). With `accepted`, declarations inherit ids by
// name or by @rename_from (spec §3.5); resolution errors are PG-EVO-*; ignored hints are
// PG-W-002 warnings. `domain` is used only when there is no accepted IR.
struct IrBuild {
    SchemaIr ir;
    std::vector<Diagnostic> warnings;
};
Result<IrBuild> build_ir(const Schema& desired, const SchemaIr* accepted, std::string_view domain);

std::string ir_text(const SchemaIr& ir); // canonical compact JSON: what _schema.ir.json hashes
base::Json ir_json(const SchemaIr& ir);
std::string ir_hash(const SchemaIr& ir); // "sha256:" + hex over the canonical compact JSON
// Reads _schema.ir.json back and checks the §3.4 invariants that keep it usable (code
// PG-IRV-002): version, domain, the allocator bound, id uniqueness, sorted unique names and
// properties, reserved names, sorted enums, no structural annotations, and that implements
// and endpoint references name types of this IR. Link, constraint-field and annotation-order
// invariants are not re-checked yet.
Result<SchemaIr> parse_ir(const base::Json& json);

// The identity-free shape the IR stands for (names re-sorted, no hints): its shape_hash equals
// the hash of the source the IR was built from.
Schema project_schema(const SchemaIr& ir);

} // namespace omnigraph::schema
