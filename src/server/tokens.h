// Bearer tokens (spec server-policy §3): read once at boot from OMNIGRAPH_SERVER_BEARER_TOKEN
// (actor `default`) plus OMNIGRAPH_SERVER_BEARER_TOKENS_FILE or, without a file,
// OMNIGRAPH_SERVER_BEARER_TOKENS_JSON ({"actor":"token"}). Only SHA-256 digests are kept; a
// presented token is compared in constant time against every entry.
#pragma once

#include "base/error.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::server {

class TokenTable {
  public:
    // Boot errors (code invalid_tokens): blank actor or token, duplicate actor, a token shared by
    // two actors, a file that cannot be read, JSON that is not an object of strings.
    static Result<TokenTable> from_environment();
    // For tests: (actor, token) pairs, validated the same way.
    static Result<TokenTable> from_pairs(std::vector<std::pair<std::string, std::string>> pairs);

    bool empty() const { return entries_.empty(); }
    std::vector<std::string> actors() const; // sorted
    std::string source() const { return source_; }
    // The actor whose token this is. Time depends only on the table size.
    std::optional<std::string> actor_for(std::string_view token) const;

  private:
    struct Entry {
        std::string digest; // 32 raw bytes
        std::string actor;
    };
    std::vector<Entry> entries_;
    std::string source_ = "none";
};

} // namespace omnigraph::server
