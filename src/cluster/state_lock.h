// The cluster lock `__cluster/lock.json` (spec cluster §6) and what commands report about the
// ledger and the lock (`state_observations`, §13.1).
//
// Acquiring is a create-if-absent of the lock object, atomic on both backends. The lock carries a
// lease (renewed at every graph-moving step); a held lock whose lease expired is still never
// broken automatically — the error says so and names the exact `force-unlock` command. The one
// exception: a lock whose holder ran on this host and no longer exists (a command that was
// killed) is removed by the next taker, with the warning state_lock_recovered.
// Releasing is a conditional delete of the version this holder wrote (remove_if_match), so a
// lock that was force-unlocked and taken by another command is left alone.
#pragma once

#include "base/json.h"
#include "cluster/cluster_store.h"
#include "cluster/diagnostic.h"
#include "cluster/records.h"

#include <cstdint>
#include <optional>
#include <string>

namespace omnigraph::cluster {

struct StateObservations {
    std::string state_path, lock_path;
    bool state_found = false;
    std::optional<std::string> applied_config_digest;
    uint64_t state_revision = 0;
    std::optional<std::string> state_cas;
    size_t resource_count = 0;
    bool locked = false; // a lock held by someone else was observed
    std::optional<std::string> lock_id;
    bool lock_acquired = false; // this command took (and released) the lock
    std::optional<std::string> acquired_lock_id;
    std::optional<std::string> lock_operation, lock_created_at;
    std::optional<uint32_t> lock_pid;
    std::optional<int64_t> lock_age_seconds;
    std::optional<std::string> lock_host, lock_actor, lock_lease_expires_at;

    void observe_holder(const LockRecord& lock);
};
base::Json observations_json(const StateObservations& o);
// "held (id=…, operation=…, pid=…, created_at=…, age_seconds=…)".
std::string render_lock_holder(const StateObservations& o);

class StateLock {
  public:
    // Takes the lock for `operation`, first removing a lock left by a dead holder of this host
    // (warning state_lock_recovered in `diags`). state_lock_held (naming the holder and the
    // force-unlock command for `config_dir`) or state_lock_error; `obs` gets the holder's
    // metadata.
    static Result<StateLock> acquire(ClusterStore& store, const std::string& operation,
                                     const std::optional<std::string>& actor,
                                     const std::string& config_dir, StateObservations& obs,
                                     Diagnostics& diags);
    StateLock(StateLock&& other) noexcept;
    StateLock& operator=(StateLock&&) = delete;
    // Releases a lock not released yet; a failure is only logged (call release() to report it).
    ~StateLock();

    const std::string& id() const { return record_.lock_id; }
    // Extends the lease (best effort: a failure is logged; the lease only informs operators).
    void renew();
    // Deletes the lock if it is still the version this holder wrote (idempotent; an absent lock
    // is released). state_lock_lost when another command's lock is there now (left in place),
    // state_lock_error when the delete fails (the lock stays; the message names force-unlock).
    Status release();

  private:
    StateLock(ClusterStore* store, LockRecord record, std::string version, std::string config_dir)
        : store_(store), record_(std::move(record)), version_(std::move(version)),
          config_dir_(std::move(config_dir)) {}
    ClusterStore* store_;
    LockRecord record_;
    std::string version_; // the lock object's version as last written by this holder
    std::string config_dir_;
};

// Fills the lock part of `obs` from whatever lock exists; unreadable locks become warnings.
void observe_lock(ClusterStore& store, StateObservations& obs, Diagnostics& diags);

} // namespace omnigraph::cluster
