#include "policy/engine.h"

#include "base/json_writer.h"

#include <algorithm>
#include <cstdio>
#include <set>

namespace omnigraph::policy {

namespace {

// A Cedar string literal. Cedar's escapes are Rust's: \" \\ \n \r \t \0 and \u{hex} for
// other control characters (JSON's \u00XX is not valid Cedar).
std::string cedar_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\0':
            out += "\\0";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                char buf[16];
                int n = std::snprintf(buf, sizeof buf, "\\u{%x}", static_cast<unsigned char>(c));
                out.append(buf, static_cast<size_t>(n));
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

} // namespace

PolicyEngine PolicyEngine::compile(const Bundle& bundle, std::string resource_id) {
    PolicyEngine e;
    e.resource_id_ = std::move(resource_id);
    for (const auto& [group, actors] : bundle.groups)
        e.groups_.push_back(group); // std::map: sorted
    for (size_t g = 0; g < e.groups_.size(); ++g)
        for (const auto& actor : bundle.groups.at(e.groups_[g])) {
            auto& in = e.members_[actor];
            in.resize(e.groups_.size(), false);
            in[g] = true;
        }
    e.protected_ = bundle.protected_branches;
    for (const auto& rule : bundle.rules) {
        uint32_t group = static_cast<uint32_t>(
            std::find(e.groups_.begin(), e.groups_.end(), rule.group) - e.groups_.begin());
        for (Action a : rule.actions) {
            Permit p;
            p.id = rule.id + ":" + action_name(a);
            p.rule_id = rule.id;
            p.group = group;
            p.action = a;
            if (rule.branch_scope)
                p.condition = *rule.branch_scope == Scope::kAny ? Condition::kTrue
                              : *rule.branch_scope == Scope::kProtected
                                  ? Condition::kBranchProtected
                                  : Condition::kBranchUnprotected;
            else if (rule.target_branch_scope)
                p.condition = *rule.target_branch_scope == Scope::kAny ? Condition::kTrue
                              : *rule.target_branch_scope == Scope::kProtected
                                  ? Condition::kTargetProtected
                                  : Condition::kTargetUnprotected;
            if (a == Action::kInvokeQuery)
                p.queries = rule.queries;
            e.server_ |= is_server_scoped(a);
            e.permits_.push_back(std::move(p));
        }
    }
    std::sort(e.permits_.begin(), e.permits_.end(),
              [](const Permit& a, const Permit& b) { return a.id < b.id; });
    e.by_action_.resize(kActionCount);
    std::vector<uint32_t> order(e.permits_.size());
    for (uint32_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
        return e.permits_[a].rule_id < e.permits_[b].rule_id;
    });
    for (uint32_t i : order)
        e.by_action_[static_cast<int>(e.permits_[i].action)].push_back(i);
    return e;
}

Decision PolicyEngine::authorize(const Request& r) const {
    Decision d;
    const char* action = action_name(r.action);
    auto member = members_.find(r.actor);
    if (member == members_.end()) { // not in any group: denied without evaluating
        d.message = std::string("policy denied action '") + action + "' for unknown actor '" +
                    r.actor + "'";
        return d;
    }
    auto is_protected = [&](const std::optional<std::string>& b) {
        return b && std::find(protected_.begin(), protected_.end(), *b) != protected_.end();
    };
    const bool has_branch = r.branch.has_value(), has_target = r.target_branch.has_value();
    const bool branch_protected = is_protected(r.branch);
    const bool target_protected = is_protected(r.target_branch);
    for (uint32_t i : by_action_[static_cast<int>(r.action)]) {
        const Permit& p = permits_[i];
        if (!member->second[p.group]) // principal in Group
            continue;
        bool when = true;
        switch (p.condition) {
        case Condition::kNone:
        case Condition::kTrue:
            break;
        case Condition::kBranchProtected:
            when = has_branch && branch_protected;
            break;
        case Condition::kBranchUnprotected:
            when = has_branch && branch_protected == false;
            break;
        case Condition::kTargetProtected:
            when = has_target && target_protected;
            break;
        case Condition::kTargetUnprotected:
            when = has_target && target_protected == false;
            break;
        }
        if (when && !p.queries.empty())
            when = r.query &&
                   std::any_of(p.queries.begin(), p.queries.end(), [&](const std::string& glob) {
                       return query_matches(glob, *r.query);
                   });
        if (!when)
            continue;
        if (!d.matched_rule)
            d.matched_rule = p.rule_id; // by_action_ is in rule-id order
        d.satisfied.push_back(p.id);
    }
    std::sort(d.satisfied.begin(), d.satisfied.end());
    d.allowed = !d.satisfied.empty();
    if (d.allowed) {
        d.message =
            std::string("policy allowed action '") + action + "' for actor '" + r.actor + "'";
    } else {
        d.message = std::string("policy denied action '") + action + "'";
        if (r.branch)
            d.message += " on branch '" + *r.branch + "'";
        if (r.target_branch)
            d.message += " targeting branch '" + *r.target_branch + "'";
        if (r.query)
            d.message += " on stored query '" + *r.query + "'";
        d.message += " for actor '" + r.actor + "'";
    }
    return d;
}

bool PolicyEngine::has_query_grants() const {
    return std::any_of(permits_.begin(), permits_.end(),
                       [](const Permit& p) { return !p.queries.empty(); });
}

