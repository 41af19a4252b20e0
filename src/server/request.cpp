#include "server/request.h"

#include "base/text.h"

#include <algorithm>
#include <httplib.h>

namespace omnigraph::server {

namespace {
thread_local bool tl_head_only = false;
} // namespace

HeadOnlyRun::HeadOnlyRun() {
    tl_head_only = true;
}
HeadOnlyRun::~HeadOnlyRun() {
    tl_head_only = false;
}
bool head_only_run() {
    return tl_head_only;
}

size_t body_size(const httplib::Request& req) {
    if (!tl_head_only)
        return req.body.size();
    // The guard has checked it: digits only, within the payload limit.
    std::string length = req.get_header_value("Content-Length");
    return length.empty() ? 0 : std::stoull(length);
}

const std::string& request_body(const httplib::Request& req) {
    if (tl_head_only)
        throw BodyNotRead{};
    return req.body;
}

base::Json body_json(const httplib::Request& req, bool optional) {
    if (body_size(req) > kBodyLimit)
        throw HttpError{413, "bad_request", "request body exceeds 1 MiB"};
    if (optional && !head_only_run() && req.body.empty()) // a head run has a body coming
        return base::Json::object();
    check_json_type(req);
    auto parsed = base::parse_json(request_body(req));
    if (!parsed)
        throw bad_request("invalid JSON body: " + parsed.error().message);
    if (parsed->is_null() && optional)
        return base::Json::object();
    if (!parsed->is_object())
        throw bad_request("request body must be a JSON object");
    return *parsed;
}

std::string media_type(const httplib::Request& req) {
    std::string type = req.get_header_value("Content-Type");
    for (auto& c : type)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    type = type.substr(0, type.find(';'));
    type.erase(type.find_last_not_of(" \t") + 1);
    return type;
}

void check_json_type(const httplib::Request& req) {
    if (!req.has_header("Content-Type"))
        return;
    std::string type = media_type(req);
    if (type != "application/json")
        throw HttpError{415, "bad_request",
                        "request body must be application/json, not '" + type + "'"};
}

void reject_unknown_fields(const base::Json& body, std::initializer_list<std::string_view> known,
                           std::string_view what) {
    for (auto it = body.begin(); it != body.end(); ++it)
        if (std::find(known.begin(), known.end(), it.key()) == known.end())
            throw bad_request(
                base::concat("invalid ", what, " request: unknown field `", it.key(), "`"));
}

std::optional<std::string> opt_string(const base::Json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return std::nullopt;
    if (!it->is_string())
        throw bad_request(std::string("field '") + key + "' must be a string");
    return it->get<std::string>();
}

std::optional<std::string> trimmed_branch(std::optional<std::string> name, std::string_view field) {
    if (!name)
        return name;
    name = base::trim(*name);
    if (name->empty())
        throw bad_request(std::string(field) + " name cannot be empty");
    return name;
}

std::optional<std::string> branch_param(const httplib::Request& req) {
    if (!req.has_param("branch"))
        return std::nullopt;
    return trimmed_branch(req.get_param_value("branch"));
}

std::optional<std::string> commit_header(const httplib::Request& req) {
    size_t n = req.get_header_value_count("Omnigraph-If-Graph-Commit");
    if (n == 0)
        return std::nullopt;
    if (n > 1)
        throw bad_request("Omnigraph-If-Graph-Commit was sent more than once");
    std::string v = base::trim(req.get_header_value("Omnigraph-If-Graph-Commit"));
    bool visible = !v.empty();
    for (char c : v)
        visible = visible && c > 0x20 && c < 0x7f;
    if (!visible || v == "*" || v.starts_with("W/") || v.starts_with('"') || v.ends_with('"') ||
        v.find(',') != std::string::npos)
        throw bad_request("Omnigraph-If-Graph-Commit must be one graph commit id");
    return v;
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> out;
    size_t pos = path.starts_with('/') ? 1 : 0;
    while (pos <= path.size()) {
        size_t next = path.find('/', pos);
        if (next == std::string_view::npos)
            next = path.size();
        out.emplace_back(path.substr(pos, next - pos));
        pos = next + 1;
    }
    return out;
}

} // namespace omnigraph::server
