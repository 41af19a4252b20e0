#include "cluster/context.h"

#include "base/clock.h"
#include "cluster/digests.h"
#include "engine/graph.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

std::optional<ClusterStore> open_cluster_store(const LoadedConfig& config, Diagnostics& diags) {
    if (!config.storage_root)
        return std::nullopt;
    auto store = ClusterStore::open(*config.storage_root);
    if (!store) {
        diags.error(store.error().code, "storage", store.error().message);
        return std::nullopt;
    }
    return std::move(*store);
}

std::optional<OpenedState> open_locked(const DesiredState& desired, const std::string& operation,
                                       const std::optional<std::string>& actor,
                                       const std::string& config_dir, StateObservations& obs,
                                       Diagnostics& diags, LockedState& out) {
    if (diags.has_error() || !desired.complete)
        return std::nullopt;
    auto opened = open_cluster_store(desired.loaded, diags);
    if (!opened)
        return std::nullopt;
    ClusterStore& store = out.store.emplace(std::move(*opened));
    init_observations(store, obs);
    StateLock* lock = nullptr;
    if (desired.loaded.config.lock_enabled()) {
        auto taken = StateLock::acquire(store, operation, actor, config_dir, obs, diags);
        if (!taken) {
            diags.error(taken.error().code, store.display(kLockKey), taken.error().message);
            return std::nullopt;
        }
        lock = &out.lock.emplace(std::move(*taken));
    } else {
        diags.warn("state_lock_disabled", "state.lock",
                   "state.lock is false: no lock is taken, concurrent commands may conflict");
    }
    auto read = read_ledger(store, obs, diags);
    if (!read)
        return std::nullopt;
    return OpenedState{store, lock, out.read.emplace(std::move(*read))};
}

void release_lock(LockedState& locked, Diagnostics& diags) {
    if (!locked.lock || !locked.store) // (a lock is only ever taken on an opened store)
        return;
    auto released = locked.lock->release();
    if (released)
        return;
    const Error& e = released.error();
    std::string where = locked.store->display(kLockKey);
    if (e.is("state_lock_lost"))
        diags.warn(e.code, where, e.message);
    else
        diags.error(e.code, where, e.message);
}

bool require_ledger(const OpenedState& opened, const std::string& config_dir, Diagnostics& diags) {
    if (opened.read.raw)
        return true;
    ClusterStore& store = opened.store;
    diags.error("state_missing", store.display(kStateKey),
                "no cluster state ledger at " + store.display(kStateKey) +
                    "; run `omnigraph cluster import --config " + config_dir + "` first");
    return false;
}

void mark_approvals_consumed(ClusterStore& store, const std::vector<std::string>& approval_ids,
                             Diagnostics& diags) {
    if (approval_ids.empty())
        return;
    // The command listed the approvals already and reported a listing failure then.
    Diagnostics listed_before;
    for (auto f : list_approvals(store, listed_before)) {
        if (f.approval.consumed_at || std::find(approval_ids.begin(), approval_ids.end(),
                                                f.approval.approval_id) == approval_ids.end())
            continue;
        f.approval.consumed_at = base::format_rfc3339(base::now());
        // An artefact left unconsumed reads as still usable: the operator has to know.
        if (auto put = store.objects().put(f.key, serialize_approval(f.approval)); !put)
            diags.error("approval_write_error", store.display(f.key),
                        "cannot mark approval " + f.approval.approval_id +
                            " consumed (the ledger records it consumed): " + put.error().message);
    }
}

void init_observations(const ClusterStore& store, StateObservations& obs) {
    obs.state_path = store.display(kStateKey);
    obs.lock_path = store.display(kLockKey);
}

void observe_ledger(const LedgerRead& read, StateObservations& obs) {
    obs.state_found = read.raw.has_value();
    obs.state_revision = read.ledger.state_revision;
    obs.applied_config_digest = read.ledger.config_digest;
    obs.resource_count = read.ledger.resources.size();
    obs.state_cas = read.raw ? std::optional(state_cas(read.raw->text)) : std::nullopt;
}

std::optional<LedgerRead> read_ledger(ClusterStore& store, StateObservations& obs,
                                      Diagnostics& diags) {
    auto raw = store.read_state();
    if (!raw) {
        diags.error(raw.error().code, store.display(kStateKey), raw.error().message);
        return std::nullopt;
    }
    LedgerRead read;
    read.raw = std::move(*raw);
    if (read.raw) {
        obs.state_found = true;
        obs.state_cas = state_cas(read.raw->text);
        auto parsed = parse_ledger(read.raw->text);
        if (!parsed) {
            diags.error(parsed.error().code, store.display(kStateKey), parsed.error().message);
            return std::nullopt;
        }
        read.ledger = std::move(*parsed);
    }
    observe_ledger(read, obs);
    return read;
}

std::string ledger_composite(const Ledger& ledger, const std::string& g,
                             const std::optional<std::string>& provider,
                             const std::optional<base::Json>& blob_policy) {
    CompositeInput in;
    in.graph_id = g;
    if (const LedgerResource* s = ledger.find("schema." + g))
        in.schema_digest = s->digest;
    std::string prefix = "query." + g + ".";
    for (auto it = ledger.resources.lower_bound(prefix);
         it != ledger.resources.end() && it->first.starts_with(prefix); ++it)
        in.queries.emplace_back(it->first.substr(prefix.size()), it->second.digest);
    if (provider) {
        const LedgerResource* p = ledger.find(*provider);
        in.provider = {*provider, p ? p->digest : ""};
    }
    in.blob_policy = blob_policy;
    return graph_composite_digest(in);
}

