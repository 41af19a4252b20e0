// Policy bundles and their Cedar evaluation: the spec's policy-engine cases (server-policy §6)
// and Appendix A's bundles.
#include "policy/bundle.h"
#include "policy/engine.h"
#include "test_support.h"

#include <fstream>
#include <gtest/gtest.h>
#include <sstream>

namespace omnigraph::policy {
namespace {

const char* kBundleA = R"(version: 1
groups:
  team: [act-andrew, act-bruno, act-ragnor]
  admins: [act-ragnor]
protected_branches: [main]
rules:
  - id: team-read
    allow:
      actors: { group: team }
      actions: [read]
      branch_scope: any
  - id: admins-export
    allow:
      actors: { group: admins }
      actions: [export]
      branch_scope: any
  - id: team-write-unprotected
    allow:
      actors: { group: team }
      actions: [change]
      branch_scope: unprotected
  - id: admins-merge
    allow:
      actors: { group: admins }
      actions: [branch_delete, branch_merge]
      target_branch_scope: protected
)";

const char* kBundleC = R"(version: 1
groups:
  admins: [act-andrew]
  viewers: [act-bruno]
rules:
  - id: admins-list-graphs
    allow:
      actors: { group: admins }
      actions: [graph_list]
)";

Bundle must_parse(const std::string& yaml, BindingKind kind = BindingKind::kEither) {
    auto b = parse_bundle(yaml, "b.policy.yaml", kind);
    EXPECT_TRUE(b) << b.error().to_string();
    return b ? *b : Bundle{};
}

Request req(std::string actor, Action a, std::optional<std::string> branch = std::nullopt,
            std::optional<std::string> target = std::nullopt) {
    return Request{std::move(actor), a, std::move(branch), std::move(target)};
}

std::string rule(const std::string& allow) {
    return "version: 1\ngroups:\n  team: [act-bruno]\n  admins: [act-andrew]\n"
           "protected_branches: [main]\nrules:\n  - id: r\n    allow:\n"
           "      actors: { group: team }\n" +
           allow;
}

void expect_invalid(const std::string& yaml, std::vector<std::string> words,
                    BindingKind kind = BindingKind::kEither) {
    auto b = parse_bundle(yaml, "b.policy.yaml", kind);
    ASSERT_FALSE(b) << yaml;
    EXPECT_EQ(b.error().code, kPolicyInvalid);
    ASSERT_TRUE(b.error().location);
    EXPECT_EQ(b.error().location->file, "b.policy.yaml");
    EXPECT_GT(b.error().location->line, 0);
    for (const auto& w : words)
        EXPECT_NE(b.error().message.find(w), std::string::npos) << b.error().message;
}

TEST(PolicyBundle, ValidationErrorsNameWhatIsWrongAndWhere) {
    expect_invalid(rule("      actions: [read]\n  - id: r\n    allow:\n      actors: { group: "
                        "team }\n      actions: [read]\n"),
                   {"duplicate policy rule id"});
    expect_invalid(
        rule("      actions: [read]\n").replace(rule("").find("group: team"), 11, "group: nope"),
        {"references unknown group 'nope'"});
    expect_invalid(rule("      actions: [branch_merge]\n      branch_scope: any\n"),
                   {"unsupported action", "branch_merge", "branch_scope"});
    expect_invalid(rule("      actions: [invoke_query]\n      branch_scope: any\n"),
                   {"invoke_query", "branch_scope"});
    expect_invalid(rule("      actions: [admin]\n      target_branch_scope: any\n"),
                   {"admin", "target_branch_scope"});
    expect_invalid(rule("      actions: [graph_list]\n      branch_scope: any\n"),
                   {"branch_scope", "server-scoped"});
    expect_invalid(rule("      actions: [graph_list, read]\n"), {"server-scoped", "split"});
    expect_invalid("kind: graph\n" + rule("      actions: [read]\n"), {"unknown key 'kind'"});
    expect_invalid(rule("      actions: [read]\n      branch_scpoe: any\n"),
                   {"unknown key 'branch_scpoe'"});
    expect_invalid(rule("      actions: [read]\n      deny: true\n"), {"unknown key 'deny'"});
    expect_invalid(rule("      actions: [read]\n      branch_scope: any\n"
                        "      target_branch_scope: any\n"),
                   {"both branch_scope and target_branch_scope"});
    expect_invalid(rule("      actions: []\n"), {"no actions"});
    expect_invalid(rule("      actions: [reed]\n"), {"unknown action 'reed'"});
    expect_invalid(rule("      actions: [read]\n      branch_scope: sometimes\n"),
                   {"any, protected or unprotected"});
    expect_invalid("version: 2\n", {"version"});
    expect_invalid("version: 1\ngroups:\n  team: []\n", {"group 'team' is empty"});
    expect_invalid("version: 1\ngroups:\n  team: ['  ']\n", {"blank actor"});
    expect_invalid("version: 1\nprotected_branches: ['']\n", {"protected branch is blank"});
    expect_invalid("version: 1\ngroups:\n  a: [x]\n  a: [y]\n", {"duplicate group 'a'"});
    expect_invalid("version: 1\nversion: 1\n", {"duplicate key 'version'"});
    expect_invalid("version: 1\ngroups: [\n", {"invalid YAML"});
    // Kind alignment by binding.
    expect_invalid(kBundleC, {"server-scoped", "graph_list"}, BindingKind::kGraph);
    expect_invalid(rule("      actions: [read]\n      branch_scope: any\n"), {"per-graph", "read"},
                   BindingKind::kCluster);
}

