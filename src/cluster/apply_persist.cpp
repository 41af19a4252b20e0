// The end of `cluster apply`: every outcome recorded in the ledger and written in ONE
// compare-and-swap, then the sidecars it retires removed and the approvals it used consumed.
#include "base/clock.h"
#include "base/failpoint.h"
#include "cluster/apply_run.h"
#include "cluster/digests.h"

#include <nlohmann/json.hpp>

namespace omnigraph::cluster::detail {

// Steps 15-20: the ledger mutation, composites, convergence, the one CAS write.
// `executed`: the plan ran (false when only the sweep's findings are recorded).
void ApplyRun::persist(const Ledger& snapshot, const SweepOutcome& sweep, bool executed) {
    for (const auto& c : plan_.changes) {
        if (!executed)
            break;
        if (c.disposition == "applied") {
            if (c.operation == "delete") {
                if (kind_of(c.resource) != "graph")
                    ledger_.erase(c.resource);
                continue;
            }
            const std::optional<std::string>& after = c.after_digest;
            if (!after)
                continue; // only a delete has no digest after (diff_changes)
            LedgerResource entry;
            if (const LedgerResource* old = ledger_.find(c.resource))
                entry = *old;
            entry.digest = *after;
            if (kind_of(c.resource) == "policy")
                entry.applies_to = d_.policies.at(c.resource.substr(7)).applies_to;
            if (kind_of(c.resource) == "provider")
                entry.embedding_profile = d_.providers.at(c.resource.substr(19)).profile;
            ledger_.resources[c.resource] = std::move(entry);
            ledger_.statuses[c.resource] = StatusRecord{"applied", {}, {}};
        } else if (const std::optional<std::string>& reason = c.reason;
                   c.disposition == "blocked" && reason && *reason != "cluster_recovery_pending") {
            // (plan and apply give every blocked change its reason)
            ledger_.statuses[c.resource] =
                StatusRecord{"blocked",
                             {*reason},
                             op_label(c.operation) + " " + c.resource + " is blocked: " + *reason};
        }
    }
    for (const auto& [g, approval] : deleted_) {
        tombstone_graph(ledger_, g, approval, o_.actor);
        base::Json a = base::Json::object();
        a["consumed_at"] = base::format_rfc3339(base::now());
        a["consumed_by_operation"] = "apply";
        ledger_.approval_records[approval] = a;
    }
    for (const auto& [g, dg] : d_.graphs) {
        const LedgerResource* entry = ledger_.find("graph." + g);
        if (!entry || !executed || sweep.pending.contains(g))
            continue; // a kept sidecar owns this graph's statuses
        bool blocked = false;
        for (const auto& c : plan_.changes)
            if ((c.resource == "graph." + g || c.resource == "schema." + g) &&
                c.disposition == "blocked")
                blocked = true;
        std::optional<base::Json> policy = dg.blob_policy;
        if (blocked) {
            const LedgerResource* before = snapshot.find("graph." + g);
            policy = before ? before->external_blob_policy : std::nullopt;
        }
        recompute_graph_entry(ledger_, g, dg.provider, policy);
        auto status = ledger_.statuses.find("graph." + g);
        if (!blocked && ledger_.find("graph." + g)->digest == d_.digests.at("graph." + g) &&
            (status == ledger_.statuses.end() || status->second.status != "error"))
            ledger_.statuses["graph." + g] = StatusRecord{"applied", {}, {}};
    }
    converged_ = executed && sweep.pending.empty() && diff_changes(d_, ledger_, true).empty();
    if (converged_)
        ledger_.config_digest = d_.config_digest;

    bool write = !(ledger_ == snapshot) || !read_.raw;
    if (write) {
        ledger_.state_revision = snapshot.state_revision + 1;
        Status written = base::failpoint("cluster_apply.before_state_write");
        if (written)
            written = store_.write_state(serialize_ledger(ledger_), read_.raw);
        if (!written) {
            std::string code = written.error().code;
            if (code == base::kInjectedFailpoint)
                code = "state_write_error";
            diags_.error(code, store_.display(kStateKey), written.error().message);
            return finish(snapshot, false);
        }
        state_written_ = true;
    }
    // The ledger records every outcome now (written, or unchanged because it already did):
    // retired and completed sidecars can go, consumed approvals are marked.
    retire_sidecars(store_, sweep.retire, diags_);
    retire_sidecars(store_, completed_, diags_);
    std::vector<std::string> consume = sweep.consume;
    for (const auto& [g, approval] : deleted_)
        consume.push_back(approval);
    mark_approvals_consumed(store_, consume, diags_);
    finish(ledger_, true);
}

// The output; `persisted` is the ledger as stored after this run.
void ApplyRun::finish(const Ledger& persisted, bool completed) {
    persisted_ = persisted;
    completed_run_ = completed;
}

} // namespace omnigraph::cluster::detail
