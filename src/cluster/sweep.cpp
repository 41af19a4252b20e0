#include "cluster/sweep.h"

#include "base/clock.h"
#include "engine/graph_lifecycle.h"

#include <map>
#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

namespace {

void set_status(Ledger& l, const std::string& address, const std::string& status,
                const std::string& condition, std::optional<std::string> message = {}) {
    StatusRecord s{status, {}, std::move(message)};
    if (!condition.empty())
        s.conditions.push_back(condition);
    l.statuses[address] = std::move(s);
}

// engine::discard_unfinished_init on graph `g`'s root.
Status discard_partial_root(ClusterStore& store, const std::string& g,
                            const engine::InterruptedInits& creates) {
    auto objects = OG_TRY(store.open_graph_store(g));
    return engine::discard_unfinished_init(*objects, creates);
}

// engine::release_finished_init_claim on graph `g`'s root.
Status release_init_claim(ClusterStore& store, const std::string& g,
                          const std::string& operation_id) {
    auto objects = OG_TRY(store.open_graph_store(g));
    return engine::release_finished_init_claim(*objects, operation_id);
}

} // namespace

void tombstone_graph(Ledger& ledger, const std::string& g, const std::string& approval_id,
                     const std::optional<std::string>& actor) {
    ledger.erase("graph." + g);
    ledger.erase("schema." + g);
    std::string prefix = "query." + g + ".";
    for (auto it = ledger.resources.lower_bound(prefix);
         it != ledger.resources.end() && it->first.starts_with(prefix);)
        it = ledger.resources.erase(it);
    for (auto it = ledger.statuses.lower_bound(prefix);
         it != ledger.statuses.end() && it->first.starts_with(prefix);)
        it = ledger.statuses.erase(it);
    base::Json t = base::Json::object();
    t["kind"] = "tombstone";
    t["deleted_at"] = base::format_rfc3339(base::now());
    t["approval_id"] = approval_id;
    t["actor"] = actor_json(actor);
    ledger.observations["graph." + g] = t;
}

void recompute_graph_entry(Ledger& ledger, const std::string& g,
                           const std::optional<std::string>& provider,
                           const std::optional<base::Json>& blob_policy) {
    LedgerResource entry;
    entry.digest = ledger_composite(ledger, g, provider, blob_policy);
    entry.embedding_provider = provider;
    entry.external_blob_policy = blob_policy;
    ledger.resources["graph." + g] = std::move(entry);
}

