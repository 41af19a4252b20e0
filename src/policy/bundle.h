// Policy bundles (`*.policy.yaml`, spec server-policy §4.1): groups of actors, protected
// branches and allow rules over a closed set of actions, parsed strictly (unknown keys,
// duplicate keys and every semantic rule of the spec are errors with file:line:column) and
// checked against the scope they are bound to. Plain values; parsing is pure and thread-safe.
#pragma once

#include "base/error.h"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::policy {

inline constexpr std::string_view kPolicyInvalid = "policy_invalid";

enum class Action {
    kRead,
    kExport,
    kChange,
    kSchemaApply,
    kBranchCreate,
    kBranchDelete,
    kBranchMerge,
    kAdmin,
    kInvokeQuery,
    kGraphList,
    kReload, // server-scoped: POST /admin/reload (beyond the original)
};
inline constexpr int kActionCount = 11;
const char* action_name(Action a); // "read", "schema_apply", ...
std::optional<Action> parse_action(std::string_view name);
bool uses_branch_scope(Action a);        // read, export, change
bool uses_target_branch_scope(Action a); // schema_apply, branch_create/delete/merge
bool is_server_scoped(Action a);         // graph_list, reload

enum class Scope { kAny, kProtected, kUnprotected };
const char* scope_name(Scope s);

struct Rule {
    std::string id;
    std::string group;
    std::vector<Action> actions;
    std::optional<Scope> branch_scope, target_branch_scope;
    // invoke_query only: the stored queries the rule grants, by name or glob (`*` matches any
    // run of characters); empty = every stored query (the original's coarse grant).
    std::vector<std::string> queries;
    int line = 0, column = 0;
};

struct Bundle {
    std::string file;
    std::map<std::string, std::vector<std::string>> groups; // group -> actors (file order)
    std::vector<std::string> protected_branches;
    std::vector<Rule> rules;

    // The groups an actor belongs to (none: the actor is unknown to the bundle).
    std::vector<std::string> groups_of(std::string_view actor) const;
    size_t actor_count() const; // distinct actors over all groups
};

// What scope a bundle is bound to: a graph (per-graph actions only), the cluster (server
// actions only), or not known yet (`policy validate` of a lone file: either kind, not mixed).
enum class BindingKind { kGraph, kCluster, kEither };

Result<Bundle> parse_bundle(std::string_view yaml, std::string_view file,
                            BindingKind kind = BindingKind::kEither);

// `omnigraph policy test` cases (spec §4.1 companion file).
struct TestCase {
    std::string id, actor;
    Action action = Action::kRead;
    std::optional<std::string> branch, target_branch;
    std::optional<std::string> query; // invoke_query: the stored query invoked
    bool expect_allow = false;
};
Result<std::vector<TestCase>> parse_test_cases(std::string_view yaml, std::string_view file);

// Whether stored-query name `name` matches a rule's `queries` entry (`*` = any run of
// characters, as Cedar's `like`).
bool query_matches(std::string_view pattern, std::string_view name);

} // namespace omnigraph::policy
