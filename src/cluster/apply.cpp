// `cluster apply` (spec cluster §9): the only command that changes the world. Under the lock it
// sweeps, re-plans, then runs creates -> schema migrations -> catalog writes -> approved deletes
// and records everything in ONE compare-and-swap write of the ledger.
#include "base/clock.h"
#include "base/failpoint.h"
#include "base/ulid.h"
#include "cluster/commands.h"
#include "cluster/digests.h"
#include "cluster/saved_plan.h"
#include "cluster/sweep.h"
#include "engine/graph.h"
#include "engine/graph_lifecycle.h"
#include "engine/schema_apply.h"
#include "schema/plan.h"

#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

namespace {

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size())
            return false;
        for (size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2)
                return false;
        i += n;
    }
    return true;
}

class ApplyRun {
  public:
    ApplyRun(const CommandOptions& o, DesiredState& d, ClusterStore& store, LedgerRead& read,
             Diagnostics& diags)
        : o_(o), d_(d), store_(store), read_(read), ledger_(read.ledger), diags_(diags) {}

    StateLock* lock = nullptr;

    // Runs everything after the integrity gate; the outcome is in the public fields below.
    void run(const std::optional<SavedPlanCheck>& saved) {
        const Ledger snapshot = ledger_;
        SweepOutcome sweep = run_sweep(store_, ledger_, d_, o_.actor, diags_);
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
            if (kind_of(c.resource) == "graph" && c.operation == "create" &&
                c.disposition == "applied")
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
            if (kind_of(c.resource) == "graph" && c.operation == "delete" &&
                c.disposition == "applied")
                if (!delete_graph(c))
                    return finish(snapshot, false);
        mark_owned(sweep);
        persist(snapshot, sweep);
    }

    const Plan& plan() const { return plan_; }

  private:
    // An `after_*` failpoint: the run stops with no ledger write.
    bool early_failpoint(std::string_view name) {
        auto fp = base::failpoint(name);
        if (fp)
            return true;
        diags_.error(fp.error().code, std::string(name), fp.error().message);
        return false;
    }

    std::optional<std::string> write_sidecar(Sidecar& s) {
        std::string key = std::string(kRecoveriesPrefix) + s.operation_id + ".json";
        auto put = store_.objects().put(key, serialize_sidecar(s));
        if (!put) {
            diags_.error("recovery_sidecar_write_error", store_.display(key),
                         "cannot write recovery sidecar: " + put.error().message);
            return std::nullopt;
        }
        return key;
    }

    // Records the operation's outcome in its sidecar. A failure is reported, and the operation
    // still counts: the sweep reads the graph itself, not this field.
    void rewrite_sidecar(const std::string& key, const Sidecar& s) {
        if (auto put = store_.objects().put(key, serialize_sidecar(s)); !put)
            diags_.error("recovery_sidecar_write_error", store_.display(key),
                         "cannot record manifest version " +
                             std::to_string(s.expected_manifest_version.value_or(0)) +
                             " of graph '" + s.graph_id +
                             "' in its recovery sidecar: " + put.error().message);
    }

    void owner_marker_error(const std::string& g, const std::string& message) {
        diags_.error("graph_owner_marker_error", "graph." + g,
                     "cannot mark graph '" + g + "' at " + store_.graph_root(g).to_string() +
                         " as managed by this cluster: " + message);
    }

    Sidecar new_sidecar(const std::string& kind, const std::string& g) {
        Sidecar s;
        s.operation_id = base::new_ulid();
        s.started_at = base::format_rfc3339(base::now());
        s.actor = o_.actor;
        s.kind = kind;
        s.graph_id = g;
        s.graph_uri = store_.graph_root(g).to_string();
        if (read_.raw)
            s.state_cas_base = state_cas(read_.raw->text);
        return s;
    }

    // Graph-moving work stops; the failed graph's changes and their dependents are blocked.
    void demote(const std::string& g, const std::string& own, const std::string& reason) {
        aborted_ = true;
        for (auto& c : plan_.changes) {
            if (c.disposition != "applied")
                continue;
            bool bound = false;
            if (kind_of(c.resource) == "policy")
                if (auto it = d_.policies.find(c.resource.substr(7)); it != d_.policies.end())
                    for (const auto& scope : it->second.applies_to)
                        bound = bound || scope == "graph." + g;
            if (c.resource == own) {
                c.disposition = "blocked";
                c.reason = reason;
            } else if (graph_of(c.resource) == g || bound) {
                c.disposition = "blocked";
                c.reason = "dependency_not_applied";
            }
        }
    }

