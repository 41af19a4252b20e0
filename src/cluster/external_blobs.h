// A graph's external-blob ingress policy (spec cluster §2.2): the `external_blobs.allow` bases a
// load may copy blobs from. Bases are validated and put in a normal form, because the policy is
// part of the graph's composite digest: `S3://Assets-Bucket/knowledge` and
// `s3://assets-bucket/knowledge/` are the same base.
#pragma once

#include "base/json.h"
#include "cluster/config.h"

#include <nlohmann/json.hpp> // complete type: std::optional<Json> members
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::cluster {

struct BlobBase {
    std::string uri;   // normal form, always ending in '/'
    std::string scope; // server_safe | embedded_only
};

// The normal form of one base, or the reason it is refused. `config_dir` resolves nothing (bases
// are absolute) but is where a missing embedded directory is reported from.
Result<std::string> normalize_blob_base(const std::string& base, const std::string& scope);

// {"mode":"allow","bases":[{"uri","scope"},…]} in the normalized order; nullopt for deny (no
// bases), which contributes nothing to digests.
std::optional<base::Json> blob_policy_json(std::vector<BlobBase> bases);

// Validates `graphs.<id>.external_blobs` and returns the policy (nullopt: deny). Errors:
// invalid_external_blob_base (per entry) and invalid_external_blob_policy (overlaps).
std::optional<base::Json> check_blob_policy(const std::string& graph_id,
                                            const std::vector<BlobBaseDecl>& decls,
                                            Diagnostics& diags);

} // namespace omnigraph::cluster
