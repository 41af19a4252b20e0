#include "service/graph_handle.h"

#include "base/uri.h"

namespace omnigraph::service {

Result<std::unique_ptr<GraphHandle>> GraphHandle::open(const std::string& uri) {
    auto root = OG_TRY(base::parse_storage_uri(uri));
    return open(OG_TRY(store::open_store(root)));
}

Result<std::unique_ptr<GraphHandle>> GraphHandle::open(std::unique_ptr<store::ObjectStore> store) {
    std::unique_ptr<GraphHandle> handle(new GraphHandle());
    handle->store_ = std::move(store);
    handle->graph_.emplace(OG_TRY(engine::Graph::open(*handle->store_)));
    handle->cache_ = query::make_table_cache(*handle->store_);
    return handle;
}

void GraphHandle::set_write_authorizer(engine::WriteAuthorizer authorizer) {
    graph_->set_write_authorizer(std::move(authorizer));
}

} // namespace omnigraph::service
