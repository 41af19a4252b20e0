// The state ledger `__cluster/state.json` (spec cluster §5): what was applied, per resource, plus
// statuses, audit records and observations. Parsing is strict (unknown fields refused at every
// typed level, version must be 1); serialization is the spec's pretty JSON with declaration-
// ordered fields. The ledger stores digests only; contents live in the catalog.
#pragma once

#include "base/json.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp> // complete type: std::optional<Json> members
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::cluster {

struct LedgerResource {
    std::string digest;
    std::optional<std::vector<std::string>> applies_to; // policies
    std::optional<std::string> embedding_provider;      // graphs
    std::optional<base::Json> embedding_profile;        // providers
    std::optional<base::Json> external_blob_policy;     // graphs, allow only

    friend bool operator==(const LedgerResource&, const LedgerResource&) = default;
};

struct StatusRecord {
    std::string status; // pending|planned|applying|applied|drifted|blocked|error
    std::vector<std::string> conditions;
    std::optional<std::string> message;

    friend bool operator==(const StatusRecord&, const StatusRecord&) = default;
};

struct Ledger {
    uint64_t state_revision = 0;
    std::optional<std::string> config_digest;
    std::map<std::string, LedgerResource> resources; // applied_revision.resources
    std::map<std::string, StatusRecord> statuses;
    std::map<std::string, base::Json> approval_records;
    std::map<std::string, base::Json> recovery_records;
    std::map<std::string, base::Json> observations;

    friend bool operator==(const Ledger&, const Ledger&) = default;
    const LedgerResource* find(const std::string& address) const;
    // Removes a resource with its status.
    void erase(const std::string& address);
};

// Codes: invalid_state_json, unsupported_state_version, conflicting_graph_manifest_observation.
Result<Ledger> parse_ledger(std::string_view text);
std::string serialize_ledger(const Ledger& ledger); // pretty JSON + '\n'

base::Json status_json(const StatusRecord& s);
base::Json statuses_json(const std::map<std::string, StatusRecord>& statuses);

} // namespace omnigraph::cluster
