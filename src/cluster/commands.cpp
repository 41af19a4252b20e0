// The read-side and bookkeeping commands: validate, plan, status, refresh, import, approve and
// force-unlock (apply lives in apply.cpp).
#include "cluster/commands.h"

#include "base/clock.h"
#include "base/ulid.h"
#include "cluster/digests.h"
#include "cluster/plan.h"
#include "cluster/saved_plan.h"
#include "cluster/sweep.h"
#include "engine/graph.h"
#include "engine/schema_apply.h"
#include "schema/plan.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

namespace {

base::Json digests_json(const std::map<std::string, std::string>& digests) {
    base::Json j = base::Json::object();
    for (const auto& [address, digest] : digests)
        j[address] = digest;
    return j;
}

base::Json ledger_digests_json(const Ledger& l) {
    base::Json j = base::Json::object();
    for (const auto& [address, r] : l.resources)
        j[address] = r.digest;
    return j;
}

base::Json dependencies_json(const DesiredState& d) {
    base::Json j = base::Json::array();
    for (const auto& [from, to] : d.dependencies)
        j.push_back(base::Json::object({{"from", from}, {"to", to}}));
    return j;
}

base::Json observations_map_json(const Ledger& l) {
    base::Json j = base::Json::object();
    for (const auto& [k, v] : l.observations)
        j[k] = v;
    return j;
}

// One line per resource of the ledger, in address order: `  <address>: <status>`, with its
// conditions and message when it has them — so a drifted, blocked or failed resource shows in
// the text output, not only under --json.
void add_status_lines(const Ledger& l, std::vector<std::string>& lines) {
    for (const auto& [address, s] : l.statuses) {
        std::string line = "  " + address + ": " + s.status;
        if (!s.conditions.empty()) {
            line += " (";
            for (size_t i = 0; i < s.conditions.size(); ++i)
                line += (i ? ", " : "") + s.conditions[i];
            line += ")";
        }
        if (s.message)
            line += ": " + *s.message;
        lines.push_back(std::move(line));
    }
}

enum class CatalogMode { kStatus, kRefresh };

// Spec §7: every query/policy blob the ledger names is read back and re-hashed. Refresh removes
// the digest of a lost or tampered blob so the next apply republishes it.
void verify_catalog(ClusterStore& store, Ledger& ledger, CatalogMode mode, Diagnostics& diags) {
    std::vector<std::string> drop;
    for (const auto& [address, r] : ledger.resources) {
        std::string kind = kind_of(address), key;
        if (kind == "query") {
            std::string g = graph_of(address);
            key = ClusterStore::query_blob_key(g, address.substr(6 + g.size() + 1), r.digest);
        } else if (kind == "policy") {
            key = ClusterStore::policy_blob_key(address.substr(7), r.digest);
        } else {
            continue;
        }
        auto text = store.read_object(key);
        if (!text) {
            diags.error("catalog_payload_read_error", address,
                        "cannot read catalog blob " + store.display(key) + ": " +
                            text.error().message);
            if (mode == CatalogMode::kRefresh)
                ledger.statuses[address] = StatusRecord{"error", {"payload_read_error"}, {}};
            continue;
        }
        const std::optional<std::string>& blob = *text;
        if (!blob) {
            diags.warn("catalog_payload_missing", address,
                       "catalog blob " + store.display(key) +
                           " is missing; `cluster refresh` then `cluster apply` republishes it");
            if (mode == CatalogMode::kRefresh) {
                drop.push_back(address);
                ledger.statuses[address] = StatusRecord{"drifted", {"payload_missing"}, {}};
            }
            continue;
        }
        std::string actual = content_digest(*blob);
        if (actual != r.digest) {
            diags.warn("catalog_payload_mismatch", address,
                       "catalog blob " + store.display(key) + " has digest " + actual +
                           ", not the one its name records");
            if (mode == CatalogMode::kRefresh) {
                drop.push_back(address);
                ledger.statuses[address] = StatusRecord{"drifted", {"payload_mismatch"}, {}};
            }
        }
    }
    for (const auto& address : drop)
        ledger.resources.erase(address);
}

// Spec §12.1: a read-only look at every declared graph, recorded in the ledger.
void observe_graphs(ClusterStore& store, Ledger& ledger, const DesiredState& d,
                    Diagnostics& diags) {
    size_t failures = 0;
    for (const auto& [g, dg] : d.graphs) {
        GraphProbe probe = probe_graph(store, g);
        std::string gaddr = "graph." + g, saddr = "schema." + g;
        base::Json obs = base::Json::object();
        obs["kind"] = "graph";
        obs["address"] = gaddr;
        obs["graph_uri"] = store.graph_root(g).to_string();
        obs["observed_at"] = base::format_rfc3339(base::now());
        obs["exists"] = probe.exists;
        obs["graph_manifest_version"] =
            probe.opened ? base::Json(probe.manifest_version) : base::Json(nullptr);
        obs["schema_digest"] =
            probe.opened ? base::Json(probe.live_schema_digest) : base::Json(nullptr);
        obs["desired_schema_digest"] = dg.schema_digest;
        obs["schema_matches_desired"] =
            probe.opened && probe.live_schema_digest == dg.schema_digest;
        obs["error"] = probe.opened ? base::Json(nullptr) : base::Json(probe.error);
        ledger.observations[gaddr] = obs;
        if (!probe.exists) {
            ledger.resources.erase(gaddr);
            ledger.resources.erase(saddr);
            ledger.statuses[gaddr] = StatusRecord{"drifted", {"graph_missing"}, {}};
            ledger.statuses[saddr] = StatusRecord{"drifted", {"graph_missing"}, {}};
        } else if (!probe.opened) {
            ++failures;
            ledger.statuses[gaddr] =
                StatusRecord{"error", {"graph_observation_error"}, probe.error};
            ledger.statuses[saddr] =
                StatusRecord{"error", {"graph_observation_error"}, probe.error};
        } else {
            ledger.resources[saddr] = LedgerResource{probe.live_schema_digest, {}, {}, {}, {}};
            const LedgerResource* entry = ledger.find(gaddr);
            std::optional<std::string> provider = entry ? entry->embedding_provider : std::nullopt;
            std::optional<base::Json> policy = entry ? entry->external_blob_policy : std::nullopt;
            recompute_graph_entry(ledger, g, provider, policy);
            StatusRecord s = probe.live_schema_digest == dg.schema_digest
                                 ? StatusRecord{"applied", {}, {}}
                                 : StatusRecord{"drifted", {"schema_mismatch"}, {}};
            ledger.statuses[gaddr] = s;
            ledger.statuses[saddr] = s;
        }
    }
    if (failures)
        diags.error("graph_observation_error", "graphs",
                    std::to_string(failures) + " graph observation(s) failed");
}

base::Json migration_preview(ClusterStore& store, const DesiredGraph& dg, Diagnostics& diags,
                             const std::string& address) {
    auto objects = store.open_graph_store(dg.id);
    std::string why;
    if (objects) {
        auto graph = engine::Graph::open(**objects);
        if (graph) {
            engine::SchemaApplyOptions options;
            options.as_controller = store.root().to_string();
            options.schema_file = dg.schema_file;
            auto planned = engine::plan_schema_change(*graph, dg.schema_source, options);
            if (planned) {
                base::Json steps = base::Json::array();
                for (const auto& s : planned->plan.steps)
                    steps.push_back(schema::step_json(s));
                return base::Json::object(
                    {{"supported", planned->plan.supported}, {"steps", steps}});
            }
            why = planned.error().message;
        } else {
            why = graph.error().message;
        }
    } else {
        why = objects.error().message;
    }
    diags.warn("schema_preview_unavailable", address,
               "cannot preview the migration of graph '" + dg.id + "': " + why);
    return nullptr;
}

} // namespace

