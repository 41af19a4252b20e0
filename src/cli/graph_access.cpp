#include "cli/graph_access.h"

#include "base/uri.h"
#include "engine/merge.h"
#include "schema/diagnostic.h"
#include "service/changes.h"

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <unistd.h>

namespace omnigraph::cli {

using base::Json;

int fail(const Error& e, bool json) {
    if (json) {
        Json out;
        out["error"] = e.message;
        out["code"] = e.code;
        if (e.location && e.location->line > 0)
            out["location"] = e.location->to_string(); // file:line:col
        if (const std::string* conflicts = e.detail(engine::kMergeConflictsDetail))
            out["merge_conflicts"] = base::Json::parse(*conflicts);
        if (Json detail = service::change_error_detail(e); detail.is_object())
            out.update(detail);
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

Result<std::unique_ptr<service::GraphHandle>> open_graph_with_embedder(const std::string& uri) {
    auto config = OG_TRY(embed::config_from_env());
    auto graph = OG_TRY(service::GraphHandle::open(uri));
    if (config)
        graph->set_embedder(OG_TRY(embed::make_embedder(std::move(*config))));
    return graph;
}

Result<std::unique_ptr<store::ObjectStore>> open_root(const std::string& uri) {
    auto parsed = OG_TRY(base::parse_storage_uri(uri));
    return store::open_store(parsed);
}

void echo_served(std::string_view label, std::string_view uri, bool quiet) {
    if (!quiet)
        std::cerr << "omnigraph " << label << " \u2192 " << uri << " (served)\n";
}

bool confirm_destructive(std::string_view label, std::string_view uri, bool non_local, bool yes,
                         bool json, std::string_view question) {
    if (!non_local || yes)
        return true;
    if (json || !isatty(STDIN_FILENO)) {
        std::cerr << "error: refusing destructive `" << label << "` against non-local target "
                  << uri << " without confirmation; pass --yes to confirm\n";
        return false;
    }
    std::cerr << question << " Continue? [yes/no] ";
    std::string answer;
    std::getline(std::cin, answer);
    if (answer == "yes" || answer == "y")
        return true;
    std::cerr << "aborted: destructive `" << label << "` not confirmed\n";
    return false;
}

void echo_target(std::string_view label, const store::ObjectStore& store, bool quiet) {
    if (quiet)
        return;
    std::cerr << "omnigraph " << label << " \u2192 " << store.root().to_string() << " ("
              << (store.root().is_s3() ? "direct, remote" : "direct, local") << ")\n";
}

} // namespace omnigraph::cli
