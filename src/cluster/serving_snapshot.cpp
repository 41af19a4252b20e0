#include "cluster/serving_snapshot.h"

#include "base/text.h"
#include "cluster/config.h"
#include "cluster/context.h"
#include "cluster/digests.h"
#include "cluster/plan.h"

#include <filesystem>

namespace omnigraph::cluster {

std::optional<base::StorageUri> cluster_root_of(const std::string& source, Diagnostics& diags) {
    if (source.find("://") != std::string::npos) {
        auto uri = base::parse_storage_uri(source);
        if (!uri) {
            diags.error("invalid_storage_root", source, uri.error().message);
            return std::nullopt;
        }
        return *uri;
    }
    // A directory without cluster.yaml is itself the storage root (a deployed copy of the
    // stored state); a cluster.yaml that does not parse is an error, never a silent fallback.
    std::error_code ec;
    if (std::filesystem::is_directory(source, ec) &&
        !std::filesystem::exists(std::filesystem::path(source) / kClusterFileName, ec)) {
        auto uri = base::parse_storage_uri(std::filesystem::absolute(source, ec).string());
        if (uri)
            return *uri;
    }
    LoadedConfig config = load_cluster_config(source, diags);
    if (!config.storage_root) {
        if (!diags.has_error())
            diags.error("invalid_cluster_yaml", source, "cannot resolve the storage root");
        return std::nullopt;
    }
    return config.storage_root;
}

Result<base::StorageUri> resolve_cluster_root(const std::string& source) {
    Diagnostics diags;
    auto root = cluster_root_of(source, diags);
    if (root)
        return *root;
    for (const auto& d : diags.items())
        if (d.error)
            return Error(d.code, d.path + ": " + d.message);
    return Error(codes::kInvalidArgument, "cannot resolve the cluster at " + source);
}

ServingSnapshot load_serving_snapshot(const std::string& source, Diagnostics& diags) {
    ServingSnapshot snap;
    auto root = cluster_root_of(source, diags);
    if (!root)
        return snap;
    snap.root = *root;
    auto opened = ClusterStore::open(*root);
    if (!opened) {
        diags.error(opened.error().code, source, opened.error().message);
        return snap;
    }
    ClusterStore& store = *opened;

    // 1. Sidecars: unattributable ones are fatal, the others quarantine their graph.
    Diagnostics listing;
    auto sidecars = list_sidecars(store, listing);
    for (auto d : listing.items()) {
        d.error = true; // a sidecar that cannot be read cannot be attributed
        diags.add(std::move(d));
    }
    for (const auto& [key, s] : sidecars) {
        if (s.graph_id.empty()) {
            diags.error("cluster_recovery_unattributed", store.display(key),
                        "a recovery sidecar names no graph; run `omnigraph cluster apply` to "
                        "sweep it");
            continue;
        }
        if (snap.quarantined.insert(s.graph_id).second)
            diags.warn("cluster_recovery_pending", "graph." + s.graph_id,
                       "graph '" + s.graph_id + "' has an interrupted operation (" + s.kind +
                           "); it is not served until `omnigraph cluster apply` sweeps it");
    }

    // 2. The ledger.
    auto raw = store.read_state();
    if (!raw) {
        diags.error(raw.error().code, store.display(kStateKey), raw.error().message);
        return snap;
    }
    if (!*raw) {
        diags.error("cluster_state_missing", store.display(kStateKey),
                    "no applied cluster state at " + store.display(kStateKey) +
                        "; run `omnigraph cluster import` then `omnigraph cluster apply`");
        return snap;
    }
    auto parsed = parse_ledger((*raw)->text);
    if (!parsed) {
        diags.error(parsed.error().code, store.display(kStateKey), parsed.error().message);
        return snap;
    }
    const Ledger& ledger = *parsed;
    snap.state_revision = ledger.state_revision;

    // 3. Provider profiles of the graphs that will be served.
    std::set<std::string> verified_providers;
    for (const auto& [address, entry] : ledger.resources) {
        if (kind_of(address) != "graph" || snap.quarantined.contains(address.substr(6)) ||
            !entry.embedding_provider)
            continue;
        const LedgerResource* p = ledger.find(*entry.embedding_provider);
        if (!p)
            continue; // reported below as embedding_provider_missing
        if (!p->embedding_profile)
            diags.error("embedding_provider_profile_missing", *entry.embedding_provider,
                        "the ledger entry has no embedding_profile; re-run `omnigraph cluster "
                        "apply` to backfill it");
        else if (provider_digest(*p->embedding_profile) != p->digest)
            diags.error("embedding_provider_digest_mismatch", *entry.embedding_provider,
                        "the embedding_profile does not match its digest; restore the ledger or "
                        "re-run `omnigraph cluster apply`");
        else
            verified_providers.insert(*entry.embedding_provider);
    }

    // 4. Resources in address order.
    size_t applied_graphs = 0;
    for (const auto& [address, entry] : ledger.resources) {
        std::string kind = kind_of(address);
        if (kind == "graph") {
            std::string g = address.substr(6);
            ++applied_graphs;
            if (snap.quarantined.contains(g))
                continue;
            ServedGraph served{g, store.graph_root(g), std::nullopt, entry.external_blob_policy};
            if (entry.embedding_provider) {
                const std::string& ref = *entry.embedding_provider;
                if (!ref.starts_with("provider.embedding.")) {
                    diags.error("wrong_kind_reference", address,
                                "'" + ref + "' is not an embedding provider");
                    continue;
                }
                const LedgerResource* p = ledger.find(ref);
                if (!p || !p->embedding_profile) {
                    diags.error("embedding_provider_missing", address,
                                base::concat("graph '", g, "' binds ", ref,
                                             ", which has no applied profile; re-run `omnigraph "
                                             "cluster apply`"));
                    continue;
                }
                served.embedding_profile = p->embedding_profile;
            }
            if (ledger_composite(ledger, g, entry.embedding_provider, entry.external_blob_policy) !=
                entry.digest) {
                diags.error("external_blob_policy_digest_mismatch", address,
                            "the ledger entry for " + address +
                                " does not match its composite digest; restore state.json from "
                                "a trusted copy");
                continue;
            }
            snap.graphs.push_back(std::move(served));
        } else if (kind == "query" || kind == "policy") {
            std::string key, g = graph_of(address);
            std::vector<std::string> bindings;
            if (kind == "query") {
                if (snap.quarantined.contains(g))
                    continue;
                key =
                    ClusterStore::query_blob_key(g, address.substr(6 + g.size() + 1), entry.digest);
            } else {
                if (!entry.applies_to) {
                    diags.error("policy_bindings_missing", address,
                                "the ledger entry has no applies_to (it predates binding "
                                "metadata); re-run `omnigraph cluster apply` to backfill it");
                    continue;
                }
                for (const auto& scope : *entry.applies_to)
                    if (!(scope.starts_with("graph.") &&
                          snap.quarantined.contains(scope.substr(6))))
                        bindings.push_back(scope);
                if (bindings.empty())
                    continue;
                key = ClusterStore::policy_blob_key(address.substr(7), entry.digest);
            }
            auto text = store.read_object(key);
            if (!text || !*text) {
                diags.error("catalog_payload_missing", address,
                            "catalog blob " + store.display(key) +
                                " is missing or unreadable; run `omnigraph cluster refresh`, "
                                "then `omnigraph cluster apply`, and restart");
                continue;
            }
            if (content_digest(**text) != entry.digest) {
                diags.error("catalog_payload_digest_mismatch", address,
                            "catalog blob " + store.display(key) +
                                " does not match its digest; run `omnigraph cluster refresh`, "
                                "then `omnigraph cluster apply`, and restart");
                continue;
            }
            if (kind == "query")
                snap.queries.push_back({g, address.substr(6 + g.size() + 1), std::move(**text)});
            else
                snap.policies.push_back({address.substr(7), std::move(**text), bindings});
        }
    }

    // 5. Something to serve.
    if (snap.graphs.empty() && !diags.has_error()) {
        if (applied_graphs > 0 && !snap.quarantined.empty())
            diags.error("cluster_no_healthy_graphs", store.display(kStateKey),
                        "every applied graph is quarantined; fix the causes above");
        else
            diags.error("cluster_empty", store.display(kStateKey),
                        "the applied revision has no graphs; apply a cluster with at least one "
                        "graph");
    }
    return snap;
}

Result<uint64_t> applied_state_revision(const std::string& source) {
    auto root = OG_TRY(resolve_cluster_root(source));
    auto store = OG_TRY(ClusterStore::open(root));
    auto raw = OG_TRY(store.read_state());
    if (!raw)
        return Error("cluster_state_missing", "no applied cluster state at " + root.to_string());
    return OG_TRY(parse_ledger(raw->text)).state_revision;
}

} // namespace omnigraph::cluster