std::string CommandResult::to_json() const {
    base::Json j = json;
    j["diagnostics"] = diagnostics_json(diags);
    return base::to_pretty_json(j);
}

std::string CommandResult::to_text() const {
    std::string out;
    for (const auto& line : lines)
        out += line + "\n";
    for (const auto& d : diags.items())
        out += render_diagnostic(d) + "\n";
    return out;
}

CommandResult validate(const CommandOptions& o) {
    CommandResult r;
    DesiredState d = load_desired_state(o.config_dir, r.diags);
    if (d.complete && !r.diags.has_error())
        for (const auto& [g, dg] : d.graphs)
            if (!dg.blob_policy)
                r.diags.warn("external_blob_ingress_default_deny",
                             "graphs." + g + ".external_blobs",
                             "graph '" + g + "' allows no external blob bases (default deny)");
    base::Json& j = r.json;
    j["ok"] = r.ok();
    j["config_dir"] = o.config_dir;
    j["config_file"] = d.loaded.config_file.empty()
                           ? (std::filesystem::path(o.config_dir) / kClusterFileName).string()
                           : d.loaded.config_file;
    j["resource_digests"] = digests_json(d.digests);
    base::Json resources = base::Json::array();
    for (const auto& res : d.resources) {
        base::Json e = base::Json::object(
            {{"address", res.address}, {"kind", res.kind}, {"digest", res.digest}});
        if (res.path)
            e["path"] = *res.path;
        resources.push_back(e);
    }
    j["resources"] = resources;
    j["dependencies"] = dependencies_json(d);
    r.lines.push_back(r.ok() ? "cluster config valid: " + std::to_string(d.resources.size()) +
                                   " resource(s), " + std::to_string(d.dependencies.size()) +
                                   " dependency edge(s)"
                             : std::string("cluster config invalid"));
    return r;
}

