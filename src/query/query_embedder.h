// The one thing the query layer needs from an embedding provider: `nearest($v.prop, "text")`
// turns its String query into a vector through a QueryEmbedder handed to execute_read. The
// providers themselves (cluster.yaml `providers.embedding`, OMNIGRAPH_EMBED_*, mock) live
// outside this layer and implement this interface; with none configured the query fails with
// kEmbeddingProviderMissing.
#pragma once

#include "base/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::query {

// No embedding provider is configured for a query that needs one (spec cluster §2.4's code).
inline constexpr std::string_view kEmbeddingProviderMissing = "embedding_provider_missing";

// What is to be embedded, and for which vector property.
struct EmbedQuery {
    std::string_view text;            // the query string
    std::string_view type;            // node type, e.g. "Doc"
    std::string_view property;        // its Vector property, e.g. "embedding"
    uint32_t dim = 0;                 // Vector(dim): the answer must have dim values
    std::optional<std::string> model; // the property's `@embed(..., model="m")`, if declared
};

class QueryEmbedder {
  public:
    virtual ~QueryEmbedder() = default;
    // The vector of `q.text`. Must fail (with the provider's own code) when its model differs
    // from `q.model` (spec query-language §1.8) or it cannot answer; the executor checks the
    // answer's length against `q.dim` and that every value is finite.
    virtual Result<std::vector<float>> embed_query(const EmbedQuery& q) const = 0;
};

} // namespace omnigraph::query
