// `omnigraph policy validate|test|explain FILE`: check a policy bundle, run its test cases, or
// show one decision with the Cedar it evaluated (spec server-policy §4, engine-cli §4.2).
#include "base/json.h"
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/source_file.h"
#include "cluster/desired_state.h"
#include "cluster/diagnostic.h"
#include "policy/bundle.h"
#include "policy/engine.h"
#include "schema/diagnostic.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {

namespace {

struct PolicyArgs {
    std::string file, tests, actor, action, branch, target_branch, query, graph;
    std::string cluster_dir; // --cluster DIR: the bundle the cluster binds
    std::string name;        // the bundle's name (from the file name, or the cluster's policy)
    std::optional<std::string> source; // the bundle's text when it came from the cluster
    bool cluster = false, json = false;

    // The graph id the bundle is compiled for.
    std::string resource() const { return cluster ? "root" : graph.empty() ? "default" : graph; }
};

// The bundle's name: its file name without `.policy.yaml` / `.yaml`.
std::string bundle_name(const std::string& path) {
    std::string name = std::filesystem::path(path).filename().string();
    for (const char* suffix : {".policy.yaml", ".policy.yml", ".yaml", ".yml"})
        if (name.ends_with(suffix))
            return name.substr(0, name.size() - std::string_view(suffix).size());
    return name;
}

// With --cluster DIR: the bundle bound to --graph G (`graph.G`), else the cluster-bound one, read
// from the cluster's working tree.
Status bundle_from_cluster(PolicyArgs& a) {
    cluster::Diagnostics diags;
    cluster::DesiredState d = cluster::load_desired_state(a.cluster_dir, diags);
    if (!d.complete || diags.has_error()) {
        for (const auto& item : diags.items())
            if (item.error)
                return Error("invalid_config", cluster::render_diagnostic(item));
        return Error("invalid_config", "cannot read the cluster at " + a.cluster_dir);
    }
    std::string scope = a.graph.empty() ? "cluster" : "graph." + a.graph;
    for (const auto& [name, p] : d.policies)
        if (std::find(p.applies_to.begin(), p.applies_to.end(), scope) != p.applies_to.end()) {
            a.file = p.file;
            a.name = name;
            a.source = p.source;
            a.cluster = scope == "cluster";
            return ok();
        }
    return Error(codes::kNotFound, "no policy of " + d.loaded.config_file + " applies to " +
                                       (a.graph.empty() ? std::string("the cluster (pass --graph "
                                                                      "G for a graph's bundle)")
                                                        : "graph '" + a.graph + "'"));
}

Result<policy::Bundle> load(PolicyArgs& a, std::string& source) {
    if (!a.cluster_dir.empty()) {
        if (!a.file.empty())
            return Error(codes::kInvalidArgument,
                         "a bundle FILE and --cluster are mutually exclusive");
        OG_CHECK(bundle_from_cluster(a));
    } else if (a.file.empty()) {
        return Error(codes::kInvalidArgument, "pass a bundle FILE, or --cluster DIR");
    }
    if (a.name.empty())
        a.name = bundle_name(a.file);
    source = a.source ? *a.source : OG_TRY(read_source_file(a.file));
    return policy::parse_bundle(
        source, a.file, a.cluster ? policy::BindingKind::kCluster : policy::BindingKind::kEither);
}

int run_validate(PolicyArgs a) {
    std::string source;
    auto bundle = load(a, source);
    if (!bundle)
        return fail_with_source(bundle.error(), source, a.json);
    if (a.json) {
        base::Json out;
        out["status"] = "ok";
        out["bundle"] = a.name;
        out["actors"] = bundle->actor_count();
        out["groups"] = bundle->groups.size();
        out["rules"] = bundle->rules.size();
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    std::cout << "policy valid: bundle '" << a.name << "' [" << bundle->actor_count()
              << " actors]\n";
    return 0;
}

policy::Request request_of(const std::string& actor, policy::Action action,
                           const std::string& branch, const std::string& target,
                           const std::string& query) {
    policy::Request r;
    r.actor = actor;
    r.action = action;
    if (!branch.empty())
        r.branch = branch;
    if (!target.empty())
        r.target_branch = target;
    if (!query.empty())
        r.query = query;
    return r;
}

int run_test(PolicyArgs a) {
    std::string source;
    auto bundle = load(a, source);
    if (!bundle)
        return fail_with_source(bundle.error(), source, a.json);
    auto text = read_source_file(a.tests);
    if (!text)
        return fail(text.error(), a.json);
    auto cases = policy::parse_test_cases(*text, a.tests);
    if (!cases)
        return fail_with_source(cases.error(), *text, a.json);
    auto engine = policy::PolicyEngine::compile(*bundle, a.resource());
    base::Json failures = base::Json::array();
    for (const auto& c : *cases) {
        policy::Request r;
        r.actor = c.actor;
        r.action = c.action;
        r.branch = c.branch;
        r.target_branch = c.target_branch;
        r.query = c.query;
        auto d = engine.authorize(r);
        if (d.allowed == c.expect_allow)
            continue;
        base::Json f;
        f["id"] = c.id;
        f["expected"] = c.expect_allow ? "allow" : "deny";
        f["actual"] = d.allowed ? "allow" : "deny";
        f["message"] = d.message;
        failures.push_back(f);
    }
    if (a.json) {
        base::Json out;
        out["status"] = failures.empty() ? "ok" : "failed";
        out["cases"] = cases->size();
        out["failures"] = failures;
        std::cout << base::to_pretty_json(out);
        return failures.empty() ? 0 : 1;
    }
    for (const auto& f : failures)
        std::cerr << "case '" << f["id"].get<std::string>() << "': expected "
                  << f["expected"].get<std::string>() << ", got " << f["actual"].get<std::string>()
                  << " (" << f["message"].get<std::string>() << ")\n";
    if (!failures.empty()) {
        std::cerr << "policy tests failed: " << failures.size() << " of " << cases->size()
                  << " cases\n";
        return 1;
    }
    std::cout << "policy tests passed: " << cases->size() << " cases\n";
    return 0;
}

int run_explain(PolicyArgs a) {
    std::string source;
    auto bundle = load(a, source);
    if (!bundle)
        return fail_with_source(bundle.error(), source, a.json);
    auto action = policy::parse_action(a.action);
    if (!action) {
        std::cerr << "error: unknown action '" << a.action << "'\n";
        return 2;
    }
    auto engine = policy::PolicyEngine::compile(*bundle, a.resource());
    policy::Request r = request_of(a.actor, *action, a.branch, a.target_branch, a.query);
    auto d = engine.authorize(r);
    if (a.json) {
        base::Json out;
        out["decision"] = d.allowed ? "allow" : "deny";
        out["actor"] = a.actor;
        out["action"] = a.action;
        out["branch"] = r.branch ? base::Json(*r.branch) : base::Json(nullptr);
        out["target_branch"] = r.target_branch ? base::Json(*r.target_branch) : base::Json(nullptr);
        out["query"] = r.query ? base::Json(*r.query) : base::Json(nullptr);
        out["matched_rule"] = d.matched_rule ? base::Json(*d.matched_rule) : base::Json(nullptr);
        out["message"] = d.message;
        out["satisfied_policies"] = d.satisfied;
        out["cedar"]["policies"] = engine.cedar_policy_set();
        out["cedar"]["context"] = base::Json::parse(engine.cedar_context_json(r));
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    std::cout << "decision: " << (d.allowed ? "allow" : "deny") << "\n"
              << "actor: " << a.actor << "\n"
              << "action: " << a.action << "\n"
              << "branch: " << r.branch.value_or("-") << "\n"
              << "target_branch: " << r.target_branch.value_or("-") << "\n"
              << (r.query ? "query: " + *r.query + "\n" : std::string())
              << "matched_rule: " << d.matched_rule.value_or("-") << "\n"
              << "message: " << d.message << "\n\n"
              << "# Cedar evaluated (context " << engine.cedar_context_json(r) << ")\n"
              << engine.cedar_policy_set();
    return 0;
}

} // namespace

void register_policy(CLI::App& app, Outcome& outcome) {
    auto* cmd = app.add_subcommand("policy", "Check, test and explain policy bundles");
    cmd->require_subcommand(1);
    auto add_common = [](CLI::App* sub, PolicyArgs& a) {
        sub->add_option("file", a.file, "Policy bundle (*.policy.yaml)");
        sub->add_option("--cluster", a.cluster_dir,
                        "Cluster config directory: check the bundle it binds (see --graph)");
        sub->add_flag("--cluster-bound", a.cluster,
                      "Check it as a cluster-bound bundle (graph_list only)");
        sub->add_flag("--json", a.json, "Print JSON");
    };
    auto validate = std::make_shared<PolicyArgs>();
    auto* v = cmd->add_subcommand("validate", "Parse and validate a bundle");
    add_common(v, *validate);
    v->add_option("--graph", validate->graph, "With --cluster: the graph whose bundle to check");
    v->callback([validate, &outcome] { outcome.exit_code = run_validate(*validate); });

    auto test = std::make_shared<PolicyArgs>();
    auto* t = cmd->add_subcommand("test", "Run a bundle's test cases");
    add_common(t, *test);
    t->add_option("--tests", test->tests, "Test cases (YAML)")->required();
    t->add_option("--graph", test->graph, "Graph id the bundle is compiled for");
    t->callback([test, &outcome] { outcome.exit_code = run_test(*test); });

    auto explain = std::make_shared<PolicyArgs>();
    auto* e = cmd->add_subcommand("explain", "Show one decision and the Cedar behind it");
    add_common(e, *explain);
    e->add_option("--actor", explain->actor, "Actor id")->required();
    e->add_option("--action", explain->action, "Action")->required();
    e->add_option("--branch", explain->branch, "Branch of the request");
    e->add_option("--target-branch", explain->target_branch, "Target branch of the request");
    e->add_option("--query", explain->query, "Stored query invoked (invoke_query)");
    e->add_option("--graph", explain->graph, "Graph id the bundle is compiled for");
    e->callback([explain, &outcome] { outcome.exit_code = run_explain(*explain); });
}

} // namespace omnigraph::cli
