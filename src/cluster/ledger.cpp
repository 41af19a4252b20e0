#include "cluster/ledger.h"

#include "base/strict_record.h"
#include "cluster/digests.h"

#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::cluster {

namespace {

using base::StrictRecord;

Result<base::Json> parse_profile(const StrictRecord& r) {
    OG_CHECK(r.only({"kind", "provider", "base_url", "model", "api_key"}));
    if (r.find("kind") && r.find("provider"))
        return r.error("has both `kind` and its alias `provider`");
    base::Json out = base::Json::object();
    for (const char* key : {"kind", "base_url", "model", "api_key"}) {
        const char* from = key;
        if (std::string(key) == "kind" && !r.find("kind") && r.find("provider"))
            from = "provider";
        if (auto value = OG_TRY(r.optional_string(from)))
            out[key] = *value;
    }
    return out;
}

// Typed and re-emitted in declaration order (mode, bases[uri, scope]).
Result<base::Json> parse_blob_policy(const StrictRecord& r) {
    OG_CHECK(r.only({"mode", "bases"}));
    if (OG_TRY(r.string("mode")) != "allow")
        return r.field_error("mode", "must be \"allow\"");
    for (const auto& b : OG_TRY(r.objects("bases"))) {
        OG_CHECK(b.only({"uri", "scope"}));
        OG_CHECK(b.string("uri"));
        std::string scope = OG_TRY(b.string("scope"));
        if (scope != "server_safe" && scope != "embedded_only")
            return b.field_error("scope", "`" + scope + "` is not server_safe or embedded_only");
    }
    return canonical_blob_policy(r.json());
}

Result<LedgerResource> parse_resource(const StrictRecord& r) {
    OG_CHECK(r.only({"digest", "applies_to", "embedding_provider", "embedding_profile",
                     "external_blob_policy"}));
    LedgerResource out;
    out.digest = OG_TRY(r.string("digest"));
    if (r.has("applies_to"))
        out.applies_to = OG_TRY(r.strings("applies_to"));
    out.embedding_provider = OG_TRY(r.optional_string("embedding_provider"));
    if (auto profile = OG_TRY(r.optional_object("embedding_profile")))
        out.embedding_profile = OG_TRY(parse_profile(*profile));
    if (auto policy = OG_TRY(r.optional_object("external_blob_policy")))
        out.external_blob_policy = OG_TRY(parse_blob_policy(*policy));
    return out;
}

Result<StatusRecord> parse_status(const StrictRecord& r) {
    OG_CHECK(r.only({"status", "conditions", "message"}));
    StatusRecord s;
    s.status = OG_TRY(r.string("status"));
    static const std::set<std::string> known = {"pending", "planned", "applying", "applied",
                                                "drifted", "blocked", "error"};
    if (!known.contains(s.status))
        return r.field_error("status", "is not a known status: `" + s.status + "`");
    s.conditions = OG_TRY(r.optional_strings("conditions"));
    s.message = OG_TRY(r.optional_string("message"));
    return s;
}

// A free-form map (absent or null is empty): values are kept as they are.
Result<std::map<std::string, base::Json>> free_map(const StrictRecord& r, std::string_view key) {
    std::map<std::string, base::Json> out;
    if (auto map = OG_TRY(r.optional_object(key)))
        for (const auto& [name, value] : map->members())
            out[name] = *value;
    return out;
}

// Every member of the object `key` (absent or null: none), each read as an object by `parse`.
template <class T, class F>
Status typed_map(const StrictRecord& r, std::string_view key, std::map<std::string, T>& out,
                 F&& parse) {
    auto map = OG_TRY(r.optional_object(key));
    if (!map)
        return ok();
    for (const auto& [name, value] : map->members())
        out[name] = OG_TRY(parse(OG_TRY(map->member_object(name))));
    return ok();
}

Result<Ledger> parse_ledger_record(const StrictRecord& j) {
    OG_CHECK(j.only({"version", "state_revision", "applied_revision", "resource_statuses",
                     "approval_records", "recovery_records", "observations"}));
    const base::Json* version = j.find("version");
    if (!version)
        return j.error("missing field `version`");
    if (!version->is_number_integer())
        return j.field_error("version", "must be an integer, got " + version->dump());
    if (*version != 1)
        return Error("unsupported_state_version",
                     "state.json version " + version->dump() + " is not supported (expected 1)");
    Ledger l;
    l.state_revision = OG_TRY(j.optional_unsigned_integer("state_revision")).value_or(0);
    StrictRecord rev = OG_TRY(j.object("applied_revision"));
    OG_CHECK(rev.only({"config_digest", "resources"}));
    l.config_digest = OG_TRY(rev.optional_string("config_digest"));
    OG_CHECK(typed_map(rev, "resources", l.resources, parse_resource));
    OG_CHECK(typed_map(j, "resource_statuses", l.statuses, parse_status));
    l.approval_records = OG_TRY(free_map(j, "approval_records"));
    l.recovery_records = OG_TRY(free_map(j, "recovery_records"));
    l.observations = OG_TRY(free_map(j, "observations"));
    for (auto& [address, obs] : l.observations) {
        if (!obs.is_object() || !obs.contains("manifest_version"))
            continue;
        base::Json legacy = obs["manifest_version"];
        if (obs.contains("graph_manifest_version") && obs["graph_manifest_version"] != legacy)
            return Error("conflicting_graph_manifest_observation",
                         "observation " + address +
                             " has both manifest_version and graph_manifest_version, and "
                             "they differ");
        base::Json renamed = base::Json::object();
        for (auto it = obs.begin(); it != obs.end(); ++it) {
            if (it.key() == "manifest_version") {
                if (!obs.contains("graph_manifest_version"))
                    renamed["graph_manifest_version"] = legacy;
            } else {
                renamed[it.key()] = it.value();
            }
        }
        obs = renamed;
    }
    return l;
}

} // namespace

