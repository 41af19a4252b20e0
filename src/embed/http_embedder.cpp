// The HTTP providers: openai-compatible, openai and gemini (request and answer shapes in
// embed/embedder.h), over the pooled libcurl client of store/http_client.h.
#include "base/json.h"
#include "base/log.h"
#include "embed/errors.h"
#include "embed/kinds.h"
#include "store/http_client.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

namespace omnigraph::embed {

namespace {

using base::Json;

// The longest wait between attempts (backoff or Retry-After).
constexpr uint32_t kMaxRetryAfterMs = 60000;
// How much of a refusal's body a message quotes.
constexpr size_t kQuotedBody = 300;

class HttpEmbedder final : public Embedder {
  public:
    explicit HttpEmbedder(ProviderConfig config)
        : config_(std::move(config)),
          client_(store::HttpClientOptions{
              .max_connections = 4,
              .connect_timeout_ms = std::min<long>(config_.timeout_ms, 10000),
              .request_timeout_ms = static_cast<long>(config_.timeout_ms)}) {}

    const ProviderConfig& config() const override { return config_; }

    Result<std::vector<std::vector<float>>> embed(std::span<const std::string> texts, uint32_t dim,
                                                  Purpose purpose) override {
        std::string key = OG_TRY(resolve_api_key(config_));
        std::vector<std::vector<float>> out;
        out.reserve(texts.size());
        for (size_t at = 0; at < texts.size(); at += config_.batch_size) {
            auto batch = texts.subspan(at, std::min<size_t>(config_.batch_size, texts.size() - at));
            auto vectors = OG_TRY(embed_batch(batch, dim, purpose, key));
            for (auto& v : vectors)
                out.push_back(std::move(v));
        }
        return out;
    }

  private:
    bool gemini() const { return config_.kind == ProviderKind::kGemini; }

    store::HttpRequest request_for(std::span<const std::string> texts, uint32_t dim,
                                   Purpose purpose, const std::string& key,
                                   std::string& body) const {
        store::HttpRequest r;
        r.method = "POST";
        r.headers.emplace_back("Content-Type", "application/json");
        Json j;
        if (gemini()) {
            r.url = config_.base_url + "/models/" + config_.model + ":batchEmbedContents";
            r.headers.emplace_back("x-goog-api-key", key);
            j["requests"] = Json::array();
            for (const auto& t : texts) {
                Json one;
                one["model"] = "models/" + config_.model;
                one["content"]["parts"] = Json::array({Json{{"text", t}}});
                one["taskType"] =
                    purpose == Purpose::kQuery ? "RETRIEVAL_QUERY" : "RETRIEVAL_DOCUMENT";
                one["outputDimensionality"] = dim;
                j["requests"].push_back(std::move(one));
            }
        } else {
            r.url = config_.base_url + "/embeddings";
            r.headers.emplace_back("Authorization", "Bearer " + key);
            j["model"] = config_.model;
            j["input"] = Json::array();
            for (const auto& t : texts)
                j["input"].push_back(t);
            j["encoding_format"] = "float";
            if (config_.kind == ProviderKind::kOpenAi)
                j["dimensions"] = dim;
        }
        body = base::to_compact_json(j);
        r.body = body;
        return r;
    }

    // The message of a failed exchange, with the key blotted out should a server echo it.
    std::string redact(std::string text, const std::string& key) const {
        if (!key.empty())
            for (size_t at; (at = text.find(key)) != std::string::npos;)
                text.replace(at, key.size(), "***");
        return text;
    }

