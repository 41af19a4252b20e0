// The mock provider: deterministic vectors without I/O, for tests and offline runs.
#include "base/digest.h"
#include "embed/kinds.h"

#include <cmath>

namespace omnigraph::embed {

std::vector<float> mock_embedding(std::string_view model, std::string_view text, uint32_t dim) {
    // In double, rounded to float once at the end, so other implementations can match exactly.
    std::vector<double> x(dim);
    std::string seed = std::string(model) + '\0' + std::string(text) + '\0';
    std::string block;
    double norm = 0;
    for (uint32_t i = 0; i < dim; ++i) {
        if (i % 8 == 0)
            block = base::sha256_bytes(seed + std::to_string(i / 8));
        size_t at = 4 * size_t(i % 8);
        uint32_t w = 0;
        for (size_t b = 0; b < 4; ++b)
            w = (w << 8) | static_cast<uint8_t>(block[at + b]);
        x[i] = static_cast<double>(w) / 2147483648.0 - 1.0;
        norm += x[i] * x[i];
    }
    double scale = norm > 0 ? 1.0 / std::sqrt(norm) : 1.0;
    std::vector<float> v(dim);
    for (uint32_t i = 0; i < dim; ++i)
        v[i] = static_cast<float>(x[i] * scale);
    return v;
}

namespace {

class MockEmbedder final : public Embedder {
  public:
    explicit MockEmbedder(ProviderConfig config) : config_(std::move(config)) {}
    Result<std::vector<std::vector<float>>> embed(std::span<const std::string> texts, uint32_t dim,
                                                  Purpose) override {
        std::vector<std::vector<float>> out;
        out.reserve(texts.size());
        for (const auto& t : texts)
            out.push_back(mock_embedding(config_.model, t, dim));
        return out;
    }
    const ProviderConfig& config() const override { return config_; }

  private:
    ProviderConfig config_;
};

} // namespace

std::shared_ptr<Embedder> detail::make_mock_embedder(ProviderConfig config) {
    return std::make_shared<MockEmbedder>(std::move(config));
}

} // namespace omnigraph::embed
