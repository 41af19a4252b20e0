// Computing @embed targets on write (spec query-language §1.9; beyond upstream, which leaves
// them to the client): a row whose target vector is absent (or null) while its text source is
// set is staged with a null target and listed in LoadBatch::embeds; fill_embeddings then asks
// the provider for every listed text (in the provider's batches) and writes the vectors in.
// Without a provider, a non-nullable target fails the write (embedding_provider_missing, located
// at the row); a nullable one stays null.
#pragma once

#include "base/error.h"
#include "embed/embedder.h"
#include "engine/load_input.h"
#include "schema/catalog.h"

namespace omnigraph::engine {

// `embedder` may be null (no provider). `file` names the input for error locations.
Status fill_embeddings(LoadBatch& batch, const schema::Catalog& catalog, embed::Embedder* embedder,
                       std::string_view file);

} // namespace omnigraph::engine
