// Fuzz target: change-feed cursors and page tokens (engine/change_feed.h). Never crash; what
// decodes seals and decodes again to the same payload; a refusal says it is one.
#include "engine/change_feed.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace omnigraph;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto payload = engine::decode_token(text);
    if (payload) {
        auto again = engine::decode_token(engine::encode_token(*payload));
        if (!again || *again != *payload)
            std::abort();
    }
    engine::FeedScope scope;
    scope.branch = "main";
    auto after = engine::decode_cursor(text, scope);
    if (!after && !after.error().message.starts_with("change cursor rejected: "))
        std::abort();
    // A cursor issued for any branch name is accepted for that branch (names that are not valid
    // UTF-8 included: they are sealed with U+FFFD), and refused for another.
    scope.branch = std::string(text);
    scope.incarnation = 7;
    auto issued =
        engine::decode_cursor(engine::encode_cursor(scope, "01M96BJ6DV7S3DMME0AXZWCJZ6"), scope);
    if (!issued || *issued != "01M96BJ6DV7S3DMME0AXZWCJZ6")
        std::abort();
    engine::FeedScope other = scope;
    other.branch += "x";
    if (engine::decode_cursor(engine::encode_cursor(scope, "01M96BJ6DV7S3DMME0AXZWCJZ6"), other))
        std::abort();
    return 0;
}
