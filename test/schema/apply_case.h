// Runs the graph part of an apply.test case (test/schema/README.md "apply.test") on a real
// local graph: init, data, branches, tamper, then the apply/plan actions; afterwards answers
// the state roots (initial:, before:, now:, prev:, reopened:, version_delta, result:,
// preview_catalog:).
#pragma once

#include "case_file.h"
#include "engine/graph.h"
#include "engine/schema_apply.h"
#include "test_support.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace omnigraph::testing {

class ApplyCase {
  public:
    // Runs everything; setup failures are reported with ADD_FAILURE.
    explicit ApplyCase(const SchemaCase& c);
    ~ApplyCase();

    // The last action's outcome.
    std::optional<Error> error;
    std::optional<engine::SchemaApplyResult> result;
    bool last_was_apply = false;

    // A check root value, or nullopt when `root` is not one of this harness's roots.
    // `root` is the text before the first ':', `rest` the text after it.
    std::optional<nlohmann::json> value(const std::string& root, const std::string& rest);

  private:
    struct State {
        engine::Snapshot snap;
    };
    std::optional<nlohmann::json> state_value(const State& s, const std::string& call);
    std::optional<State> state_at(std::optional<uint64_t> version);

    TempDir dir_;
    std::unique_ptr<store::ObjectStore> store_;
    std::optional<engine::Graph> graph_;
    std::optional<State> initial_, before_;
};

} // namespace omnigraph::testing
