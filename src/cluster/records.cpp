#include "cluster/records.h"

#include "base/json.h"

#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::cluster {

namespace {

using base::Json;

struct Invalid {
    std::string message;
};

// A strict view of one JSON object: unknown fields refused, typed getters.
class Fields {
  public:
    Fields(const Json& j, std::set<std::string> allowed) : j_(j) {
        if (!j.is_object())
            throw Invalid{"expected a JSON object"};
        for (auto it = j.begin(); it != j.end(); ++it)
            if (!allowed.contains(it.key()))
                throw Invalid{"unknown field `" + it.key() + "`"};
    }
    bool has(const char* key) const { return j_.contains(key) && !j_[key].is_null(); }
    std::string req_str(const char* key) const {
        if (!has(key))
            throw Invalid{std::string("missing field `") + key + "`"};
        return str(key);
    }
    std::optional<std::string> opt_str(const char* key) const {
        return has(key) ? std::optional(str(key)) : std::nullopt;
    }
    uint64_t req_uint(const char* key) const {
        if (!has(key))
            throw Invalid{std::string("missing field `") + key + "`"};
        return uint(key);
    }
    std::optional<uint64_t> opt_uint(const char* key) const {
        return has(key) ? std::optional(uint(key)) : std::nullopt;
    }

  private:
    std::string str(const char* key) const {
        if (!j_[key].is_string())
            throw Invalid{std::string("field `") + key + "` must be a string"};
        return j_[key].get<std::string>();
    }
    uint64_t uint(const char* key) const {
        if (!j_[key].is_number_unsigned())
            throw Invalid{std::string("field `") + key + "` must be a non-negative integer"};
        return j_[key].get<uint64_t>();
    }
    const Json& j_;
};

template <class F>
auto parse_with(std::string_view text, std::string_view invalid_code, std::string_view what,
                F&& build) -> decltype(build(std::declval<const Json&>())) {
    auto parsed = base::parse_json(text);
    if (!parsed)
        return Error(invalid_code,
                     std::string(what) + " is not valid JSON: " + parsed.error().message);
    try {
        return build(*parsed);
    } catch (const Invalid& e) {
        return Error(invalid_code, std::string(what) + ": " + e.message);
    }
}

Json opt(const std::optional<std::string>& v) {
    return v ? Json(*v) : Json(nullptr);
}
Json opt(const std::optional<uint64_t>& v) {
    return v ? Json(*v) : Json(nullptr);
}

} // namespace

Result<LockRecord> parse_lock(std::string_view text) {
    return parse_with(text, "invalid_state_lock", "lock.json",
                      [](const Json& j) -> Result<LockRecord> {
                          Fields f(j, {"version", "lock_id", "operation", "created_at", "pid",
                                       "host", "actor", "lease_expires_at"});
                          uint64_t version = f.req_uint("version");
                          if (version != 1)
                              return Error("unsupported_state_lock_version",
                                           "lock.json version " + std::to_string(version) +
                                               " is not supported (expected 1)");
                          LockRecord l;
                          l.lock_id = f.req_str("lock_id");
                          l.operation = f.req_str("operation");
                          l.created_at = f.req_str("created_at");
                          uint64_t pid = f.req_uint("pid");
                          if (pid > UINT32_MAX)
                              throw Invalid{"field `pid` is out of range"};
                          l.pid = static_cast<uint32_t>(pid);
                          l.host = f.opt_str("host");
                          l.actor = f.opt_str("actor");
                          l.lease_expires_at = f.opt_str("lease_expires_at");
                          return l;
                      });
}

std::string serialize_lock(const LockRecord& l) {
    Json j = Json::object();
    j["version"] = 1;
    j["lock_id"] = l.lock_id;
    j["operation"] = l.operation;
    j["created_at"] = l.created_at;
    j["pid"] = l.pid;
    if (l.host)
        j["host"] = *l.host;
    if (l.actor)
        j["actor"] = *l.actor;
    if (l.lease_expires_at)
        j["lease_expires_at"] = *l.lease_expires_at;
    std::string text = base::to_pretty_json(j);
    if (!text.empty() && text.back() == '\n')
        text.pop_back();
    return text;
}