CommandResult plan(const CommandOptions& o, const std::optional<std::string>& out_file) {
    CommandResult r;
    Diagnostics& diags = r.diags;
    DesiredState d = load_desired_state(o.config_dir, diags);
    StateObservations obs;
    Plan p;
    base::Json& j = r.json;
    LockedState locked;
    auto emit = [&]() {
        release_lock(locked, diags);
        j["ok"] = r.ok();
        j["config_dir"] = o.config_dir;
        j["desired_revision"] = base::Json::object();
        if (d.complete)
            j["desired_revision"]["config_digest"] = d.config_digest;
        j["resource_digests"] = digests_json(d.digests);
        j["dependencies"] = dependencies_json(d);
        j["state_observations"] = observations_json(obs);
        base::Json changes = base::Json::array(), blast = base::Json::array(),
                   gates = base::Json::array();
        for (const auto& c : p.changes) {
            changes.push_back(change_json(c));
            auto affected = dependents_of(d, c.resource);
            if (!affected.empty())
                blast.push_back(
                    base::Json::object({{"resource", c.resource}, {"affected", affected}}));
        }
        for (const auto& g : p.gates)
            gates.push_back(base::Json::object(
                {{"resource", g.resource}, {"reason", g.reason}, {"satisfied", g.satisfied}}));
        j["changes"] = changes;
        j["blast_radius"] = blast;
        j["approvals_required"] = gates;
        r.changes_pending = !p.changes.empty();
        if (!r.ok()) {
            r.lines = {"cluster plan failed"};
            return r;
        }
        r.lines.push_back("cluster plan: " + std::to_string(p.changes.size()) + " change(s), " +
                          std::to_string(p.gates.size()) + " approval gate(s)");
        for (const auto& c : p.changes) {
            r.lines.push_back("  " + op_label(c.operation) + " " + c.resource +
                              (c.binding_change ? " [bindings]" : ""));
            if (c.migration && c.migration->is_object()) {
                if (!(*c.migration)["supported"].get<bool>())
                    r.lines.push_back("      migration UNSUPPORTED:");
                for (const auto& step : (*c.migration)["steps"])
                    r.lines.push_back("      " + base::to_canonical_json(step));
            }
        }
        if (p.changes.empty())
            r.lines.push_back("  no changes");
        return r;
    };
    auto opened = open_locked(d, "plan", o.actor, o.config_dir, obs, diags, locked);
    if (!opened)
        return emit();
    ClusterStore* store = &opened->store;
    const LedgerRead& read = opened->read;
    warn_pending_sidecars(*store, diags);
    // A lost or altered catalog blob stops a server from booting, yet no change is proposed
    // until `cluster refresh` records it: the plan says so (status's warnings, read-only).
    Ledger checked = read.ledger;
    verify_catalog(*store, checked, CatalogMode::kStatus, diags);
    auto approvals = list_approvals(*store, diags);
    p = compute_plan(d, read.ledger, unconsumed(approvals), {}, diags);
    for (auto& c : p.changes)
        if (kind_of(c.resource) == "schema" && c.operation == "update") {
            base::Json m =
                migration_preview(*store, d.graphs.at(graph_of(c.resource)), diags, c.resource);
            if (!m.is_null())
                c.migration = m;
        }
    if (out_file && !diags.has_error())
        if (auto saved = save_plan(*out_file, d, read, p); !saved)
            diags.error(saved.error().code, *out_file, saved.error().message);
    return emit();
}