TEST(PolicyBundle, AppendixBundlesParse) {
    Bundle a = must_parse(kBundleA, BindingKind::kGraph);
    EXPECT_EQ(a.rules.size(), 4u);
    EXPECT_EQ(a.actor_count(), 3u);
    EXPECT_EQ(a.groups_of("act-ragnor"), (std::vector<std::string>{"admins", "team"}));
    Bundle c = must_parse(kBundleC, BindingKind::kCluster);
    EXPECT_EQ(c.rules.at(0).actions, (std::vector<Action>{Action::kGraphList}));
}

TEST(PolicyEngine, DecisionsOfTheSpec) {
    auto a = PolicyEngine::compile(must_parse(kBundleA), "default");
    auto team_write = a.authorize(req("act-bruno", Action::kChange, "feature"));
    EXPECT_TRUE(team_write.allowed);
    EXPECT_EQ(team_write.matched_rule, "team-write-unprotected");
    EXPECT_EQ(team_write.message, "policy allowed action 'change' for actor 'act-bruno'");
    auto on_main = a.authorize(req("act-bruno", Action::kChange, "main"));
    EXPECT_FALSE(on_main.allowed);
    EXPECT_EQ(on_main.message,
              "policy denied action 'change' on branch 'main' for actor 'act-bruno'");
    EXPECT_FALSE(a.authorize(req("act-bruno", Action::kChange)).allowed); // no branch
    EXPECT_FALSE(
        a.authorize(req("act-bruno", Action::kBranchDelete, std::nullopt, "main")).allowed);
    auto merge = a.authorize(req("act-ragnor", Action::kBranchMerge, "feature", "main"));
    EXPECT_TRUE(merge.allowed);
    EXPECT_EQ(merge.matched_rule, "admins-merge");
    EXPECT_EQ(merge.satisfied, (std::vector<std::string>{"admins-merge:branch_merge"}));
    auto merge_denied = a.authorize(req("act-bruno", Action::kBranchMerge, "feature", "main"));
    EXPECT_EQ(merge_denied.message, "policy denied action 'branch_merge' on branch 'feature' "
                                    "targeting branch 'main' for actor 'act-bruno'");
    // `any` matches requests that carry no branch.
    EXPECT_TRUE(a.authorize(req("act-andrew", Action::kRead)).allowed);
    auto unknown = a.authorize(req("act-mallory", Action::kRead, "main"));
    EXPECT_FALSE(unknown.allowed);
    EXPECT_FALSE(unknown.matched_rule);
    EXPECT_EQ(unknown.message, "policy denied action 'read' for unknown actor 'act-mallory'");

    // admins-promote (target protected): andrew may delete main, bruno may not.
    auto promote = PolicyEngine::compile(
        must_parse(rule("      actions: [read]\n      branch_scope: any\n"
                        "  - id: admins-promote\n    allow:\n      actors: { group: admins }\n"
                        "      actions: [branch_delete]\n      target_branch_scope: protected\n")),
        "g");
    EXPECT_FALSE(
        promote.authorize(req("act-bruno", Action::kBranchDelete, std::nullopt, "main")).allowed);
    auto andrew = promote.authorize(req("act-andrew", Action::kBranchDelete, std::nullopt, "main"));
    EXPECT_TRUE(andrew.allowed);
    EXPECT_EQ(andrew.matched_rule, "admins-promote");

    auto apply = PolicyEngine::compile(
        must_parse(rule("      actions: [schema_apply]\n      target_branch_scope: protected\n")),
        "g");
    EXPECT_TRUE(
        apply.authorize(req("act-bruno", Action::kSchemaApply, std::nullopt, "main")).allowed);
    EXPECT_FALSE(
        apply.authorize(req("act-bruno", Action::kSchemaApply, std::nullopt, "feature")).allowed);

    auto list = PolicyEngine::compile(must_parse(kBundleC), "root");
    auto admin = list.authorize(req("act-andrew", Action::kGraphList));
    EXPECT_TRUE(admin.allowed);
    EXPECT_EQ(admin.matched_rule, "admins-list-graphs");
    EXPECT_FALSE(list.authorize(req("act-bruno", Action::kGraphList)).allowed);

    auto invoke = PolicyEngine::compile(must_parse(rule("      actions: [invoke_query]\n")), "g");
    EXPECT_TRUE(invoke.authorize(req("act-bruno", Action::kInvokeQuery)).allowed);
    EXPECT_FALSE(invoke.authorize(req("act-andrew", Action::kInvokeQuery)).allowed);
}

