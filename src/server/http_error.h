// How the server answers a failure: the spec's ErrorOutput body (server-policy §1.2) and the
// table that maps every error code of the layers below to an HTTP status and wire code.
// Handlers throw HttpError; the request wrapper (server.cpp) turns it into the response, the
// request's log line and its metrics. Nothing but HttpError is thrown on purpose: any other
// exception is a bug, answered 500 `internal` and counted.
#pragma once

#include "base/error.h"
#include "base/json.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace httplib {
struct Response;
}

namespace omnigraph::server {

struct HttpError {
    int status = 500;
    std::string code; // the wire `code` ("" = omitted, as the spec's newer kinds do)
    std::string message;
    base::Json detail = nullptr; // {"<field>": {...}} merged into the body
    std::string cause;           // the lower layer's error code, for the log line
    std::string log_message;     // the whole message for the log, when the body's is shorter
};

HttpError bad_request(std::string message);
HttpError not_found(std::string message);

// The answer to an error of a lower layer, by the status table in http_error.cpp. Codes not in
// the table are request errors: 400 `bad_request`, prefixed with their source location. A
// body names no storage location and no C++ type (public_text); a 500's body only names its
// code. The whole message goes to the log line.
HttpError http_error(const Error& e);

// `message` with every storage location (an absolute path, a `s3://` or `file://` URI) replaced
// by `<storage>` and every C++ name (`std::…`, `__…`) by `<internal>`.
std::string public_text(std::string_view message);

// The value of `r`, or throws its http_error.
template <class T> T unwrap(Result<T> r) {
    if (!r)
        throw http_error(r.error());
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}

void send_json(httplib::Response& res, int status, const std::string& body);
void send_error(httplib::Response& res, const HttpError& e);

} // namespace omnigraph::server
