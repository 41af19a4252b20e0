// Embedding a query string, for `nearest($x.vec, "text")` (spec query-language §1.8): the
// query layer asks a QueryEmbedder for the vector of a String query against one vector
// property. The provider's answer is cached by (model, dim, text): the same query text costs
// one provider call per process (least recently used entries are dropped past `capacity`).
//
// Thread-safe: the server shares one per graph across its workers. A provider failure is not
// cached.
#pragma once

#include "base/error.h"
#include "embed/embedder.h"

#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace omnigraph::embed {

class QueryEmbedder {
  public:
    // `embedder` may be null: every call then fails with kProviderMissing.
    explicit QueryEmbedder(std::shared_ptr<Embedder> embedder, size_t capacity = 1024);

    // The vector of `text` for property `what` ("Doc.embedding", for messages) declared
    // Vector(dim) with `@embed(..., model=model)` (nullopt: no @embed model recorded). Errors:
    // kProviderMissing (no provider), kModelMismatch (the same-space check), and the provider's.
    Result<std::vector<float>> embed_query(std::string_view text, uint32_t dim,
                                           const std::optional<std::string>& model,
                                           std::string_view what);

    const Embedder* embedder() const { return embedder_.get(); }
    size_t cached() const;

  private:
    using Key = std::tuple<std::string, uint32_t, std::string>; // model, dim, text
    std::shared_ptr<Embedder> embedder_;
    size_t capacity_;
    mutable std::mutex mu_;
    std::list<Key> order_; // most recently used first
    std::map<Key, std::pair<std::vector<float>, std::list<Key>::iterator>> cache_;
};

} // namespace omnigraph::embed
