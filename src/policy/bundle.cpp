#include "policy/bundle.h"

#include "base/text.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>
#include <yaml-cpp/yaml.h>

namespace omnigraph::policy {

namespace {

constexpr const char* kActionNames[kActionCount] = {
    "read",         "export", "change",       "schema_apply", "branch_create", "branch_delete",
    "branch_merge", "admin",  "invoke_query", "graph_list",   "reload"};

struct BundleFailure : std::runtime_error {
    BundleFailure(const std::string& message, const YAML::Mark& m)
        : std::runtime_error(message), line(m.line + 1), column(m.column + 1) {}
    int line, column;
};

[[noreturn]] void fail(const YAML::Node& at, const std::string& message) {
    throw BundleFailure(message, at.Mark());
}

// The keys of a mapping, rejecting duplicates and keys outside `allowed`.
std::map<std::string, YAML::Node> mapping(const YAML::Node& node, const std::string& what,
                                          std::initializer_list<const char*> allowed) {
    if (!node.IsMap())
        fail(node, what + " must be a mapping");
    std::map<std::string, YAML::Node> out;
    for (const auto& kv : node) {
        if (!kv.first.IsScalar())
            fail(kv.first, what + " keys must be strings");
        std::string key = kv.first.as<std::string>();
        bool known = false;
        for (const char* a : allowed)
            known |= key == a;
        if (!known) {
            std::string list;
            for (const char* a : allowed)
                list.append(list.empty() ? "" : ", ").append(a);
            fail(kv.first,
                 base::concat("unknown key '", key, "' in ", what, " (expected: ", list, ")"));
        }
        if (!out.emplace(key, kv.second).second)
            fail(kv.first, base::concat("duplicate key '", key, "' in ", what));
    }
    return out;
}

// A mapping with free keys (group names), in file order, rejecting duplicates.
std::vector<std::pair<std::string, YAML::Node>> mapping_any(const YAML::Node& node) {
    if (!node.IsMap())
        fail(node, "groups must be a mapping of group name to actor ids");
    std::vector<std::pair<std::string, YAML::Node>> out;
    std::set<std::string> seen;
    for (const auto& kv : node) {
        if (!kv.first.IsScalar())
            fail(kv.first, "group names must be strings");
        std::string key = kv.first.as<std::string>();
        if (!seen.insert(key).second)
            fail(kv.first, "duplicate group '" + key + "'");
        out.emplace_back(key, kv.second);
    }
    return out;
}

std::string scalar(const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar())
        fail(node, what + " must be a string");
    return node.as<std::string>();
}

bool blank(const std::string& s) {
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::vector<YAML::Node> sequence(const YAML::Node& node, const std::string& what) {
    if (!node.IsSequence())
        fail(node, what + " must be a list");
    std::vector<YAML::Node> out;
    for (const auto& item : node)
        out.push_back(item);
    return out;
}

Scope parse_scope(const YAML::Node& node, const std::string& what) {
    std::string s = scalar(node, what);
    if (s == "any")
        return Scope::kAny;
    if (s == "protected")
        return Scope::kProtected;
    if (s == "unprotected")
        return Scope::kUnprotected;
    fail(node, what + " must be any, protected or unprotected, not '" + s + "'");
}

Action action_at(const YAML::Node& node) {
    std::string name = scalar(node, "an action");
    auto a = parse_action(name);
    if (!a) {
        std::string list;
        for (const char* n : kActionNames)
            list += (list.empty() ? "" : ", ") + std::string(n);
        fail(node, "unknown action '" + name + "' (expected one of: " + list + ")");
    }
    return *a;
}

Bundle parse(const YAML::Node& root, std::string_view file, BindingKind kind) {
    Bundle b;
    b.file = std::string(file);
    auto top =
        mapping(root, "the policy bundle", {"version", "groups", "protected_branches", "rules"});
    auto version = top.find("version");
    if (version == top.end())
        fail(root, "the policy bundle needs 'version: 1'");
    if (!version->second.IsScalar() || version->second.as<std::string>() != "1")
        fail(version->second, "unsupported policy bundle version (expected 1)");
    if (auto g = top.find("groups"); g != top.end() && !g->second.IsNull()) {
        for (const auto& [name, members] : mapping_any(g->second)) {
            if (blank(name))
                fail(members, "a group name is blank");
            auto list = sequence(members, "group '" + name + "'");
            if (list.empty())
                fail(members, "group '" + name + "' is empty");
            auto& actors = b.groups[name];
            for (const auto& m : list) {
                std::string actor = scalar(m, "an actor id");
                if (blank(actor))
                    fail(m, "group '" + name + "' has a blank actor");
                if (std::find(actors.begin(), actors.end(), actor) == actors.end())
                    actors.push_back(actor);
            }
        }
    }
    if (auto p = top.find("protected_branches"); p != top.end() && !p->second.IsNull()) {
        for (const auto& item : sequence(p->second, "protected_branches")) {
            std::string branch = scalar(item, "a protected branch");
            if (blank(branch))
                fail(item, "a protected branch is blank");
            b.protected_branches.push_back(branch);
        }
    }
    bool server_rules = false, graph_rules = false;
    if (auto r = top.find("rules"); r != top.end() && !r->second.IsNull()) {
        std::set<std::string> ids;
        for (const auto& node : sequence(r->second, "rules")) {
            auto fields = mapping(node, "a rule", {"id", "allow"});
            Rule rule;
            rule.line = node.Mark().line + 1;
            rule.column = node.Mark().column + 1;
            if (!fields.count("id"))
                fail(node, "a rule needs an 'id'");
            rule.id = scalar(fields["id"], "a rule id");
            if (blank(rule.id))
                fail(fields["id"], "a rule id is blank");
            if (!ids.insert(rule.id).second)
                fail(fields["id"], "duplicate policy rule id '" + rule.id + "'");
            std::string at = "rule '" + rule.id + "'";
            if (!fields.count("allow"))
                fail(node, at + " needs 'allow'");
            auto allow =
                mapping(fields["allow"], at + " allow",
                        {"actors", "actions", "branch_scope", "target_branch_scope", "queries"});
            if (!allow.count("actors"))
                fail(fields["allow"], at + " needs 'actors: { group: <group> }'");
            auto actors = mapping(allow["actors"], at + " actors", {"group"});
            if (!actors.count("group"))
                fail(allow["actors"], at + " needs 'actors: { group: <group> }'");
            rule.group = scalar(actors["group"], at + " group");
            if (blank(rule.group))
                fail(actors["group"], at + " names a blank group");
            if (!b.groups.count(rule.group))
                fail(actors["group"], at + " references unknown group '" + rule.group + "'");
            if (!allow.count("actions"))
                fail(fields["allow"], at + " needs 'actions'");
            auto actions = sequence(allow["actions"], at + " actions");
            if (actions.empty())
                fail(allow["actions"], at + " has no actions");
            for (const auto& a : actions) {
                Action action = action_at(a);
                if (std::find(rule.actions.begin(), rule.actions.end(), action) ==
                    rule.actions.end())
                    rule.actions.push_back(action);
            }
            if (allow.count("branch_scope"))
                rule.branch_scope = parse_scope(allow["branch_scope"], at + " branch_scope");
            if (allow.count("target_branch_scope"))
                rule.target_branch_scope =
                    parse_scope(allow["target_branch_scope"], at + " target_branch_scope");
            if (rule.branch_scope && rule.target_branch_scope)
                fail(fields["allow"], at + " sets both branch_scope and target_branch_scope");
            if (allow.count("queries")) {
                if (rule.actions != std::vector<Action>{Action::kInvokeQuery})
                    fail(allow["queries"], at + ": queries applies to invoke_query only; give "
                                                "the other actions their own rule");
                auto queries = sequence(allow["queries"], at + " queries");
                if (queries.empty())
                    fail(allow["queries"], at + " lists no queries (leave 'queries' out to "
                                                "grant every stored query)");
                for (const auto& q : queries) {
                    std::string pattern = scalar(q, at + " query");
                    bool valid =
                        !pattern.empty() && std::all_of(pattern.begin(), pattern.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
                                   c == '*';
                        });
                    if (!valid)
                        fail(q, base::concat(at, ": '", pattern,
                                             "' is not a stored-query name or glob (letters, "
                                             "digits, _ and * only)"));
                    if (std::find(rule.queries.begin(), rule.queries.end(), pattern) ==
                        rule.queries.end())
                        rule.queries.push_back(pattern);
                }
            }
            bool server = false, graph = false;
            for (Action a : rule.actions) {
                (is_server_scoped(a) ? server : graph) = true;
                const char* name = action_name(a);
                if (rule.branch_scope && !uses_branch_scope(a))
                    fail(allow["branch_scope"],
                         at + ": unsupported action '" + name + "' with branch_scope" +
                             (is_server_scoped(a) ? " (graph_list is server-scoped)"
                                                  : " (branch_scope applies to read, export "
                                                    "and change)"));
                if (rule.target_branch_scope && !uses_target_branch_scope(a))
                    fail(allow["target_branch_scope"],
                         at + ": unsupported action '" + name + "' with target_branch_scope" +
                             (is_server_scoped(a) ? " (graph_list is server-scoped)"
                                                  : " (target_branch_scope applies to "
                                                    "schema_apply, branch_create, branch_delete "
                                                    "and branch_merge)"));
            }
            if (server && graph)
                fail(allow["actions"], at + " mixes the server-scoped action graph_list with "
                                            "per-graph actions; split it into two rules");
            if (server && kind == BindingKind::kGraph)
                fail(allow["actions"], at + ": graph_list is a server-scoped action; a "
                                            "graph-bound bundle cannot use it");
            if (graph && kind == BindingKind::kCluster)
                fail(allow["actions"],
                     at + ": '" + std::string(action_name(rule.actions.front())) +
                         "' is a per-graph action; a cluster-bound bundle may only use "
                         "graph_list");
            server_rules |= server;
            graph_rules |= graph;
            b.rules.push_back(std::move(rule));
        }
    }
    if (server_rules && graph_rules)
        fail(root, "the bundle mixes server-scoped (graph_list) and per-graph rules; a bundle "
                   "binds either to the cluster or to graphs");
    return b;
}

} // namespace