// No engine (no bundle bound to the scope) versus an engine without an actor (spec §6).
TEST(PolicyEngine, ScopesWithoutABundleAndRequestsWithoutAnActor) {
    auto decide = [](Action a, std::optional<std::string> actor) {
        auto d = authorize_scope(nullptr, a, actor);
        EXPECT_TRUE(d);
        return d ? *d : Decision{};
    };
    EXPECT_FALSE(decide(Action::kGraphList, "act-andrew").allowed);
    EXPECT_FALSE(decide(Action::kGraphList, std::nullopt).allowed);
    auto change = decide(Action::kChange, "act-andrew");
    EXPECT_FALSE(change.allowed);
    EXPECT_NE(change.message.find("default-deny"), std::string::npos);
    EXPECT_TRUE(decide(Action::kRead, "act-andrew").allowed);
    EXPECT_TRUE(decide(Action::kRead, std::nullopt).allowed);
    EXPECT_TRUE(decide(Action::kChange, std::nullopt).allowed);

    auto engine = PolicyEngine::compile(must_parse(kBundleA), "default");
    auto no_actor = authorize_scope(&engine, Action::kRead, std::nullopt, "main");
    ASSERT_FALSE(no_actor);
    EXPECT_EQ(no_actor.error().code, kUnauthorized);
    auto with_actor = authorize_scope(&engine, Action::kRead, "act-bruno", "main");
    ASSERT_TRUE(with_actor);
    EXPECT_TRUE(with_actor->allowed);
}

// The corpus's bundles (and the example cluster's) are valid.
TEST(PolicyBundle, CorpusBundlesAreValid) {
    std::string corpus = testing::shared_corpus_dir();
    if (corpus.empty())
        GTEST_SKIP() << testing::kNoSharedCorpus;
    for (const std::string path :
         {corpus + "/railway/policy.yaml", corpus + "/second-brain/policies/graph.policy.yaml",
          testing::source_dir() + "/examples/company-brain/base.policy.yaml"}) {
        std::ifstream in(path);
        ASSERT_TRUE(in) << path;
        std::stringstream text;
        text << in.rdbuf();
        auto b = parse_bundle(text.str(), path, BindingKind::kGraph);
        EXPECT_TRUE(b) << path << ": " << b.error().to_string();
    }
}

TEST(PolicyEngine, EmitsTheCedarItEvaluates) {
    auto a = PolicyEngine::compile(must_parse(kBundleA), "default");
    auto policies = a.cedar_policies();
    ASSERT_EQ(policies.size(), 5u);
    EXPECT_EQ(policies[0].first, "admins-export:export");
    EXPECT_EQ(policies[0].second, "permit (\n  principal in Omnigraph::Group::\"admins\",\n"
                                  "  action == Omnigraph::Action::\"export\",\n"
                                  "  resource == Omnigraph::Graph::\"default\"\n)\nwhen { true };");
    EXPECT_NE(a.cedar_policy_set().find(
                  "when { context.has_branch && context.branch_is_protected == false };"),
              std::string::npos);
    EXPECT_NE(
        a.cedar_entities_json().find(
            R"({"uid":{"type":"Omnigraph::Actor","id":"act-ragnor"},"attrs":{},"parents":[{"type":"Omnigraph::Group","id":"admins"},{"type":"Omnigraph::Group","id":"team"}]})"),
        std::string::npos)
        << a.cedar_entities_json();
    EXPECT_EQ(
        a.cedar_context_json(req("x", Action::kChange, "main")),
        R"({"has_branch":true,"branch":"main","has_target_branch":false,"target_branch":"","branch_is_protected":true,"target_branch_is_protected":false,"has_query":false,"query":""})");
    EXPECT_NE(PolicyEngine::cedar_schema().find("entity Actor in [Group];"), std::string::npos);
}

TEST(PolicyTests, CasesFileParses) {
    auto cases =
        parse_test_cases("version: 1\ncases:\n"
                         "  - { id: c1, actor: act-bruno, action: change, branch: feature, "
                         "expect: allow }\n"
                         "  - { id: c2, actor: act-bruno, action: branch_merge, "
                         "target_branch: main, expect: deny }\n",
                         "cases.yaml");
    ASSERT_TRUE(cases) << cases.error().to_string();
    ASSERT_EQ(cases->size(), 2u);
    EXPECT_EQ((*cases)[1].target_branch, "main");
    EXPECT_FALSE((*cases)[1].expect_allow);
    auto dup = parse_test_cases("version: 1\ncases:\n  - { id: c, actor: a, action: read, expect: "
                                "allow }\n  - { id: c, actor: a, action: read, expect: deny }\n",
                                "cases.yaml");
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message.find("duplicate test case id"), std::string::npos);
}

