#include "service/blob.h"

#include <nlohmann/json.hpp>

namespace omnigraph::service {

using base::Json;

Result<BlobRead> read_blob(const GraphHandle& graph, const BlobRequest& request) {
    if (request.entity != "node" && request.entity != "edge")
        return Error(codes::kInvalidArgument,
                     "entity must be node or edge, not '" + request.entity + "'");
    BlobRead out;
    out.target = OG_TRY(resolve_target(graph.graph(), request.target));
    out.cell =
        OG_TRY(engine::read_blob(graph.store(), out.target.snapshot, request.entity == "edge",
                                 request.type, request.id, request.property));
    out.resolved_snapshot = out.target.snapshot.manifest.commit_id;
    return out;
}

Json blob_stat_json(const BlobRequest& request, const BlobRead& read) {
    auto optional = [](const std::optional<std::string>& v) {
        return v ? Json(*v) : Json(nullptr);
    };
    const auto& external = read.cell.external;
    return Json::object({{"entity", request.entity},
                         {"type", request.type},
                         {"id", request.id},
                         {"property", request.property},
                         {"kind", external ? "external" : "managed"},
                         {"size", external ? external->size : read.cell.bytes.size()},
                         {"etag", external ? Json(nullptr) : Json(read.cell.etag)},
                         {"uri", external ? Json(external->uri) : Json(nullptr)},
                         {"branch", optional(read.target.branch)},
                         {"snapshot", optional(read.target.snapshot_id)},
                         {"resolved_snapshot", read.resolved_snapshot}});
}

} // namespace omnigraph::service
