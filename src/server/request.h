// Reading a request: JSON bodies, content types, optional string fields, branch names (trimmed
// before they are authorized or used, spec server-policy §1.3 "trim") and the graph-commit
// condition header. Every malformed input is an HttpError (400, 413 or 415), never a guess.
#pragma once

#include "base/json.h"
#include "server/http_error.h"

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace httplib {
struct Request;
}

namespace omnigraph::server {

inline constexpr size_t kBodyLimit = 1 << 20;       // buffered JSON bodies
inline constexpr size_t kLoadBodyLimit = 32u << 20; // load / ingest

// A request's route runs first on its head alone, before the body is read (server.cpp), so
// that whatever it refuses before looking at the body — a missing token above all — is refused
// without reading it. In that run the body is not there: body_size is the announced
// Content-Length (0 when chunked) and request_body throws BodyNotRead, which ends the run; the
// route then runs again with its body. Every route reads its body only through these two.
struct BodyNotRead {}; // not a std::exception: nothing but the head run catches it

// Marks the current thread's request as running on its head alone, for the scope's lifetime.
class HeadOnlyRun {
  public:
    HeadOnlyRun();
    ~HeadOnlyRun();
    HeadOnlyRun(const HeadOnlyRun&) = delete;
    HeadOnlyRun& operator=(const HeadOnlyRun&) = delete;
};
bool head_only_run();

size_t body_size(const httplib::Request& req);
const std::string& request_body(const httplib::Request& req);

// The body as a JSON object (413 over kBodyLimit, 415 for another media type, 400 otherwise).
// `optional`: an empty body or `null` is {}.
base::Json body_json(const httplib::Request& req, bool optional = false);

// The Content-Type without parameters, lower-cased ("application/json").
std::string media_type(const httplib::Request& req);
// 415 unless the body is application/json (a missing type is accepted).
void check_json_type(const httplib::Request& req);

// 400 `invalid <what> request: unknown field `<f>`` for a member of `body` not in `known`.
void reject_unknown_fields(const base::Json& body, std::initializer_list<std::string_view> known,
                           std::string_view what);

// `j[key]` when it is a string; nullopt when absent or null; 400 for another type.
std::optional<std::string> opt_string(const base::Json& j, const char* key);

// A branch name trimmed of surrounding whitespace; 400 when nothing is left.
std::optional<std::string> trimmed_branch(std::optional<std::string> name,
                                          std::string_view field = "branch");
// The `branch` query parameter, trimmed.
std::optional<std::string> branch_param(const httplib::Request& req);

// The Omnigraph-If-Graph-Commit header: one graph commit id, or nullopt when absent.
std::optional<std::string> commit_header(const httplib::Request& req);

// "/graphs/a/query" -> {"graphs", "a", "query"}; empty segments are kept.
std::vector<std::string> split_path(std::string_view path);

} // namespace omnigraph::server
