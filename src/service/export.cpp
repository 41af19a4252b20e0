#include "service/export.h"

#include "engine/export.h"

namespace omnigraph::service {

Result<PreparedExport> prepare_export(const GraphHandle& graph, const Target& target,
                                      std::vector<std::string> types) {
    PreparedExport out;
    out.snapshot = OG_TRY(resolve_target(graph.graph(), target)).snapshot;
    const schema::Catalog& catalog = out.snapshot.schema->catalog;
    for (const auto& name : types)
        if (!catalog.find_node(name) && !catalog.find_edge(name))
            return Error(codes::kInvalidArgument, "unknown export type '" + name + "'");
    out.types = std::move(types);
    return out;
}

Result<uint64_t> write_export(const GraphHandle& graph, const PreparedExport& prepared,
                              std::ostream& out) {
    return engine::export_snapshot(graph.store(), prepared.snapshot, prepared.types, out);
}

} // namespace omnigraph::service
