// Saved plans (`cluster plan -out FILE`, `cluster apply FILE`): a reviewed plan bound to the
// config digest and the ledger's CAS it was computed from, so apply runs exactly what was
// reviewed or refuses (plan_stale) when anything moved since.
#pragma once

#include "cluster/context.h"
#include "cluster/plan.h"

#include <string>
#include <vector>

namespace omnigraph::cluster {

inline constexpr std::string_view kPlanStale = "plan_stale";
inline constexpr std::string_view kInvalidPlanFile = "invalid_plan_file";

struct SavedPlanCheck {
    base::Json changes; // the saved change list (without migrations)
    // False (with a plan_stale error) when the recomputed plan differs from the saved one.
    bool matches(const Plan& plan, Diagnostics& diags) const;
};

Status save_plan(const std::string& path, const DesiredState& desired, const LedgerRead& read,
                 const Plan& plan);
// invalid_plan_file, or plan_stale when the config or the ledger moved since the plan.
Result<SavedPlanCheck> load_saved_plan(const std::string& path, const DesiredState& desired,
                                       const LedgerRead& read);

} // namespace omnigraph::cluster
