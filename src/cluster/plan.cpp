#include "cluster/plan.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

std::string kind_of(const std::string& address) {
    for (const char* k : {"graph", "schema", "query", "policy"})
        if (address.starts_with(std::string(k) + "."))
            return k;
    if (address.starts_with("provider.embedding."))
        return "provider";
    return "unknown";
}

std::string graph_of(const std::string& address) {
    std::string kind = kind_of(address);
    if (kind == "graph" || kind == "schema")
        return address.substr(kind.size() + 1);
    if (kind == "query") {
        std::string rest = address.substr(6);
        return rest.substr(0, rest.find('.'));
    }
    return "";
}

std::vector<PlanChange> diff_changes(const DesiredState& desired, const Ledger& ledger,
                                     bool include_metadata) {
    std::vector<PlanChange> out;
    for (const auto& [address, digest] : desired.digests) {
        const LedgerResource* have = ledger.find(address);
        if (!have)
            out.push_back({address, "create", std::nullopt, digest, "", {}, false, {}, {}});
        else if (have->digest != digest)
            out.push_back({address, "update", have->digest, digest, "", {}, false, {}, {}});
    }
    for (const auto& [address, r] : ledger.resources)
        if (!desired.digests.contains(address))
            out.push_back({address, "delete", r.digest, std::nullopt, "", {}, false, {}, {}});
    if (include_metadata) {
        auto changed = [&](const std::string& address) {
            return std::any_of(out.begin(), out.end(),
                               [&](const PlanChange& c) { return c.resource == address; });
        };
        for (const auto& [name, p] : desired.policies) {
            std::string address = "policy." + name;
            const LedgerResource* have = ledger.find(address);
            if (!have || changed(address) || !desired.digests.contains(address))
                continue;
            if (have->applies_to != std::optional(p.applies_to)) {
                PlanChange c{address,           "update", have->digest, have->digest, "", {}, true,
                             "policy_bindings", {}};
                out.push_back(c);
            }
        }
        for (const auto& [name, p] : desired.providers) {
            std::string address = "provider.embedding." + name;
            const LedgerResource* have = ledger.find(address);
            if (!have || changed(address))
                continue;
            if (have->embedding_profile != std::optional(p.profile))
                out.push_back({address,
                               "update",
                               have->digest,
                               have->digest,
                               "",
                               {},
                               false,
                               "embedding_profile",
                               {}});
        }
    }
    std::sort(out.begin(), out.end(),
              [](const PlanChange& a, const PlanChange& b) { return a.resource < b.resource; });
    return out;
}

