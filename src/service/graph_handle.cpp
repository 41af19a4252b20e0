#include "service/graph_handle.h"

#include "base/uri.h"

namespace omnigraph::service {

Result<std::unique_ptr<GraphHandle>> GraphHandle::open(const std::string& uri) {
    auto root = OG_TRY(base::parse_storage_uri(uri));
    return open(OG_TRY(store::open_store(root)));
}

Result<std::unique_ptr<GraphHandle>> GraphHandle::open(std::unique_ptr<store::ObjectStore> store) {
    // The Graph and the cache point at *store, which stays put when the unique_ptr moves.
    engine::Graph graph = OG_TRY(engine::Graph::open(*store));
    auto cache = query::make_table_cache(*store);
    return std::unique_ptr<GraphHandle>(
        new GraphHandle(std::move(store), std::move(graph), std::move(cache)));
}

GraphHandle::GraphHandle(std::unique_ptr<store::ObjectStore> store, engine::Graph graph,
                         std::shared_ptr<query::TableCache> cache)
    : store_(std::move(store)), graph_(std::move(graph)), cache_(std::move(cache)) {}

void GraphHandle::set_write_authorizer(engine::WriteAuthorizer authorizer) {
    graph_.set_write_authorizer(std::move(authorizer));
}

void GraphHandle::set_embedder(std::shared_ptr<embed::Embedder> embedder) {
    embedder_ = std::move(embedder);
    query_embedder_ = std::make_unique<embed::QueryEmbedder>(embedder_);
}

} // namespace omnigraph::service