Result<Sidecar> parse_sidecar(std::string_view text) {
    return parse_with(
        text, "invalid_recovery_sidecar", "recovery sidecar", [](const Json& j) -> Result<Sidecar> {
            Fields f(j,
                     {"schema_version", "operation_id", "started_at", "actor", "kind", "graph_id",
                      "graph_uri", "observed_manifest_version", "expected_manifest_version",
                      "desired_schema_digest", "state_cas_base", "approval_id"});
            uint64_t version = f.req_uint("schema_version");
            if (version != 1)
                return Error("unsupported_recovery_sidecar_version",
                             "recovery sidecar schema_version " + std::to_string(version) +
                                 " is not supported (expected 1)");
            Sidecar s;
            s.operation_id = f.req_str("operation_id");
            s.started_at = f.req_str("started_at");
            s.actor = f.opt_str("actor");
            s.kind = f.req_str("kind");
            if (s.kind != "graph_create" && s.kind != "schema_apply" && s.kind != "graph_delete")
                throw Invalid{"unknown kind `" + s.kind + "`"};
            s.graph_id = f.req_str("graph_id");
            s.graph_uri = f.req_str("graph_uri");
            s.observed_manifest_version = f.opt_uint("observed_manifest_version");
            s.expected_manifest_version = f.opt_uint("expected_manifest_version");
            s.desired_schema_digest = f.req_str("desired_schema_digest");
            s.state_cas_base = f.opt_str("state_cas_base");
            s.approval_id = f.opt_str("approval_id");
            return s;
        });
}

std::string serialize_sidecar(const Sidecar& s) {
    Json j = Json::object();
    j["schema_version"] = 1;
    j["operation_id"] = s.operation_id;
    j["started_at"] = s.started_at;
    j["actor"] = opt(s.actor);
    j["kind"] = s.kind;
    j["graph_id"] = s.graph_id;
    j["graph_uri"] = s.graph_uri;
    j["observed_manifest_version"] = opt(s.observed_manifest_version);
    j["expected_manifest_version"] = opt(s.expected_manifest_version);
    j["desired_schema_digest"] = s.desired_schema_digest;
    j["state_cas_base"] = opt(s.state_cas_base);
    j["approval_id"] = opt(s.approval_id);
    return base::to_pretty_json(j);
}

Result<Approval> parse_approval(std::string_view text) {
    return parse_with(text, "invalid_approval_artifact", "approval artifact",
                      [](const Json& j) -> Result<Approval> {
                          Fields f(j, {"schema_version", "approval_id", "resource", "operation",
                                       "reason", "bound_config_digest", "bound_before_digest",
                                       "bound_after_digest", "approved_by", "created_at",
                                       "consumed_at", "consumed_by_operation"});
                          uint64_t version = f.req_uint("schema_version");
                          if (version != 1)
                              return Error("unsupported_approval_version",
                                           "approval schema_version " + std::to_string(version) +
                                               " is not supported (expected 1)");
                          Approval a;
                          a.approval_id = f.req_str("approval_id");
                          a.resource = f.req_str("resource");
                          a.operation = f.req_str("operation");
                          a.reason = f.req_str("reason");
                          a.bound_config_digest = f.req_str("bound_config_digest");
                          a.bound_before_digest = f.opt_str("bound_before_digest");
                          a.bound_after_digest = f.opt_str("bound_after_digest");
                          a.approved_by = f.req_str("approved_by");
                          a.created_at = f.req_str("created_at");
                          a.consumed_at = f.opt_str("consumed_at");
                          a.consumed_by_operation = f.opt_str("consumed_by_operation");
                          return a;
                      });
}

std::string serialize_approval(const Approval& a) {
    Json j = Json::object();
    j["schema_version"] = 1;
    j["approval_id"] = a.approval_id;
    j["resource"] = a.resource;
    j["operation"] = a.operation;
    j["reason"] = a.reason;
    j["bound_config_digest"] = a.bound_config_digest;
    j["bound_before_digest"] = opt(a.bound_before_digest);
    j["bound_after_digest"] = opt(a.bound_after_digest);
    j["approved_by"] = a.approved_by;
    j["created_at"] = a.created_at;
    j["consumed_at"] = opt(a.consumed_at);
    j["consumed_by_operation"] = opt(a.consumed_by_operation);
    return base::to_pretty_json(j);
}

} // namespace omnigraph::cluster
