#include "server/http_error.h"

#include "embed/errors.h"
#include "engine/branch.h"
#include "engine/change_feed.h"
#include "engine/external_blob.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "engine/merge.h"
#include "engine/pending.h"
#include "engine/reclaimed.h"
#include "format/deletion_vector.h"
#include "format/manifest.h"
#include "format/segment.h"
#include "policy/engine.h"
#include "query/budget.h"
#include "query/executor.h"
#include "query/mutation.h"
#include "service/changes.h"
#include "service/errors.h"

#include <cstdlib>
#include <httplib.h>

namespace omnigraph::server {

namespace {

struct StatusRule {
    std::string_view code;
    int status;
    std::string_view wire_code; // "" = no `code` in the body
};

// Lower-layer code → HTTP status (spec server-policy §1.2). A storage failure or damaged
// stored data is the server's problem (500), never the caller's.
constexpr StatusRule kStatusTable[] = {
    {codes::kNotFound, 404, "not_found"},
    {policy::kUnauthorized, 401, "unauthorized"},
    {engine::kForbidden, 403, "forbidden"},
    {engine::kConflict, 409, "conflict"},
    {engine::kMergeConflict, 409, "conflict"},
    {format::kManifestConflict, 409, "conflict"},
    {query::kReadSetConflict, 409, "conflict"},
    {query::kSchemaMismatch, 409, "conflict"},
    {service::kStoredQuerySchemaConflict, 409, "conflict"},
    {codes::kPreconditionFailed, 409, "conflict"}, // the branch changed under a write
    {query::kPreconditionFailure, 412, ""},
    {engine::kRecoveryRequired, 503, ""},
    {query::kResourceLimit, 413, "bad_request"},
    // A read past its deadline, or whose client left: 408 (no spec code; the detail says
    // which limit). Not 503: the server is fine, this request asked for too much time.
    {query::kQueryTimeout, 408, ""},
    {query::kQueryCancelled, 408, ""},
    // The graph's embedding provider failed (docs/cluster.md "Embedding providers"): the
    // upstream dependency's fault (502/503), or the server's configuration (500).
    {embed::kProviderUnavailable, 503, ""},
    {embed::kProviderRejected, 502, ""},
    {embed::kResponseInvalid, 502, ""},
    {embed::kDimensionMismatch, 502, ""},
    {embed::kApiKeyMissing, 500, "internal"},
    {embed::kInvalidProvider, 500, "internal"},
    {engine::kVersionReclaimed, 410, ""}, // like the feed's reclaimed history (change_feed_gap)
    {engine::kChangeFeedGap, 410, ""},
    {engine::kChangeDiffRefusal, 409, "conflict"},
    {engine::kChangeCursorRejected, 400, "bad_request"},
    {engine::kExternalBlobSource, 424, ""},
    {codes::kInternal, 500, "internal"},
    {codes::kStorageUnavailable, 500, "internal"},
    {codes::kStorageConfiguration, 500, "internal"},
    {codes::kStoragePermissionDenied, 500, "internal"},
    {codes::kStorageIo, 500, "internal"},
    {format::kSegmentCorrupt, 500, "internal"},
    {format::kDeletionVectorCorrupt, 500, "internal"},
    {format::kManifestCorrupt, 500, "internal"},
    {engine::kGraphInvalid, 500, "internal"},
};

// Where a word of a message can start: after these (or at the start).
bool word_boundary(std::string_view text, size_t at) {
    return at == 0 ||
           std::string_view(" \t\n'\"`([{<=,:").find(text[at - 1]) != std::string_view::npos;
}

// The end of the word starting at `at`: whitespace, a quote, a closing bracket, a comma or
// semicolon, or a colon followed by whitespace or the end.
size_t word_end(std::string_view text, size_t at) {
    size_t i = at;
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (std::string_view(" \t\n'\"`)]}>,;").find(c) != std::string_view::npos)
            break;
        if (c == ':' && (i + 1 == text.size() || text[i + 1] == ' '))
            break;
    }
    return i;
}

// The placeholder for the word text[at, end), or "" to keep it.
std::string_view hidden_word(std::string_view word) {
    for (std::string_view scheme : {"s3://", "file://", "gs://", "http://", "https://"})
        if (word.starts_with(scheme))
            return "<storage>";
    // An absolute path: "/a/b" (not "//", a lone "/x", nor a route like "/graphs/x", which the
    // server's own messages name but lower layers never do).
    if (word.size() > 2 && word[0] == '/' && word[1] != '/' &&
        word.find('/', 1) != std::string_view::npos)
        return "<storage>";
    if (word.starts_with("std::") || word.starts_with("__") ||
        word.find("::_") != std::string_view::npos)
        return "<internal>";
    return {};
}

std::string detail_value(const Error& e, std::string_view key) {
    const std::string* value = e.detail(key);
    return value ? *value : std::string();
}

} // namespace