CommandResult status(const CommandOptions& o) {
    CommandResult r;
    Diagnostics& diags = r.diags;
    LoadedConfig c = load_cluster_config(o.config_dir, diags);
    StateObservations obs;
    Ledger ledger;
    bool found = false, ran = false;
    // The lock and sidecars are observed even when the config does not parse (at the default
    // root, the config dir).
    std::optional<base::StorageUri> root = c.storage_root;
    if (!root && !c.abs_config_dir.empty() && !c.config.storage)
        root = base::parse_storage_uri(c.abs_config_dir).value_or(base::StorageUri{});
    std::optional<ClusterStore> store;
    if (root && (root->is_s3() || !root->path.empty())) {
        auto opened = ClusterStore::open(*root);
        if (opened)
            store.emplace(std::move(*opened));
        else
            diags.error(opened.error().code, "storage", opened.error().message);
    }
    if (store) {
        init_observations(*store, obs);
        observe_lock(*store, obs, diags);
        warn_pending_sidecars(*store, diags);
        if (c.storage_root && !diags.has_error()) {
            ran = true;
            if (auto read = read_ledger(*store, obs, diags)) {
                found = read->raw.has_value();
                ledger = read->ledger;
                if (!found)
                    diags.warn("state_missing", store->display(kStateKey),
                               "no cluster state ledger yet; run `omnigraph cluster import "
                               "--config " +
                                   o.config_dir + "`");
                else
                    verify_catalog(*store, ledger, CatalogMode::kStatus, diags);
            }
        }
    }
    base::Json& j = r.json;
    j["ok"] = r.ok();
    j["config_dir"] = o.config_dir;
    j["state_observations"] = observations_json(obs);
    j["resource_digests"] = ledger_digests_json(ledger);
    j["resource_statuses"] = statuses_json(ledger.statuses);
    j["observations"] = observations_map_json(ledger);
    if (!r.ok()) {
        r.lines.push_back("cluster status failed");
    } else if (ran && !found) {
        r.lines.push_back("cluster state missing");
    } else {
        r.lines.push_back("cluster state: revision " + std::to_string(ledger.state_revision) +
                          ", " + std::to_string(ledger.resources.size()) + " resource(s)");
        if (ledger.config_digest)
            r.lines.push_back("  applied config: " + *ledger.config_digest);
    }
    r.lines.push_back(obs.locked ? "  lock: " + render_lock_holder(obs) : "  lock: not held");
    add_status_lines(ledger, r.lines);
    return r;
}

