#include "server/graph_registry.h"

#include "base/log.h"
#include "cluster/desired_state.h"
#include "embed/embedder.h"
#include "policy/bundle.h"
#include "server/write_policy.h"

#include <atomic>
#include <thread>

namespace omnigraph::server {

namespace {

constexpr size_t kOpeners = 8; // graphs opened at once

// Opens one applied graph: its store, the engine handle, every stored query type-checked
// against its schema, its policy. An error quarantines the graph (or fails a strict boot).
Result<std::unique_ptr<ServedGraph>>
open_served_graph(const cluster::ServedGraph& sg, const std::vector<cluster::ServedQuery>& queries,
                  const cluster::ServedPolicy* policy) {
    auto fail = [](std::string why) { return Error("graph_unavailable", std::move(why)); };
    if (!cluster::valid_route_graph_id(sg.graph_id))
        return fail("invalid graph id for HTTP routing");
    auto g = std::make_unique<ServedGraph>();
    g->id = sg.graph_id;
    g->uri = sg.root.to_string();
    auto store = store::open_store(sg.root);
    if (!store)
        return fail(store.error().message);
    auto handle = service::GraphHandle::open(std::move(*store));
    if (!handle)
        return fail(handle.error().message);
    g->handle = std::move(*handle);
    if (sg.embedding_profile) {
        // Resolved now: a missing secret is a boot error naming the variable (never its value).
        std::string name = "the embedding provider of graph '" + sg.graph_id + "'";
        auto config = embed::config_from_profile(*sg.embedding_profile, name);
        if (!config)
            return fail(config.error().message);
        if (config->kind != embed::ProviderKind::kMock)
            if (auto key = embed::resolve_api_key(*config); !key)
                return fail(key.error().message);
        auto embedder = embed::make_embedder(std::move(*config));
        if (!embedder)
            return fail(embedder.error().message);
        g->handle->set_embedder(std::move(*embedder));
    }
    // The external-Blob policy projected to the bases a server may admit (spec server-policy
    // §2.2 step 6): the server_safe ones; embedded_only bases name the operator's own disk.
    if (sg.external_blob_policy) {
        std::vector<std::string> bases;
        for (const auto& b : sg.external_blob_policy->at("bases"))
            if (b.at("scope") == "server_safe")
                bases.push_back(b.at("uri").get<std::string>());
        if (!bases.empty())
            g->handle->set_external_blobs(std::move(bases));
    }
    const engine::SchemaVersion& schema = *g->handle->graph().main_schema();
    for (const auto& q : queries) {
        if (q.graph_id != sg.graph_id)
            continue;
        auto stored = service::StoredQuery::parse(q.name, q.source, q.name + ".gq");
        if (!stored)
            return fail("stored query '" + q.name +
                        "' does not parse: " + stored.error().to_string());
        if (auto checked = (*stored)->checked_at(schema); !checked)
            return fail("stored query '" + q.name +
                        "' does not pass the schema check: " + checked.error().message);
        g->queries.emplace(q.name, std::move(*stored));
    }
    if (policy) {
        auto bundle =
            policy::parse_bundle(policy->source, policy->name, policy::BindingKind::kGraph);
        if (!bundle)
            return fail("policy '" + policy->name + "': " + bundle.error().message);
        g->policy.emplace(policy::PolicyEngine::compile(*bundle, sg.graph_id));
    }
    // The engine repeats the routes' decision for every write (ServedGraph does not move).
    g->handle->set_write_authorizer(write_authorizer(g->bundle()));
    return g;
}

} // namespace

GraphRegistry
GraphRegistry::open(const cluster::ServingSnapshot& snapshot,
                    const std::map<std::string, const cluster::ServedPolicy*>& policies,
                    std::string& failures) {
    // Opened in parallel, registered in graph id order so quarantine lines and errors read the
    // same at every boot.
    const auto& graphs = snapshot.graphs;
    // Every slot is replaced by a worker; the placeholder would only show if one were not.
    std::vector<Result<std::unique_ptr<ServedGraph>>> opened;
    opened.reserve(graphs.size());
    for (size_t i = 0; i < graphs.size(); ++i)
        opened.emplace_back(Error(codes::kInternal, "the graph was not opened"));
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < graphs.size(); i = next++) {
            auto it = policies.find(graphs[i].graph_id);
            opened[i] = open_served_graph(graphs[i], snapshot.queries,
                                          it == policies.end() ? nullptr : it->second);
        }
    };
    std::vector<std::thread> openers;
    for (size_t t = 1; t < std::min(graphs.size(), kOpeners); ++t)
        openers.emplace_back(worker);
    worker();
    for (auto& t : openers)
        t.join();

    GraphRegistry registry;
    registry.quarantined_ = snapshot.quarantined;
    for (size_t i = 0; i < graphs.size(); ++i) {
        const std::string& id = graphs[i].graph_id;
        auto& g = opened[i];
        if (!g) {
            failures += "\n  graph '" + id + "': " + g.error().message;
            registry.quarantined_.insert(id);
            base::log(base::LogLevel::kWarn, "graph quarantined",
                      {{"graph_id", id}, {"error", g.error().message}});
            continue;
        }
        registry.graphs_.emplace(id, std::move(*g));
    }
    return registry;
}

const ServedGraph* GraphRegistry::find(std::string_view id) const {
    auto it = graphs_.find(id);
    return it == graphs_.end() ? nullptr : it->second.get();
}

} // namespace omnigraph::server
