#include "cli/graph_access.h"

#include "base/uri.h"
#include "schema/diagnostic.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {

using base::Json;

int fail(const Error& e, bool json) {
    if (json) {
        Json out;
        out["error"] = e.message;
        out["code"] = e.code;
        if (e.location && e.location->line > 0)
            out["location"] = e.location->to_string(); // file:line:col
        std::cout << base::to_pretty_json(out);
    } else {
        std::cerr << "error: " << e.message << "\n";
    }
    return 1;
}

int fail_with_source(const Error& e, std::string_view source, bool json) {
    if (!json && e.location && e.location->line > 0) {
        std::cerr << schema::render_diagnostic(schema::Diagnostic::from_error(e), source);
        return 1;
    }
    return fail(e, json);
}

Result<std::unique_ptr<store::ObjectStore>> open_root(const std::string& uri) {
    auto parsed = OG_TRY(base::parse_storage_uri(uri));
    return store::open_store(parsed);
}

Result<OpenGraph> open_graph_at(const std::string& uri) {
    OpenGraph out;
    out.store = OG_TRY(open_root(uri));
    out.graph.emplace(OG_TRY(engine::Graph::open(*out.store)));
    return out;
}

void echo_target(std::string_view label, const store::ObjectStore& store, bool quiet) {
    if (quiet)
        return;
    std::cerr << "omnigraph " << label << " \u2192 " << store.root().to_string() << " ("
              << (store.root().is_s3() ? "direct, remote" : "direct, local") << ")\n";
}

Json commit_json(const format::CommitRecord& c) {
    Json j;
    j["graph_commit_id"] = c.graph_commit_id;
    j["graph_branch"] = c.graph_branch;
    j["graph_manifest_version"] = c.graph_manifest_version;
    j["parent_commit_id"] = c.parent_commit_id ? Json(*c.parent_commit_id) : Json(nullptr);
    j["merged_parent_commit_id"] =
        c.merged_parent_commit_id ? Json(*c.merged_parent_commit_id) : Json(nullptr);
    j["actor_id"] = c.actor_id ? Json(*c.actor_id) : Json(nullptr);
    j["message"] = c.message ? Json(*c.message) : Json(nullptr);
    j["created_at"] = c.created_at;
    return j;
}

} // namespace omnigraph::cli
