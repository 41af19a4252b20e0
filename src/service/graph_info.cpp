#include "service/graph_info.h"

#include <nlohmann/json.hpp>

namespace omnigraph::service {

using base::Json;

Result<Json> snapshot_info(const GraphHandle& graph, const Target& target) {
    ResolvedTarget resolved = OG_TRY(resolve_target(graph.graph(), target));
    const format::Manifest& m = resolved.snapshot.manifest;
    Json j = Json::object();
    j["graph_branch"] = m.branch;
    j["graph_manifest_version"] = m.version;
    j["internal_schema_version"] = engine::kStorageFormatVersion;
    j["graph_commit_id"] = m.commit_id;
    j["schema_ir_hash"] = m.schema_ir_hash;
    Json datasets = Json::array();
    for (const auto& t : m.tables) {
        auto colon = t.table_key.find(':');
        datasets.push_back(Json::object({{"entity_kind", t.table_key.substr(0, colon)},
                                         {"type_name", t.table_key.substr(colon + 1)},
                                         {"dataset_path", t.path},
                                         {"published_dataset_version", t.table_version},
                                         {"native_dataset_branch", t.table_branch},
                                         {"entity_count", t.row_count}}));
    }
    j["datasets"] = datasets;
    return j;
}

Json commit_json(const format::CommitRecord& c, bool with_message) {
    auto optional = [](const std::optional<std::string>& v) {
        return v ? Json(*v) : Json(nullptr);
    };
    Json j = Json::object();
    j["graph_commit_id"] = c.graph_commit_id;
    j["graph_branch"] = c.graph_branch;
    j["graph_manifest_version"] = c.graph_manifest_version;
    j["parent_commit_id"] = optional(c.parent_commit_id);
    j["merged_parent_commit_id"] = optional(c.merged_parent_commit_id);
    j["actor_id"] = optional(c.actor_id);
    if (with_message)
        j["message"] = optional(c.message);
    j["created_at"] = c.created_at;
    return j;
}

Result<Json> commit_list(const GraphHandle& graph, const std::string& branch, bool with_message) {
    auto commits = OG_TRY(graph.graph().commits(branch));
    Json list = Json::array();
    for (const auto& c : commits)
        list.push_back(commit_json(c, with_message));
    return list;
}

Result<format::CommitRecord> find_commit(const GraphHandle& graph, const std::string& id) {
    auto commit = graph.graph().commit(id);
    if (!commit &&
        (commit.error().is(codes::kNotFound) || commit.error().is(codes::kInvalidArgument)))
        return Error(codes::kNotFound, "commit '" + id + "' not found");
    return commit;
}

Result<Json> commit_info(const GraphHandle& graph, const std::string& commit_id,
                         bool with_message) {
    auto commit = graph.graph().commit(commit_id);
    if (!commit) {
        if (commit.error().is(codes::kNotFound))
            return Error(codes::kNotFound, "commit '" + commit_id + "' not found");
        if (commit.error().is(codes::kInvalidArgument))
            return Error(codes::kNotFound,
                         "commit '" + commit_id +
                             "' not found: not a commit id (a 26-character ULID)");
        return commit.error();
    }
    return commit_json(*commit, with_message);
}

Result<Json> schema_info(const GraphHandle& graph, const Target& target) {
    ResolvedTarget resolved = OG_TRY(resolve_target(graph.graph(), target));
    return Json::object({{"schema_source", resolved.snapshot.schema->source}});
}

} // namespace omnigraph::service