    Result<std::vector<std::vector<float>>> embed_batch(std::span<const std::string> texts,
                                                        uint32_t dim, Purpose purpose,
                                                        const std::string& key) {
        std::string body;
        store::HttpRequest request = request_for(texts, dim, purpose, key, body);
        std::string last;
        for (uint32_t attempt = 0;; ++attempt) {
            uint32_t wait_ms =
                std::min(config_.backoff_ms << std::min<uint32_t>(attempt, 16), kMaxRetryAfterMs);
            auto response = client_.send(request);
            if (response && response->status >= 200 && response->status < 300)
                return parse(response->body, texts.size(), dim);
            if (response && response->status != 429 && response->status < 500)
                return Error(kProviderRejected,
                             config_.name + " (" + kind_name(config_.kind) +
                                 ") refused the request: HTTP " + std::to_string(response->status) +
                                 ": " + redact(response->body.substr(0, kQuotedBody), key));
            if (response) {
                last = "HTTP " + std::to_string(response->status);
                if (auto after = retry_after_ms(response->header("retry-after")))
                    wait_ms = *after;
            } else {
                last = redact(response.error().message, key);
            }
            if (attempt >= config_.max_retries)
                break;
            base::log(base::LogLevel::kWarn, "embed.retry",
                      {{"provider", config_.name},
                       {"attempt", std::to_string(attempt + 1)},
                       {"reason", last},
                       {"wait_ms", std::to_string(wait_ms)}});
            std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
        }
        return Error(kProviderUnavailable,
                     config_.name + " (" + kind_name(config_.kind) + ") failed after " +
                         std::to_string(config_.max_retries + 1) + " attempts: " + last);
    }

    static std::optional<uint32_t> retry_after_ms(const std::string& value) {
        if (value.empty() || !std::all_of(value.begin(), value.end(), ::isdigit) ||
            value.size() > 6)
            return std::nullopt;
        return std::min<uint32_t>(static_cast<uint32_t>(std::stoul(value)) * 1000,
                                  kMaxRetryAfterMs);
    }

    Error malformed(const std::string& why) const {
        return Error(kResponseInvalid,
                     config_.name + " (" + kind_name(config_.kind) + ") answered " + why);
    }

    // One vector from a JSON array of numbers.
    Result<std::vector<float>> vector_of(const Json& values, uint32_t dim) const {
        if (!values.is_array())
            return malformed("an embedding that is not an array of numbers");
        if (values.size() != dim)
            return Error(kDimensionMismatch,
                         config_.name + " returned a vector of " + std::to_string(values.size()) +
                             " values where " + std::to_string(dim) +
                             " are declared (check the model and the Vector(N) of the property)");
        std::vector<float> v;
        v.reserve(dim);
        for (const auto& x : values) {
            if (!x.is_number())
                return malformed("an embedding that is not an array of numbers");
            float f = x.get<float>();
            if (!std::isfinite(f))
                return malformed("a non-finite embedding value");
            v.push_back(f);
        }
        return v;
    }

    Result<std::vector<std::vector<float>>> parse(const std::string& body, size_t count,
                                                  uint32_t dim) const {
        auto doc = base::parse_json(body);
        if (!doc || !doc->is_object())
            return malformed("a body that is not a JSON object");
        std::vector<std::vector<float>> out(count);
        if (gemini()) {
            auto it = doc->find("embeddings");
            if (it == doc->end() || !it->is_array() || it->size() != count)
                return malformed("no `embeddings` array with one entry per text");
            for (size_t i = 0; i < count; ++i) {
                const Json& e = (*it)[i];
                if (!e.is_object() || !e.contains("values"))
                    return malformed("an `embeddings` entry without `values`");
                out[i] = OG_TRY(vector_of(e.at("values"), dim));
            }
            return out;
        }
        auto it = doc->find("data");
        if (it == doc->end() || !it->is_array() || it->size() != count)
            return malformed("no `data` array with one entry per text");
        std::vector<bool> seen(count);
        for (size_t i = 0; i < count; ++i) {
            const Json& e = (*it)[i];
            if (!e.is_object() || !e.contains("embedding"))
                return malformed("a `data` entry without `embedding`");
            size_t index = i;
            if (auto ix = e.find("index"); ix != e.end()) {
                if (!ix->is_number_unsigned() || ix->get<uint64_t>() >= count ||
                    seen[ix->get<uint64_t>()])
                    return malformed("a `data` entry with a bad `index`");
                index = ix->get<uint64_t>();
            }
            seen[index] = true;
            out[index] = OG_TRY(vector_of(e.at("embedding"), dim));
        }
        return out;
    }

    ProviderConfig config_;
    store::HttpClient client_;
};

} // namespace

std::shared_ptr<Embedder> detail::make_http_embedder(ProviderConfig config) {
    return std::make_shared<HttpEmbedder>(std::move(config));
}

} // namespace omnigraph::embed
