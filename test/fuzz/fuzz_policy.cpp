// Fuzz target: policy bundles and test-case files — parse under every binding kind, and for a
// valid bundle compile it, emit its Cedar and decide a few requests (whose decisions must not
// depend on the kind the bundle was parsed as).
#include "policy/bundle.h"
#include "policy/engine.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace omnigraph::policy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)parse_test_cases(text, "fuzz.yaml");
    auto either = parse_bundle(text, "fuzz.policy.yaml", BindingKind::kEither);
    for (BindingKind kind : {BindingKind::kGraph, BindingKind::kCluster}) {
        auto bound = parse_bundle(text, "fuzz.policy.yaml", kind);
        if (bound && !either)
            std::abort(); // a bundle valid for a binding is valid on its own
    }
    if (!either)
        return 0;
    auto engine = PolicyEngine::compile(*either, "fuzz");
    (void)engine.cedar_policy_set();
    (void)engine.cedar_entities_json();
    for (const auto& [group, actors] : either->groups)
        for (int a = 0; a < kActionCount; ++a) {
            Request r{actors.front(), static_cast<Action>(a), "main", std::nullopt};
            auto d = engine.authorize(r);
            if (d.allowed != !d.satisfied.empty() || d.allowed != d.matched_rule.has_value())
                std::abort();
            (void)engine.cedar_context_json(r);
        }
    return 0;
}
