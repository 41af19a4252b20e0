#include "cluster/ledger.h"

#include "cluster/digests.h"

#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::cluster {

namespace {

struct Invalid {
    std::string message;
};

void only_keys(const base::Json& j, const std::string& what, std::set<std::string> allowed) {
    if (!j.is_object())
        throw Invalid{what + " must be an object"};
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!allowed.contains(it.key()))
            throw Invalid{"unknown field `" + it.key() + "` in " + what};
}

std::string str(const base::Json& j, const std::string& what) {
    if (!j.is_string())
        throw Invalid{what + " must be a string"};
    return j.get<std::string>();
}

base::Json parse_profile(const base::Json& j, const std::string& what) {
    only_keys(j, what, {"kind", "provider", "base_url", "model", "api_key"});
    if (j.contains("kind") && j.contains("provider"))
        throw Invalid{what + " has both `kind` and its alias `provider`"};
    base::Json out = base::Json::object();
    for (const char* key : {"kind", "base_url", "model", "api_key"}) {
        const char* from = key;
        if (std::string(key) == "kind" && !j.contains("kind") && j.contains("provider"))
            from = "provider";
        if (j.contains(from) && !j[from].is_null())
            out[key] = str(j[from], what + "." + from);
    }
    return out;
}

// Typed and re-emitted in declaration order (mode, bases[uri, scope]).
base::Json parse_blob_policy(const base::Json& j, const std::string& what) {
    only_keys(j, what, {"mode", "bases"});
    if (!j.contains("mode") || str(j["mode"], what + ".mode") != "allow")
        throw Invalid{what + ".mode must be \"allow\""};
    if (!j.contains("bases") || !j["bases"].is_array())
        throw Invalid{what + ".bases must be an array"};
    for (const auto& b : j["bases"]) {
        only_keys(b, what + ".bases[]", {"uri", "scope"});
        if (!b.contains("uri") || !b.contains("scope"))
            throw Invalid{what + ".bases[] needs uri and scope"};
        str(b["uri"], what + ".bases[].uri");
        std::string scope = str(b["scope"], what + ".bases[].scope");
        if (scope != "server_safe" && scope != "embedded_only")
            throw Invalid{what + ".bases[].scope `" + scope +
                          "` is not server_safe or embedded_only"};
    }
    return canonical_blob_policy(j);
}

LedgerResource parse_resource(const base::Json& j, const std::string& address) {
    std::string what = "applied_revision.resources." + address;
    only_keys(j, what,
              {"digest", "applies_to", "embedding_provider", "embedding_profile",
               "external_blob_policy"});
    LedgerResource r;
    if (!j.contains("digest"))
        throw Invalid{what + ": missing field `digest`"};
    r.digest = str(j["digest"], what + ".digest");
    if (j.contains("applies_to") && !j["applies_to"].is_null()) {
        if (!j["applies_to"].is_array())
            throw Invalid{what + ".applies_to must be an array"};
        r.applies_to.emplace();
        for (const auto& s : j["applies_to"])
            r.applies_to->push_back(str(s, what + ".applies_to[]"));
    }
    if (j.contains("embedding_provider") && !j["embedding_provider"].is_null())
        r.embedding_provider = str(j["embedding_provider"], what + ".embedding_provider");
    if (j.contains("embedding_profile") && !j["embedding_profile"].is_null())
        r.embedding_profile = parse_profile(j["embedding_profile"], what + ".embedding_profile");
    if (j.contains("external_blob_policy") && !j["external_blob_policy"].is_null())
        r.external_blob_policy =
            parse_blob_policy(j["external_blob_policy"], what + ".external_blob_policy");
    return r;
}

std::map<std::string, base::Json> free_map(const base::Json& j, const std::string& what) {
    std::map<std::string, base::Json> out;
    if (j.is_null())
        return out;
    if (!j.is_object())
        throw Invalid{what + " must be an object"};
    for (auto it = j.begin(); it != j.end(); ++it)
        out[it.key()] = it.value();
    return out;
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
    const base::Json& j = *parsed;
    try {
        only_keys(j, "state.json",
                  {"version", "state_revision", "applied_revision", "resource_statuses",
                   "approval_records", "recovery_records", "observations"});
        if (!j.contains("version"))
            throw Invalid{"missing field `version`"};
        if (!j["version"].is_number_integer() || j["version"].get<int64_t>() != 1) {
            if (j["version"].is_number_integer())
                return Error("unsupported_state_version", "state.json version " +
                                                              j["version"].dump() +
                                                              " is not supported (expected 1)");
            throw Invalid{"version must be an integer"};
        }
        if (!j.contains("applied_revision"))
            throw Invalid{"missing field `applied_revision`"};
        Ledger l;
        if (j.contains("state_revision") && !j["state_revision"].is_null()) {
            if (!j["state_revision"].is_number_unsigned())
                throw Invalid{"state_revision must be a non-negative integer"};
            l.state_revision = j["state_revision"].get<uint64_t>();
        }
        const base::Json& rev = j["applied_revision"];
        only_keys(rev, "applied_revision", {"config_digest", "resources"});
        if (rev.contains("config_digest") && !rev["config_digest"].is_null())
            l.config_digest = str(rev["config_digest"], "applied_revision.config_digest");
        if (rev.contains("resources") && !rev["resources"].is_null()) {
            if (!rev["resources"].is_object())
                throw Invalid{"applied_revision.resources must be an object"};
            for (auto it = rev["resources"].begin(); it != rev["resources"].end(); ++it)
                l.resources[it.key()] = parse_resource(it.value(), it.key());
        }
        if (j.contains("resource_statuses") && !j["resource_statuses"].is_null()) {
            if (!j["resource_statuses"].is_object())
                throw Invalid{"resource_statuses must be an object"};
            for (auto it = j["resource_statuses"].begin(); it != j["resource_statuses"].end();
                 ++it) {
                std::string what = "resource_statuses." + it.key();
                only_keys(it.value(), what, {"status", "conditions", "message"});
                StatusRecord s;
                if (!it.value().contains("status"))
                    throw Invalid{what + ": missing field `status`"};
                s.status = str(it.value()["status"], what + ".status");
                static const std::set<std::string> known = {
                    "pending", "planned", "applying", "applied", "drifted", "blocked", "error"};
                if (!known.contains(s.status))
                    throw Invalid{what + ": unknown status `" + s.status + "`"};
                if (it.value().contains("conditions") && !it.value()["conditions"].is_null()) {
                    if (!it.value()["conditions"].is_array())
                        throw Invalid{what + ".conditions must be an array"};
                    for (const auto& c : it.value()["conditions"])
                        s.conditions.push_back(str(c, what + ".conditions[]"));
                }
                if (it.value().contains("message") && !it.value()["message"].is_null())
                    s.message = str(it.value()["message"], what + ".message");
                l.statuses[it.key()] = std::move(s);
            }
        }
        if (j.contains("approval_records"))
            l.approval_records = free_map(j["approval_records"], "approval_records");
        if (j.contains("recovery_records"))
            l.recovery_records = free_map(j["recovery_records"], "recovery_records");
        if (j.contains("observations"))
            l.observations = free_map(j["observations"], "observations");
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
    } catch (const Invalid& e) {
        return Error("invalid_state_json", "state.json: " + e.message);
    } catch (const std::exception& e) {
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
