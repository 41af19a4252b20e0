// What every state-touching command shares: the desired state, the opened ClusterStore, the
// ledger as read (with its CAS base), the integrity gate, and the listings of recovery sidecars
// and approval artefacts. Internal to src/cluster.
#pragma once

#include "cluster/cluster_store.h"
#include "cluster/desired_state.h"
#include "cluster/ledger.h"
#include "cluster/records.h"
#include "cluster/state_lock.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace omnigraph::cluster {

struct LedgerRead {
    std::optional<StateRead> raw; // nullopt: no ledger
    Ledger ledger;                // empty when absent
};

// Opens the store of a config whose header checks passed; storage_root_invalid otherwise.
std::optional<ClusterStore> open_cluster_store(const LoadedConfig& config, Diagnostics& diags);
void init_observations(const ClusterStore& store, StateObservations& obs);

// What a state-touching command holds while it runs: the store, its lock (when the config asks
// for one) and the ledger as read. Not movable once opened (the lock points at the store).
struct LockedState {
    std::optional<ClusterStore> store;
    std::optional<StateLock> lock;
    std::optional<LedgerRead> read;
};
// What open_locked opened, pointing into its LockedState.
struct OpenedState {
    ClusterStore& store;
    StateLock* lock; // null when the config takes no lock
    LedgerRead& read;
};
// The common preamble of plan, apply, approve, refresh and import: a complete desired state,
// the store, the lock for `operation` (or the state_lock_disabled warning) and the ledger.
// nullopt when any step failed (its diagnostic is in `diags`); `out` then holds what was opened
// before the failure, for release_lock.
std::optional<OpenedState> open_locked(const DesiredState& desired, const std::string& operation,
                                       const std::optional<std::string>& actor,
                                       const std::string& config_dir, StateObservations& obs,
                                       Diagnostics& diags, LockedState& out);

// Releases the lock of `locked` (if any) and reports a failure: state_lock_error (the delete
// failed, an error) or state_lock_lost (another command's lock is there now, a warning). Every
// command calls it before it renders its outcome.
void release_lock(LockedState& locked, Diagnostics& diags);

// apply, approve and refresh need a ledger: false (with state_missing) when there is none.
bool require_ledger(const OpenedState& opened, const std::string& config_dir, Diagnostics& diags);

// Rewrites the artefacts of `approval_ids` with consumed_at (after the ledger write that
// consumed them; the ledger's approval_records are the record of truth). A rewrite that fails is
// an approval_write_error naming the artefact; the others are still rewritten.
void mark_approvals_consumed(ClusterStore& store, const std::vector<std::string>& approval_ids,
                             Diagnostics& diags);

// Reads and parses the ledger, filling the observations. nullopt (with an error diagnostic)
// when it cannot be read or parsed.
std::optional<LedgerRead> read_ledger(ClusterStore& store, StateObservations& obs,
                                      Diagnostics& diags);
void observe_ledger(const LedgerRead& read, StateObservations& obs);

// The composite digest of graph `g` recomputed from the ledger's own entries, with the given
// provider binding and blob policy.
std::string ledger_composite(const Ledger& ledger, const std::string& g,
                             const std::optional<std::string>& provider,
                             const std::optional<base::Json>& blob_policy);
// Spec §5.1's integrity gate: false (with external_blob_policy_digest_mismatch errors) when a
// graph entry's digest does not bind its own metadata.
bool check_integrity(const Ledger& ledger, Diagnostics& diags);

// Sidecars, parsed. Unreadable, unparseable and wrong-version files are warnings and skipped.
struct SidecarFile {
    std::string key;
    Sidecar sidecar;
};
// Deletes the sidecars whose outcome the ledger now records; a delete that fails is a
// recovery_sidecar_cleanup_failed warning (the next sweep retires the file).
void retire_sidecars(ClusterStore& store, const std::vector<std::string>& keys, Diagnostics& diags);
std::vector<SidecarFile> list_sidecars(ClusterStore& store, Diagnostics& diags);
// plan/status: one cluster_recovery_pending warning per sidecar file, without parsing.
void warn_pending_sidecars(ClusterStore& store, Diagnostics& diags);

struct ApprovalFile {
    std::string key;
    Approval approval;
};
// Readable artefacts in file order (consumed ones included).
std::vector<ApprovalFile> list_approvals(ClusterStore& store, Diagnostics& diags);
std::vector<Approval> unconsumed(const std::vector<ApprovalFile>& files);

// A read-only look at a derived graph root: does it exist, does it open, what schema is live.
struct GraphProbe {
    bool exists = false;
    bool opened = false;
    std::string error; // why it did not open
    std::string live_schema_digest;
    std::string live_schema_source;
    uint64_t manifest_version = 0; // main's head
};
GraphProbe probe_graph(ClusterStore& store, const std::string& graph_id);

// The actor's display text for records ("" -> null).
base::Json actor_json(const std::optional<std::string>& actor);

} // namespace omnigraph::cluster
