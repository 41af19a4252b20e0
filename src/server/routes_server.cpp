// The server-wide routes: GET /healthz, /graphs, /openapi.json, and beyond the original
// /readyz and /metrics (spec server-policy §1.3 rows 1-3).
#include "base/json.h"
#include "engine/graph.h"
#include "server/request.h"
#include "server/server_state.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace omnigraph::server {

namespace {

using base::Json;

// The table cache's counters, summed over graphs: graph ids are not for unauthenticated eyes
// (GET /graphs asks for graph_list).
std::string cache_metrics(const ServerState& s) {
    query::CacheStats total;
    for (const auto& [id, g] : s.gen().registry.graphs()) {
        auto stats = g->handle->cache().stats();
        total.hits += stats.hits;
        total.misses += stats.misses;
        total.entries += stats.entries;
    }
    return "# HELP omnigraph_table_cache_lookups_total Table and adjacency lookups, answered from "
           "memory (hit) or storage (miss).\n"
           "# TYPE omnigraph_table_cache_lookups_total counter\n"
           "omnigraph_table_cache_lookups_total{result=\"hit\"} " +
           std::to_string(total.hits) + "\nomnigraph_table_cache_lookups_total{result=\"miss\"} " +
           std::to_string(total.misses) +
           "\n# HELP omnigraph_table_cache_entries Tables and adjacency lists held in memory.\n"
           "# TYPE omnigraph_table_cache_entries gauge\n"
           "omnigraph_table_cache_entries " +
           std::to_string(total.entries) + "\n";
}

// The reloads so far and the generation served.
std::string reload_metrics(const ServerState& s) {
    ReloadRecord r = s.last_reload();
    return "# HELP omnigraph_reloads_total Reloads of the applied revision and tokens, by result.\n"
           "# TYPE omnigraph_reloads_total counter\n"
           "omnigraph_reloads_total{result=\"success\"} " +
           std::to_string(r.successes) + "\nomnigraph_reloads_total{result=\"failure\"} " +
           std::to_string(r.failures) +
           "\n# HELP omnigraph_generation The generation being served (1 at boot).\n"
           "# TYPE omnigraph_generation gauge\nomnigraph_generation " +
           std::to_string(s.gen().number) + "\n";
}

// Whether the bearer token of `req` is an admin's (graph_list on the server). A missing, invalid
// or denied token is only a no here: /readyz answers anyone.
bool is_admin(const ServerState& s, const httplib::Request& req) {
    try {
        auto actor = s.authenticate(req);
        s.authorize(nullptr, policy::Action::kGraphList, actor);
        return true;
    } catch (const HttpError&) {
        return false;
    }
}

} // namespace

void add_server_routes(ServerState& s) {
    s.routes.add({"GET", "/healthz", "health", false, false,
                  [](const httplib::Request&, httplib::Response& res, const PathParams&) {
                      Json j = Json::object(
                          {{"status", "ok"},
                           {"version", std::string(kVersion)},
                           {"internal_schema_version", engine::kStorageFormatVersion}});
                      send_json(res, 200, base::to_compact_json(j));
                  }});

    s.routes.add({"GET", "/graphs", "listGraphs", false, true,
                  [&s](const httplib::Request& req, httplib::Response& res, const PathParams&) {
                      auto actor = s.authenticate(req);
                      s.authorize(nullptr, policy::Action::kGraphList, actor);
                      Json list = Json::array();
                      for (const auto& [id, g] : s.gen().registry.graphs())
                          list.push_back(Json::object({{"graph_id", id}, {"uri", g->uri}}));
                      send_json(res, 200, base::to_compact_json(Json::object({{"graphs", list}})));
                  }});

    s.routes.add({"GET", "/openapi.json", "", false, false,
                  [&s](const httplib::Request&, httplib::Response& res, const PathParams&) {
                      send_json(
                          res, 200,
                          base::to_compact_json(s.routes.openapi(s.gen().auth_required, kVersion)));
                  }});

    // Ready when every applied graph is served and no shutdown has begun (then `draining`); an
    // authenticated admin (graph_list) or an open server also sees which graphs are quarantined.
    s.routes.add(
        {"GET", "/readyz", "", false, false,
         [&s](const httplib::Request& req, httplib::Response& res, const PathParams&) {
             const Generation& gen = s.gen();
             const auto& quarantined = gen.registry.quarantined();
             bool draining = s.draining.load();
             bool ready = quarantined.empty() && !draining;
             Json j = Json::object({{"ready", ready},
                                    {"graphs_served", gen.registry.graphs().size()},
                                    {"graphs_quarantined", quarantined.size()},
                                    {"generation", gen.number},
                                    {"state_revision", gen.state_revision}});
             if (draining)
                 j["draining"] = true;
             if (ReloadRecord last = s.last_reload(); last.attempted) {
                 j["last_reload"] = Json::object({{"ok", last.ok}, {"trigger", last.trigger}});
                 if (!last.ok)
                     j["last_reload"]["error"] = public_text(last.error);
             }
             bool admin =
                 !gen.auth_required || (req.has_header("Authorization") && is_admin(s, req));
             if (admin)
                 j["quarantined"] =
                     Json(std::vector<std::string>(quarantined.begin(), quarantined.end()));
             send_json(res, ready ? 200 : 503, base::to_compact_json(j));
         }});

    // Beyond the original: reload the applied revision, tokens and policies now (as SIGHUP
    // does). Only a cluster-bound rule can grant `reload`; the answer says which generation
    // serves, or why the old one still does.
    s.routes.add({"POST", "/admin/reload", "", false, false,
                  [&s](const httplib::Request& req, httplib::Response& res, const PathParams&) {
                      auto actor = s.authenticate(req);
                      s.authorize(nullptr, policy::Action::kReload, actor);
                      auto reloaded = s.reload("admin");
                      if (!reloaded)
                          throw HttpError{
                              409, "conflict",
                              "reload failed; generation " + std::to_string(s.current()->number) +
                                  " keeps serving: " + public_text(reloaded.error().message)};
                      auto now = s.current();
                      send_json(res, 200,
                                base::to_compact_json(Json::object(
                                    {{"generation", now->number},
                                     {"state_revision", now->state_revision},
                                     {"graphs_served", now->registry.graphs().size()},
                                     {"graphs_quarantined", now->registry.quarantined().size()}})));
                  }});

    s.routes.add({"GET", "/metrics", "", false, false,
                  [&s](const httplib::Request&, httplib::Response& res, const PathParams&) {
                      res.status = 200;
                      res.set_content(s.metrics.prometheus_text() + cache_metrics(s) +
                                          reload_metrics(s),
                                      "text/plain; version=0.0.4");
                  }});
}

} // namespace omnigraph::server
