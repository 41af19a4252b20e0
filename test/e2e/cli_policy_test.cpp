// End to end: `omnigraph policy validate|test|explain` on a bundle file.
#include "test_support.h"

#include <fstream>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}

TEST(CliPolicy, ValidateTestAndExplain) {
    TempDir dir;
    std::string bundle = dir.path() + "/team.policy.yaml", cases = dir.path() + "/cases.yaml";
    std::ofstream(bundle) << "version: 1\ngroups:\n  team: [act-andrew, act-bruno, act-ragnor]\n"
                             "  admins: [act-ragnor]\nprotected_branches: [main]\nrules:\n"
                             "  - id: team-write-unprotected\n    allow:\n"
                             "      actors: { group: team }\n      actions: [change]\n"
                             "      branch_scope: unprotected\n"
                             "  - id: admins-merge\n    allow:\n      actors: { group: admins }\n"
                             "      actions: [branch_delete, branch_merge]\n"
                             "      target_branch_scope: protected\n";
    std::ofstream(cases) << "version: 1\ncases:\n"
                            "  - { id: a, actor: act-bruno, action: change, branch: feature, "
                            "expect: allow }\n"
                            "  - { id: b, actor: act-bruno, action: change, branch: main, expect: "
                            "deny }\n"
                            "  - { id: c, actor: act-ragnor, action: branch_merge, target_branch: "
                            "main, expect: allow }\n";
    auto valid = run_process({omnigraph(), "policy", "validate", bundle});
    EXPECT_EQ(valid.exit_code, 0) << valid.err;
    EXPECT_EQ(valid.out, "policy valid: bundle 'team' [3 actors]\n");
    auto tested = run_process({omnigraph(), "policy", "test", bundle, "--tests", cases});
    EXPECT_EQ(tested.exit_code, 0) << tested.err;
    EXPECT_EQ(tested.out, "policy tests passed: 3 cases\n");
    auto explain = run_process({omnigraph(), "policy", "explain", bundle, "--actor", "act-ragnor",
                                "--action", "branch_merge", "--target-branch", "main"});
    EXPECT_EQ(explain.exit_code, 0) << explain.err;
    EXPECT_EQ(explain.out.substr(0, explain.out.find("\n\n")),
              "decision: allow\nactor: act-ragnor\naction: branch_merge\nbranch: -\n"
              "target_branch: main\nmatched_rule: admins-merge\n"
              "message: policy allowed action 'branch_merge' for actor 'act-ragnor'");
    EXPECT_NE(explain.out.find("when { context.has_target_branch && "
                               "context.target_branch_is_protected }"),
              std::string::npos)
        << explain.out;

    // A failing case fails the run; a typo is a positioned error.
    std::ofstream(cases, std::ios::app)
        << "  - { id: d, actor: act-bruno, action: branch_delete, target_branch: main, expect: "
           "allow }\n";
    auto failed = run_process({omnigraph(), "policy", "test", bundle, "--tests", cases});
    EXPECT_EQ(failed.exit_code, 1);
    EXPECT_NE(failed.err.find("case 'd': expected allow, got deny"), std::string::npos)
        << failed.err;
    std::ofstream(bundle, std::ios::app) << "      branch_scpoe: any\n";
    auto typo = run_process({omnigraph(), "policy", "validate", bundle});
    EXPECT_EQ(typo.exit_code, 1);
    EXPECT_NE(typo.err.find("team.policy.yaml:17:7: error[policy_invalid]: unknown key "
                            "'branch_scpoe'"),
              std::string::npos)
        << typo.err;
}

} // namespace
} // namespace omnigraph::testing
