#include "engine/blob.h"

#include "base/digest.h"
#include "engine/reclaimed.h"
#include "engine/table_delta.h"

namespace omnigraph::engine {

Result<BlobCell> read_blob(store::ObjectStore& store, const Snapshot& snapshot, bool is_edge,
                           std::string_view type, std::string_view id, std::string_view property) {
    const schema::Catalog& catalog = snapshot.schema->catalog;
    const char* kind = is_edge ? "edge" : "node";
    const std::map<std::string, schema::PropType>* properties = nullptr;
    const std::map<std::string, uint64_t>* property_ids = nullptr;
    std::string type_name;
    if (is_edge) {
        if (const auto* e = catalog.find_edge(type)) {
            properties = &e->properties;
            property_ids = &e->property_ids;
            type_name = e->name;
        }
    } else if (const auto* n = catalog.find_node(type)) {
        properties = &n->properties;
        property_ids = &n->property_ids;
        type_name = n->name;
    }
    if (!properties)
        return Error(codes::kInvalidArgument,
                     std::string("unknown ") + kind + " type '" + std::string(type) + "'");
    auto prop = properties->find(std::string(property));
    if (prop == properties->end())
        return Error(codes::kInvalidArgument, std::string(kind) + " type '" + type_name +
                                                  "' has no property '" + std::string(property) +
                                                  "'");
    if (prop->second.list || prop->second.scalar != schema::ScalarType::kBlob)
        return Error(codes::kInvalidArgument,
                     "property '" + type_name + "." + prop->first + "' is not a Blob");
    std::string where = std::string(kind) + " " + type_name + " '" + std::string(id) + "'";
    const format::TableEntry* entry = snapshot.manifest.find(std::string(kind) + ":" + type_name);
    if (!entry)
        return Error(codes::kNotFound, where + " not found");
    // Only the one property: read_rows reads the columns the schema it is given declares.
    std::map<std::string, schema::PropType> one{*prop};
    std::map<std::string, uint64_t> one_id{{prop->first, property_ids->at(prop->first)}};
    TableSchema schema;
    schema.is_edge = is_edge;
    schema.name = type_name;
    schema.properties = &one;
    schema.property_ids = &one_id;
    auto found = [&]() -> Result<std::optional<TableData>> {
        for (const auto& seg : entry->segments) {
            auto reader = OG_TRY(open_segment(store, *entry, seg));
            auto rows = OG_TRY(reader.lookup_many("id", {id}));
            if (rows[0].empty())
                continue;
            auto deleted = OG_TRY(read_deletion_vector(store, *entry, seg));
            for (uint32_t row : rows[0])
                if (!deleted.contains(row))
                    return std::optional<TableData>(
                        OG_TRY(read_rows(store, *entry, seg, schema, {row}, true)));
        }
        return std::optional<TableData>();
    }();
    if (!found)
        return explain_read_failure(store, snapshot.manifest, std::move(found).error());
    std::optional<TableData> data = std::move(*found);
    if (!data)
        return Error(codes::kNotFound, where + " not found");
    const format::Column& column = data->columns.at(one_id.begin()->second);
    if (column.is_null(0))
        return Error(codes::kNotFound, where + " has no " + prop->first + " (null)");
    BlobCell cell;
    if (column.is_external(0)) {
        cell.external = OG_TRY(ExternalBlob::from_descriptor(column.bytes_at(0)));
        return cell;
    }
    cell.bytes = std::string(column.bytes_at(0));
    cell.etag = "\"sha256:" + base::sha256_hex(cell.bytes).substr(0, 32) + "\"";
    return cell;
}

} // namespace omnigraph::engine
