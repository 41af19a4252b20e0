#include "engine/export.h"

#include "base/clock.h"
#include "base/digest.h"
#include "base/json.h"
#include "engine/reclaimed.h"
#include "engine/table_data.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <numeric>

namespace omnigraph::engine {

using base::Json;
using format::Column;
using format::PhysicalKind;

namespace {

std::string date_text(int32_t days) {
    using namespace std::chrono;
    year_month_day ymd{sys_days{std::chrono::days{days}}};
    char buf[16];
    int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                          unsigned(ymd.day()));
    return std::string(buf, static_cast<size_t>(n)); // a short year always fits
}

// The load format's spelling of one value (null for null).
Json value_json(const Column& c, size_t row) {
    if (c.is_null(row))
        return nullptr;
    switch (c.type().kind) {
    case PhysicalKind::kString:
        return std::string(c.bytes_at(row));
    case PhysicalKind::kBlob:
        return "base64:" + base::base64_encode(c.bytes_at(row));
    case PhysicalKind::kBool:
        return c.fixed_at<uint8_t>(row) != 0;
    case PhysicalKind::kI32:
        return c.fixed_at<int32_t>(row);
    case PhysicalKind::kI64:
        return c.fixed_at<int64_t>(row);
    case PhysicalKind::kU32:
        return c.fixed_at<uint32_t>(row);
    case PhysicalKind::kU64:
        return c.fixed_at<uint64_t>(row);
    case PhysicalKind::kF32:
        return double(c.fixed_at<float>(row));
    case PhysicalKind::kF64:
        return c.fixed_at<double>(row);
    case PhysicalKind::kDate:
        return date_text(c.fixed_at<int32_t>(row));
    case PhysicalKind::kDateTime:
        return base::format_rfc3339(
            base::TimePoint(std::chrono::microseconds(c.fixed_at<int64_t>(row) * 1000)),
            base::Precision::kMillis);
    case PhysicalKind::kVector: {
        Json arr = Json::array();
        for (uint32_t i = 0; i < c.type().dim; ++i) {
            float f;
            std::memcpy(&f, c.fixed_row(row) + size_t{4} * i, 4);
            arr.push_back(double(f));
        }
        return arr;
    }
    case PhysicalKind::kList: {
        Json arr = Json::array();
        for (size_t i = c.list_begin(row); i < c.list_end(row); ++i)
            arr.push_back(value_json(c.child(), i));
        return arr;
    }
    }
    return nullptr;
}

} // namespace

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
                Json v = value_json(table.columns.at(ids.at(prop)), row);
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