const LedgerResource* Ledger::find(const std::string& address) const {
    auto it = resources.find(address);
    return it == resources.end() ? nullptr : &it->second;
}

void Ledger::erase(const std::string& address) {
    resources.erase(address);
    statuses.erase(address);
}

Result<Ledger> parse_ledger(std::string_view text) {
    auto parsed = base::parse_json(text, "state.json");
    if (!parsed)
        return Error("invalid_state_json",
                     "state.json is not valid JSON: " + parsed.error().message);
    try {
        auto record = OG_TRY(StrictRecord::of(*parsed, "invalid_state_json", "state.json"));
        return parse_ledger_record(record);
    } catch (const std::exception& e) { // a safety net: the reader itself does not throw
        return Error("invalid_state_json", std::string("state.json: ") + e.what());
    }
}

base::Json status_json(const StatusRecord& s) {
    base::Json j = base::Json::object();
    j["status"] = s.status;
    if (!s.conditions.empty())
        j["conditions"] = s.conditions;
    if (s.message)
        j["message"] = *s.message;
    return j;
}

base::Json statuses_json(const std::map<std::string, StatusRecord>& statuses) {
    base::Json j = base::Json::object();
    for (const auto& [address, s] : statuses)
        j[address] = status_json(s);
    return j;
}

std::string serialize_ledger(const Ledger& l) {
    using base::Json;
    Json j = Json::object();
    j["version"] = 1;
    j["state_revision"] = l.state_revision;
    Json resources = Json::object();
    for (const auto& [address, r] : l.resources) {
        Json e = Json::object();
        e["digest"] = r.digest;
        if (r.applies_to)
            e["applies_to"] = *r.applies_to;
        if (r.embedding_provider)
            e["embedding_provider"] = *r.embedding_provider;
        if (r.embedding_profile)
            e["embedding_profile"] = *r.embedding_profile;
        if (r.external_blob_policy)
            e["external_blob_policy"] = *r.external_blob_policy;
        resources[address] = e;
    }
    j["applied_revision"] =
        Json::object({{"config_digest", l.config_digest ? Json(*l.config_digest) : Json(nullptr)},
                      {"resources", resources}});
    j["resource_statuses"] = statuses_json(l.statuses);
    auto free = [](const std::map<std::string, Json>& m) {
        Json o = Json::object();
        for (const auto& [k, v] : m)
            o[k] = v;
        return o;
    };
    j["approval_records"] = free(l.approval_records);
    j["recovery_records"] = free(l.recovery_records);
    j["observations"] = free(l.observations);
    return base::to_pretty_json(j);
}

} // namespace omnigraph::cluster
