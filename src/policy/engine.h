// A policy bundle compiled for one scope (spec server-policy §4.3-4.4): the Cedar it stands for
// (schema, entities, one `permit` per rule and action, emitted as text for `policy explain` and
// the reference cross-check) and an evaluator of exactly that Cedar subset — `principal in`
// group, action and resource equality, `when` with `true`, `&&`, `||`, context attributes,
// `== false` and `like` (a rule's stored-query globs) — with the spec's steps around it: the
// unknown-actor short-circuit, the request context, the matched rule (smallest satisfied rule id)
// and the allow/deny messages. Immutable after compile; authorize() is thread-safe and
// allocation-light.
#pragma once

#include "policy/bundle.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace omnigraph::policy {

struct Request {
    std::string actor;
    Action action = Action::kRead;
    std::optional<std::string> branch, target_branch;
    std::optional<std::string> query; // invoke_query: the stored query's name
};

struct Decision {
    bool allowed = false;
    std::optional<std::string> matched_rule; // smallest satisfied rule id (allow only)
    std::vector<std::string> satisfied;      // Cedar policy ids "<rule>:<action>", sorted
    std::string message;
};

class PolicyEngine {
  public:
    // `resource_id`: the graph id the bundle is bound to ("root" for a cluster-bound bundle).
    static PolicyEngine compile(const Bundle& bundle, std::string resource_id);

    Decision authorize(const Request& request) const;
    // Whether some invoke_query rule names its queries (a per-query grant).
    bool has_query_grants() const;

    // The Cedar artefacts (§4.3).
    static const std::string& cedar_schema();
    std::string cedar_policy_set() const; // every policy, `@id`-free, in id order
    std::vector<std::pair<std::string, std::string>> cedar_policies() const; // id -> text
    std::string cedar_entities_json() const;
    // The context record of a request, as Cedar JSON.
    std::string cedar_context_json(const Request& request) const;

  private:
    enum class Condition {
        kNone,
        kTrue,
        kBranchProtected,
        kBranchUnprotected,
        kTargetProtected,
        kTargetUnprotected
    };
    struct Permit {
        std::string id; // "<rule>:<action>"
        std::string rule_id;
        uint32_t group = 0; // index into groups_
        Action action = Action::kRead;
        Condition condition = Condition::kNone;
        std::vector<std::string> queries; // invoke_query rules with `queries`: the globs
    };
    std::string resource_id_;
    std::vector<std::string> groups_;                            // sorted names
    std::unordered_map<std::string, std::vector<bool>> members_; // actor -> in group i
    std::vector<std::string> protected_;
    std::vector<Permit> permits_;                  // sorted by id
    std::vector<std::vector<uint32_t>> by_action_; // action -> permits, by rule id
    bool server_ = false;                          // some rule uses graph_list
};

// The decision for one scope (a graph, or the server for graph_list), whether or not a bundle
// is bound to it (spec §4.4):
// - a bundle: the actor is required (a request without one is `unauthorized`, an operational
//   error, not a decision) and the bundle decides;
// - no bundle: a server-scoped action is always denied; with an actor only `read` is allowed
//   (default-deny); without an actor (an open server) everything is allowed.
inline constexpr std::string_view kUnauthorized = "unauthorized";
Result<Decision> authorize_scope(const PolicyEngine* bundle, Action action,
                                 const std::optional<std::string>& actor,
                                 const std::optional<std::string>& branch = std::nullopt,
                                 const std::optional<std::string>& target_branch = std::nullopt,
                                 const std::optional<std::string>& query = std::nullopt);

} // namespace omnigraph::policy
