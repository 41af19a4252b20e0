#include "embed/provider_config.h"

#include "base/env.h"
#include "base/text.h"
#include "embed/errors.h"

#include <nlohmann/json.hpp>

namespace omnigraph::embed {

namespace {

struct KindDefaults {
    ProviderKind kind;
    const char* name;
    const char* base_url;
    const char* model;
};

constexpr KindDefaults kKinds[] = {
    {ProviderKind::kOpenAiCompatible, "openai-compatible", "https://openrouter.ai/api/v1",
     "openai/text-embedding-3-small"},
    {ProviderKind::kOpenAi, "openai", "https://api.openai.com/v1", "text-embedding-3-small"},
    {ProviderKind::kGemini, "gemini", "https://generativelanguage.googleapis.com/v1beta",
     "gemini-embedding-001"},
    {ProviderKind::kMock, "mock", "", "mock"},
};

const KindDefaults& defaults_of(ProviderKind kind) {
    for (const auto& k : kKinds)
        if (k.kind == kind)
            return k;
    return kKinds[0];
}

// The transport knobs every provider takes from the environment.
Status read_knobs(ProviderConfig& c) {
    auto knob = [](const char* var, uint32_t& into, uint64_t min, uint64_t max) -> Status {
        auto v = base::env_uint(var, into, min, max);
        if (!v)
            return Error(kInvalidProvider, v.error().message);
        into = static_cast<uint32_t>(*v);
        return ok();
    };
    OG_CHECK(knob("OMNIGRAPH_EMBED_BATCH_SIZE", c.batch_size, 1, 2048));
    OG_CHECK(knob("OMNIGRAPH_EMBED_TIMEOUT_MS", c.timeout_ms, 1, 600000));
    OG_CHECK(knob("OMNIGRAPH_EMBED_RETRIES", c.max_retries, 0, 20));
    OG_CHECK(knob("OMNIGRAPH_EMBED_BACKOFF_MS", c.backoff_ms, 0, 60000));
    return ok();
}

Status fill_defaults(ProviderConfig& c) {
    const KindDefaults& d = defaults_of(c.kind);
    if (c.base_url.empty())
        c.base_url = d.base_url;
    while (!c.base_url.empty() && c.base_url.back() == '/')
        c.base_url.pop_back();
    if (c.model.empty())
        c.model = d.model;
    if (c.kind != ProviderKind::kMock && c.api_key.empty())
        return Error(kInvalidProvider, c.name + ": a " + d.name + " provider needs an api_key");
    return read_knobs(c);
}

} // namespace

const char* kind_name(ProviderKind kind) {
    return defaults_of(kind).name;
}

std::optional<ProviderKind> parse_kind(std::string_view text) {
    for (const auto& k : kKinds)
        if (text == k.name)
            return k.kind;
    return std::nullopt;
}

Result<ProviderConfig> config_from_profile(const base::Json& profile, std::string name) {
    ProviderConfig c;
    c.name = std::move(name);
    if (!profile.is_object())
        return Error(kInvalidProvider, c.name + ": the embedding profile is not an object");
    auto field = [&](const char* key) -> Result<std::string> {
        auto it = profile.find(key);
        if (it == profile.end() || it->is_null())
            return std::string();
        if (!it->is_string())
            return Error(kInvalidProvider, c.name + ": `" + key + "` must be a string");
        return it->get<std::string>();
    };
    std::string kind = OG_TRY(field("kind"));
    if (kind.empty())
        kind = OG_TRY(field("provider"));
    if (!kind.empty()) {
        auto k = parse_kind(kind);
        if (!k)
            return Error(kInvalidProvider, c.name + ": unknown embedding provider kind '" + kind +
                                               "' (openai-compatible, openai, gemini, mock)");
        c.kind = *k;
    }
    c.base_url = OG_TRY(field("base_url"));
    c.model = OG_TRY(field("model"));
    c.api_key = OG_TRY(field("api_key"));
    OG_CHECK(fill_defaults(c));
    return c;
}

Result<std::optional<ProviderConfig>> config_from_env() {
    auto kind = base::env_string("OMNIGRAPH_EMBED_PROVIDER");
    if (!kind)
        return std::optional<ProviderConfig>();
    ProviderConfig c;
    c.name = "OMNIGRAPH_EMBED_PROVIDER";
    std::string kind_text = base::trim(*kind);
    auto k = parse_kind(kind_text);
    if (!k)
        return Error(kInvalidProvider,
                     "OMNIGRAPH_EMBED_PROVIDER: unknown embedding provider kind '" + kind_text +
                         "' (openai-compatible, openai, gemini, mock)");
    c.kind = *k;
    c.base_url = base::trim(base::env_string("OMNIGRAPH_EMBED_BASE_URL").value_or(""));
    c.model = base::trim(base::env_string("OMNIGRAPH_EMBED_MODEL").value_or(""));
    if (c.kind != ProviderKind::kMock)
        c.api_key = "${OMNIGRAPH_EMBED_API_KEY}";
    OG_CHECK(fill_defaults(c));
    return std::optional<ProviderConfig>(std::move(c));
}

Result<std::string> resolve_api_key(const ProviderConfig& config) {
    std::string ref = base::trim(config.api_key);
    if (!ref.starts_with("${") || !ref.ends_with("}") || ref.size() <= 3)
        return Error(kInvalidProvider,
                     config.name + ": api_key must be an environment reference ${NAME}");
    std::string var(base::trim(ref.substr(2, ref.size() - 3)));
    auto value = base::env_string(var);
    if (!value)
        return Error(kApiKeyMissing, config.name + ": the api_key variable " + var + " is not set")
            .with_detail("variable", var);
    return std::move(*value);
}

} // namespace omnigraph::embed
