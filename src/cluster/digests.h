// The control plane's digests, byte for byte as spec cluster §3 defines them: lower-case hex
// SHA-256 without prefix, except the ledger's CAS token ("sha256:<hex>").
#pragma once

#include "base/json.h"

#include <nlohmann/json.hpp> // complete type: std::optional<Json> members
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace omnigraph::cluster {

// schema / query / policy: the raw file bytes.
std::string content_digest(std::string_view bytes);
// "embedding-provider\0" + the compact profile JSON (keys kind, base_url, model, api_key).
std::string provider_digest(const base::Json& profile);

struct CompositeInput {
    std::string graph_id;
    std::string schema_digest;                                   // "" when unknown
    std::vector<std::pair<std::string, std::string>> queries;    // (name, digest), any order
    std::optional<std::pair<std::string, std::string>> provider; // (address, digest or "")
    std::optional<base::Json> blob_policy;                       // allow only; nullopt = deny
};
std::string graph_composite_digest(const CompositeInput& in);

// "cluster-config\0" + compact raw config + "\0" + every "address\0digest\0" in address order.
std::string config_digest(const base::Json& raw_config,
                          const std::vector<std::pair<std::string, std::string>>& resources);

// "sha256:<hex>" of the ledger's bytes as stored.
std::string state_cas(std::string_view state_bytes);

// The blob policy object re-serialized in its canonical key order (mode, bases[uri, scope]).
base::Json canonical_blob_policy(const base::Json& policy);

} // namespace omnigraph::cluster
