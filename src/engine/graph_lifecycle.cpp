#include "engine/graph_lifecycle.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/process.h"
#include "base/ulid.h"
#include "engine/graph.h"
#include "engine/pending.h"
#include "format/manifest.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <unistd.h>

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

std::string init_claim_text(std::string_view operation_id) {
    base::Json claim = base::Json::object();
    claim["version"] = 1;
    claim["attempt_id"] = base::new_ulid();
    if (!operation_id.empty())
        claim["operation_id"] = std::string(operation_id);
    claim["host"] = this_host();
    claim["pid"] = static_cast<int64_t>(getpid());
    claim["created_at"] = base::unix_micros(base::now());
    return base::to_compact_json(claim);
}

namespace {

// Objects an init writes before its genesis manifest (see init_graph and format::publish).
bool written_by_init(std::string_view key) {
    for (std::string_view own :
         {kInitClaimKey, kSchemaSourceKey, kSchemaIrKey, kSchemaStateKey, kFormatKey})
        if (key == own)
            return true;
    return key.starts_with(kSchemaHistoryPrefix) || key.starts_with("_commits/");
}

} // namespace

Status discard_unfinished_init(store::ObjectStore& store, const InterruptedInits& inits) {
    std::string uri = store.root().to_string();
    auto refuse = [&](const std::string& why) {
        return Error(kInitNotAbandoned,
                     "the root " + uri + " is not provably an abandoned init: " + why);
    };
    auto text = OG_TRY(store.read_if_exists(kInitClaimKey));
    if (!text)
        return refuse("it holds no init claim (" + std::string(kInitClaimKey) + ")");
    auto claim = base::parse_json(*text, store.uri_of(kInitClaimKey));
    if (!claim || !claim->is_object())
        return refuse("its init claim is not a JSON object");
    auto field = [&](const char* name) -> const base::Json* {
        auto it = claim->find(name);
        return it == claim->end() ? nullptr : &*it;
    };
    const base::Json* operation = field("operation_id");
    if (!operation || !operation->is_string())
        return refuse("its init claim records no operation (an init of an older version or of "
                      "`omnigraph init`)");
    std::string id = operation->get<std::string>();
    const auto& ids = inits.operation_ids;
    if (std::find(ids.begin(), ids.end(), id) == ids.end())
        return refuse("its init claim names operation " + id + ", which is not an interrupted one");
    const base::Json* host = field("host");
    const base::Json* pid = field("pid");
    const base::Json* created = field("created_at");
    if (!host || !host->is_string() || !pid || !pid->is_number_integer() || !created ||
        !created->is_number_integer())
        return refuse("its init claim does not name the process that holds it");
    if (host->get<std::string>() == this_host()) {
        auto owner = pid->get<int64_t>();
        if (owner == static_cast<int64_t>(getpid()) || base::process_exists(owner))
            return refuse("the init that claims it (pid " + std::to_string(owner) +
                          ") is still running");
    } else if (!inits.serialized_across_hosts) {
        auto age =
            std::chrono::microseconds(base::unix_micros(base::now()) - created->get<int64_t>());
        if (age < kPendingLease)
            return refuse("its init claim is of host " + host->get<std::string>() +
                          " and younger than " + std::to_string(kPendingLease.count()) +
                          " minutes, so that init may still be running");
    }
    if (OG_TRY(store.exists(format::manifest_key("main", 1))))
        return refuse("it has a genesis version (" + store.uri_of(format::manifest_key("main", 1)) +
                      ")");
    store::ListOptions versions;
    versions.prefix = "_log/";
    versions.limit = 1;
    if (!OG_TRY(store.list(versions)).objects.empty())
        return refuse("it has versions (" + store.uri_of("_log/") + ")");
    auto objects = OG_TRY(store.list_all(""));
    for (const auto& meta : objects)
        if (!written_by_init(meta.key))
            return refuse("it holds " + store.uri_of(meta.key) + ", which an init does not write");
    for (const auto& meta : objects)
        if (meta.key != kInitClaimKey)
            OG_CHECK(store.remove(meta.key));
    OG_CHECK(store.remove(kInitClaimKey));
    OG_CHECK(store.remove_root());
    return ok();
}

Status release_finished_init_claim(store::ObjectStore& store, std::string_view operation_id) {
    auto text = OG_TRY(store.read_if_exists(kInitClaimKey));
    if (!text)
        return ok();
    auto claim = base::parse_json(*text, store.uri_of(kInitClaimKey));
    if (!claim || !claim->is_object())
        return ok();
    auto it = claim->find("operation_id");
    if (it == claim->end() || !it->is_string() || it->get<std::string>() != operation_id)
        return ok();
    if (!OG_TRY(store.exists(format::manifest_key("main", 1))))
        return ok();
    return store.remove(kInitClaimKey);
}

} // namespace omnigraph::engine