namespace {

CommandResult refresh_or_import(const CommandOptions& o, bool import, bool if_missing) {
    CommandResult r;
    Diagnostics& diags = r.diags;
    std::string op = import ? "import" : "refresh";
    DesiredState d = load_desired_state(o.config_dir, diags);
    StateObservations obs;
    Ledger ledger;
    bool noop = false;
    LockedState locked;
    auto emit = [&]() {
        release_lock(locked, diags);
        base::Json& j = r.json;
        j["ok"] = r.ok();
        j["operation"] = op;
        j["config_dir"] = o.config_dir;
        j["state_observations"] = observations_json(obs);
        j["resource_digests"] = ledger_digests_json(ledger);
        j["resource_statuses"] = statuses_json(ledger.statuses);
        j["observations"] = observations_map_json(ledger);
        if (!r.ok()) {
            r.lines = {"cluster " + op + " failed"};
            return r;
        }
        if (noop)
            r.lines.push_back("cluster import: state already exists (revision " +
                              std::to_string(ledger.state_revision) + "); nothing to do");
        else
            r.lines.push_back("cluster " + op + ": revision " +
                              std::to_string(ledger.state_revision) + ", " +
                              std::to_string(ledger.resources.size()) + " resource(s)");
        if (obs.state_cas)
            r.lines.push_back("  state_cas: " + *obs.state_cas);
        r.lines.push_back(obs.lock_acquired ? "  lock: acquired (id=" + *obs.acquired_lock_id + ")"
                                            : std::string("  lock: not acquired"));
        add_status_lines(ledger, r.lines);
        return r;
    };
    auto opened = open_locked(d, op, o.actor, o.config_dir, obs, diags, locked);
    if (!opened)
        return emit();
    ClusterStore* store = &opened->store;
    const LedgerRead& read = opened->read;
    if (import && read.raw) {
        ledger = read.ledger;
        if (if_missing) {
            noop = true;
            return emit();
        }
        diags.error("state_already_exists", store->display(kStateKey),
                    "a cluster state ledger already exists at " + store->display(kStateKey) +
                        " (use `cluster refresh`, or `cluster import --if-missing` in automation)");
        return emit();
    }
    if (!import && !require_ledger(*opened, o.config_dir, diags))
        return emit();
    ledger = read.ledger;
    if (import)
        ledger.config_digest = d.config_digest;
    if (!check_integrity(ledger, diags))
        return emit();
    SweepOutcome sweep = run_sweep(*store, ledger, d, o.actor, opened->lock != nullptr, diags);
    verify_catalog(*store, ledger, CatalogMode::kRefresh, diags);
    observe_graphs(*store, ledger, d, diags);
    if (import && diags.has_error()) {
        ledger = Ledger{};
        return emit();
    }
    ledger.state_revision = import ? 1 : read.ledger.state_revision + 1;
    if (auto written = store->write_state(serialize_ledger(ledger), read.raw); !written) {
        diags.error(written.error().code, store->display(kStateKey), written.error().message);
        ledger = read.ledger;
        return emit();
    }
    retire_sidecars(*store, sweep.retire, diags);
    mark_approvals_consumed(*store, sweep.consume, diags);
    if (auto again = store->read_state(); again) {
        if (const std::optional<StateRead>& state = *again) {
            LedgerRead now;
            now.raw = *state;
            now.ledger = ledger;
            observe_ledger(now, obs);
        }
    }
    return emit();
}

} // namespace

CommandResult refresh(const CommandOptions& o) {
    return refresh_or_import(o, false, false);
}

CommandResult import_state(const CommandOptions& o, bool if_missing) {
    return refresh_or_import(o, true, if_missing);
}

