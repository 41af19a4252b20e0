#include "engine/export.h"

#include "base/json.h"
#include "engine/cell_json.h"
#include "engine/reclaimed.h"
#include "engine/table_data.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>

namespace omnigraph::engine {

using base::Json;
Result<uint64_t> export_graph(store::ObjectStore& store, const Graph& graph,
                              const ExportOptions& options, std::ostream& out) {
    auto snap = OG_TRY(graph.snapshot(options.snapshot));
    return export_snapshot(store, snap, options.types, out);
}

Result<uint64_t> export_snapshot(store::ObjectStore& store, const Snapshot& snap,
                                 const std::vector<std::string>& types, std::ostream& out) {
    const schema::Catalog& catalog = snap.schema->catalog;
    uint64_t rows = 0;
    for (const auto& entry : snap.manifest.tables) { // sorted by table key: edges before nodes
        TableSchema ts = table_schema(catalog, entry.table_key);
        if (!ts.properties)
            return Error(kGraphInvalid, "manifest " + std::to_string(snap.manifest.version) +
                                            " of branch '" + snap.manifest.branch + "' lists " +
                                            entry.table_key + ", which its schema " +
                                            snap.schema->hash + " does not declare");
        const bool is_edge = ts.is_edge;
        const std::string& name = ts.name;
        if (!types.empty() && std::find(types.begin(), types.end(), name) == types.end())
            continue;
        if (!out) // the reader went away: stop reading tables for nobody
            return Error(codes::kStorageIo,
                         "the export output failed after " + std::to_string(rows) + " rows");
        const auto& properties = *ts.properties;
        const auto& ids = *ts.property_ids;
        auto read = read_table(store, entry, is_edge, properties, ids);
        if (!read) // an old snapshot may have been cleaned up under the export
            return explain_read_failure(store, snap.manifest, std::move(read).error());
        const TableData& table = *read;
        std::vector<size_t> order(table.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(),
                  [&](size_t a, size_t b) { return table.ids[a] < table.ids[b]; });
        for (size_t row : order) {
            Json data;
            data["id"] = table.ids[row];
            for (const auto& [prop, type] : properties) {
                Json v = cell_json(table.columns.at(ids.at(prop)), row);
                if (!v.is_null())
                    data[prop] = v;
            }
            Json record;
            if (is_edge) {
                record["edge"] = name;
                record["from"] = table.src[row];
                record["to"] = table.dst[row];
            } else {
                record["type"] = name;
            }
            record["data"] = data;
            out << base::to_compact_json(record) << "\n";
            ++rows;
        }
    }
    return rows;
}

} // namespace omnigraph::engine
