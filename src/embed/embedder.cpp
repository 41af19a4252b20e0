#include "embed/embedder.h"

#include "embed/errors.h"
#include "embed/kinds.h"

namespace omnigraph::embed {

Result<std::shared_ptr<Embedder>> make_embedder(ProviderConfig config) {
    if (config.kind == ProviderKind::kMock)
        return detail::make_mock_embedder(std::move(config));
    return detail::make_http_embedder(std::move(config));
}

Status check_model(const Embedder& embedder, const std::optional<std::string>& model,
                   std::string_view what) {
    if (!model || *model == embedder.model())
        return ok();
    return Error(kModelMismatch, std::string(what) + " is embedded with model '" + *model +
                                     "' but the embedding provider " + embedder.config().name +
                                     " uses model '" + embedder.model() + "'");
}

} // namespace omnigraph::embed
