// The error codes of embedding (spec cluster §2.4 and §14 name the configuration ones; the
// run-time ones are ours, listed in docs/cluster.md "Embedding providers").
#pragma once

#include <string_view>

namespace omnigraph::embed {

// No provider is configured where an @embed target must be computed or a String query embedded.
inline constexpr std::string_view kProviderMissing = "embedding_provider_missing";
// A profile or OMNIGRAPH_EMBED_* setting that cannot be used (unknown kind, bad number).
inline constexpr std::string_view kInvalidProvider = "invalid_embedding_provider";
// The `${NAME}` secret of a provider names a variable that is not set.
inline constexpr std::string_view kApiKeyMissing = "embedding_api_key_missing";
// The provider could not be reached, timed out, or kept answering 429/5xx after every retry.
inline constexpr std::string_view kProviderUnavailable = "embedding_provider_unavailable";
// The provider refused the request (4xx other than 429).
inline constexpr std::string_view kProviderRejected = "embedding_provider_rejected";
// The provider answered 2xx with a body that is not the expected shape.
inline constexpr std::string_view kResponseInvalid = "embedding_response_invalid";
// A vector of another length than the target property declares.
inline constexpr std::string_view kDimensionMismatch = "embedding_dimension_mismatch";
// The provider's model differs from the `@embed(..., model="m")` of the property.
inline constexpr std::string_view kModelMismatch = "embedding_model_mismatch";

} // namespace omnigraph::embed
