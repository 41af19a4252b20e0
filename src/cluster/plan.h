// Planning (spec cluster §8): the digest diff between the desired state and the ledger, the
// metadata changes (policy bindings, embedding profiles), approval matching, classification into
// dispositions, and the approval gates. Pure: no storage access (the caller lists approvals and
// pending graphs, and adds migration previews).
#pragma once

#include "base/json.h"
#include "cluster/desired_state.h"
#include "cluster/ledger.h"
#include "cluster/records.h"

#include <map>
#include <nlohmann/json.hpp> // complete type: std::optional<Json> members
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace omnigraph::cluster {

inline constexpr std::string_view kDeleteGateReason =
    "delete may remove deployed graph or schema definition";

struct PlanChange {
    std::string resource;
    std::string operation; // create|update|delete
    std::optional<std::string> before_digest, after_digest;
    std::string disposition; // applied|derived|deferred|blocked
    std::optional<std::string> reason;
    bool binding_change = false;
    std::optional<std::string> metadata_change; // policy_bindings|embedding_profile
    std::optional<base::Json> migration;
};

struct ApprovalGate {
    std::string resource;
    std::string reason;
    bool satisfied = false;
};

struct Plan {
    std::vector<PlanChange> changes; // address order
    std::vector<ApprovalGate> gates;
    std::map<std::string, std::string> approvals; // resource -> matching approval id
};

// The plain digest diff plus metadata changes, unclassified (approve uses it as is).
std::vector<PlanChange> diff_changes(const DesiredState& desired, const Ledger& ledger,
                                     bool include_metadata);

// The whole plan. `approvals` are the readable, unconsumed artefacts in file order; stale ones
// add approval_stale warnings. `pending` = graphs with a kept recovery sidecar.
Plan compute_plan(const DesiredState& desired, const Ledger& ledger,
                  const std::vector<Approval>& approvals, const std::set<std::string>& pending,
                  Diagnostics& diags);

// The graph a resource address belongs to ("" for policies, providers, unknown kinds).
std::string graph_of(const std::string& address);
std::string kind_of(const std::string& address); // graph|schema|query|policy|provider|unknown

base::Json change_json(const PlanChange& c);
std::string op_label(const std::string& operation); // Create|Update|Delete

} // namespace omnigraph::cluster
