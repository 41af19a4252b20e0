// The web console: GET /ui and GET /ui/{file} serve the static files compiled into the binary
// (console_assets.h). The page is public — it holds no data — and every API call it makes
// carries the bearer token its user signed in with, so these routes never authenticate and
// are not in /openapi.json. The CSP allows only the console's own files: no inline script or
// style, no other origin.
#include "server/console_assets.h"
#include "server/http_error.h"
#include "server/server_state.h"

#include <algorithm>
#include <httplib.h>

namespace omnigraph::server {

namespace {

constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void send_asset(httplib::Response& res, const ConsoleAsset& asset) {
    res.status = 200;
    // The files change with the binary: a browser revalidates instead of keeping an old console.
    res.set_header("Cache-Control", "no-cache");
    res.set_header("Content-Security-Policy", kContentSecurityPolicy);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_content(asset.bytes.data(), asset.bytes.size(), std::string(asset.content_type));
}

const ConsoleAsset& asset_or_404(std::string_view name) {
    const ConsoleAsset* asset = find_console_asset(name);
    if (asset == nullptr)
        throw not_found("no console file '" + std::string(name) + "'");
    return *asset;
}

} // namespace

const ConsoleAsset* find_console_asset(std::string_view name) {
    auto assets = console_assets();
    auto it = std::ranges::find(assets, name, &ConsoleAsset::name);
    return it == assets.end() ? nullptr : &*it;
}

void add_console_routes(ServerState& s) {
    s.routes.add({"GET", "/ui", "", false, false,
                  [](const httplib::Request&, httplib::Response& res, const PathParams&) {
                      send_asset(res, asset_or_404("index.html"));
                  }});
    s.routes.add({"GET", "/ui/{file}", "", false, false,
                  [](const httplib::Request&, httplib::Response& res, const PathParams& params) {
                      send_asset(res, asset_or_404(params.at(0)));
                  }});
}

} // namespace omnigraph::server
