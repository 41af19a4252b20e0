// Provider configuration: cluster profiles, OMNIGRAPH_EMBED_*, ${VAR} secrets.
#include "embed/errors.h"
#include "embed/provider_config.h"

#include <cstdlib>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace omnigraph::embed {
namespace {

// Sets environment variables for one test and restores their absence after it.
class ScopedEnv {
  public:
    ScopedEnv(std::initializer_list<std::pair<const char*, const char*>> vars) {
        for (auto [k, v] : vars) {
            names_.push_back(k);
            ::setenv(k, v, 1);
        }
    }
    ~ScopedEnv() {
        for (const auto& k : names_)
            ::unsetenv(k.c_str());
    }

  private:
    std::vector<std::string> names_;
};

TEST(ProviderConfig, ProfileKindsAndDefaults) {
    auto mock = config_from_profile(base::Json{{"provider", "mock"}, {"model", "m"}}, "p");
    ASSERT_TRUE(mock) << mock.error().to_string();
    EXPECT_EQ(mock->kind, ProviderKind::kMock);
    EXPECT_EQ(mock->model, "m");

    auto compat = config_from_profile(base::Json{{"api_key", "${K}"}}, "p");
    ASSERT_TRUE(compat);
    EXPECT_EQ(compat->kind, ProviderKind::kOpenAiCompatible); // the default kind
    EXPECT_EQ(compat->base_url, "https://openrouter.ai/api/v1");

    auto gemini = config_from_profile(
        base::Json{{"kind", "gemini"}, {"api_key", "${K}"}, {"base_url", "http://h/v1beta/"}}, "p");
    ASSERT_TRUE(gemini);
    EXPECT_EQ(gemini->base_url, "http://h/v1beta"); // trailing slash dropped
    EXPECT_EQ(gemini->model, "gemini-embedding-001");
}

TEST(ProviderConfig, ProfileErrors) {
    auto unknown = config_from_profile(base::Json{{"kind", "cohere"}}, "provider.embedding.x");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, kInvalidProvider);
    EXPECT_NE(unknown.error().message.find("cohere"), std::string::npos);
    auto keyless = config_from_profile(base::Json{{"kind", "openai"}}, "p");
    ASSERT_FALSE(keyless);
    EXPECT_EQ(keyless.error().code, kInvalidProvider);
    auto not_string = config_from_profile(base::Json{{"model", 3}}, "p");
    ASSERT_FALSE(not_string);
}

TEST(ProviderConfig, Environment) {
    {
        auto none = config_from_env();
        ASSERT_TRUE(none);
        EXPECT_FALSE(none->has_value());
    }
    {
        ScopedEnv env{{"OMNIGRAPH_EMBED_PROVIDER", " openai "},
                      {"OMNIGRAPH_EMBED_MODEL", "text-embedding-3-large"},
                      {"OMNIGRAPH_EMBED_BATCH_SIZE", "7"},
                      {"OMNIGRAPH_EMBED_RETRIES", "0"}};
        auto c = config_from_env();
        ASSERT_TRUE(c) << c.error().to_string();
        ASSERT_TRUE(c->has_value());
        EXPECT_EQ((*c)->kind, ProviderKind::kOpenAi);
        EXPECT_EQ((*c)->model, "text-embedding-3-large");
        EXPECT_EQ((*c)->api_key, "${OMNIGRAPH_EMBED_API_KEY}");
        EXPECT_EQ((*c)->batch_size, 7u);
        EXPECT_EQ((*c)->max_retries, 0u);
    }
    {
        ScopedEnv env{{"OMNIGRAPH_EMBED_PROVIDER", "mock"}, {"OMNIGRAPH_EMBED_TIMEOUT_MS", "x"}};
        auto c = config_from_env();
        ASSERT_FALSE(c);
        EXPECT_EQ(c.error().code, kInvalidProvider);
        EXPECT_NE(c.error().message.find("OMNIGRAPH_EMBED_TIMEOUT_MS"), std::string::npos);
    }
    {
        ScopedEnv env{{"OMNIGRAPH_EMBED_PROVIDER", "bogus"}};
        auto c = config_from_env();
        ASSERT_FALSE(c);
        EXPECT_EQ(c.error().code, kInvalidProvider);
    }
}

TEST(ProviderConfig, SecretsResolvedAtUse) {
    ProviderConfig c;
    c.name = "provider.embedding.p";
    c.api_key = "${ OG_TEST_EMBED_KEY }";
    auto missing = resolve_api_key(c);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, kApiKeyMissing);
    EXPECT_NE(missing.error().message.find("OG_TEST_EMBED_KEY"), std::string::npos);
    {
        ScopedEnv env{{"OG_TEST_EMBED_KEY", "sk-secret"}};
        auto key = resolve_api_key(c);
        ASSERT_TRUE(key);
        EXPECT_EQ(*key, "sk-secret");
    }
    c.api_key = "sk-inline";
    auto inline_key = resolve_api_key(c);
    ASSERT_FALSE(inline_key);
    EXPECT_EQ(inline_key.error().code, kInvalidProvider);
    EXPECT_EQ(inline_key.error().message.find("sk-inline"), std::string::npos);
}

} // namespace
} // namespace omnigraph::embed
