// Differential test of our Cedar evaluator against the Cedar project's own (test/peers:
// @cedar-policy/cedar-wasm, run by cedar_reference.mjs in one Node process): seeded random
// bundles (overlapping groups, every action, scopes, per-query grants with globs, protected
// lists, names that need escaping) and requests (known and unknown actors, branch and target
// present or absent, protected or not, a stored query named or not). Every decision and
// satisfied-policy set must be equal, and every emitted policy set must pass the reference's strict
// schema validation. Also reports our cost per decision.
#include "policy/bundle.h"
#include "policy/engine.h"
#include "test_support.h"

#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <random>

namespace omnigraph::policy {
namespace {

using Json = nlohmann::ordered_json;
using testing::binary_dir;
using testing::run_process;
using testing::source_dir;
using testing::TempDir;

constexpr int kBundles = 2000;
constexpr int kRequestsPerBundle = 20;
constexpr uint32_t kSeed = 20261202;

const std::vector<std::string> kActors = {"act-andrew", "act-bruno", "act \"quoted\"", "act\\slash",
                                          "act-ünï",    "tab\there", "bell\x07",       "c"};
const std::vector<std::string> kBranches = {"main", "feature", "release/1", "dev", "ma in"};
// Stored-query globs of per-query grants, and the names requests invoke.
const std::vector<std::string> kQueryGlobs = {"find_*", "add_person", "*",
                                              "x*y",    "*_person",   "f*d*n"};
const std::vector<std::string> kQueryNames = {"find_person", "add_person", "find", "xy",
                                              "xay",         "other",      "fdn",  "x"};
const std::vector<Action> kGraphActions = {
    Action::kRead,        Action::kExport,       Action::kChange,
    Action::kSchemaApply, Action::kBranchCreate, Action::kBranchDelete,
    Action::kBranchMerge, Action::kAdmin,        Action::kInvokeQuery};

std::string yaml_string(const std::string& s) {
    return Json(s).dump(); // a JSON string is a valid YAML double-quoted scalar
}

struct Generated {
    std::string yaml;
    bool cluster = false;
    std::string graph;
};

Generated random_bundle(std::mt19937& rng) {
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    Generated g;
    g.cluster = pick(10) == 0;
    g.graph = std::vector<std::string>{"default", "knowledge", "g \"x\"\n\x01"}[pick(3)];
    int groups = 1 + static_cast<int>(pick(4));
    std::string y = "version: 1\ngroups:\n";
    for (int i = 0; i < groups; ++i) {
        y += "  g" + std::to_string(i) + ": [";
        int members = 1 + static_cast<int>(pick(4));
        for (int m = 0; m < members; ++m)
            y += (m ? ", " : "") + yaml_string(kActors[pick(kActors.size())]);
        y += "]\n";
    }
    y += "protected_branches: [";
    int protect = static_cast<int>(pick(3));
    for (int i = 0; i < protect; ++i)
        y += (i ? ", " : "") + yaml_string(kBranches[pick(kBranches.size())]);
    y += "]\nrules:\n";
    int rules = 1 + static_cast<int>(pick(5));
    for (int r = 0; r < rules; ++r) {
        y += "  - id: " +
             yaml_string("rule-" + std::to_string(pick(1000)) + "-" + std::to_string(r)) +
             "\n    allow:\n      actors: { group: g" + std::to_string(pick(groups)) +
             " }\n      actions: [";
        std::vector<Action> actions;
        if (g.cluster) {
            actions = pick(3) == 0   ? std::vector<Action>{Action::kReload}
                      : pick(2) == 0 ? std::vector<Action>{Action::kGraphList, Action::kReload}
                                     : std::vector<Action>{Action::kGraphList};
        } else if (pick(4) == 0) { // a per-query grant
            y += "invoke_query]\n      queries: [";
            int globs = 1 + static_cast<int>(pick(3));
            for (int q = 0; q < globs; ++q)
                y += (q ? ", " : "") + yaml_string(kQueryGlobs[pick(kQueryGlobs.size())]);
            y += "]\n";
            continue;
        } else {
            int kind = static_cast<int>(pick(3)); // branch-scoped, target-scoped, any mix
            for (Action a : kGraphActions) {
                bool fits = kind == 0   ? uses_branch_scope(a)
                            : kind == 1 ? uses_target_branch_scope(a)
                                        : true;
                if (fits && pick(2))
                    actions.push_back(a);
            }
            if (actions.empty())
                actions.push_back(kind == 0   ? Action::kRead
                                  : kind == 1 ? Action::kBranchMerge
                                              : Action::kInvokeQuery);
        }
        for (size_t i = 0; i < actions.size(); ++i)
            y += std::string(i ? ", " : "") + action_name(actions[i]);
        y += "]\n";
        bool all_branch = true, all_target = true;
        for (Action a : actions) {
            all_branch &= uses_branch_scope(a);
            all_target &= uses_target_branch_scope(a);
        }
        const char* scopes[] = {"any", "protected", "unprotected"};
        if (all_branch && pick(4))
            y += std::string("      branch_scope: ") + scopes[pick(3)] + "\n";
        else if (all_target && pick(4))
            y += std::string("      target_branch_scope: ") + scopes[pick(3)] + "\n";
    }
    g.yaml = y;
    return g;
}

Json uid(const std::string& type, const std::string& id) {
    return Json{{"type", "Omnigraph::" + type}, {"id", id}};
}

TEST(CedarDifferential, AgreesWithTheReferenceEvaluator) {
    std::mt19937 rng(kSeed);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    Json input;
    input["schema"] = PolicyEngine::cedar_schema();
    input["bundles"] = Json::array();
    std::vector<std::pair<PolicyEngine, Request>> timed;
    size_t allowed = 0, requests = 0;
    for (int b = 0; b < kBundles; ++b) {
        Generated gen = random_bundle(rng);
        auto bundle = parse_bundle(gen.yaml, "gen.policy.yaml",
                                   gen.cluster ? BindingKind::kCluster : BindingKind::kGraph);
        ASSERT_TRUE(bundle) << bundle.error().to_string() << "\n" << gen.yaml;
        std::string resource_id = gen.cluster ? "root" : gen.graph;
        auto engine = PolicyEngine::compile(*bundle, resource_id);
        Json jb;
        jb["name"] = "bundle-" + std::to_string(b);
        jb["policies"] = Json::object();
        for (const auto& [id, text] : engine.cedar_policies())
            jb["policies"][id] = text;
        jb["entities"] = Json::parse(engine.cedar_entities_json());
        jb["requests"] = Json::array();
        for (int r = 0; r < kRequestsPerBundle; ++r) {
            Request req;
            req.actor = pick(8) == 0 ? "act-unknown" : kActors[pick(kActors.size())];
            req.action = gen.cluster && pick(4) ? (pick(2) ? Action::kGraphList : Action::kReload)
                                                : static_cast<Action>(pick(kActionCount));
            if (pick(2))
                req.branch = kBranches[pick(kBranches.size())];
            if (pick(2))
                req.target_branch = kBranches[pick(kBranches.size())];
            if (req.action == Action::kInvokeQuery ? pick(6) != 0 : pick(8) == 0)
                req.query = kQueryNames[pick(kQueryNames.size())];
            Decision d = engine.authorize(req);
            allowed += d.allowed;
            ++requests;
            Json jr;
            jr["principal"] = uid("Actor", req.actor);
            jr["action"] = uid("Action", action_name(req.action));
            jr["resource"] =
                is_server_scoped(req.action) ? uid("Server", "root") : uid("Graph", resource_id);
            jr["context"] = Json::parse(engine.cedar_context_json(req));
            jr["allowed"] = d.allowed;
            jr["satisfied"] = d.satisfied;
            jb["requests"].push_back(jr);
            if (b < 200)
                timed.emplace_back(engine, req);
        }
        input["bundles"].push_back(jb);
    }
    // Both outcomes must be well represented, or the comparison proves little.
    EXPECT_GT(allowed, requests / 10);
    EXPECT_LT(allowed, requests * 9 / 10);

    // Our cost per decision (warm, compiled engines).
    size_t decisions = 0, sink = 0;
    auto start = std::chrono::steady_clock::now();
    for (int round = 0; round < 50; ++round)
        for (const auto& [engine, req] : timed) {
            sink += engine.authorize(req).allowed;
            ++decisions;
        }
    double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        static_cast<double>(decisions);
    RecordProperty("ns_per_decision", std::to_string(ns));
    std::cout << "[ cedar ] " << kBundles << " bundles x " << kRequestsPerBundle
              << " requests; our evaluator: " << ns << " ns per decision (" << sink << ")\n";

    TempDir dir;
    std::string cases = dir.path() + "/cases.json";
    std::ofstream(cases) << input.dump();
    auto ran = run_process({"node", source_dir() + "/test/policy/cedar_reference.mjs", cases,
                            source_dir() + "/test/peers"});
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
    Json report = Json::parse(ran.out);
    EXPECT_EQ(report["bundles"], kBundles);
    EXPECT_EQ(report["requests"], kBundles * kRequestsPerBundle);
    EXPECT_EQ(report["invalid"].size(), 0u) << report["invalid"].dump(2).substr(0, 4000);
    EXPECT_EQ(report["disagreements"].size(), 0u)
        << report["disagreements"].dump(2).substr(0, 4000);
    std::cout << "[ cedar ] reference " << report["cedar_version"].get<std::string>() << ": "
              << report["requests"] << " decisions compared, " << report["disagreements"].size()
              << " disagreements, " << report["invalid"].size() << " invalid policy sets\n";
}

} // namespace
} // namespace omnigraph::policy
