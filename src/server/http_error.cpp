#include "server/http_error.h"

#include "engine/branch.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "engine/pending.h"
#include "format/deletion_vector.h"
#include "format/manifest.h"
#include "format/segment.h"
#include "policy/engine.h"
#include "query/executor.h"
#include "query/mutation.h"
#include "service/errors.h"

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
    {format::kManifestConflict, 409, "conflict"},
    {query::kReadSetConflict, 409, "conflict"},
    {query::kSchemaMismatch, 409, "conflict"},
    {service::kStoredQuerySchemaConflict, 409, "conflict"},
    {codes::kPreconditionFailed, 409, "conflict"}, // the branch changed under a write
    {query::kPreconditionFailure, 412, ""},
    {engine::kRecoveryRequired, 503, ""},
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

std::string detail_value(const Error& e, std::string_view key) {
    for (const auto& [k, v] : e.details)
        if (k == key)
            return v;
    return {};
}

} // namespace

HttpError bad_request(std::string message) {
    return {400, "bad_request", std::move(message)};
}

HttpError not_found(std::string message) {
    return {404, "not_found", std::move(message)};
}

HttpError http_error(const Error& e) {
    HttpError out;
    out.cause = e.code;
    for (const auto& rule : kStatusTable) {
        if (e.code != rule.code)
            continue;
        out.status = rule.status;
        out.code = rule.wire_code;
        out.message = e.message;
        if (rule.status == 412) {
            base::Json detail = base::Json::object({{"expected", detail_value(e, "expected")}});
            if (std::string actual = detail_value(e, "actual"); !actual.empty())
                detail["actual"] = actual;
            out.detail = base::Json::object({{"precondition_failure", detail}});
        }
        if (rule.status == 503)
            out.detail = base::Json::object(
                {{"recovery_required",
                  base::Json::object({{"operation_id", detail_value(e, "operation_id")}})}});
        return out;
    }
    out.status = 400;
    out.code = "bad_request";
    out.message = e.location ? e.location->to_string() + ": " + e.message : e.message;
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