SweepOutcome run_sweep(ClusterStore& store, Ledger& ledger, const DesiredState& desired,
                       const std::optional<std::string>& actor, bool locked, Diagnostics& diags) {
    SweepOutcome out;
    std::vector<SidecarFile> sidecars = list_sidecars(store, diags);
    // Per graph, the creates that were interrupted: with the lock held every sidecar is one (the
    // run that wrote it is over). Several pile up when creates of one graph keep dying.
    std::map<std::string, engine::InterruptedInits> interrupted_creates;
    for (const auto& [key, s] : sidecars)
        if (s.kind == "graph_create") {
            engine::InterruptedInits& creates = interrupted_creates[s.graph_id];
            creates.operation_ids.push_back(s.operation_id);
            creates.serialized_across_hosts = locked;
        }
    for (const auto& [key, s] : sidecars) {
        const std::string& g = s.graph_id;
        std::string where = store.display(key);
        auto record = [&](const char* kind) {
            base::Json r = base::Json::object();
            r["kind"] = kind;
            r["graph_id"] = g;
            r["outcome"] = "rolled_forward";
            r["recovered_at"] = base::format_rfc3339(base::now());
            r["actor"] = actor_json(s.actor ? s.actor : actor);
            ledger.recovery_records[s.operation_id] = r;
            diags.warn("cluster_recovery_rolled_forward", where,
                       std::string(kind) + " of graph '" + g +
                           "' completed before the interruption; the ledger was rolled forward");
        };
        auto keep = [&](const std::string& why) {
            out.pending.insert(g);
            diags.warn("cluster_recovery_pending", where, why);
        };
        GraphProbe probe = probe_graph(store, g);
        const LedgerResource* recorded_schema = ledger.find("schema." + g);
        std::string recorded = recorded_schema ? recorded_schema->digest : "";

        if (s.kind == "graph_delete") {
            if (probe.exists) {
                diags.warn("graph_delete_incomplete", where,
                           "the delete of graph '" + g +
                               "' did not finish; the approved delete runs again");
                out.retire.push_back(key);
            } else if (!ledger.find("graph." + g)) {
                out.retire.push_back(key);
            } else {
                std::string approval = s.approval_id.value_or("");
                tombstone_graph(ledger, g, approval, s.actor ? s.actor : actor);
                if (!approval.empty()) {
                    base::Json a = base::Json::object();
                    a["consumed_at"] = base::format_rfc3339(base::now());
                    a["consumed_by_operation"] = s.operation_id;
                    ledger.approval_records[approval] = a;
                    out.consume.push_back(approval);
                }
                record("graph_delete");
                out.retire.push_back(key);
            }
            continue;
        }

        bool create = s.kind == "graph_create";
        if (create && !probe.exists) {
            out.retire.push_back(key);
            continue;
        }
        if (!probe.opened) {
            if (create) {
                // An init that never reached its genesis version: the engine removes the root
                // when it can prove it holds no data (its claim names one of these creates).
                auto discarded = discard_partial_root(store, g, interrupted_creates[g]);
                if (discarded) {
                    diags.warn("graph_create_rolled_back", where,
                               "graph '" + g + "' was partly created at " +
                                   store.graph_root(g).to_string() +
                                   " by an interrupted apply and held no data; the root was "
                                   "removed and apply creates the graph again");
                    out.retire.push_back(key);
                    continue;
                }
                set_status(ledger, "graph." + g, "error", "graph_create_incomplete", probe.error);
                set_status(ledger, "schema." + g, "error", "graph_create_incomplete", probe.error);
                out.pending.insert(g);
                std::string message = "graph '" + g + "' was partly created at " +
                                      store.graph_root(g).to_string() + " and does not open (";
                message += probe.error;
                message += ") and was not removed (";
                message += discarded.error().message;
                message += "); remove that root and run `omnigraph cluster apply` again";
                diags.error("graph_create_incomplete", where, message);
            } else {
                keep("graph '" + g + "' does not open (" + probe.error +
                     "); its interrupted schema apply stays pending");
            }
            continue;
        }
        if (probe.live_schema_digest == recorded) {
            out.retire.push_back(key);
        } else if (probe.live_schema_digest == s.desired_schema_digest) {
            ledger.resources["schema." + g] =
                LedgerResource{probe.live_schema_digest, {}, {}, {}, {}};
            std::optional<std::string> provider;
            std::optional<base::Json> policy;
            if (const LedgerResource* entry = ledger.find("graph." + g)) {
                provider = entry->embedding_provider;
                policy = entry->external_blob_policy;
            } else if (auto it = desired.graphs.find(g); it != desired.graphs.end()) {
                provider = it->second.provider;
                policy = it->second.blob_policy;
            }
            recompute_graph_entry(ledger, g, provider, policy);
            set_status(ledger, "graph." + g, "applied", "");
            set_status(ledger, "schema." + g, "applied", "");
            record(create ? "graph_create" : "schema_apply");
            if (create) // killed after its genesis, the init may have left its claim
                if (auto released = release_init_claim(store, g, s.operation_id); !released)
                    diags.warn("init_claim_cleanup_failed", store.graph_root(g).to_string(),
                               released.error().message);
            out.retire.push_back(key);
        } else {
            set_status(ledger, "graph." + g, "drifted", "actual_applied_state_pending");
            set_status(ledger, "schema." + g, "drifted", "actual_applied_state_pending");
            keep("graph '" + g +
                 "' has a schema that is neither the recorded nor the intended "
                 "one; run `omnigraph cluster refresh` to record it, then apply");
        }
    }
    return out;
}

} // namespace omnigraph::cluster
