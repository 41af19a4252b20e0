// ApplyRun: one `cluster apply` after its integrity gate (apply.cpp), shared by the files that
// hold its parts: the graph operations with their recovery sidecars (apply_graphs.cpp), the
// query and policy payloads (apply_payloads.cpp), the owner markers (apply_owner_marker.cpp)
// and the one ledger write (apply_persist.cpp). Internal to the cluster layer.
#pragma once

#include "cluster/commands.h"
#include "cluster/saved_plan.h"
#include "cluster/sweep.h"
#include "engine/graph_lifecycle.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omnigraph::cluster::detail {

class ApplyRun {
  public:
    ApplyRun(const CommandOptions& o, DesiredState& d, ClusterStore& store, LedgerRead& read,
             Diagnostics& diags)
        : o_(o), d_(d), store_(store), read_(read), ledger_(read.ledger), diags_(diags) {}

    StateLock* lock = nullptr;

    // Runs everything after the integrity gate; the outcome is in the public fields below.
    void run(const std::optional<SavedPlanCheck>& saved);

    const Plan& plan() const { return plan_; }

  private:
    bool early_failpoint(std::string_view name);

    // ---- graph operations and their recovery sidecars (apply_graphs.cpp) ----
    std::optional<std::string> write_sidecar(Sidecar& s);
    Sidecar new_sidecar(const std::string& kind, const std::string& g);
    void demote(const std::string& g, const std::string& own, const std::string& reason);
    bool skipped(const PlanChange& c, const char* code, const std::string& g);
    bool create_graph(PlanChange& c);
    bool migrate_schema(PlanChange& c);
    bool delete_graph(PlanChange& c);

    // Records the operation's outcome in its sidecar. A failure is reported, and the operation
    // still counts: the sweep reads the graph itself, not this field.
    void rewrite_sidecar(const std::string& key, const Sidecar& s);

    // ---- owner markers (apply_owner_marker.cpp) ----
    void mark_owned(const SweepOutcome& sweep);
    engine::ManagedBy owner(const std::string& g) const;
    void owner_marker_error(const std::string& g, const std::string& message);

    // ---- query and policy payloads (apply_payloads.cpp) ----
    bool write_payloads();

    // ---- the ledger write (apply_persist.cpp) ----
    void persist(const Ledger& snapshot, const SweepOutcome& sweep, bool executed = true);
    void finish(const Ledger& persisted, bool completed);

  public:
    Ledger persisted_;
    bool completed_run_ = false;
    bool converged_ = false;
    bool state_written_ = false;

  private:
    const CommandOptions& o_;
    DesiredState& d_;
    ClusterStore& store_;
    LedgerRead& read_;
    Ledger ledger_;
    Diagnostics& diags_;
    Plan plan_;
    bool aborted_ = false;
    std::vector<std::string> completed_; // this run's finished operations' sidecars
    std::vector<std::pair<std::string, std::string>> deleted_; // (graph, approval id)
};

} // namespace omnigraph::cluster::detail