    bool skipped(const PlanChange& c, const char* code, const std::string& g) {
        if (!aborted_)
            return false;
        diags_.warn(code, c.resource,
                    "skipped " + c.resource + " because an earlier graph operation failed");
        demote(g, c.resource, "dependency_not_applied");
        return true;
    }

    // Every graph the cluster manages carries the owner marker, so direct `omnigraph schema
    // apply` refuses it — also graphs adopted by `cluster import` (written once, then only read).
    void mark_owned(const SweepOutcome& sweep) {
        for (const auto& [g, dg] : d_.graphs) {
            if (!ledger_.find("graph." + g) || sweep.pending.contains(g) || aborted_)
                continue;
            auto objects = store_.open_graph_store(g);
            if (!objects) {
                owner_marker_error(g, objects.error().message);
                continue;
            }
            auto managed = engine::managed_by(**objects);
            if (!managed || *managed) {
                if (!managed)
                    owner_marker_error(g, managed.error().message);
                continue;
            }
            // not_found: the root holds no graph (yet), so there is nothing to mark.
            if (auto marked = engine::mark_managed(**objects, owner(g));
                !marked && !marked.error().is(codes::kNotFound))
                owner_marker_error(g, marked.error().message);
        }
    }

    engine::ManagedBy owner(const std::string& g) const {
        return engine::ManagedBy{store_.root().to_string(), g};
    }

    // Returns false only for an early-return failpoint.
    bool create_graph(PlanChange& c) {
        std::string g = graph_of(c.resource);
        if (skipped(c, "graph_create_skipped", g))
            return true;
        const DesiredGraph& dg = d_.graphs.at(g);
        Sidecar s = new_sidecar("graph_create", g);
        s.desired_schema_digest = dg.schema_digest;
        auto key = write_sidecar(s);
        if (!key) {
            demote(g, c.resource, "graph_create_failed");
            return true;
        }
        if (lock)
            lock->renew();
        auto fail = [&](std::string_view code, const std::string& message, bool keep_sidecar) {
            diags_.error(code, c.resource, message);
            if (!keep_sidecar)
                if (auto removed = store_.objects().remove(*key); !removed)
                    diags_.warn("recovery_sidecar_cleanup_failed", store_.display(*key),
                                removed.error().message);
            demote(g, c.resource, "graph_create_failed");
            return true;
        };
        if (auto fp = base::failpoint("cluster_apply.before_graph_create"); !fp)
            return fail(fp.error().code, fp.error().message, true);
        auto source = read_working_file(dg.schema_file);
        if (!source || content_digest(*source) != dg.schema_digest)
            return fail("resource_content_changed",
                        dg.schema_file + " changed while apply was running; run it again", false);
        auto objects = store_.open_graph_store(g);
        if (!objects)
            return fail("graph_create_failed", objects.error().message, true);
        engine::InitOptions init;
        init.schema_file = dg.schema_file;
        auto created = engine::init_graph(**objects, *source, init);
        if (!created)
            return fail("graph_create_failed",
                        "cannot create graph '" + g + "' at " + store_.graph_root(g).to_string() +
                            ": " + created.error().message,
                        true);
        // Unmarked, the graph would take direct schema applies: the create did not complete. Its
        // sidecar stays, so the next apply's sweep records the graph and marks it.
        if (auto marked = engine::mark_managed(**objects, owner(g)); !marked)
            return fail(
                "graph_owner_marker_error",
                "graph '" + g + "' was created at " + store_.graph_root(g).to_string() +
                    " but cannot be marked as managed by this cluster: " + marked.error().message,
                true);
        if (auto graph = engine::Graph::open(**objects))
            if (auto head = graph->head("main")) {
                s.expected_manifest_version = head->version;
                rewrite_sidecar(*key, s);
            }
        if (!early_failpoint("cluster_apply.after_graph_create"))
            return false;
        completed_.push_back(*key);
        return true;
    }

