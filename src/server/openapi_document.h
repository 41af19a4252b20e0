// The original's published OpenAPI 3.1 document (contract/openapi-0.10.0.json, MIT), compiled
// into the server: the request and response schemas of every upstream operation, which
// GET /openapi.json serves for the routes this server has (route_table.cpp).
#pragma once

#include <string_view>

namespace omnigraph::server {

std::string_view upstream_openapi_document();

} // namespace omnigraph::server
