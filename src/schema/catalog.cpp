#include "schema/catalog.h"

#include "schema/shape.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

namespace omnigraph::schema {

using base::Json;

const char* index_kind_name(IndexKind kind) {
    switch (kind) {
    case IndexKind::kFullText:
        return "fts";
    case IndexKind::kBTree:
        return "btree";
    case IndexKind::kVector:
        return "vector";
    case IndexKind::kNone:
        return "none";
    }
    return "none";
}

namespace {

// The physical index a single-column node index gets (spec §1.5).
IndexKind node_index_kind(const PropType& t) {
    if (t.list || t.scalar == ScalarType::kBlob)
        return IndexKind::kNone;
    if (t.scalar == ScalarType::kVector)
        return IndexKind::kVector;
    if (t.scalar == ScalarType::kString && !t.enum_values)
        return IndexKind::kFullText;
    return IndexKind::kBTree;
}

std::vector<std::string> names(const std::vector<IrField>& fields) {
    std::vector<std::string> out;
    out.reserve(fields.size());
    for (const auto& f : fields)
        out.push_back(f.name());
    return out;
}

void add_index(std::vector<std::vector<std::string>>& indices, std::vector<std::string> cols) {
    if (std::find(indices.begin(), indices.end(), cols) == indices.end())
        indices.push_back(std::move(cols));
}

} // namespace

const NodeCatalog* Catalog::find_node(std::string_view name) const {
    for (const auto& n : nodes)
        if (n.name == name)
            return &n;
    return nullptr;
}

const EdgeCatalog* Catalog::find_edge(std::string_view name) const {
    for (const auto& e : edges)
        if (e.name == name)
            return &e;
    for (const auto& e : edges)
        if (fold_case(e.name) == fold_case(name))
            return &e;
    return nullptr;
}

Catalog project_catalog(const SchemaIr& ir) {
    Catalog catalog;
    catalog.ir_hash = ir_hash(ir);
    for (const auto& n : ir.nodes) {
        NodeCatalog c;
        c.name = n.name;
        c.type_id = n.type_id;
        c.physical_columns = {"id"};
        for (const auto& p : n.properties) {
            c.properties[p.name] = p.prop_type;
            c.property_ids[p.name] = p.property_id;
            c.physical_columns.push_back(p.name); // IR properties are already in byte order
            if (p.prop_type.scalar == ScalarType::kBlob)
                c.blob_properties.push_back(p.name);
            if (p.embed_source)
                c.embed_sources[p.name] = {p.embed_source->source.property_name,
                                           p.embed_source->model};
        }
        for (const auto& k : n.constraints) {
            switch (k.kind) {
            case Constraint::Kind::kKey: {
                std::vector<IrField> fields = k.fields;
                std::sort(fields.begin(), fields.end(), [](const IrField& a, const IrField& b) {
                    return a.property.property_id < b.property.property_id;
                });
                c.key = names(fields);
                break;
            }
            case Constraint::Kind::kUnique:
                c.unique_constraints.push_back(names(k.fields));
                break;
            case Constraint::Kind::kIndex:
                add_index(c.indices, names(k.fields));
                break;
            case Constraint::Kind::kRange:
                c.range_constraints.push_back({k.field.name(), k.min, k.max});
                break;
            case Constraint::Kind::kCheck:
                c.check_constraints.push_back({k.field.name(), k.pattern});
                break;
            }
        }
        if (c.key)
            add_index(c.indices, *c.key); // @key implies an index on the key columns
        for (const auto& cols : c.indices) {
            IndexKind kind = IndexKind::kNone; // composite indexes are intent only (spec Q14)
            if (cols.size() == 1 && c.properties.count(cols[0]))
                kind = node_index_kind(c.properties.at(cols[0]));
            c.index_specs.push_back({cols, kind});
        }
        catalog.nodes.push_back(std::move(c));
    }
    for (const auto& e : ir.edges) {
        EdgeCatalog c;
        c.name = e.name;
        c.type_id = e.type_id;
        c.from_type = e.from_type.type_name;
        c.to_type = e.to_type.type_name;
        c.card_min = e.card_min;
        c.card_max = e.card_max;
        c.physical_columns = {"id", "src", "dst"};
        for (const auto& p : e.properties) {
            c.properties[p.name] = p.prop_type;
            c.property_ids[p.name] = p.property_id;
            c.physical_columns.push_back(p.name);
            if (p.prop_type.scalar == ScalarType::kBlob)
                c.blob_properties.push_back(p.name);
        }
        for (const auto& k : e.constraints) {
            if (k.kind == Constraint::Kind::kUnique)
                c.unique_constraints.push_back(names(k.fields));
            else if (k.kind == Constraint::Kind::kIndex)
                add_index(c.indices, names(k.fields));
        }
        // Edges only get B-trees on id/src/dst; a declared edge index is intent only.
        for (const auto& cols : c.indices)
            c.index_specs.push_back({cols, IndexKind::kNone});
        catalog.edges.push_back(std::move(c));
    }
    return catalog;
}

Json catalog_json(const Catalog& catalog) {
    auto specs = [](const std::vector<IndexSpec>& list) {
        Json out = Json::array();
        for (const auto& s : list) {
            Json j;
            j["columns"] = s.columns;
            j["kind"] = index_kind_name(s.kind);
            out.push_back(j);
        }
        return out;
    };
    Json nodes = Json::array();
    for (const auto& n : catalog.nodes) {
        Json j;
        j["name"] = n.name;
        j["key"] = n.key ? Json(*n.key) : Json(nullptr);
        j["unique_constraints"] = n.unique_constraints;
        j["indices"] = n.indices;
        j["index_specs"] = specs(n.index_specs);
        Json embeds = Json::object();
        for (const auto& [target, src] : n.embed_sources) {
            Json s;
            s["source"] = src.property;
            s["model"] = src.model ? Json(*src.model) : Json(nullptr);
            embeds[target] = s;
        }
        j["embed_sources"] = embeds;
        j["blob_properties"] = n.blob_properties;
        j["physical_columns"] = n.physical_columns;
        nodes.push_back(j);
    }
    Json edges = Json::array();
    for (const auto& e : catalog.edges) {
        Json j;
        j["name"] = e.name;
        j["from_type"] = e.from_type;
        j["to_type"] = e.to_type;
        Json card;
        card["min"] = e.card_min;
        card["max"] = e.card_max ? Json(*e.card_max) : Json(nullptr);
        j["cardinality"] = card;
        j["unique_constraints"] = e.unique_constraints;
        j["indices"] = e.indices;
        j["index_specs"] = specs(e.index_specs);
        j["physical_columns"] = e.physical_columns;
        edges.push_back(j);
    }
    Json out;
    out["nodes"] = nodes;
    out["edges"] = edges;
    return out;
}

} // namespace omnigraph::schema
