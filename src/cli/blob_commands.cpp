// `omnigraph blob get|stat` (spec engine-cli §4.2): one Blob cell of one node or edge.
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/operator_config.h"
#include "cli/remote_graph.h"
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
    ServerScopeArgs remote;
};

// The blob route of a served graph (GET, or HEAD for stat): its answer, which is the bytes, a
// 302 to an external reference, or an error.
Result<HttpAnswer> remote_blob(const RemoteGraph& g, const BlobArgs& a, bool head) {
    std::vector<std::pair<std::string, std::string>> query = {
        {"entity", a.entity}, {"type", a.type}, {"id", a.id}, {"property", a.property}};
    if (!a.branch.empty())
        query.emplace_back("branch", a.branch);
    if (!a.snapshot.empty())
        query.emplace_back("snapshot", a.snapshot);
    std::vector<std::pair<std::string, std::string>> headers;
    if (!head && (a.offset > 0 || a.length))
        headers.emplace_back(
            "Range", "bytes=" + std::to_string(a.offset) + "-" +
                         (a.length ? std::to_string(a.offset + *a.length - 1) : std::string()));
    auto answer = OG_TRY(g.server().call(head ? "HEAD" : "GET", g.path("blob"), query, {},
                                         "application/json", headers));
    if (answer.status != 200 && answer.status != 206 && answer.status != 302) {
        if (head && answer.body.empty()) // HEAD has no body: say what the status means
            return Error(answer.status == 404 ? codes::kNotFound : codes::kInvalidArgument,
                         "the server answered HTTP " + std::to_string(answer.status) + " for " +
                             a.entity + " " + a.type + " '" + a.id + "' " + a.property);
        return http_answer_error(answer);
    }
    return answer;
}

int run_remote_get(const RemoteGraph& g, const BlobArgs& a) {
    auto answer = remote_blob(g, a, false);
    if (!answer)
        return fail(answer.error(), false);
    if (answer->status == 302)
        return fail(Error(codes::kInvalidArgument, "the blob is an external reference to " +
                                                       answer->header("location") +
                                                       "; read it from there"),
                    false);
    if (a.out.empty()) {
        std::cout.write(answer->body.data(), static_cast<std::streamsize>(answer->body.size()));
        std::cout.flush();
        return std::cout ? 0 : fail(Error(codes::kStorageIo, "writing to stdout failed"), false);
    }
    std::ofstream file(a.out, std::ios::binary | std::ios::trunc);
    file.write(answer->body.data(), static_cast<std::streamsize>(answer->body.size()));
    file.close();
    return file ? 0 : fail(Error(codes::kStorageIo, "cannot write " + a.out), false);
}

// `blob stat` of a served graph: what HEAD says (the bytes are never fetched).
Result<base::Json> remote_stat(const RemoteGraph& g, const BlobArgs& a) {
    auto answer = OG_TRY(remote_blob(g, a, true));
    bool external = answer.status == 302;
    auto optional = [](const std::string& v) {
        return v.empty() ? base::Json(nullptr) : base::Json(v);
    };
    std::string length = answer.header("content-length");
    return base::Json::object(
        {{"entity", a.entity},
         {"type", a.type},
         {"id", a.id},
         {"property", a.property},
         {"kind", external ? "external" : "managed"},
         {"size",
          external || length.empty() ? base::Json(nullptr) : base::Json(std::stoull(length))},
         {"etag", optional(answer.header("etag"))},
         {"uri", external ? base::Json(answer.header("location")) : base::Json(nullptr)},
         {"branch", a.snapshot.empty() ? base::Json(a.branch.empty() ? "main" : a.branch)
                                       : base::Json(nullptr)},
         {"snapshot", optional(a.snapshot)},
         {"resolved_snapshot", optional(answer.header("omnigraph-snapshot-id"))}});
}

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
    auto remote = RemoteGraph::resolve(a.remote, !a.store.empty() || !a.target.empty());
    if (!remote)
        return fail(remote.error(), false);
    std::optional<RemoteGraph> served = std::move(remote).value();
    if (served)
        return run_remote_get(*served, a);
    service::BlobRequest request;
    std::unique_ptr<service::GraphHandle> graph;
    auto got = read(a, request, graph);
    if (!got)
        return fail(got.error(), false);
    if (const auto& external = got->cell.external)
        return fail(Error(codes::kInvalidArgument,
                          "the blob is an external reference to " + external->uri +
                              "; read it from there (`blob stat` shows the reference)"),
                    false);
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

Result<base::Json> stat_of(const BlobArgs& a) {
    auto remote = OG_TRY(RemoteGraph::resolve(a.remote, !a.store.empty() || !a.target.empty()));
    if (remote)
        return remote_stat(*remote, a);
    service::BlobRequest request;
    std::unique_ptr<service::GraphHandle> graph;
    auto got = OG_TRY(read(a, request, graph));
    return service::blob_stat_json(request, got);
}

int run_stat(const BlobArgs& a) {
    auto got = stat_of(a);
    if (!got)
        return fail(got.error(), a.json);
    const base::Json& stat = *got;
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
    cmd->add_option("--store,--uri", a.store, "Graph root (path, file:// or s3:// URI)");
    a.remote.add_to(cmd);
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
