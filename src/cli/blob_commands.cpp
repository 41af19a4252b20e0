// `omnigraph blob get|stat` (spec engine-cli §4.2): one Blob cell of one node or edge.
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/operator_config.h"
#include "service/blob.h"
#include "service/graph_handle.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {
namespace {

struct BlobArgs {
    std::string store, target, config, branch, snapshot, out;
    std::string entity, type, id, property;
    uint64_t offset = 0;
    std::optional<uint64_t> length;
    bool json = false;
};

Result<service::BlobRead> read(const BlobArgs& a, service::BlobRequest& request,
                               std::unique_ptr<service::GraphHandle>& graph) {
    auto config = OG_TRY(load_operator_config(a.config));
    std::string uri = OG_TRY(resolve_graph_uri(config, a.store, a.target));
    graph = OG_TRY(service::GraphHandle::open(uri));
    request.entity = a.entity;
    request.type = a.type;
    request.id = a.id;
    request.property = a.property;
    if (!a.branch.empty())
        request.target.branch = a.branch;
    else if (!a.snapshot.empty())
        request.target.snapshot = a.snapshot;
    else if (config.default_branch)
        request.target.branch = config.default_branch;
    return service::read_blob(*graph, request);
}

int run_get(const BlobArgs& a) {
    if (a.length && *a.length == 0)
        return fail(Error(codes::kInvalidArgument, "--length must be at least 1"), false);
    service::BlobRequest request;
    std::unique_ptr<service::GraphHandle> graph;
    auto got = read(a, request, graph);
    if (!got)
        return fail(got.error(), false);
    const std::string& bytes = got->cell.bytes;
    if (a.offset > bytes.size() || (a.offset == bytes.size() && a.length))
        return fail(Error(codes::kInvalidArgument, "--offset " + std::to_string(a.offset) +
                                                       " is past the end of the " +
                                                       std::to_string(bytes.size()) + "-byte blob"),
                    false);
    std::string_view part =
        std::string_view(bytes).substr(a.offset, a.length.value_or(bytes.size()));
    if (a.out.empty()) {
        std::cout.write(part.data(), static_cast<std::streamsize>(part.size()));
        std::cout.flush();
        return std::cout ? 0 : fail(Error(codes::kStorageIo, "writing to stdout failed"), false);
    }
    std::ofstream file(a.out, std::ios::binary | std::ios::trunc);
    file.write(part.data(), static_cast<std::streamsize>(part.size()));
    file.close();
    if (!file)
        return fail(Error(codes::kStorageIo, "cannot write " + a.out), false);
    return 0;
}

int run_stat(const BlobArgs& a) {
    service::BlobRequest request;
    std::unique_ptr<service::GraphHandle> graph;
    auto got = read(a, request, graph);
    if (!got)
        return fail(got.error(), a.json);
    base::Json stat = service::blob_stat_json(request, *got);
    if (a.json) {
        std::cout << base::to_pretty_json(stat);
        return 0;
    }
    for (const char* key : {"entity", "type", "id", "property", "kind", "size", "etag", "uri",
                            "branch", "snapshot", "resolved_snapshot"}) {
        const base::Json& v = stat[key];
        if (v.is_null())
            continue;
        std::cout << key << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
    }
    return 0;
}

void add_selector(CLI::App* cmd, BlobArgs& a) {
    cmd->add_option("entity", a.entity, "node or edge")->required();
    cmd->add_option("type", a.type, "Node or edge type")->required();
    cmd->add_option("id", a.id, "The entity's id")->required();
    cmd->add_option("property", a.property, "A Blob property")->required();
    cmd->add_option("--store", a.store, "Graph root (path, file:// or s3:// URI)");
    cmd->add_option("--target", a.target, "Graph name in omnigraph.yaml (graphs.NAME.uri)");
    cmd->add_option("--config", a.config, "Per-operator config (default ./omnigraph.yaml)");
    auto* branch = cmd->add_option("--branch", a.branch, "Branch to read (default main)");
    cmd->add_option("--snapshot", a.snapshot, "Commit to read")->excludes(branch);
}

} // namespace

void register_blob(CLI::App& app, Outcome& outcome) {
    auto* blob = app.add_subcommand("blob", "Read one Blob cell of a node or edge");
    blob->require_subcommand(1);
    auto get = std::make_shared<BlobArgs>();
    auto* get_cmd = blob->add_subcommand("get", "Write a Blob's bytes to stdout or a file");
    add_selector(get_cmd, *get);
    get_cmd->add_option("--offset", get->offset, "First byte to write (default 0)");
    get_cmd->add_option("--length", get->length, "Bytes to write (default: to the end)");
    get_cmd->add_option("--out", get->out, "File to write instead of stdout");
    get_cmd->callback([get, &outcome] { outcome.exit_code = run_get(*get); });
    auto stat = std::make_shared<BlobArgs>();
    auto* stat_cmd = blob->add_subcommand("stat", "Show a Blob's size, validator and snapshot");
    add_selector(stat_cmd, *stat);
    stat_cmd->add_flag("--json", stat->json, "Print JSON");
    stat_cmd->callback([stat, &outcome] { outcome.exit_code = run_stat(*stat); });
}

} // namespace omnigraph::cli
