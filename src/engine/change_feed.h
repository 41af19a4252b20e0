// The change feed of one branch (spec engine-cli §2.5): its first-parent history after a
// caller-owned cursor, a bounded cut of commits at a time, each diffed against its first
// parent (changes.h). The server keeps no consumer state: a cursor names the last complete
// commit a consumer has, bound to the branch's incarnation (a deleted and re-created branch
// rejects old cursors) and to the filter it was issued for. Cursors and page tokens are
// opaque to callers: base64url JSON with a checksum, so a damaged or hand-edited one is
// rejected, never misread.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/changes.h"
#include "engine/graph.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::engine {

// A cursor or page token this feed cannot use (HTTP 400); the message starts with
// "change cursor rejected: ".
inline constexpr std::string_view kChangeCursorRejected = "change_cursor_rejected";

// Commits one poll reads at most (spec: 128).
inline constexpr size_t kCommitsPerPoll = 128;

// What a cursor is bound to.
struct FeedScope {
    std::string branch;
    int64_t incarnation = 0; // the branch record's created_at; 0 for main
    ChangeFilter filter;     // canonical
};

// The scope of `branch` now (not_found when it does not exist).
Result<FeedScope> feed_scope(const Graph& graph, const std::string& branch,
                             const ChangeFilter& filter);

// Tokens: `payload` (an object) sealed into an opaque string, and back. decode_token answers
// kChangeCursorRejected for anything encode_token did not write.
std::string encode_token(const base::Json& payload);
Result<base::Json> decode_token(std::string_view token);

// The scope as a token payload, and its check against the scope a request has.
base::Json scope_json(const FeedScope& scope);
Status check_scope(const base::Json& payload, const FeedScope& scope);

// A durable cursor: `scope`, resuming after `commit_id`.
std::string encode_cursor(const FeedScope& scope, const std::string& commit_id);
// The commit a cursor resumes after, when it was issued for `scope`.
Result<std::string> decode_cursor(std::string_view cursor, const FeedScope& scope);

// Commits of `head`'s first-parent history after `after` (exclusive; nullopt = all of it, the
// parentless first commit left out), oldest first, at most `max`. kChangeCursorRejected when
// `after` is not in that history.
struct FeedCut {
    std::vector<format::CommitRecord> commits;
    bool caught_up = true; // the cut reaches `head`
};
Result<FeedCut> feed_cut(const Graph& graph, const std::string& head,
                         const std::optional<std::string>& after, size_t max);

} // namespace omnigraph::engine
