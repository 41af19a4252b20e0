// The graph operations of `cluster apply`: create, schema migration and approved delete. Each
// first writes a recovery sidecar (so a crash can be recovered by the next sweep); a failure
// blocks the graph's other changes and everything that depends on them.
#include "base/clock.h"
#include "base/failpoint.h"
#include "base/ulid.h"
#include "cluster/apply_run.h"
#include "cluster/digests.h"
#include "engine/graph.h"
#include "engine/schema_apply.h"
#include "schema/plan.h"

namespace omnigraph::cluster::detail {

void ApplyRun::rewrite_sidecar(const std::string& key, const Sidecar& s) {
    if (auto put = store_.objects().put(key, serialize_sidecar(s)); !put)
        diags_.error("recovery_sidecar_write_error", store_.display(key),
                     "cannot record manifest version " +
                         std::to_string(s.expected_manifest_version.value_or(0)) + " of graph '" +
                         s.graph_id + "' in its recovery sidecar: " + put.error().message);
}

std::optional<std::string> ApplyRun::write_sidecar(Sidecar& s) {
    std::string key = std::string(kRecoveriesPrefix) + s.operation_id + ".json";
    auto put = store_.objects().put(key, serialize_sidecar(s));
    if (!put) {
        diags_.error("recovery_sidecar_write_error", store_.display(key),
                     "cannot write recovery sidecar: " + put.error().message);
        return std::nullopt;
    }
    return key;
}

Sidecar ApplyRun::new_sidecar(const std::string& kind, const std::string& g) {
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
void ApplyRun::demote(const std::string& g, const std::string& own, const std::string& reason) {
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

bool ApplyRun::skipped(const PlanChange& c, const char* code, const std::string& g) {
    if (!aborted_)
        return false;
    diags_.warn(code, c.resource,
                "skipped " + c.resource + " because an earlier graph operation failed");
    demote(g, c.resource, "dependency_not_applied");
    return true;
}

// Returns false only for an early-return failpoint.
bool ApplyRun::create_graph(PlanChange& c) {
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
    init.operation_id = s.operation_id; // the claim names the sidecar: see the sweep
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

bool ApplyRun::migrate_schema(PlanChange& c) {
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

bool ApplyRun::delete_graph(PlanChange& c) {
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

} // namespace omnigraph::cluster::detail
