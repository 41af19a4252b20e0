// Policy decisions: one authorize() of a compiled bundle (spec server-policy §4.4), allowed and
// denied, known and unknown actor. Target (issue 6): at most 5 µs per decision.
#include "policy/bundle.h"
#include "policy/engine.h"

#include <benchmark/benchmark.h>
#include <cstdlib>

using namespace omnigraph::policy;

namespace {

const char* kBundle = R"(version: 1
groups:
  team: [act-andrew, act-bruno, act-ragnor, act-a, act-b, act-c, act-d, act-e]
  admins: [act-ragnor]
protected_branches: [main, release]
rules:
  - id: team-read
    allow: { actors: { group: team }, actions: [read], branch_scope: any }
  - id: admins-export
    allow: { actors: { group: admins }, actions: [export], branch_scope: any }
  - id: team-write-unprotected
    allow: { actors: { group: team }, actions: [change], branch_scope: unprotected }
  - id: admins-merge
    allow: { actors: { group: admins }, actions: [branch_delete, branch_merge], target_branch_scope: protected }
)";

const PolicyEngine& engine() {
    static const PolicyEngine e = [] {
        auto b = parse_bundle(kBundle, "bench.policy.yaml");
        if (!b)
            std::abort();
        return PolicyEngine::compile(*b, "default");
    }();
    return e;
}

void run(benchmark::State& state, Request r) {
    const PolicyEngine& e = engine();
    for (auto _ : state)
        benchmark::DoNotOptimize(e.authorize(r));
}

void BM_AllowChangeOnFeature(benchmark::State& s) {
    run(s, Request{"act-bruno", Action::kChange, "feature", std::nullopt});
}
void BM_DenyChangeOnMain(benchmark::State& s) {
    run(s, Request{"act-bruno", Action::kChange, "main", std::nullopt});
}
void BM_AllowMergeIntoProtected(benchmark::State& s) {
    run(s, Request{"act-ragnor", Action::kBranchMerge, "feature", "main"});
}
void BM_UnknownActor(benchmark::State& s) {
    run(s, Request{"act-mallory", Action::kRead, "main", std::nullopt});
}

} // namespace

BENCHMARK(BM_AllowChangeOnFeature);
BENCHMARK(BM_DenyChangeOnMain);
BENCHMARK(BM_AllowMergeIntoProtected);
BENCHMARK(BM_UnknownActor);
BENCHMARK_MAIN();
