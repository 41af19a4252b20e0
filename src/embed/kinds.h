// The provider kinds behind make_embedder (embed-internal).
#pragma once

#include "embed/embedder.h"

namespace omnigraph::embed::detail {

std::shared_ptr<Embedder> make_mock_embedder(ProviderConfig config);
// openai-compatible, openai and gemini: the HTTP providers.
std::shared_ptr<Embedder> make_http_embedder(ProviderConfig config);

} // namespace omnigraph::embed::detail
