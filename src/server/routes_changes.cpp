// The change surfaces over HTTP: GET /commits/{id}/changes, GET /changes and POST
// /changes/baseline (spec server-policy §1.3 rows 26-28, §1.5 "Commits and changes").
//
// Query strings are strict: an unknown parameter, a repeated singleton, a `limit` that is not
// a positive integer and an unknown `kind` or `op` are 400 before anything else happens.
// Errors pass an allow-list (spec §1.2): cursor rejections, unknown branch or commit, the
// feed gap, diff refusals and the page ceilings keep their answers; recovery is a 503 that
// names only its operation; anything else is a fixed 500, so a change route never tells a
// reader about storage.
#include "base/json.h"
#include "engine/change_feed.h"
#include "engine/pending.h"
#include "query/budget.h"
#include "server/request.h"
#include "server/server_state.h"
#include "server/sink_stream.h"
#include "service/changes.h"
#include "service/graph_info.h"

#include <algorithm>
#include <charconv>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace omnigraph::server {

namespace {

using base::Json;

// The answer to a change route's error, by the allow-list above.
HttpError change_error(const Error& e) {
    static constexpr std::string_view kPassed[] = {
        engine::kChangeCursorRejected, engine::kChangeFeedGap, engine::kChangeDiffRefusal,
        query::kResourceLimit,         codes::kNotFound,       codes::kInvalidArgument};
    for (std::string_view code : kPassed)
        if (e.is(code))
            return http_error(e);
    if (e.is(engine::kRecoveryRequired)) {
        HttpError out = http_error(e);
        out.message = "recovery required before changes can be read";
        return out;
    }
    HttpError out{500, "internal", "internal error while reading changes"};
    out.cause = e.code;
    out.log_message = e.message;
    return out;
}

template <class T> T unwrap_change(Result<T> r) {
    if (!r)
        throw change_error(r.error());
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}

// A change route's query string, checked against its allow-list.
class ChangeQuery {
  public:
    ChangeQuery(const httplib::Request& req, std::initializer_list<std::string_view> singletons)
        : req_(req) {
        for (const auto& [key, value] : req.params) {
            bool repeatable = key == "kind" || key == "type" || key == "op";
            bool single = std::find(singletons.begin(), singletons.end(), key) != singletons.end();
            if (!repeatable && !single)
                throw bad_request("unknown query parameter '" + key + "'");
            if (single && req.get_param_value_count(key) > 1)
                throw bad_request("query parameter '" + key + "' is given more than once");
        }
        if (auto text = get("limit")) {
            size_t n = 0;
            auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
            if (ec != std::errc() || end != text->data() + text->size() || n == 0)
                throw bad_request("invalid limit '" + *text + "': expected a positive integer");
            limit = n;
        }
        auto all = [&](const char* key) {
            std::vector<std::string> values;
            for (size_t i = 0; i < req.get_param_value_count(key); ++i)
                values.push_back(req.get_param_value(key, i));
            return values;
        };
        auto made = engine::make_change_filter(all("kind"), all("type"), all("op"));
        if (!made)
            throw bad_request(made.error().message);
        filter = std::move(*made);
    }

    std::optional<std::string> get(const char* key) const {
        if (!req_.has_param(key))
            return std::nullopt;
        return req_.get_param_value(key);
    }

    std::optional<size_t> limit;
    engine::ChangeFilter filter;

  private:
    const httplib::Request& req_;
};

// The filter of a baseline body: `kind`, `type`, `op` lists (absent or null = all).
engine::ChangeFilter baseline_filter(const Json& body) {
    engine::ChangeFilter f;
    auto strings = [&](const char* key) {
        std::vector<std::string> out;
        auto it = body.find(key);
        if (it == body.end() || it->is_null())
            return out;
        if (!it->is_array())
            throw bad_request(std::string("invalid baseline request: ") + key +
                              " must be a list of strings");
        for (const auto& v : *it) {
            if (!v.is_string())
                throw bad_request(std::string("invalid baseline request: ") + key +
                                  " must be a list of strings");
            out.push_back(v.get<std::string>());
        }
        return out;
    };
    for (auto& k : strings("kind")) {
        if (k != "node" && k != "edge")
            throw bad_request("invalid baseline request: kind '" + k + "' is not node or edge");
        f.kinds.push_back(std::move(k));
    }
    f.types = strings("type");
    for (const auto& o : strings("op")) {
        auto op = engine::parse_op(o);
        if (!op)
            throw bad_request("invalid baseline request: op '" + o +
                              "' is not insert, update or delete");
        f.ops.push_back(*op);
    }
    return f;
}

} // namespace

