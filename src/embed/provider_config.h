// Where an embedding provider is and how to talk to it: a cluster.yaml profile
// (`providers.embedding.<name>`: kind, base_url, model, api_key; spec cluster §2.4) or, for
// direct (non-cluster) use, the OMNIGRAPH_EMBED_* environment. The api_key is kept as written
// (`${NAME}`) and resolved only when a request is made (resolve_api_key); its value is never
// put in a message or a log line.
#pragma once

#include "base/error.h"
#include "base/json.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omnigraph::embed {

enum class ProviderKind { kOpenAiCompatible, kOpenAi, kGemini, kMock };
const char* kind_name(ProviderKind kind);
std::optional<ProviderKind> parse_kind(std::string_view text);

struct ProviderConfig {
    std::string name; // for messages: "provider.embedding.default" or "OMNIGRAPH_EMBED_PROVIDER"
    ProviderKind kind = ProviderKind::kOpenAiCompatible;
    std::string base_url; // defaulted per kind when the profile leaves it out
    std::string model;    // defaulted per kind when the profile leaves it out
    std::string api_key;  // `${NAME}` as written; empty for mock
    // Transport knobs, from OMNIGRAPH_EMBED_* in both modes (a profile has none of its own).
    uint32_t batch_size = 64; // texts per request
    uint32_t timeout_ms = 30000;
    uint32_t max_retries = 4;  // after the first attempt, on 429, 5xx and transport failures
    uint32_t backoff_ms = 500; // first retry delay; doubles each retry; Retry-After wins
};

// The profile of a cluster provider (its JSON as the ledger stores it: kind or provider,
// base_url, model, api_key) plus the transport knobs of the environment.
Result<ProviderConfig> config_from_profile(const base::Json& profile, std::string name);

// OMNIGRAPH_EMBED_PROVIDER (kind), _BASE_URL, _MODEL, _API_KEY (the key itself: it is read as
// the reference ${OMNIGRAPH_EMBED_API_KEY}), _BATCH_SIZE, _TIMEOUT_MS, _RETRIES, _BACKOFF_MS.
// Nullopt when OMNIGRAPH_EMBED_PROVIDER is unset: no provider.
Result<std::optional<ProviderConfig>> config_from_env();

// The secret `${NAME}` names, read from the environment now. kApiKeyMissing naming the variable
// (never a value) when it is unset; kInvalidProvider when the reference is not `${NAME}`.
Result<std::string> resolve_api_key(const ProviderConfig& config);

} // namespace omnigraph::embed
