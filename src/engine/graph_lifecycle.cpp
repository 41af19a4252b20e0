#include "engine/graph_lifecycle.h"

#include "base/json.h"
#include "engine/graph.h"

#include <nlohmann/json.hpp>

namespace omnigraph::engine {

namespace {

// The marker's field names are the original's, kept for byte compatibility.
constexpr const char* kOwnerField = "cluster_root";
constexpr const char* kGraphIdField = "graph_id";

} // namespace

Status mark_managed(store::ObjectStore& store, const ManagedBy& by) {
    if (!OG_TRY(store.exists(kFormatKey)))
        return Error(codes::kNotFound,
                     "no graph at " + store.root().to_string() + " to mark as managed");
    base::Json marker = base::Json::object({{kOwnerField, by.owner}, {kGraphIdField, by.graph_id}});
    OG_CHECK(store.put(kManagedMarkerKey, base::to_pretty_json(marker)));
    return ok();
}

Result<std::optional<ManagedBy>> managed_by(store::ObjectStore& store) {
    auto text = OG_TRY(store.read_if_exists(kManagedMarkerKey));
    if (!text)
        return std::optional<ManagedBy>();
    ManagedBy by;
    auto parsed = base::parse_json(*text, store.uri_of(kManagedMarkerKey));
    if (parsed && parsed->is_object()) {
        auto field = [&](const char* name) {
            auto it = parsed->find(name);
            return it != parsed->end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        by.owner = field(kOwnerField);
        by.graph_id = field(kGraphIdField);
    }
    return std::optional<ManagedBy>(std::move(by));
}

Status destroy_graph(store::ObjectStore& store) {
    OG_CHECK(store.remove(kFormatKey));
    OG_CHECK(store.remove_root());
    return ok();
}

} // namespace omnigraph::engine
