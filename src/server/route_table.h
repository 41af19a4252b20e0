// The server's routes as one table: each entry is what dispatch matches (method and a path of
// literal and `{param}` segments), what /openapi.json documents (operation id, deprecation,
// path parameters, bearer security) and the handler. Dispatch compares segments as strings —
// no regex runs per request — and hands the handler the `{param}` values in order.
// Thread-safety: built once at boot, then read-only.
#pragma once

#include "base/json.h"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace httplib {
struct Request;
struct Response;
} // namespace httplib

namespace omnigraph::server {

using PathParams = std::vector<std::string>; // the `{param}` segments, in path order
using Handler = std::function<void(const httplib::Request&, httplib::Response&, const PathParams&)>;

struct Route {
    std::string method;       // "GET", "POST"
    std::string path;         // "/graphs/{graph_id}/queries/{name}"
    std::string operation_id; // the OpenAPI operationId; "" = not documented (operations routes)
    bool deprecated = false;
    bool authenticated = true; // documented with bearer security when the server has tokens
    Handler handler;
};

class RouteTable {
  public:
    void add(Route route);

    // The route for `method` and `path` (its parameters in `params`), or nullptr.
    const Route* match(std::string_view method, std::string_view path, PathParams& params) const;

    const std::vector<Route>& routes() const { return routes_; }

    // The OpenAPI 3.1 document of every route. Without auth the security scheme and every
    // operation's `security` are left out.
    base::Json openapi(bool auth_required, std::string_view version) const;

  private:
    struct Entry {
        std::vector<std::string> segments; // "" = a {param}
    };
    std::vector<Route> routes_;
    std::vector<Entry> entries_;
};

} // namespace omnigraph::server