// Per-query grants (issue 20 item 3, spec §7 item 2): an invoke_query rule may name the stored
// queries it grants, by name or `*` glob; the Cedar it compiles to says the same with `like`.
TEST(PolicyEngine, PerQueryGrantsNameQueriesOrGlobs) {
    const std::string yaml = "version: 1\n"
                             "groups:\n  finders: [act-f]\n  all: [act-a]\n  both: [act-f, act-b]\n"
                             "rules:\n"
                             "  - id: finders-find\n    allow:\n      actors: { group: finders }\n"
                             "      actions: [invoke_query]\n      queries: [find_*, count]\n"
                             "  - id: all-invoke\n    allow:\n      actors: { group: all }\n"
                             "      actions: [invoke_query]\n"
                             "  - id: both-add\n    allow:\n      actors: { group: both }\n"
                             "      actions: [invoke_query]\n      queries: [add_person]\n";
    auto engine = PolicyEngine::compile(must_parse(yaml, BindingKind::kGraph), "g");
    auto invoke = [&](const std::string& actor, std::optional<std::string> query) {
        Request r;
        r.actor = actor;
        r.action = Action::kInvokeQuery;
        r.query = std::move(query);
        return engine.authorize(r);
    };
    EXPECT_TRUE(invoke("act-f", "find_person").allowed);
    EXPECT_TRUE(invoke("act-f", "count").allowed);
    EXPECT_FALSE(invoke("act-f", "counts").allowed);
    EXPECT_TRUE(invoke("act-f", "add_person").allowed); // both-add
    EXPECT_EQ(invoke("act-f", "add_person").matched_rule, "both-add");
    EXPECT_FALSE(invoke("act-b", "find_person").allowed);
    auto denied = invoke("act-b", "find_person");
    EXPECT_EQ(denied.message,
              "policy denied action 'invoke_query' on stored query 'find_person' for actor "
              "'act-b'");
    EXPECT_TRUE(invoke("act-a", "anything").allowed); // no queries: every stored query
    EXPECT_TRUE(invoke("act-a", std::nullopt).allowed);
    EXPECT_FALSE(invoke("act-f", std::nullopt).allowed); // a per-query grant needs the name
    bool found = false;
    for (const auto& [id, text] : engine.cedar_policies())
        if (id == "finders-find:invoke_query") {
            found = true;
            EXPECT_NE(text.find("when { context.has_query && (context.query like \"find_*\" || "
                                "context.query like \"count\") }"),
                      std::string::npos)
                << text;
        }
    EXPECT_TRUE(found);

    EXPECT_TRUE(query_matches("*", ""));
    EXPECT_TRUE(query_matches("a*b*c", "aXbYc"));
    EXPECT_TRUE(query_matches("a*c", "abcbc"));
    EXPECT_FALSE(query_matches("a*c", "abcb"));
    EXPECT_FALSE(query_matches("find_*", "finder"));
}

TEST(PolicyBundle, QueriesApplyOnlyToInvokeQueryAndAreNamesOrGlobs) {
    auto parse = [](const std::string& allow) {
        return parse_bundle("version: 1\ngroups:\n  g: [a]\nrules:\n  - id: r\n    allow:\n"
                            "      actors: { group: g }\n" +
                                allow,
                            "q.policy.yaml", BindingKind::kGraph);
    };
    auto mixed = parse("      actions: [read, invoke_query]\n      queries: [x]\n");
    ASSERT_FALSE(mixed);
    EXPECT_NE(mixed.error().message.find("queries applies to invoke_query only"),
              std::string::npos);
    EXPECT_EQ(mixed.error().location->line, 9); // the queries line
    auto bad = parse("      actions: [invoke_query]\n      queries: [\"find-*\"]\n");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("'find-*' is not a stored-query name or glob"),
              std::string::npos);
    auto empty = parse("      actions: [invoke_query]\n      queries: []\n");
    ASSERT_FALSE(empty);
    EXPECT_NE(empty.error().message.find("lists no queries"), std::string::npos);
    auto ok = parse("      actions: [invoke_query]\n      queries: [find_*, add_person]\n");
    ASSERT_TRUE(ok) << ok.error().to_string();
    EXPECT_EQ(ok->rules[0].queries, (std::vector<std::string>{"find_*", "add_person"}));
}

} // namespace
} // namespace omnigraph::policy
