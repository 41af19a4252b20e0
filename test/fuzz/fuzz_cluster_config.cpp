// Fuzz target: cluster.yaml text — the duplicate-key scan, the strict typed parse, and for a
// config that parses, the raw-config JSON the config digest hashes and every external blob base.
#include "base/json.h"
#include "cluster/config.h"
#include "cluster/digests.h"
#include "cluster/duplicate_keys.h"
#include "cluster/external_blobs.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace omnigraph::cluster;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)find_duplicate_keys(text);
    Diagnostics diags;
    auto config = parse_cluster_text(text, "cluster.yaml", diags);
    if (config.has_value() == diags.has_error())
        std::abort(); // a config exists exactly when nothing failed
    if (!config)
        return 0;
    auto raw = raw_config_json(*config);
    (void)config_digest(raw, {{"graph.x", "00"}});
    for (const auto& [id, g] : config->graphs) {
        for (const auto& b : g.blob_bases) {
            auto normal = normalize_blob_base(b.base, "server_safe");
            // The normal form is a fixed point.
            if (normal) {
                auto again = normalize_blob_base(*normal, "server_safe");
                if (!again || *again != *normal)
                    std::abort();
            }
        }
        Diagnostics policy_diags;
        (void)check_blob_policy(id, g.blob_bases, policy_diags);
    }
    (void)resolve_storage_root(config->storage, "/tmp/cluster");
    return 0;
}
