// An open graph as the data plane serves it: the object store it reads through, the engine's
// Graph handle and the table cache its reads share. Every service call takes one.
//
// Ownership: the handle owns the store; the Graph and the cache point into it, so the handle
// does not move once opened (it is handed out as a unique_ptr). Thread-safety: after open (and
// after set_write_authorizer, which belongs to setup) a handle may be shared by any number of
// threads; the server keeps one per graph for all its workers, the CLI opens one per command.
#pragma once

#include "base/error.h"
#include "embed/embedder.h"
#include "embed/query_embedding.h"
#include "engine/external_blob.h"
#include "engine/graph.h"
#include "query/table_cache.h"
#include "store/object_store.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::service {

class GraphHandle {
  public:
    // Opens the graph at a root URI (a path, file:// or s3://).
    static Result<std::unique_ptr<GraphHandle>> open(const std::string& uri);
    // Opens the graph stored in `store` (which the handle takes over).
    static Result<std::unique_ptr<GraphHandle>> open(std::unique_ptr<store::ObjectStore> store);

    GraphHandle(const GraphHandle&) = delete;
    GraphHandle& operator=(const GraphHandle&) = delete;

    store::ObjectStore& store() const { return *store_; }
    const engine::Graph& graph() const { return graph_; }
    query::TableCache& cache() const { return *cache_; }
    std::string uri() const { return store_->root().to_string(); }

    // Setup only (before the handle is shared): the check every write asks first.
    void set_write_authorizer(engine::WriteAuthorizer authorizer);
    // Setup only: the graph's embedding provider (null: none). Loads and mutations compute
    // @embed targets with it; String queries of nearest() are embedded by query_embedder().
    void set_embedder(std::shared_ptr<embed::Embedder> embedder);
    embed::Embedder* embedder() const { return embedder_.get(); }
    // The cached query-string embedder over the graph's provider (spec query-language §1.8).
    embed::QueryEmbedder& query_embedder() const { return *query_embedder_; }
    // Setup only: the bases loads and mutations admit external Blob references under (none:
    // every reference is refused, as on the direct CLI).
    void set_external_blobs(std::vector<std::string> bases) {
        external_blobs_.emplace(std::move(bases));
    }
    const engine::ExternalBlobPolicy* external_blobs() const {
        return external_blobs_ ? &*external_blobs_ : nullptr;
    }

  private:
    GraphHandle(std::unique_ptr<store::ObjectStore> store, engine::Graph graph,
                std::shared_ptr<query::TableCache> cache);
    std::unique_ptr<store::ObjectStore> store_;
    engine::Graph graph_;
    std::shared_ptr<query::TableCache> cache_;
    std::shared_ptr<embed::Embedder> embedder_;
    std::optional<engine::ExternalBlobPolicy> external_blobs_;
    std::unique_ptr<embed::QueryEmbedder> query_embedder_ =
        std::make_unique<embed::QueryEmbedder>(nullptr);
};

} // namespace omnigraph::service
