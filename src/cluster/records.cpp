#include "cluster/records.h"

#include "base/json.h"
#include "base/strict_record.h"

#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

namespace {

using base::Json;

// Parses `text` as JSON, then builds the record from its top-level object with `build`.
template <class F>
auto parse_with(std::string_view text, std::string_view invalid_code, std::string_view what,
                F&& build) -> decltype(build(std::declval<const base::StrictRecord&>())) {
    auto parsed = base::parse_json(text);
    if (!parsed)
        return Error(invalid_code,
                     std::string(what) + " is not valid JSON: " + parsed.error().message);
    auto record = OG_TRY(base::StrictRecord::of(*parsed, invalid_code, std::string(what)));
    return build(record);
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
                      [](const base::StrictRecord& f) -> Result<LockRecord> {
                          OG_CHECK(f.only({"version", "lock_id", "operation", "created_at", "pid",
                                           "host", "actor", "lease_expires_at"}));
                          uint64_t version = OG_TRY(f.unsigned_integer("version"));
                          if (version != 1)
                              return Error("unsupported_state_lock_version",
                                           "lock.json version " + std::to_string(version) +
                                               " is not supported (expected 1)");
                          LockRecord l;
                          l.lock_id = OG_TRY(f.string("lock_id"));
                          l.operation = OG_TRY(f.string("operation"));
                          l.created_at = OG_TRY(f.string("created_at"));
                          l.pid =
                              static_cast<uint32_t>(OG_TRY(f.unsigned_integer("pid", UINT32_MAX)));
                          l.host = OG_TRY(f.optional_string("host"));
                          l.actor = OG_TRY(f.optional_string("actor"));
                          l.lease_expires_at = OG_TRY(f.optional_string("lease_expires_at"));
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
        text, "invalid_recovery_sidecar", "recovery sidecar",
        [](const base::StrictRecord& f) -> Result<Sidecar> {
            OG_CHECK(
                f.only({"schema_version", "operation_id", "started_at", "actor", "kind", "graph_id",
                        "graph_uri", "observed_manifest_version", "expected_manifest_version",
                        "desired_schema_digest", "state_cas_base", "approval_id"}));
            uint64_t version = OG_TRY(f.unsigned_integer("schema_version"));
            if (version != 1)
                return Error("unsupported_recovery_sidecar_version",
                             "recovery sidecar schema_version " + std::to_string(version) +
                                 " is not supported (expected 1)");
            Sidecar s;
            s.operation_id = OG_TRY(f.string("operation_id"));
            s.started_at = OG_TRY(f.string("started_at"));
            s.actor = OG_TRY(f.optional_string("actor"));
            s.kind = OG_TRY(f.string("kind"));
            if (s.kind != "graph_create" && s.kind != "schema_apply" && s.kind != "graph_delete")
                return f.field_error(
                    "kind", "is not graph_create, schema_apply or graph_delete: `" + s.kind + "`");
            s.graph_id = OG_TRY(f.string("graph_id"));
            s.graph_uri = OG_TRY(f.string("graph_uri"));
            s.observed_manifest_version =
                OG_TRY(f.optional_unsigned_integer("observed_manifest_version"));
            s.expected_manifest_version =
                OG_TRY(f.optional_unsigned_integer("expected_manifest_version"));
            s.desired_schema_digest = OG_TRY(f.string("desired_schema_digest"));
            s.state_cas_base = OG_TRY(f.optional_string("state_cas_base"));
            s.approval_id = OG_TRY(f.optional_string("approval_id"));
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
    return parse_with(
        text, "invalid_approval_artifact", "approval artifact",
        [](const base::StrictRecord& f) -> Result<Approval> {
            OG_CHECK(f.only({"schema_version", "approval_id", "resource", "operation", "reason",
                             "bound_config_digest", "bound_before_digest", "bound_after_digest",
                             "approved_by", "created_at", "consumed_at", "consumed_by_operation"}));
            uint64_t version = OG_TRY(f.unsigned_integer("schema_version"));
            if (version != 1)
                return Error("unsupported_approval_version", "approval schema_version " +
                                                                 std::to_string(version) +
                                                                 " is not supported (expected 1)");
            Approval a;
            a.approval_id = OG_TRY(f.string("approval_id"));
            a.resource = OG_TRY(f.string("resource"));
            a.operation = OG_TRY(f.string("operation"));
            a.reason = OG_TRY(f.string("reason"));
            a.bound_config_digest = OG_TRY(f.string("bound_config_digest"));
            a.bound_before_digest = OG_TRY(f.optional_string("bound_before_digest"));
            a.bound_after_digest = OG_TRY(f.optional_string("bound_after_digest"));
            a.approved_by = OG_TRY(f.string("approved_by"));
            a.created_at = OG_TRY(f.string("created_at"));
            a.consumed_at = OG_TRY(f.optional_string("consumed_at"));
            a.consumed_by_operation = OG_TRY(f.optional_string("consumed_by_operation"));
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