    bool migrate_schema(PlanChange& c) {
        std::string g = graph_of(c.resource);
        if (skipped(c, "schema_apply_skipped", g))
            return true;
        const DesiredGraph& dg = d_.graphs.at(g);
        auto fail = [&](const std::string& message) {
            diags_.error("schema_apply_failed", c.resource, message);
            demote(g, c.resource, "schema_apply_failed");
            return true;
        };
        auto objects = store_.open_graph_store(g);
        if (!objects)
            return fail(objects.error().message);
        auto graph = engine::Graph::open(**objects);
        if (!graph)
            return fail("cannot open graph '" + g + "': " + graph.error().message);
        if (auto healed = graph->heal(); !healed)
            return fail("cannot recover graph '" + g + "': " + healed.error().message);
        graph = engine::Graph::open(**objects);
        if (!graph)
            return fail("cannot open graph '" + g + "': " + graph.error().message);
        auto source = read_working_file(dg.schema_file);
        if (!source || content_digest(*source) != dg.schema_digest) {
            diags_.error("resource_content_changed", c.resource,
                         dg.schema_file + " changed while apply was running; run it again");
            demote(g, c.resource, "schema_apply_failed");
            return true;
        }
        engine::SchemaApplyOptions options;
        options.actor = o_.actor;
        options.schema_file = dg.schema_file;
        options.as_controller = store_.root().to_string();
        auto preview = engine::plan_schema_change(*graph, *source, options);
        if (!preview)
            return fail(preview.error().message);
        if (!preview->plan.supported) {
            std::string why;
            for (const auto& step : preview->plan.steps)
                if (why.empty() && !step.reason.empty())
                    why = step.reason;
            return fail("the migration of graph '" + g + "' is not supported: " + why);
        }
        auto head = graph->head("main");
        if (!head)
            return fail(head.error().message);
        uint64_t observed = head->version;
        Sidecar s = new_sidecar("schema_apply", g);
        s.observed_manifest_version = observed;
        s.desired_schema_digest = dg.schema_digest;
        auto key = write_sidecar(s);
        if (!key) {
            demote(g, c.resource, "schema_apply_failed");
            return true;
        }
        if (lock)
            lock->renew();
        if (auto fp = base::failpoint("cluster_apply.before_schema_apply"); !fp) {
            diags_.error(fp.error().code, c.resource, fp.error().message);
            demote(g, c.resource, "schema_apply_failed");
            return true;
        }
        auto applied = engine::apply_schema_change(*graph, *source, options);
        if (!applied) {
            diags_.error("schema_apply_failed", c.resource,
                         "schema apply of graph '" + g + "' failed: " + applied.error().message);
            GraphProbe probe = probe_graph(store_, g);
            const LedgerResource* recorded = ledger_.find("schema." + g);
            if (probe.opened && recorded && probe.live_schema_digest == recorded->digest &&
                probe.manifest_version == observed)
                if (auto removed = store_.objects().remove(*key); !removed)
                    diags_.warn("recovery_sidecar_cleanup_failed", store_.display(*key),
                                removed.error().message);
            demote(g, c.resource, "schema_apply_failed");
            return true;
        }
        s.expected_manifest_version = applied->graph_manifest_version;
        rewrite_sidecar(*key, s);
        if (!early_failpoint("cluster_apply.after_schema_apply"))
            return false;
        completed_.push_back(*key);
        return true;
    }

    bool write_payloads() {
        for (const auto& c : plan_.changes) {
            std::string kind = kind_of(c.resource);
            if (c.disposition != "applied" || c.operation == "delete" ||
                (kind != "query" && kind != "policy"))
                continue;
            std::string key, file, digest = *c.after_digest;
            if (kind == "query") {
                std::string g = graph_of(c.resource);
                std::string name = c.resource.substr(6 + g.size() + 1);
                key = ClusterStore::query_blob_key(g, name, digest);
                file = d_.graphs.at(g).queries.at(name).file;
            } else {
                std::string name = c.resource.substr(7);
                key = ClusterStore::policy_blob_key(name, digest);
                file = d_.policies.at(name).file;
            }
            // An existing blob is kept only when its content matches its name (the original trusts
            // any file there, so a tampered blob could never heal).
            auto existing = store_.read_object(key);
            if (existing && *existing && content_digest(**existing) == digest)
                continue;
            bool replace = existing && *existing;
            auto source = read_working_file(file);
            if (!source) {
                diags_.error("resource_payload_write_error", c.resource, "cannot read " + file);
                return false;
            }
            if (content_digest(*source) != digest) {
                diags_.error("resource_content_changed", c.resource,
                             file + " changed while apply was running; run it again");
                return false;
            }
            if (!valid_utf8(*source)) {
                diags_.error("resource_payload_write_error", c.resource,
                             file + " is not valid UTF-8");
                return false;
            }
            Status put = store_.write_blob(key, *source);
            if (put && replace)
                if (auto replaced = store_.objects().put(key, *source); !replaced)
                    put = replaced.error();
            if (!put) {
                diags_.error("resource_payload_write_error", c.resource,
                             "cannot write " + store_.display(key) + ": " + put.error().message);
                return false;
            }
        }
        return true;
    }

