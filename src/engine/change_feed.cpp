#include "engine/change_feed.h"

#include "base/checksum.h"
#include "base/digest.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>

namespace omnigraph::engine {

using base::Json;

namespace {

Error rejected(std::string why) {
    return Error(kChangeCursorRejected, "change cursor rejected: " + std::move(why));
}

std::string to_base64url(std::string_view bytes) {
    std::string s = base::base64_encode(bytes);
    for (char& c : s)
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    while (!s.empty() && s.back() == '=')
        s.pop_back();
    return s;
}

bool from_base64url(std::string_view text, std::string& out) {
    std::string s(text);
    for (char& c : s) {
        if (c == '+' || c == '/' || c == '=')
            return false;
        c = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    while (s.size() % 4 != 0)
        s.push_back('=');
    return base::base64_decode(s, out);
}

std::string crc_hex(std::string_view text) {
    char buf[9];
    int n = std::snprintf(buf, sizeof buf, "%08x", base::crc32c(text));
    return std::string(buf, static_cast<size_t>(std::max(n, 0)));
}

Json filter_json(const ChangeFilter& f) {
    Json ops = Json::array();
    for (ChangeOp op : f.ops)
        ops.push_back(std::string(op_name(op)));
    return Json::object({{"kind", f.kinds}, {"type", f.types}, {"op", ops}});
}

} // namespace

Result<FeedScope> feed_scope(const Graph& graph, const std::string& branch,
                             const ChangeFilter& filter) {
    FeedScope scope;
    scope.branch = branch;
    scope.filter = filter.canonical();
    if (branch != "main") {
        auto record = OG_TRY(graph.branch_record(branch));
        if (!record)
            return Error(codes::kNotFound, "branch '" + branch + "' not found");
        scope.incarnation = record->created_at;
    }
    return scope;
}

std::string encode_token(const Json& payload) {
    std::string text = base::to_compact_json(payload);
    return to_base64url(text) + "." + crc_hex(text);
}

Result<Json> decode_token(std::string_view token) {
    size_t dot = token.rfind('.');
    std::string text;
    if (dot == std::string_view::npos || !from_base64url(token.substr(0, dot), text) ||
        crc_hex(text) != token.substr(dot + 1))
        return rejected("not a token this server issued (damaged or edited)");
    auto parsed = base::parse_json(text);
    if (!parsed || !parsed->is_object())
        return rejected("not a token this server issued");
    return std::move(*parsed);
}

Json scope_json(const FeedScope& scope) {
    return Json::object({{"branch", scope.branch},
                         {"incarnation", scope.incarnation},
                         {"filter", filter_json(scope.filter)}});
}

Status check_scope(const Json& payload, const FeedScope& scope) {
    auto it = payload.find("scope");
    if (it == payload.end() || !it->is_object())
        return rejected("it names no feed scope");
    const Json& s = *it;
    // Compared as it was sealed: a name that is not valid UTF-8 is written with U+FFFD.
    auto sealed = base::parse_json(base::to_compact_json(scope_json(scope)));
    if (!sealed)
        return std::move(sealed).error();
    const Json& want = *sealed;
    if (s.value("branch", Json()) != want["branch"])
        return rejected("it was issued for another branch");
    if (s.value("incarnation", Json()) != want["incarnation"])
        return rejected("branch '" + scope.branch +
                        "' was deleted and re-created since it was issued");
    if (s.value("filter", Json()) != want["filter"])
        return rejected("it was issued for another kind/type/op filter");
    return ok();
}

std::string encode_cursor(const FeedScope& scope, const std::string& commit_id) {
    return encode_token(
        Json::object({{"t", "cursor"}, {"scope", scope_json(scope)}, {"after", commit_id}}));
}

Result<std::string> decode_cursor(std::string_view cursor, const FeedScope& scope) {
    Json payload = OG_TRY(decode_token(cursor));
    if (payload.value("t", Json()) != Json("cursor"))
        return rejected("a page token is not a cursor");
    OG_CHECK(check_scope(payload, scope));
    auto after = payload.find("after");
    if (after == payload.end() || !after->is_string())
        return rejected("it names no commit");
    return after->get<std::string>();
}

Result<FeedCut> feed_cut(const Graph& graph, const std::string& head,
                         const std::optional<std::string>& after, size_t max) {
    // Walk back from the head; keep the oldest `max` commits seen (the next ones to deliver).
    std::deque<format::CommitRecord> newest_first;
    size_t seen = 0;
    std::optional<std::string> at = head;
    bool found = !after;
    while (at) {
        if (after && *at == *after) {
            found = true;
            break;
        }
        auto commit = graph.commit(*at);
        if (!commit) {
            if (commit.error().is(codes::kNotFound) || commit.error().is(codes::kInvalidArgument))
                return rejected("commit '" + *at + "' is not in this graph");
            return commit.error();
        }
        at = commit->parent_commit_id;
        if (!commit->parent_commit_id)
            break; // the first commit: nothing to diff, nothing to deliver
        newest_first.push_back(std::move(*commit));
        ++seen;
        if (newest_first.size() > max)
            newest_first.pop_front();
    }
    if (!found)
        return rejected("commit '" + *after +
                        "' is not in the first-parent history of this branch");
    FeedCut cut;
    cut.caught_up = seen <= max;
    cut.commits.assign(newest_first.rbegin(), newest_first.rend());
    return cut;
}

} // namespace omnigraph::engine
