#include "service/changes.h"

#include "base/ulid.h"
#include "engine/change_feed.h"
#include "query/budget.h"
#include "service/graph_info.h"

#include <nlohmann/json.hpp>

namespace omnigraph::service {

using base::Json;
using engine::ChangeFilter;
using engine::CommitDiff;

namespace {

constexpr size_t kPageBytes = size_t{4} << 20;
constexpr size_t kMaxChangeBytes = size_t{32} << 20;

Result<size_t> page_limit(const std::optional<size_t>& limit) {
    size_t n = limit.value_or(kDefaultChangePage);
    if (n == 0)
        return Error(codes::kInvalidArgument, "limit must be at least 1");
    if (n > kMaxChangePage)
        return query::resource_limit_error("commit_changes_page_changes", kMaxChangePage, n);
    return n;
}

Json optional_json(const std::optional<std::string>& v) {
    return v ? Json(*v) : Json(nullptr);
}

// ChangeCauseOutput.
Json cause_json(const format::CommitRecord& c) {
    return Json::object({{"graph_commit_id", c.graph_commit_id},
                         {"parent_commit_id", optional_json(c.parent_commit_id)},
                         {"merged_parent_commit_id", optional_json(c.merged_parent_commit_id)},
                         {"authored_branch", c.graph_branch},
                         {"actor_id", optional_json(c.actor_id)},
                         {"authored_at", c.created_at}});
}

// Appends changes of `diff` from `begin` to `changes` until the page holds `room` changes or
// kPageBytes (at least one change per page); returns where it stopped.
Result<size_t> fill_page(const GraphHandle& graph, const CommitDiff& diff, size_t begin,
                         size_t room, size_t& bytes, Json& changes) {
    size_t end = std::min(diff.changes.size(), begin + room);
    Json images;
    OG_CHECK(engine::read_images(graph.graph(), diff, begin, end, images));
    size_t at = begin;
    for (; at < end; ++at) {
        const engine::EntityChange& c = diff.changes[at];
        Json change =
            Json::object({{"kind", c.is_edge ? "edge" : "node"},
                          {"type", Json::object({{"id", c.type_id}, {"name", c.type_name}})},
                          {"id", c.id},
                          {"op", engine::op_name(c.op)}});
        for (const char* side : {"before", "after"})
            if (Json& image = images[at - begin][side]; !image.is_null())
                change[side] = std::move(image);
        size_t size = base::to_compact_json(change).size();
        if (size > kMaxChangeBytes)
            return query::resource_limit_error("commit_changes_page_bytes", kMaxChangeBytes, size);
        if (bytes > 0 && bytes + size > kPageBytes)
            break;
        bytes += size;
        changes.push_back(std::move(change));
    }
    return at;
}

Error bad_token(std::string why) {
    return Error(engine::kChangeCursorRejected, "change cursor rejected: " + std::move(why));
}

size_t token_number(const Json& payload, const char* key) {
    auto it = payload.find(key);
    return it != payload.end() && it->is_number_unsigned() ? it->get<size_t>() : SIZE_MAX;
}

Status check_poll_request(const PollRequest& request) {
    int given = int(request.cursor.has_value()) + int(request.start.has_value()) +
                int(request.page_token.has_value());
    if (given > 1)
        return Error(codes::kInvalidArgument,
                     "cursor, start and page_token are mutually exclusive; pass at most one");
    if (request.start) {
        const std::string& s = *request.start;
        bool ok_start = s == "now" || s == "beginning" ||
                        (s.starts_with("after:") && base::is_ulid(s.substr(6)));
        if (!ok_start)
            return Error(codes::kInvalidArgument,
                         "invalid start '" + s + "': expected now, beginning or after:<commit id>");
    }
    return ok();
}

} // namespace

Result<Json> commit_changes(const GraphHandle& graph, const CommitChangesRequest& request) {
    size_t limit = OG_TRY(page_limit(request.limit));
    auto commit = OG_TRY(find_commit(graph, request.commit_id));
    ChangeFilter filter = request.filter.canonical();
    size_t begin = 0;
    if (request.page_token) {
        Json payload = OG_TRY(engine::decode_token(*request.page_token));
        engine::FeedScope scope{commit.graph_commit_id, 0, filter};
        if (payload.value("t", Json()) != Json("commit"))
            return bad_token("not a page token of a commit's changes");
        OG_CHECK(engine::check_scope(payload, scope));
        begin = token_number(payload, "offset");
        if (begin == SIZE_MAX)
            return bad_token("it names no position");
    }
    auto diff = OG_TRY(engine::diff_commit(graph.graph(), commit, filter));
    if (begin > diff.changes.size())
        return bad_token("it points past the end of the commit's changes");
    Json changes = Json::array();
    size_t bytes = 0;
    size_t end = OG_TRY(fill_page(graph, diff, begin, limit, bytes, changes));
    Json out = Json::object({{"cause", cause_json(commit)}, {"changes", std::move(changes)}});
    if (end < diff.changes.size()) {
        // The scope's "branch" slot holds the commit: a token continues only its own diff.
        engine::FeedScope scope{commit.graph_commit_id, 0, filter};
        out["next_page_token"] = engine::encode_token(
            Json::object({{"t", "commit"}, {"scope", engine::scope_json(scope)}, {"offset", end}}));
    }
    return out;
}

Result<Json> poll_changes(const GraphHandle& graph, const PollRequest& request) {
    OG_CHECK(check_poll_request(request));
    size_t limit = OG_TRY(page_limit(request.limit));
    const engine::Graph& g = graph.graph();
    engine::FeedScope scope = OG_TRY(engine::feed_scope(g, request.branch, request.filter));
    // The cut: the commits after `after`, up to `to` (a page token keeps its poll's cut).
    std::optional<std::string> after;
    std::string to;
    size_t block = 0, offset = 0;
    bool caught_up = true; // whether the cut reaches the head the poll started at
    if (request.page_token) {
        Json payload = OG_TRY(engine::decode_token(*request.page_token));
        if (payload.value("t", Json()) != Json("poll"))
            return bad_token("not a page token of a change poll");
        OG_CHECK(engine::check_scope(payload, scope));
        if (auto it = payload.find("after"); it != payload.end() && it->is_string())
            after = it->get<std::string>();
        to = payload.value("to", std::string());
        caught_up = payload.value("caught_up", false);
        block = token_number(payload, "block");
        offset = token_number(payload, "offset");
        if (to.empty() || block == SIZE_MAX || offset == SIZE_MAX)
            return bad_token("it names no position");
    } else {
        std::string head = OG_TRY(g.head(request.branch)).commit_id;
        std::string start = request.start.value_or("now");
        if (request.cursor)
            after = OG_TRY(engine::decode_cursor(*request.cursor, scope));
        else if (start == "now")
            return Json::object({{"blocks", Json::array()},
                                 {"cursor", engine::encode_cursor(scope, head)},
                                 {"caught_up", true}});
        else if (start.starts_with("after:"))
            after = start.substr(6);
        to = head;
    }
    auto cut_or = engine::feed_cut(g, to, after, engine::kCommitsPerPoll);
    if (!cut_or && cut_or.error().is(engine::kChangeFeedGap) && request.cursor)
        return std::move(cut_or.error()).with_detail("cursor", *request.cursor);
    engine::FeedCut cut = OG_TRY(std::move(cut_or));
    if (!request.page_token)
        caught_up = cut.caught_up;
    if (request.page_token && block > cut.commits.size())
        return bad_token("it points past its poll's commits");
    if (!request.page_token && !cut.commits.empty())
        to = cut.commits.back().graph_commit_id;

    Json blocks = Json::array();
    size_t room = limit, bytes = 0;
    for (; block < cut.commits.size(); ++block, offset = 0) {
        const format::CommitRecord& commit = cut.commits[block];
        auto diff_or = engine::diff_commit(g, commit, scope.filter);
        if (!diff_or && diff_or.error().is(engine::kChangeFeedGap) && request.cursor)
            return std::move(diff_or.error()).with_detail("cursor", *request.cursor);
        CommitDiff diff = OG_TRY(std::move(diff_or));
        if (offset > diff.changes.size())
            return bad_token("it points past the end of a commit's changes");
        if (room == 0 || (bytes >= kPageBytes && offset < diff.changes.size()))
            break;
        Json changes = Json::array();
        size_t end = OG_TRY(fill_page(graph, diff, offset, room, bytes, changes));
        room -= end - offset;
        blocks.push_back(
            Json::object({{"cause", cause_json(commit)}, {"changes", std::move(changes)}}));
        if (end < diff.changes.size()) {
            offset = end;
            break;
        }
    }
    Json out = Json::object({{"blocks", std::move(blocks)}});
    if (block < cut.commits.size()) {
        Json payload = Json::object({{"t", "poll"},
                                     {"scope", engine::scope_json(scope)},
                                     {"after", optional_json(after)},
                                     {"to", to},
                                     {"block", block},
                                     {"offset", offset},
                                     {"caught_up", caught_up}});
        out["next_page_token"] = engine::encode_token(payload);
        return out;
    }
    // Terminal page: the cursor advances over every commit of the cut.
    std::string last = !cut.commits.empty() ? cut.commits.back().graph_commit_id
                       : after              ? *after
                                            : to; // a graph with only its first commit
    out["cursor"] = engine::encode_cursor(scope, last);
    out["caught_up"] = caught_up;
    return out;
}

Result<PreparedBaseline> prepare_baseline(const GraphHandle& graph, const std::string& branch,
                                          const ChangeFilter& filter) {
    engine::FeedScope scope = OG_TRY(engine::feed_scope(graph.graph(), branch, filter));
    Target target;
    target.branch = branch;
    PreparedBaseline out;
    out.snapshot = OG_TRY(prepare_export(graph, target, {}));
    const schema::Catalog& catalog = out.snapshot.snapshot.schema->catalog;
    bool narrowed = !scope.filter.kinds.empty() || !scope.filter.types.empty();
    if (narrowed) {
        for (const auto& n : catalog.nodes)
            if (scope.filter.admits_table(false, n.name))
                out.snapshot.types.push_back(n.name);
        for (const auto& e : catalog.edges)
            if (scope.filter.admits_table(true, e.name))
                out.snapshot.types.push_back(e.name);
        out.empty_scope = out.snapshot.types.empty();
    }
    out.snapshot_commit_id = out.snapshot.snapshot.manifest.commit_id;
    out.resume_cursor = engine::encode_cursor(scope, out.snapshot_commit_id);
    return out;
}

Result<uint64_t> write_baseline_rows(const GraphHandle& graph, const PreparedBaseline& baseline,
                                     std::ostream& out) {
    if (baseline.empty_scope)
        return uint64_t{0};
    return write_export(graph, baseline.snapshot, out);
}

Json baseline_record(const PreparedBaseline& baseline) {
    return Json::object(
        {{"baseline", Json::object({{"snapshot_commit_id", baseline.snapshot_commit_id},
                                    {"resume_cursor", baseline.resume_cursor}})}});
}

Json change_error_detail(const Error& error) {
    auto detail = [&](std::string_view key) -> Json {
        const std::string* value = error.detail(key);
        return value ? Json(*value) : Json(nullptr);
    };
    if (error.is(engine::kChangeFeedGap)) {
        Json gap =
            Json::object({{"first_unreadable_commit_id", detail("first_unreadable_commit_id")}});
        if (Json cursor = detail("cursor"); !cursor.is_null())
            gap["cursor"] = cursor;
        return Json::object({{"change_feed_gap", gap}});
    }
    if (error.is(engine::kChangeDiffRefusal)) {
        Json refusal = Json::object(
            {{"reason", detail("reason")}, {"graph_commit_id", detail("graph_commit_id")}});
        if (Json type = detail("type_name"); !type.is_null())
            refusal["type_name"] = type;
        return Json::object({{"change_diff_refusal", refusal}});
    }
    return nullptr;
}

} // namespace omnigraph::service