    bool delete_graph(PlanChange& c) {
        std::string g = graph_of(c.resource);
        if (skipped(c, "graph_delete_skipped", g))
            return true;
        std::string approval = plan_.approvals.at(c.resource);
        GraphProbe probe = probe_graph(store_, g);
        Sidecar s = new_sidecar("graph_delete", g);
        if (probe.opened)
            s.observed_manifest_version = probe.manifest_version;
        s.desired_schema_digest = "";
        s.approval_id = approval;
        auto key = write_sidecar(s);
        auto fail = [&](std::string_view code, const std::string& message) {
            diags_.error(code, c.resource, message);
            demote(g, c.resource, "graph_delete_failed");
            return true;
        };
        if (!key) {
            demote(g, c.resource, "graph_delete_failed");
            return true;
        }
        if (lock)
            lock->renew();
        if (auto fp = base::failpoint("cluster_apply.before_graph_delete"); !fp)
            return fail(fp.error().code, fp.error().message);
        Status removed = ok();
        if (auto objects = store_.open_graph_store(g); objects)
            removed = engine::destroy_graph(**objects);
        else
            removed = objects.error();
        if (!removed)
            return fail("graph_delete_failed", "cannot delete " + store_.graph_root(g).to_string() +
                                                   ": " + removed.error().message);
        if (!early_failpoint("cluster_apply.after_graph_delete"))
            return false;
        deleted_.emplace_back(g, approval);
        completed_.push_back(*key);
        return true;
    }

    // Steps 15-20: the ledger mutation, composites, convergence, the one CAS write.
    // `executed`: the plan ran (false when only the sweep's findings are recorded).
    void persist(const Ledger& snapshot, const SweepOutcome& sweep, bool executed = true) {
        for (const auto& c : plan_.changes) {
            if (!executed)
                break;
            if (c.disposition == "applied") {
                if (c.operation == "delete") {
                    if (kind_of(c.resource) != "graph")
                        ledger_.erase(c.resource);
                    continue;
                }
                LedgerResource entry;
                if (const LedgerResource* old = ledger_.find(c.resource))
                    entry = *old;
                entry.digest = *c.after_digest;
                if (kind_of(c.resource) == "policy")
                    entry.applies_to = d_.policies.at(c.resource.substr(7)).applies_to;
                if (kind_of(c.resource) == "provider")
                    entry.embedding_profile = d_.providers.at(c.resource.substr(19)).profile;
                ledger_.resources[c.resource] = std::move(entry);
                ledger_.statuses[c.resource] = StatusRecord{"applied", {}, {}};
            } else if (c.disposition == "blocked" && c.reason != "cluster_recovery_pending") {
                ledger_.statuses[c.resource] = StatusRecord{
                    "blocked",
                    {*c.reason},
                    op_label(c.operation) + " " + c.resource + " is blocked: " + *c.reason};
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
    void finish(const Ledger& persisted, bool completed) {
        persisted_ = persisted;
        completed_run_ = completed;
    }

  public:
    Ledger persisted_;
    bool completed_run_ = false;
    bool converged_ = false;
    bool state_written_ = false;

  private:
    const CommandOptions& o_;
    DesiredState& d_;
    ClusterStore& store_;
    LedgerRead& read_;
    Ledger ledger_;
    Diagnostics& diags_;
    Plan plan_;
    bool aborted_ = false;
    std::vector<std::string> completed_; // this run's finished operations' sidecars
    std::vector<std::pair<std::string, std::string>> deleted_; // (graph, approval id)
};

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

    if (!open_locked(d, "apply", o.actor, o.config_dir, obs, diags, locked))
        return emit();
    ClusterStore* store = &*locked.store;
    auto& read = locked.read;
    if (!require_ledger(locked, o.config_dir, diags))
        return emit();
    persisted = read->ledger;
    if (!check_integrity(read->ledger, diags))
        return emit();
    std::optional<SavedPlanCheck> saved;
    if (plan_file) {
        auto loaded = load_saved_plan(*plan_file, d, *read);
        if (!loaded) {
            diags.error(loaded.error().code, *plan_file, loaded.error().message);
            return emit();
        }
        saved = std::move(*loaded);
    }
    ApplyRun run(o, d, *store, *read, diags);
    run.lock = locked.lock ? &*locked.lock : nullptr;
    run.run(saved);
    changes = run.plan().changes;
    persisted = run.persisted_;
    written = run.state_written_;
    converged = run.completed_run_ && run.converged_;
    if (written) {
        obs.state_revision = persisted.state_revision;
        obs.resource_count = persisted.resources.size();
        obs.applied_config_digest = persisted.config_digest;
        if (auto now = store->read_state(); now && *now)
            obs.state_cas = state_cas((*now)->text);
    }
    return emit();
}

} // namespace omnigraph::cluster