void add_change_routes(ServerState& s) {
    s.routes.add(
        {"GET", "/graphs/{graph_id}/commits/{commit_id}/changes", "cluster_getCommitChanges", false,
         true, [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             ChangeQuery q(req, {"page_token", "limit"});
             // The commit first, then `read` on its branch; a commit the caller may not read
             // is exactly an unknown one (spec §1.3 row 26: never 403).
             std::string unknown = "commit '" + path[1] + "' not found";
             auto commit = unwrap_change(service::find_commit(*g.handle, path[1]));
             try {
                 s.authorize(&g, policy::Action::kRead, actor, commit.graph_branch);
             } catch (const HttpError& denied) {
                 if (denied.status == 403)
                     throw not_found(unknown);
                 throw;
             }
             service::CommitChangesRequest request{path[1], q.limit, q.get("page_token"), q.filter};
             Json page = unwrap_change(service::commit_changes(*g.handle, request));
             send_json(res, 200, base::to_compact_json(page));
         }});

    s.routes.add(
        {"GET", "/graphs/{graph_id}/changes", "cluster_pollChanges", false, true,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             ChangeQuery q(req, {"branch", "cursor", "start", "page_token", "limit"});
             service::PollRequest request;
             request.branch = trimmed_branch(q.get("branch")).value_or("main");
             s.authorize(&g, policy::Action::kRead, actor, request.branch);
             request.cursor = q.get("cursor");
             request.start = q.get("start");
             request.page_token = q.get("page_token");
             request.limit = q.limit;
             request.filter = q.filter;
             Json page = unwrap_change(service::poll_changes(*g.handle, request));
             send_json(res, 200, base::to_compact_json(page));
         }});

    s.routes.add(
        {"POST", "/graphs/{graph_id}/changes/baseline", "cluster_captureChangeBaseline", false,
         true, [&s](const httplib::Request& req, httplib::Response& res, const PathParams& path) {
             auto actor = s.authenticate(req);
             const ServedGraph& g = s.graph(path[0]);
             Json body = body_json(req, true);
             reject_unknown_fields(body, {"branch", "kind", "type", "op"}, "baseline");
             std::string branch = trimmed_branch(opt_string(body, "branch")).value_or("main");
             engine::ChangeFilter filter = baseline_filter(body);
             s.authorize(&g, policy::Action::kExport, actor, branch);
             // Every check answers before the 200; the rows then stream, and the terminal
             // record comes last, so a cut-short stream has no cursor (spec §2.5).
             auto baseline = std::make_shared<service::PreparedBaseline>(
                 unwrap_change(service::prepare_baseline(*g.handle, branch, filter)));
             std::shared_ptr<ExportSlots::Slot> slot = s.take_export_slot();
             res.status = 200;
             res.set_chunked_content_provider(
                 "application/x-ndjson; charset=utf-8",
                 // `pin` keeps the generation `g` belongs to alive while the rows stream.
                 [&g, slot, baseline, pin = request_info().generation](size_t,
                                                                       httplib::DataSink& sink) {
                     SinkStreamBuf buffer(sink);
                     std::ostream out(&buffer);
                     auto rows = service::write_baseline_rows(*g.handle, *baseline, out);
                     if (!rows)
                         return false;
                     out << base::to_compact_json(service::baseline_record(*baseline)) << "\n";
                     out.flush();
                     if (!out)
                         return false;
                     sink.done();
                     return true;
                 });
         }});
}

} // namespace omnigraph::server