bool query_matches(std::string_view pattern, std::string_view name) {
    // Greedy glob with backtracking to the last `*`: linear in practice, never recursive.
    size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            mark = n;
        } else if (p < pattern.size() && pattern[p] == name[n]) {
            ++p;
            ++n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

const char* action_name(Action a) {
    return kActionNames[static_cast<int>(a)];
}

std::optional<Action> parse_action(std::string_view name) {
    for (int i = 0; i < kActionCount; ++i)
        if (name == kActionNames[i])
            return static_cast<Action>(i);
    return std::nullopt;
}

bool uses_branch_scope(Action a) {
    return a == Action::kRead || a == Action::kExport || a == Action::kChange;
}
bool uses_target_branch_scope(Action a) {
    return a == Action::kSchemaApply || a == Action::kBranchCreate || a == Action::kBranchDelete ||
           a == Action::kBranchMerge;
}
bool is_server_scoped(Action a) {
    return a == Action::kGraphList || a == Action::kReload;
}

const char* scope_name(Scope s) {
    switch (s) {
    case Scope::kAny:
        return "any";
    case Scope::kProtected:
        return "protected";
    case Scope::kUnprotected:
        return "unprotected";
    }
    return "?";
}

std::vector<std::string> Bundle::groups_of(std::string_view actor) const {
    std::vector<std::string> out;
    for (const auto& [group, actors] : groups)
        if (std::find(actors.begin(), actors.end(), actor) != actors.end())
            out.push_back(group);
    return out;
}

size_t Bundle::actor_count() const {
    std::set<std::string> all;
    for (const auto& [group, actors] : groups)
        all.insert(actors.begin(), actors.end());
    return all.size();
}

Result<Bundle> parse_bundle(std::string_view yaml, std::string_view file, BindingKind kind) {
    try {
        YAML::Node root = YAML::Load(std::string(yaml));
        if (!root || root.IsNull())
            return Error(kPolicyInvalid, "the policy bundle is empty (needs 'version: 1')",
                         SourceLocation{std::string(file), 1, 1});
        return parse(root, file, kind);
    } catch (const BundleFailure& f) {
        return Error(kPolicyInvalid, f.what(), SourceLocation{std::string(file), f.line, f.column});
    } catch (const YAML::Exception& e) {
        return Error(kPolicyInvalid, "invalid YAML: " + e.msg,
                     SourceLocation{std::string(file), e.mark.line + 1, e.mark.column + 1});
    }
}

Result<std::vector<TestCase>> parse_test_cases(std::string_view yaml, std::string_view file) {
    try {
        YAML::Node root = YAML::Load(std::string(yaml));
        auto top = mapping(root, "the policy tests", {"version", "cases"});
        if (!top.count("version") || !top["version"].IsScalar() ||
            top["version"].as<std::string>() != "1")
            fail(root, "the policy tests need 'version: 1'");
        std::vector<TestCase> out;
        std::set<std::string> ids;
        if (!top.count("cases"))
            fail(root, "the policy tests need 'cases'");
        for (const auto& node : sequence(top["cases"], "cases")) {
            auto f =
                mapping(node, "a test case",
                        {"id", "actor", "action", "branch", "target_branch", "query", "expect"});
            for (const char* required : {"id", "actor", "action", "expect"})
                if (!f.count(required))
                    fail(node, std::string("a test case needs '") + required + "'");
            TestCase c;
            c.id = scalar(f["id"], "a case id");
            if (!ids.insert(c.id).second)
                fail(f["id"], "duplicate test case id '" + c.id + "'");
            c.actor = scalar(f["actor"], "an actor");
            if (blank(c.actor))
                fail(f["actor"], "case '" + c.id + "' has a blank actor");
            c.action = action_at(f["action"]);
            if (f.count("branch"))
                c.branch = scalar(f["branch"], "a branch");
            if (f.count("target_branch"))
                c.target_branch = scalar(f["target_branch"], "a target branch");
            if (f.count("query"))
                c.query = scalar(f["query"], "a stored query");
            std::string expect = scalar(f["expect"], "expect");
            if (expect != "allow" && expect != "deny")
                fail(f["expect"], "expect must be allow or deny");
            c.expect_allow = expect == "allow";
            out.push_back(std::move(c));
        }
        return out;
    } catch (const BundleFailure& f) {
        return Error(kPolicyInvalid, f.what(), SourceLocation{std::string(file), f.line, f.column});
    } catch (const YAML::Exception& e) {
        return Error(kPolicyInvalid, "invalid YAML: " + e.msg,
                     SourceLocation{std::string(file), e.mark.line + 1, e.mark.column + 1});
    }
}

} // namespace omnigraph::policy