Plan compute_plan(const DesiredState& desired, const Ledger& ledger,
                  const std::vector<Approval>& approvals, const std::set<std::string>& pending,
                  Diagnostics& diags) {
    Plan plan;
    plan.changes = diff_changes(desired, ledger, true);
    auto find = [&](const std::string& address) -> const PlanChange* {
        for (const auto& c : plan.changes)
            if (c.resource == address)
                return &c;
        return nullptr;
    };
    auto has_op = [&](const std::string& address, const char* op) {
        const PlanChange* c = find(address);
        return c && c->operation == op;
    };

    // Approval matching.
    for (const auto& c : plan.changes) {
        bool candidates = false;
        for (const auto& a : approvals) {
            if (a.resource != c.resource || a.consumed_at)
                continue;
            candidates = true;
            if (a.bound_config_digest == desired.config_digest &&
                a.bound_before_digest == c.before_digest &&
                a.bound_after_digest == c.after_digest) {
                plan.approvals.emplace(c.resource, a.approval_id);
                break;
            }
        }
        if (candidates && !plan.approvals.contains(c.resource))
            diags.warn("approval_stale", c.resource,
                       "an approval for " + c.operation + " " + c.resource +
                           " exists but the configuration or state moved since it was given; "
                           "run `omnigraph cluster approve " +
                           c.resource + "` again");
    }

    auto is_pending = [&](const std::string& g) { return pending.contains(g); };
    auto graph_delete = [&](const std::string& g) { return has_op("graph." + g, "delete"); };
    auto rides = [&](const std::string& g) {
        return graph_delete(g) && plan.approvals.contains("graph." + g) && !is_pending(g);
    };
    // A standalone schema create/delete (no matching graph create/delete).
    auto schema_pending = [&](const std::string& g) {
        std::string s = "schema." + g;
        return (has_op(s, "create") && !has_op("graph." + g, "create")) ||
               (has_op(s, "delete") && !graph_delete(g));
    };

    for (auto& c : plan.changes) {
        std::string kind = kind_of(c.resource), g = graph_of(c.resource);
        auto set = [&](const char* disposition, std::optional<std::string> reason = {}) {
            c.disposition = disposition;
            c.reason = std::move(reason);
        };
        if (kind == "graph") {
            if (c.operation == "create")
                is_pending(g) ? set("blocked", "cluster_recovery_pending") : set("applied");
            else if (c.operation == "update")
                schema_pending(g) ? set("deferred", "apply_unsupported_kind") : set("derived");
            else if (is_pending(g))
                set("blocked", "cluster_recovery_pending");
            else
                rides(g) ? set("applied") : set("blocked", "approval_required");
        } else if (kind == "schema") {
            if (c.operation == "create")
                (has_op("graph." + g, "create") && !is_pending(g))
                    ? set("applied")
                    : set("blocked", "cluster_recovery_pending");
            else if (c.operation == "update")
                is_pending(g) ? set("blocked", "cluster_recovery_pending") : set("applied");
            else if (!graph_delete(g))
                set("deferred", "apply_unsupported_kind");
            else if (rides(g))
                set("applied");
            else
                is_pending(g) ? set("blocked", "cluster_recovery_pending")
                              : set("blocked", "approval_required");
        } else if (kind == "query") {
            if (c.operation == "delete")
                (!graph_delete(g) || rides(g)) ? set("applied")
                                               : set("blocked", "approval_required");
            else if (is_pending(g))
                set("blocked", "cluster_recovery_pending");
            else if (schema_pending(g))
                set("blocked", "dependency_not_applied");
            else
                set("applied");
        } else if (kind == "policy") {
            bool blocked = false;
            if (c.operation != "delete")
                if (auto it = desired.policies.find(c.resource.substr(7));
                    it != desired.policies.end())
                    for (const auto& scope : it->second.applies_to)
                        if (scope.starts_with("graph.") && is_pending(scope.substr(6)))
                            blocked = true;
            blocked ? set("blocked", "cluster_recovery_pending") : set("applied");
        } else if (kind == "provider") {
            set("applied");
        } else {
            set("deferred", "apply_unsupported_kind");
        }
    }

    for (const auto& c : plan.changes) {
        if (c.operation != "delete")
            continue;
        std::string kind = kind_of(c.resource);
        if (kind == "graph" || (kind == "schema" && !graph_delete(graph_of(c.resource))))
            plan.gates.push_back(
                {c.resource, std::string(kDeleteGateReason), plan.approvals.contains(c.resource)});
    }
    return plan;
}

base::Json change_json(const PlanChange& c) {
    base::Json j = base::Json::object();
    j["resource"] = c.resource;
    j["operation"] = c.operation;
    if (c.before_digest)
        j["before_digest"] = *c.before_digest;
    if (c.after_digest)
        j["after_digest"] = *c.after_digest;
    if (!c.disposition.empty())
        j["disposition"] = c.disposition;
    if (c.reason)
        j["reason"] = *c.reason;
    if (c.binding_change)
        j["binding_change"] = true;
    if (c.metadata_change)
        j["metadata_change"] = *c.metadata_change;
    if (c.migration)
        j["migration"] = *c.migration;
    return j;
}

std::string op_label(const std::string& operation) {
    if (operation == "create")
        return "Create";
    if (operation == "update")
        return "Update";
    return "Delete";
}

} // namespace omnigraph::cluster