bool check_integrity(const Ledger& ledger, Diagnostics& diags) {
    bool ok = true;
    for (const auto& [address, entry] : ledger.resources) {
        if (!address.starts_with("graph."))
            continue;
        std::string g = address.substr(6);
        if (ledger_composite(ledger, g, entry.embedding_provider, entry.external_blob_policy) !=
            entry.digest) {
            diags.error("external_blob_policy_digest_mismatch", address,
                        "the ledger entry for " + address +
                            " does not match its composite digest (its metadata was edited); "
                            "restore state.json from a trusted copy");
            ok = false;
        }
    }
    return ok;
}

std::vector<SidecarFile> list_sidecars(ClusterStore& store, Diagnostics& diags) {
    std::vector<SidecarFile> out;
    auto keys = store.list_json(kRecoveriesPrefix);
    if (!keys) {
        diags.warn("recovery_sidecar_read_error", "__cluster/recoveries",
                   "cannot list recovery sidecars: " + keys.error().message);
        return out;
    }
    for (const auto& key : *keys) {
        auto text = store.read_object(key);
        if (!text) {
            diags.warn("invalid_recovery_sidecar", store.uri_of(key),
                       "cannot read recovery sidecar: " + text.error().message);
            continue;
        }
        const std::optional<std::string>& sidecar_text = *text;
        if (!sidecar_text) {
            diags.warn("invalid_recovery_sidecar", store.uri_of(key),
                       "cannot read recovery sidecar");
            continue;
        }
        auto sidecar = parse_sidecar(*sidecar_text);
        if (!sidecar) {
            diags.warn(sidecar.error().code, store.uri_of(key), sidecar.error().message);
            continue;
        }
        out.push_back({key, std::move(*sidecar)});
    }
    return out;
}

void retire_sidecars(ClusterStore& store, const std::vector<std::string>& keys,
                     Diagnostics& diags) {
    for (const auto& key : keys)
        if (auto removed = store.objects().remove(key); !removed)
            diags.warn("recovery_sidecar_cleanup_failed", store.display(key),
                       "cannot delete a recovery sidecar whose outcome the ledger records (the "
                       "next sweep retires it): " +
                           removed.error().message);
}

void warn_pending_sidecars(ClusterStore& store, Diagnostics& diags) {
    auto keys = store.list_json(kRecoveriesPrefix);
    if (!keys) {
        diags.warn("recovery_sidecar_read_error", "__cluster/recoveries",
                   "cannot list recovery sidecars: " + keys.error().message);
        return;
    }
    for (const auto& key : *keys)
        diags.warn("cluster_recovery_pending", store.display(key),
                   "an interrupted operation awaits recovery; run `omnigraph cluster apply` (or "
                   "any state-mutating cluster command)");
}

std::vector<ApprovalFile> list_approvals(ClusterStore& store, Diagnostics& diags) {
    std::vector<ApprovalFile> out;
    auto keys = store.list_json(kApprovalsPrefix);
    if (!keys) {
        diags.warn("approval_read_error", "__cluster/approvals",
                   "cannot list approvals: " + keys.error().message);
        return out;
    }
    for (const auto& key : *keys) {
        auto text = store.read_object(key);
        const std::optional<std::string>* approval_text = text ? &*text : nullptr;
        if (!approval_text || !*approval_text) {
            diags.warn("invalid_approval_artifact", store.uri_of(key), "cannot read approval");
            continue;
        }
        auto approval = parse_approval(**approval_text);
        if (!approval) {
            diags.warn(approval.error().code, store.uri_of(key), approval.error().message);
            continue;
        }
        out.push_back({key, std::move(*approval)});
    }
    return out;
}

std::vector<Approval> unconsumed(const std::vector<ApprovalFile>& files) {
    std::vector<Approval> out;
    for (const auto& f : files)
        if (!f.approval.consumed_at)
            out.push_back(f.approval);
    return out;
}

GraphProbe probe_graph(ClusterStore& store, const std::string& graph_id) {
    GraphProbe probe;
    auto exists = store.graph_exists(graph_id);
    if (!exists) {
        probe.exists = true; // unknown: treat as present but unopenable
        probe.error = exists.error().message;
        return probe;
    }
    probe.exists = *exists;
    if (!probe.exists) {
        probe.error = "graph root " + store.graph_root(graph_id).to_string() + " does not exist";
        return probe;
    }
    auto objects = store.open_graph_store(graph_id);
    if (!objects) {
        probe.error = objects.error().message;
        return probe;
    }
    auto graph = engine::Graph::open(**objects);
    if (!graph) {
        probe.error = graph.error().message;
        return probe;
    }
    auto head = graph->head("main");
    if (!head) {
        probe.error = head.error().message;
        return probe;
    }
    probe.opened = true;
    probe.live_schema_source = graph->schema_source();
    probe.live_schema_digest = content_digest(probe.live_schema_source);
    probe.manifest_version = head->version;
    return probe;
}

base::Json actor_json(const std::optional<std::string>& actor) {
    return actor ? base::Json(*actor) : base::Json(nullptr);
}

} // namespace omnigraph::cluster
