// A storage self-check: exercises every ObjectStore primitive under a scratch prefix of a real
// store and reports each step, so an operator can tell whether a root (local or s3://) gives
// the guarantees OmniGraph needs before putting a graph there. Leaves nothing behind on success.
#pragma once

#include "store/object_store.h"

#include <string>
#include <vector>

namespace omnigraph::store {

struct SelfCheckStep {
    std::string name; // e.g. "put_if_absent refuses an existing key"
    bool passed = false;
    std::string detail; // the error or mismatch when it failed
    double millis = 0;
};

struct SelfCheckReport {
    std::string root;
    std::string scratch_prefix;
    std::vector<SelfCheckStep> steps;
    bool passed() const;
};

// Runs the steps in order, stopping at the first failure (later steps depend on earlier ones).
SelfCheckReport run_self_check(ObjectStore& store);

} // namespace omnigraph::store
