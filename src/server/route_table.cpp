#include "server/route_table.h"

#include "server/openapi_document.h"
#include "server/request.h"

#include <nlohmann/json.hpp>

namespace omnigraph::server {

namespace {

bool is_param(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

} // namespace

void RouteTable::add(Route route) {
    Entry entry;
    for (const auto& segment : split_path(route.path))
        entry.segments.push_back(is_param(segment) ? std::string() : segment);
    routes_.push_back(std::move(route));
    entries_.push_back(std::move(entry));
}

const Route* RouteTable::match(std::string_view method, std::string_view path,
                               PathParams& params) const {
    if (!path.starts_with('/'))
        return nullptr;
    std::vector<std::string> segments = split_path(path);
    for (size_t i = 0; i < routes_.size(); ++i) {
        const auto& pattern = entries_[i].segments;
        if (routes_[i].method != method || pattern.size() != segments.size())
            continue;
        bool same = true;
        for (size_t s = 0; s < segments.size() && same; ++s)
            same = pattern[s].empty() ? !segments[s].empty() : pattern[s] == segments[s];
        if (!same)
            continue;
        params.clear();
        for (size_t s = 0; s < segments.size(); ++s)
            if (pattern[s].empty())
                params.push_back(std::move(segments[s]));
        return &routes_[i];
    }
    return nullptr;
}

base::Json RouteTable::openapi(bool auth_required, std::string_view version) const {
    using base::Json;
    // The contract's operations, request and response schemas (contract/openapi-0.10.0.json);
    // parsed once, it is compiled into the binary and always valid.
    static const Json contract = Json::parse(upstream_openapi_document());
    const Json& upstream_paths = contract.at("paths");
    Json paths = Json::object();
    for (const auto& r : routes_) {
        if (r.operation_id.empty())
            continue;
        std::string method = r.method;
        for (auto& c : method)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        Json op = Json::object();
        auto path = upstream_paths.find(r.path);
        if (path != upstream_paths.end() && path->contains(method)) {
            op = (*path)[method]; // parameters, requestBody, responses with their schemas
        } else {
            Json params = Json::array();
            for (const auto& segment : split_path(r.path))
                if (is_param(segment))
                    params.push_back(
                        Json::object({{"name", segment.substr(1, segment.size() - 2)},
                                      {"in", "path"},
                                      {"required", true},
                                      {"schema", Json::object({{"type", "string"}})}}));
            if (!params.empty())
                op["parameters"] = params;
            op["responses"] = Json::object({{"200", Json::object({{"description", "OK"}})}});
        }
        op["operationId"] = r.operation_id;
        if (r.deprecated)
            op["deprecated"] = true;
        else
            op.erase("deprecated");
        if (auth_required && r.authenticated)
            op["security"] = Json::array({Json::object({{"bearer_token", Json::array()}})});
        else
            op.erase("security");
        paths[r.path][method] = op;
    }
    Json doc = Json::object();
    doc["openapi"] = "3.1.0";
    doc["info"] =
        Json::object({{"title", "OmniGraph server"},
                      {"version", std::string(version)},
                      {"description", "Routes served by this omnigraph-server; schemas of "
                                      "the original's OpenAPI document 0.10.0 (MIT)"}});
    doc["paths"] = paths;
    Json components = Json::object({{"schemas", contract.at("components").at("schemas")}});
    if (auth_required)
        components["securitySchemes"] = Json::object(
            {{"bearer_token", Json::object({{"type", "http"}, {"scheme", "bearer"}})}});
    doc["components"] = components;
    return doc;
}

} // namespace omnigraph::server
