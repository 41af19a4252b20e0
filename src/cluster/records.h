// The small JSON artefacts under `__cluster/`: the lock (spec cluster §6), recovery sidecars
// (§10.1) and approval artefacts (§11.1). Each parses strictly (unknown fields refused, version
// checked) and serializes in its declaration order.
#pragma once

#include "base/error.h"

#include <cstdint>
#include <optional>
#include <string>

namespace omnigraph::cluster {

// lock.json. `host`, `actor` and `lease_expires_at` are ours (the original writes five fields):
// they tell an operator who holds the lock and whether its holder is probably gone.
struct LockRecord {
    std::string lock_id;
    std::string operation; // plan|apply|approve|refresh|import
    std::string created_at;
    uint32_t pid = 0;
    std::optional<std::string> host, actor, lease_expires_at;
};
// Codes: invalid_state_lock, unsupported_state_lock_version.
Result<LockRecord> parse_lock(std::string_view text);
std::string serialize_lock(const LockRecord& lock); // pretty, no trailing newline

struct Sidecar {
    std::string operation_id;
    std::string started_at;
    std::optional<std::string> actor;
    std::string kind; // graph_create|schema_apply|graph_delete
    std::string graph_id;
    std::string graph_uri;
    std::optional<uint64_t> observed_manifest_version, expected_manifest_version;
    std::string desired_schema_digest;
    std::optional<std::string> state_cas_base;
    std::optional<std::string> approval_id;
};
// Codes: invalid_recovery_sidecar, unsupported_recovery_sidecar_version.
Result<Sidecar> parse_sidecar(std::string_view text);
std::string serialize_sidecar(const Sidecar& s); // pretty + '\n'

struct Approval {
    std::string approval_id;
    std::string resource;
    std::string operation = "delete";
    std::string reason;
    std::string bound_config_digest;
    std::optional<std::string> bound_before_digest, bound_after_digest;
    std::string approved_by;
    std::string created_at;
    std::optional<std::string> consumed_at, consumed_by_operation;
};
// Codes: invalid_approval_artifact, unsupported_approval_version.
Result<Approval> parse_approval(std::string_view text);
std::string serialize_approval(const Approval& a); // pretty + '\n'

} // namespace omnigraph::cluster
