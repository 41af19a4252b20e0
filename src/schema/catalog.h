// The runtime catalog: what the engine, the query checker and the loader see of a schema
// (spec schema-language §3.7), projected from the IR so key columns follow stable property ids.
// Plain values; project_catalog is pure and thread-safe.
#pragma once

#include "base/json.h"
#include "schema/ir.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::schema {

enum class IndexKind { kFullText, kBTree, kVector, kNone };
const char* index_kind_name(IndexKind kind); // "fts" | "btree" | "vector" | "none"

struct IndexSpec {
    std::vector<std::string> columns;
    IndexKind kind = IndexKind::kNone; // physical index built by maintenance; kNone = intent only
};

struct RangeConstraint {
    std::string property;
    std::optional<Bound> min, max;
};

struct CheckConstraint {
    std::string property;
    std::string pattern;
};

struct NodeCatalog {
    std::string name;
    uint64_t type_id = 0;
    std::map<std::string, PropType> properties;
    std::map<std::string, uint64_t> property_ids;
    std::optional<std::vector<std::string>> key; // stable property id order
    std::vector<std::vector<std::string>> unique_constraints;
    std::vector<std::vector<std::string>> indices; // each @index plus the key
    std::vector<IndexSpec> index_specs;
    std::vector<RangeConstraint> range_constraints;
    std::vector<CheckConstraint> check_constraints;
    std::map<std::string, EmbedSource> embed_sources; // vector property -> its text source
    std::vector<std::string> blob_properties;         // sorted
    std::vector<std::string> physical_columns;        // "id", then properties in byte order
};

struct EdgeCatalog {
    std::string name;
    uint64_t type_id = 0;
    std::string from_type, to_type;
    uint32_t card_min = 0;
    std::optional<uint32_t> card_max;
    std::map<std::string, PropType> properties;
    std::map<std::string, uint64_t> property_ids;
    std::vector<std::vector<std::string>> unique_constraints; // may name src/dst
    std::vector<std::vector<std::string>> indices;
    std::vector<IndexSpec> index_specs;
    std::vector<std::string> blob_properties;
    std::vector<std::string> physical_columns; // "id", "src", "dst", then properties
};

struct Catalog {
    std::vector<NodeCatalog> nodes; // by name
    std::vector<EdgeCatalog> edges; // by name
    // The IR hash this catalog was projected from ("sha256:…"): what a query checked against it
    // records, so execution can refuse a snapshot of another schema.
    std::string ir_hash;

    const NodeCatalog* find_node(std::string_view name) const;
    const EdgeCatalog* find_edge(std::string_view name) const; // case-insensitive
};

Catalog project_catalog(const SchemaIr& ir);
base::Json catalog_json(const Catalog& catalog);

} // namespace omnigraph::schema