HttpError bad_request(std::string message) {
    return {400, "bad_request", std::move(message)};
}

HttpError not_found(std::string message) {
    return {404, "not_found", std::move(message)};
}

std::string public_text(std::string_view message) {
    std::string out;
    size_t at = 0;
    while (at < message.size()) {
        if (word_boundary(message, at)) {
            size_t end = word_end(message, at);
            if (std::string_view hidden = hidden_word(message.substr(at, end - at));
                !hidden.empty()) {
                out += hidden;
                at = end;
                continue;
            }
        }
        out += message[at++];
    }
    return out;
}

HttpError http_error(const Error& e) {
    HttpError out;
    out.cause = e.code;
    std::string whole = e.location ? e.location->to_string() + ": " + e.message : e.message;
    for (const auto& rule : kStatusTable) {
        if (e.code != rule.code)
            continue;
        out.status = rule.status;
        out.code = rule.wire_code;
        out.log_message = whole;
        // A 500 is the server's problem: which object failed how is for the operator.
        out.message = rule.status == 500
                          ? "internal error (" + e.code + "); the server log has the details"
                          : public_text(e.message);
        if (rule.status == 412) {
            base::Json detail = base::Json::object({{"expected", detail_value(e, "expected")}});
            if (std::string actual = detail_value(e, "actual"); !actual.empty())
                detail["actual"] = actual;
            out.detail = base::Json::object({{"precondition_failure", detail}});
        }
        // A query budget's limit (query/budget.h): which resource, its limit, what was asked.
        if (std::string resource = detail_value(e, "resource");
            (rule.status == 413 || rule.status == 408) && !resource.empty()) {
            auto number = [&](const char* key) {
                return std::strtoull(detail_value(e, key).c_str(), nullptr, 10);
            };
            out.detail = base::Json::object(
                {{"resource_limit", base::Json::object({{"resource", resource},
                                                        {"limit", number("limit")},
                                                        {"actual", number("actual")}})}});
        }
        if (std::string conflicts = detail_value(e, engine::kMergeConflictsDetail);
            !conflicts.empty())
            out.detail = base::Json::object(
                {{"merge_conflicts", base::Json::parse(conflicts, nullptr, false)}});
        if (base::Json change = service::change_error_detail(e); change.is_object())
            out.detail = std::move(change);
        if (rule.status == 424)
            out.detail = base::Json::object(
                {{"external_blob_source",
                  base::Json::object({{"uri", detail_value(e, "uri")},
                                      {"reason", public_text(detail_value(e, "reason"))}})}});
        if (rule.status == 503)
            out.detail = base::Json::object(
                {{"recovery_required",
                  base::Json::object({{"operation_id", detail_value(e, "operation_id")}})}});
        return out;
    }
    out.status = 400;
    out.code = "bad_request";
    out.message = public_text(whole);
    out.log_message = whole;
    return out;
}

void send_json(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, "application/json");
}

void send_error(httplib::Response& res, const HttpError& e) {
    base::Json j = base::Json::object();
    j["error"] = e.message;
    if (!e.code.empty())
        j["code"] = e.code;
    if (e.detail.is_object())
        for (auto it = e.detail.begin(); it != e.detail.end(); ++it)
            j[it.key()] = it.value();
    if (e.status == 401)
        res.set_header("WWW-Authenticate", "Bearer");
    if (e.status == 429)
        res.set_header("Retry-After", "60");
    send_json(res, e.status, base::to_compact_json(j));
}

} // namespace omnigraph::server
