#include "cluster/digests.h"

#include "base/digest.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

using namespace std::string_literals;

std::string content_digest(std::string_view bytes) {
    return base::sha256_hex(bytes);
}

std::string provider_digest(const base::Json& profile) {
    return base::sha256_hex("embedding-provider\0"s + base::to_canonical_json(profile));
}

base::Json canonical_blob_policy(const base::Json& policy) {
    base::Json out = base::Json::object();
    out["mode"] = policy.value("mode", "allow");
    base::Json bases = base::Json::array();
    if (policy.contains("bases") && policy["bases"].is_array())
        for (const auto& b : policy["bases"])
            bases.push_back(
                base::Json::object({{"uri", b.value("uri", "")}, {"scope", b.value("scope", "")}}));
    out["bases"] = bases;
    return out;
}

std::string graph_composite_digest(const CompositeInput& in) {
    std::string bytes = "graph\0"s + in.graph_id + "\0schema\0"s + in.schema_digest + "\0"s;
    auto queries = in.queries;
    std::sort(queries.begin(), queries.end());
    for (const auto& [name, digest] : queries)
        bytes.append("query\0"s).append(name).append("\0"s).append(digest).append("\0"s);
    if (in.provider)
        bytes += "embedding_provider\0"s + in.provider->first + "\0"s + in.provider->second + "\0"s;
    if (in.blob_policy)
        bytes += "external_blob_policy\0"s +
                 base::to_canonical_json(canonical_blob_policy(*in.blob_policy)) + "\0"s;
    return base::sha256_hex(bytes);
}

std::string config_digest(const base::Json& raw_config,
                          const std::vector<std::pair<std::string, std::string>>& resources) {
    std::string bytes = "cluster-config\0"s + base::to_canonical_json(raw_config) + "\0"s;
    auto sorted = resources;
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [address, digest] : sorted)
        bytes.append(address).append("\0"s).append(digest).append("\0"s);
    return base::sha256_hex(bytes);
}

std::string state_cas(std::string_view state_bytes) {
    return "sha256:" + base::sha256_hex(state_bytes);
}

} // namespace omnigraph::cluster