const std::string& PolicyEngine::cedar_schema() {
    static const std::string kSchema = R"(namespace Omnigraph {
  type RequestContext = {
    has_branch: Bool,
    branch: String,
    has_target_branch: Bool,
    target_branch: String,
    branch_is_protected: Bool,
    target_branch_is_protected: Bool,
    has_query: Bool,
    query: String,
  };
  entity Group;
  entity Actor in [Group];
  entity Graph;
  entity Server;
  action "read", "export", "change", "schema_apply", "branch_create", "branch_delete",
         "branch_merge", "admin", "invoke_query"
    appliesTo { principal: Actor, resource: Graph, context: RequestContext };
  action "graph_list", "reload"
    appliesTo { principal: Actor, resource: Server, context: RequestContext };
}
)";
    return kSchema;
}

std::vector<std::pair<std::string, std::string>> PolicyEngine::cedar_policies() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& p : permits_) {
        std::string resource = is_server_scoped(p.action)
                                   ? "Omnigraph::Server::" + cedar_string("root")
                                   : "Omnigraph::Graph::" + cedar_string(resource_id_);
        std::string text =
            "permit (\n  principal in Omnigraph::Group::" + cedar_string(groups_[p.group]) +
            ",\n  action == Omnigraph::Action::" + cedar_string(action_name(p.action)) +
            ",\n  resource == " + resource + "\n)";
        switch (p.condition) {
        case Condition::kNone:
            break;
        case Condition::kTrue:
            text += "\nwhen { true }";
            break;
        case Condition::kBranchProtected:
            text += "\nwhen { context.has_branch && context.branch_is_protected }";
            break;
        case Condition::kBranchUnprotected:
            text += "\nwhen { context.has_branch && context.branch_is_protected == false }";
            break;
        case Condition::kTargetProtected:
            text += "\nwhen { context.has_target_branch && context.target_branch_is_protected }";
            break;
        case Condition::kTargetUnprotected:
            text += "\nwhen { context.has_target_branch && "
                    "context.target_branch_is_protected == false }";
            break;
        }
        if (!p.queries.empty()) {
            std::string any;
            for (const auto& glob : p.queries)
                // A glob is letters, digits, _ and *: as a Cedar pattern, * is the wildcard.
                any += (any.empty() ? "" : " || ") + std::string("context.query like ") +
                       cedar_string(glob);
            text += "\nwhen { context.has_query && (" + any + ") }";
        }
        out.emplace_back(p.id, text + ";");
    }
    return out;
}

std::string PolicyEngine::cedar_policy_set() const {
    std::string out;
    for (const auto& [id, text] : cedar_policies())
        out.append("// ").append(id).append("\n").append(text).append("\n\n");
    return out;
}

std::string PolicyEngine::cedar_entities_json() const {
    base::JsonWriter w;
    w.begin_array();
    auto uid = [&](const char* type, std::string_view id) {
        w.begin_object();
        w.key("type").string(std::string("Omnigraph::") + type);
        w.key("id").string(id);
        w.end_object();
    };
    auto entity = [&](const char* type, std::string_view id, auto parents) {
        w.begin_object();
        w.key("uid");
        uid(type, id);
        w.key("attrs").begin_object().end_object();
        w.key("parents").begin_array();
        parents();
        w.end_array();
        w.end_object();
    };
    for (const auto& g : groups_)
        entity("Group", g, [] {});
    std::vector<std::string> actors;
    actors.reserve(members_.size());
    for (const auto& [actor, in] : members_)
        actors.push_back(actor);
    std::sort(actors.begin(), actors.end());
    for (const auto& a : actors)
        entity("Actor", a, [&] {
            const auto& in = members_.at(a);
            for (size_t g = 0; g < groups_.size(); ++g)
                if (in[g])
                    uid("Group", groups_[g]);
        });
    entity("Graph", resource_id_, [] {});
    if (server_)
        entity("Server", "root", [] {});
    w.end_array();
    return w.take();
}

std::string PolicyEngine::cedar_context_json(const Request& r) const {
    auto is_protected = [&](const std::optional<std::string>& b) {
        return b && std::find(protected_.begin(), protected_.end(), *b) != protected_.end();
    };
    base::JsonWriter w;
    w.begin_object();
    w.key("has_branch").boolean(r.branch.has_value());
    w.key("branch").string(r.branch.value_or(""));
    w.key("has_target_branch").boolean(r.target_branch.has_value());
    w.key("target_branch").string(r.target_branch.value_or(""));
    w.key("branch_is_protected").boolean(is_protected(r.branch));
    w.key("target_branch_is_protected").boolean(is_protected(r.target_branch));
    w.key("has_query").boolean(r.query.has_value());
    w.key("query").string(r.query.value_or(""));
    w.end_object();
    return w.take();
}

Result<Decision> authorize_scope(const PolicyEngine* bundle, Action action,
                                 const std::optional<std::string>& actor,
                                 const std::optional<std::string>& branch,
                                 const std::optional<std::string>& target_branch,
                                 const std::optional<std::string>& query) {
    if (bundle) {
        if (!actor)
            return Error(kUnauthorized,
                         "a policy bundle is bound but the request has no actor (missing bearer "
                         "token?)");
        return bundle->authorize(Request{*actor, action, branch, target_branch, query});
    }
    Decision d;
    const char* name = action_name(action);
    std::string who = actor ? " for actor '" + *actor + "'" : "";
    if (is_server_scoped(action)) {
        d.message = std::string("policy denied action '") + name + "'" + who +
                    ": no server policy bundle is bound (server-scoped actions need one)";
        return d;
    }
    d.allowed = !actor || action == Action::kRead;
    d.message = d.allowed ? std::string("policy allowed action '") + name + "'" + who +
                                (actor ? " (default-deny allows read)" : " (no authentication)")
                          : std::string("policy denied action '") + name + "'" + who +
                                " (default-deny: no policy bundle is bound; only read is allowed)";
    return d;
}

} // namespace omnigraph::policy
