// An embedding provider: text in, one vector per text out (spec cluster §2.4, query-language
// §1.8/§1.9). Made from a ProviderConfig by make_embedder; the kinds are
//   - openai-compatible / openai: POST {base_url}/embeddings, `Authorization: Bearer <key>`,
//     body {"model", "input": [texts], "encoding_format": "float"} (openai also sends
//     "dimensions"); answer {"data": [{"index", "embedding": [numbers]}]};
//   - gemini: POST {base_url}/models/{model}:batchEmbedContents, `x-goog-api-key: <key>`, body
//     {"requests": [{"model": "models/{model}", "content": {"parts": [{"text"}]}, "taskType",
//     "outputDimensionality"}]}; answer {"embeddings": [{"values": [numbers]}]};
//   - mock: no I/O, mock_embedding() below.
// Texts go out in batches of ProviderConfig::batch_size; 429, 5xx and transport failures are
// retried with exponential backoff (Retry-After honoured); errors carry the codes of
// embed/errors.h and never the api key. Thread-safe.
#pragma once

#include "base/error.h"
#include "embed/provider_config.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace omnigraph::embed {

// What a text is embedded for (Gemini's taskType; others ignore it).
enum class Purpose { kDocument, kQuery };

class Embedder {
  public:
    virtual ~Embedder() = default;
    // One vector of exactly `dim` floats per text, in order (kDimensionMismatch otherwise).
    virtual Result<std::vector<std::vector<float>>> embed(std::span<const std::string> texts,
                                                          uint32_t dim, Purpose purpose) = 0;
    virtual const ProviderConfig& config() const = 0;
    const std::string& model() const { return config().model; }
};

Result<std::shared_ptr<Embedder>> make_embedder(ProviderConfig config);

// The mock provider's vector for `text`: for i in [0, dim), word i is the big-endian uint32 at
// byte 4*(i mod 8) of SHA-256(model + "\0" + text + "\0" + decimal(i / 8)), mapped to
// w / 2^31 - 1 (in [-1, 1)); the vector is then scaled to unit length. Equal texts give equal
// vectors; different texts give (almost surely) different ones.
std::vector<float> mock_embedding(std::string_view model, std::string_view text, uint32_t dim);

// The @embed(model="m") same-space check: kModelMismatch unless the provider's model is `m`
// (no model recorded: any provider fits). `what` names the property ("Chunk.embedding").
Status check_model(const Embedder& embedder, const std::optional<std::string>& model,
                   std::string_view what);

} // namespace omnigraph::embed