CommandResult approve(const CommandOptions& o, const std::string& address) {
    CommandResult r;
    Diagnostics& diags = r.diags;
    DesiredState d = load_desired_state(o.config_dir, diags);
    StateObservations obs;
    std::optional<Approval> written;
    LockedState locked;
    auto emit = [&]() {
        release_lock(locked, diags);
        base::Json& j = r.json;
        j["ok"] = r.ok();
        j["config_dir"] = o.config_dir;
        if (written) {
            j["approval_id"] = written->approval_id;
            j["resource"] = written->resource;
            j["operation"] = written->operation;
            j["approved_by"] = written->approved_by;
        }
        if (r.ok() && written)
            r.lines.push_back("cluster approve: " + written->operation + " " + written->resource +
                              " approved by " + written->approved_by + " (approval " +
                              written->approval_id + ")");
        else
            r.lines.push_back("cluster approve failed");
        return r;
    };
    auto opened = open_locked(d, "approve", o.actor, o.config_dir, obs, diags, locked);
    if (!opened)
        return emit();
    ClusterStore* store = &opened->store;
    const LedgerRead& read = opened->read;
    if (!require_ledger(*opened, o.config_dir, diags))
        return emit();
    auto changes = diff_changes(d, read.ledger, false);
    const PlanChange* gated = nullptr;
    for (const auto& c : changes) {
        if (c.resource != address || c.operation != "delete")
            continue;
        std::string kind = kind_of(c.resource);
        bool graph_deleted = false;
        for (const auto& other : changes)
            graph_deleted = graph_deleted || (other.resource == "graph." + graph_of(c.resource) &&
                                              other.operation == "delete");
        if (kind == "graph" || (kind == "schema" && !graph_deleted))
            gated = &c;
    }
    if (!gated) {
        diags.error("approval_not_required", address,
                    address + " has no change that needs an approval (only deletes of graphs "
                              "and schemas are gated)");
        return emit();
    }
    Approval a;
    a.approval_id = base::new_ulid();
    a.resource = address;
    a.operation = gated->operation;
    a.reason = std::string(kDeleteGateReason);
    a.bound_config_digest = d.config_digest;
    a.bound_before_digest = gated->before_digest;
    a.bound_after_digest = gated->after_digest;
    a.approved_by = o.actor.value_or("");
    a.created_at = base::format_rfc3339(base::now());
    std::string key = std::string(kApprovalsPrefix) + a.approval_id + ".json";
    if (auto put = store->objects().put_if_absent(key, serialize_approval(a)); !put) {
        diags.error("approval_write_error", store->display(key),
                    "cannot write approval: " + put.error().message);
        return emit();
    }
    written = a;
    return emit();
}

CommandResult force_unlock(const CommandOptions& o, const std::string& lock_id) {
    CommandResult r;
    Diagnostics& diags = r.diags;
    LoadedConfig c = load_cluster_config(o.config_dir, diags);
    StateObservations obs;
    bool removed = false;
    std::optional<ClusterStore> store;
    if (!diags.has_error())
        store = open_cluster_store(c, diags);
    if (store) {
        init_observations(*store, obs);
        // Read with its version: the delete below removes exactly the lock that was read.
        auto held = store->objects().get(kLockKey);
        if (!held && held.error().is(codes::kNotFound)) {
            diags.error("state_lock_missing", store->display(kLockKey),
                        "no lock is held at " + store->display(kLockKey));
        } else if (!held) {
            diags.error("state_lock_read_error", store->display(kLockKey), held.error().message);
        } else if (auto lock = parse_lock(held->data); !lock) {
            obs.locked = true;
            diags.error(lock.error().code, store->display(kLockKey),
                        lock.error().message + "; the lock file was left in place");
        } else {
            obs.observe_holder(*lock);
            if (lock->lock_id != lock_id) {
                diags.error("state_lock_id_mismatch", store->display(kLockKey),
                            "the held lock is " + lock->lock_id + ", not " + lock_id +
                                "; force-unlock needs the exact id (see `cluster status`)");
            } else if (auto gone = store->objects().remove_if_match(kLockKey, held->meta.version);
                       !gone) {
                diags.error("state_lock_error", store->display(kLockKey),
                            gone.error().is(codes::kPreconditionFailed)
                                ? "the lock changed while force-unlock ran (its holder renewed "
                                  "it, or another command took it); see `cluster status`"
                                : "cannot delete the lock: " + gone.error().message);
            } else {
                removed = true;
            }
        }
    }
    base::Json& j = r.json;
    j["ok"] = r.ok();
    j["config_dir"] = o.config_dir;
    j["state_observations"] = observations_json(obs);
    j["lock_removed"] = removed;
    std::string holder = render_lock_holder(obs);
    if (removed) {
        r.lines.push_back("cluster force-unlock: removed lock" + holder.substr(4));
    } else {
        r.lines.push_back("cluster force-unlock failed");
        if (obs.locked)
            r.lines.push_back("  lock: " + holder);
    }
    return r;
}

} // namespace omnigraph::cluster
