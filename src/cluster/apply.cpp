// `cluster apply` (spec cluster §9): the only command that changes the world. Under the lock it
// sweeps, re-plans, then runs creates -> schema migrations -> catalog writes -> approved deletes
// and records everything in ONE compare-and-swap write of the ledger.
#include "base/failpoint.h"
#include "cluster/apply_run.h"
#include "cluster/commands.h"
#include "cluster/digests.h"
#include "cluster/saved_plan.h"

#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

namespace detail {

// The order of one run; the steps are in apply_*.cpp (ApplyRun is in cluster/apply_run.h).
void ApplyRun::run(const std::optional<SavedPlanCheck>& saved) {
    const Ledger snapshot = ledger_;
    SweepOutcome sweep = run_sweep(store_, ledger_, d_, o_.actor, lock != nullptr, diags_);
    auto approvals = list_approvals(store_, diags_);
    plan_ = compute_plan(d_, ledger_, unconsumed(approvals), sweep.pending, diags_);
    if (saved && !saved->matches(plan_, diags_))
        return finish(snapshot, false);
    for (const auto& gate : plan_.gates)
        for (const auto& c : plan_.changes)
            if (c.resource == gate.resource && c.disposition == "applied" && !gate.satisfied) {
                diags_.error("apply_approval_invariant_violation", c.resource,
                             "refusing to execute a gated change without an approval");
                return finish(snapshot, false);
            }
    if (diags_.has_error()) { // e.g. graph_create_incomplete: record the sweep, run nothing
        for (auto& c : plan_.changes)
            if (c.disposition == "applied" || c.disposition == "derived") {
                c.disposition = "blocked";
                c.reason = "cluster_recovery_pending";
            }
        return persist(snapshot, sweep, false);
    }

    for (auto& c : plan_.changes)
        if (kind_of(c.resource) == "graph" && c.operation == "create" && c.disposition == "applied")
            if (!create_graph(c))
                return finish(snapshot, false);
    for (auto& c : plan_.changes)
        if (kind_of(c.resource) == "schema" && c.operation == "update" &&
            c.disposition == "applied")
            if (!migrate_schema(c))
                return finish(snapshot, false);
    // Warnings for what will not run, before deletes can demote more.
    for (const auto& c : plan_.changes) {
        if (c.disposition == "deferred")
            diags_.warn("apply_unsupported_change", c.resource,
                        op_label(c.operation) + " " + c.resource +
                            " is not supported by apply yet (" + c.reason.value_or("") + ")");
        else if (c.disposition == "blocked")
            diags_.warn("apply_dependency_blocked", c.resource,
                        op_label(c.operation) + " " + c.resource + " is blocked (" +
                            c.reason.value_or("") + ")");
    }
    if (!write_payloads())
        return finish(snapshot, false);
    if (!early_failpoint("cluster_apply.after_payload_phase"))
        return finish(snapshot, false);
    for (auto& c : plan_.changes)
        if (kind_of(c.resource) == "graph" && c.operation == "delete" && c.disposition == "applied")
            if (!delete_graph(c))
                return finish(snapshot, false);
    mark_owned(sweep);
    persist(snapshot, sweep);
}

// An `after_*` failpoint: the run stops with no ledger write.
bool ApplyRun::early_failpoint(std::string_view name) {
    auto fp = base::failpoint(name);
    if (fp)
        return true;
    diags_.error(fp.error().code, std::string(name), fp.error().message);
    return false;
}

} // namespace detail

namespace {

std::string disposition_label(const PlanChange& c) {
    std::string d = c.disposition;
    if (!d.empty())
        d[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(d[0])));
    return c.reason ? "[" + d + ": " + *c.reason + "]" : "[" + d + "]";
}

} // namespace

CommandResult apply(const CommandOptions& o, const std::optional<std::string>& plan_file) {
    CommandResult r;
    Diagnostics& diags = r.diags;
    DesiredState d = load_desired_state(o.config_dir, diags);
    base::Json& j = r.json;
    j["ok"] = false;
    j["config_dir"] = o.config_dir;
    if (o.actor)
        j["actor"] = *o.actor;
    j["desired_revision"] = base::Json::object();
    if (d.complete)
        j["desired_revision"]["config_digest"] = d.config_digest;
    StateObservations obs;
    std::vector<PlanChange> changes;
    Ledger persisted;
    bool written = false, converged = false;

    LockedState locked;

    auto emit = [&]() {
        release_lock(locked, diags);
        j["state_observations"] = observations_json(obs);
        base::Json cj = base::Json::array();
        size_t applied = 0, deferred = 0;
        for (const auto& c : changes) {
            cj.push_back(change_json(c));
            applied += c.disposition == "applied";
            deferred += c.disposition == "deferred" || c.disposition == "blocked";
        }
        j["changes"] = cj;
        j["applied_count"] = applied;
        j["deferred_count"] = deferred;
        j["converged"] = converged;
        j["state_written"] = written;
        j["resource_statuses"] = statuses_json(persisted.statuses);
        j["ok"] = r.ok();
        r.changes_pending = !converged;
        r.lines.push_back(r.ok() ? "cluster apply: " + std::to_string(applied) + " applied, " +
                                       std::to_string(deferred) + " deferred/blocked"
                                 : std::string("cluster apply failed"));
        for (const auto& c : changes)
            r.lines.push_back("  " + op_label(c.operation) + " " + c.resource +
                              (c.binding_change ? " [bindings]" : "") + " " + disposition_label(c));
        if (changes.empty())
            r.lines.push_back("  no changes");
        if (r.ok()) {
            r.lines.push_back("  state: revision " + std::to_string(persisted.state_revision) +
                              ", converged: " + (converged ? "true" : "false") +
                              ", written: " + (written ? "true" : "false"));
            r.lines.push_back("  note: cluster-booted servers (--cluster) serve this on their next "
                              "restart; omnigraph.yaml deployments are unaffected");
        }
        return r;
    };

    auto opened = open_locked(d, "apply", o.actor, o.config_dir, obs, diags, locked);
    if (!opened)
        return emit();
    ClusterStore* store = &opened->store;
    LedgerRead& read = opened->read;
    if (!require_ledger(*opened, o.config_dir, diags))
        return emit();
    persisted = read.ledger;
    if (!check_integrity(read.ledger, diags))
        return emit();
    std::optional<SavedPlanCheck> saved;
    if (plan_file) {
        auto loaded = load_saved_plan(*plan_file, d, read);
        if (!loaded) {
            diags.error(loaded.error().code, *plan_file, loaded.error().message);
            return emit();
        }
        saved = std::move(*loaded);
    }
    detail::ApplyRun run(o, d, *store, read, diags);
    run.lock = opened->lock;
    run.run(saved);
    changes = run.plan().changes;
    persisted = run.persisted_;
    written = run.state_written_;
    converged = run.completed_run_ && run.converged_;
    if (written) {
        obs.state_revision = persisted.state_revision;
        obs.resource_count = persisted.resources.size();
        obs.applied_config_digest = persisted.config_digest;
        if (auto now = store->read_state(); now) {
            const std::optional<StateRead>& state = *now;
            if (state)
                obs.state_cas = state_cas(state->text);
        }
    }
    return emit();
}

} // namespace omnigraph::cluster
