#include "service/load.h"

#include "service/graph_info.h"

#include <nlohmann/json.hpp>

namespace omnigraph::service {

Result<LoadOutcome> run_load(const GraphHandle& graph, LoadRequest request) {
    engine::LoadOptions options;
    options.mode = request.mode;
    options.branch = request.branch;
    options.from = request.from;
    options.actor = request.actor;
    options.source_name = request.source_name;
    options.progress = std::move(request.progress);
    options.memory_budget_bytes = request.memory_budget_bytes;
    options.embedder = graph.embedder();
    options.external_blobs = graph.external_blobs();
    LoadOutcome out;
    out.uri = graph.uri();
    out.from = request.from;
    out.actor = request.actor;
    out.summary = OG_TRY(
        request.source
            ? engine::load_graph(graph.store(), graph.graph(), *request.source, options)
            : engine::load_graph(graph.store(), graph.graph(), std::move(request.data), options));
    return out;
}

Result<bool> branch_exists(const GraphHandle& graph, const std::string& branch) {
    auto head = graph.graph().head(branch);
    if (head)
        return true;
    if (head.error().is(codes::kNotFound))
        return false;
    return head.error();
}

base::Json load_json(const LoadOutcome& outcome, LoadJson shape) {
    using base::Json;
    const engine::LoadSummary& s = outcome.summary;
    Json out = Json::object();
    if (shape != LoadJson::kGraphBatch)
        out["uri"] = outcome.uri;
    out["branch"] = s.branch;
    // base_branch echoes the request's `from`, even when the branch already existed.
    out["base_branch"] = outcome.from ? Json(*outcome.from) : Json(nullptr);
    out["branch_created"] = s.created_from.has_value();
    out["mode"] = engine::load_mode_name(s.mode);
    auto counts = [](const std::map<std::string, uint64_t>& m) {
        Json list = Json::array();
        for (const auto& [name, n] : m)
            list.push_back(Json::object({{"name", name}, {"entities_loaded", n}}));
        return list;
    };
    out["nodes"] = counts(s.nodes);
    out["edges"] = counts(s.edges);
    out["total_entities"] = s.total_entities;
    if (shape != LoadJson::kCli)
        out["actor_id"] = outcome.actor ? Json(*outcome.actor) : Json(nullptr);
    out["commit"] = commit_json(s.commit, shape == LoadJson::kCli);
    return out;
}

} // namespace omnigraph::service
