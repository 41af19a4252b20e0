#include "server/tokens.h"

#include "base/digest.h"
#include "base/env.h"
#include "base/json.h"
#include "base/text.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace omnigraph::server {

namespace {

constexpr std::string_view kInvalidTokens = "invalid_tokens";

std::string env(const char* name) {
    return base::env_string(name).value_or("");
}

Status parse_map(std::string_view text, std::string_view origin,
                 std::vector<std::pair<std::string, std::string>>& out) {
    auto parsed = base::parse_json(text);
    if (!parsed || !parsed->is_object())
        return Error(kInvalidTokens,
                     std::string(origin) + " is not a JSON object of actor -> token");
    for (auto it = parsed->begin(); it != parsed->end(); ++it) {
        if (!it.value().is_string())
            return Error(kInvalidTokens, std::string(origin) + ": the token of actor '" + it.key() +
                                             "' is not a string");
        out.emplace_back(it.key(), it.value().get<std::string>());
    }
    return ok();
}

} // namespace

Result<TokenTable> TokenTable::from_pairs(std::vector<std::pair<std::string, std::string>> pairs) {
    TokenTable t;
    std::set<std::string> actors, digests;
    for (auto& [actor, token] : pairs) {
        actor = base::trim(actor);
        token = base::trim(token);
        if (actor.empty())
            return Error(kInvalidTokens, "bearer token table has a blank actor");
        if (token.empty())
            return Error(kInvalidTokens, "bearer token for actor '" + actor + "' is a blank token");
        if (!actors.insert(actor).second)
            return Error(kInvalidTokens, "actor '" + actor + "' has two bearer tokens");
        std::string digest = base::sha256_bytes(token);
        if (!digests.insert(digest).second)
            return Error(kInvalidTokens, "two actors share one bearer token");
        t.entries_.push_back({std::move(digest), actor});
    }
    std::sort(t.entries_.begin(), t.entries_.end(),
              [](const Entry& a, const Entry& b) { return a.actor < b.actor; });
    return t;
}

Result<TokenTable> TokenTable::from_environment() {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::vector<std::string> sources;
    if (!base::trim(env("OMNIGRAPH_SERVER_BEARER_TOKENS_AWS_SECRET")).empty())
        return Error(
            kInvalidTokens,
            "OMNIGRAPH_SERVER_BEARER_TOKENS_AWS_SECRET is set, but this build reads tokens "
            "only from OMNIGRAPH_SERVER_BEARER_TOKEN, _TOKENS_FILE or _TOKENS_JSON");
    if (std::string single = base::trim(env("OMNIGRAPH_SERVER_BEARER_TOKEN")); !single.empty()) {
        pairs.emplace_back("default", single);
        sources.push_back("OMNIGRAPH_SERVER_BEARER_TOKEN");
    }
    if (std::string file = base::trim(env("OMNIGRAPH_SERVER_BEARER_TOKENS_FILE")); !file.empty()) {
        std::ifstream in(file, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        if (!in)
            return Error(kInvalidTokens, "cannot read OMNIGRAPH_SERVER_BEARER_TOKENS_FILE " + file);
        OG_CHECK(parse_map(s.str(), "OMNIGRAPH_SERVER_BEARER_TOKENS_FILE", pairs));
        sources.push_back("OMNIGRAPH_SERVER_BEARER_TOKENS_FILE");
    } else if (std::string json = env("OMNIGRAPH_SERVER_BEARER_TOKENS_JSON");
               !base::trim(json).empty()) {
        OG_CHECK(parse_map(json, "OMNIGRAPH_SERVER_BEARER_TOKENS_JSON", pairs));
        sources.push_back("OMNIGRAPH_SERVER_BEARER_TOKENS_JSON");
    }
    auto table = OG_TRY(from_pairs(std::move(pairs)));
    table.source_.clear();
    for (const auto& s : sources)
        table.source_.append(table.source_.empty() ? "" : "+").append(s);
    if (table.source_.empty())
        table.source_ = "none";
    return table;
}

std::vector<std::string> TokenTable::actors() const {
    std::vector<std::string> out;
    out.reserve(entries_.size());
    for (const auto& e : entries_)
        out.push_back(e.actor);
    return out;
}

std::optional<std::string> TokenTable::actor_for(std::string_view token) const {
    std::string digest = base::sha256_bytes(token);
    const Entry* found = nullptr;
    for (const auto& e : entries_) // every entry, no early exit
        if (base::constant_time_equal(digest, e.digest) && !found)
            found = &e;
    return found ? std::optional(found->actor) : std::nullopt;
}

} // namespace omnigraph::server
