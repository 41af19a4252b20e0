#include "embed/query_embedding.h"

#include "embed/errors.h"

namespace omnigraph::embed {

QueryEmbedder::QueryEmbedder(std::shared_ptr<Embedder> embedder, size_t capacity)
    : embedder_(std::move(embedder)), capacity_(std::max<size_t>(capacity, 1)) {}

size_t QueryEmbedder::cached() const {
    std::lock_guard lock(mu_);
    return cache_.size();
}

Result<std::vector<float>> QueryEmbedder::embed_query(std::string_view text, uint32_t dim,
                                                      const std::optional<std::string>& model,
                                                      std::string_view what) {
    if (!embedder_)
        return Error(kProviderMissing,
                     "nearest() on " + std::string(what) +
                         " with a String query needs an embedding provider; none is configured "
                         "(the graph's embedding_provider in cluster.yaml, or "
                         "OMNIGRAPH_EMBED_PROVIDER)");
    OG_CHECK(check_model(*embedder_, model, what));
    Key key{embedder_->model(), dim, std::string(text)};
    {
        std::lock_guard lock(mu_);
        if (auto it = cache_.find(key); it != cache_.end()) {
            order_.splice(order_.begin(), order_, it->second.second);
            return it->second.first;
        }
    }
    // Outside the lock: a slow provider must not stall other queries' cache hits.
    std::string one(text);
    auto vectors = OG_TRY(embedder_->embed(std::span(&one, 1), dim, Purpose::kQuery));
    std::lock_guard lock(mu_);
    if (!cache_.count(key)) {
        order_.push_front(key);
        cache_.emplace(key, std::make_pair(vectors[0], order_.begin()));
        if (cache_.size() > capacity_) {
            cache_.erase(order_.back());
            order_.pop_back();
        }
    }
    return std::move(vectors[0]);
}

} // namespace omnigraph::embed
