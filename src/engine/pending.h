// Pending-operation records: the recovery sidecars of docs/format/recovery.md.
//
// A write that puts objects before its commit point first records what it is about to do in
// `_pending/<op_id>.json`: the branch and version it read, the commit it will publish, the
// objects it will create (segments, its commit record) and the objects to remove once it has
// committed (a hard drop's old segments). The commit point itself stays the single
// put_if_absent of the next manifest, so a crash anywhere leaves one of two states, and
// settle_pending() finishes either:
//   - the manifest names the commit  -> roll forward: run the post-commit removals, drop the
//     record;
//   - it does not                    -> roll back: remove the created objects, drop the record.
// A record is only settled once its owner is gone: same host and the process no longer runs (or
// is this process and the operation already returned), or another host and older than
// kPendingLease. A record that cannot be parsed (or, in a graph of storage format 2, is not
// sealed: the functions that read records take the graph's base::Seal) stops writers with
// recovery_required.
#pragma once

#include "base/error.h"
#include "base/record_seal.h"
#include "format/manifest.h"
#include "store/object_store.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::engine {

inline constexpr std::string_view kRecoveryRequired = "recovery_required";
inline constexpr std::string_view kPendingPrefix = "_pending/";
inline constexpr std::chrono::minutes kPendingLease{15};

struct PendingOp {
    std::string op_id; // ULID, or a fixed name when the record doubles as a lock
    std::string kind;  // "load", "schema_apply", ...
    std::string branch;
    uint64_t base_version = 0; // the op publishes base_version + 1 of `branch`
    std::string commit_id;
    std::vector<std::string> created;      // removed on roll back
    std::vector<std::string> remove_after; // keys removed on roll forward
    std::string host;
    int64_t pid = 0;
    int64_t created_at = 0; // microseconds since the Unix epoch
};

// A record for an operation of this process (host, pid, time filled in).
PendingOp new_pending_op(std::string kind, std::string branch, uint64_t base_version,
                         std::string commit_id);

// Writes the record with create-if-absent (precondition_failed when the id is taken) and marks
// the operation as running in this process.
Status begin_pending(store::ObjectStore& store, const PendingOp& op);
// Replaces the record of a running operation (e.g. to add post-commit removals).
Status rewrite_pending(store::ObjectStore& store, const PendingOp& op);
// The operation committed: run its post-commit removals (best effort) and drop the record.
void finish_pending_committed(store::ObjectStore& store, const PendingOp& op);
// Whether the operation's commit is published: the branch's version base_version + 1 names it.
// An error means it cannot be told (leave the record for settle_pending()).
Result<bool> pending_committed(store::ObjectStore& store, const PendingOp& op, base::Seal seal);
// The operation failed and pending_committed() said no: remove what it created and drop the
// record (best effort: whatever is left, settle_pending() removes later). When the publish
// outcome is unknown it removes nothing and leaves the record to settle_pending().
void finish_pending_failed(store::ObjectStore& store, const PendingOp& op, base::Seal seal);

// The end of a publish attempt of `op` that returned `published`: when the answer was lost (an
// error other than a lost race) it looks whether the commit landed anyway; when it did not, it
// rolls back what `op` created (finish_pending_failed) and returns the error. ok(): the commit
// stands, and the caller settles with finish_pending_committed after its post-commit work.
Status settle_publish(store::ObjectStore& store, const PendingOp& op, base::Seal seal,
                      Status published);

// The commit record of a write publishing `next` on `head`'s branch, parented on `head`'s commit
// (a fresh ULID, created now); names it in `next.commit_id`.
format::CommitRecord new_commit(const format::Manifest& head, format::Manifest& next,
                                std::optional<std::string> actor,
                                std::optional<std::string> message = std::nullopt);

// Parses a record's text (recovery_required when it is not one); `where` names it in errors.
Result<PendingOp> parse_pending(std::string_view text, const std::string& where, base::Seal seal);
std::string pending_text(const PendingOp& op);
// Reads one record (nullopt when absent).
Result<std::optional<PendingOp>> read_pending(store::ObjectStore& store, std::string_view op_id,
                                              base::Seal seal);
// True while the record's owner may still be working on it.
bool pending_owner_alive(const PendingOp& op);

// The host records carry (pending records, the init claim): base::host_name(), "unknown" when
// that is empty. Whether its process still exists: base::process_exists.
std::string this_host();

// Settles every abandoned record (roll forward or back, see above). Records of live owners are
// left alone. recovery_required when a record is unreadable.
Status settle_pending(store::ObjectStore& store, base::Seal seal);
// Refuses (conflict) while a pending-operation record remains under `_pending/`: a live write
// of another process (abandoned ones are settled by Graph::heal() first). `verb` names the
// refused command (optimize, cleanup).
Status refuse_pending_operations(store::ObjectStore& store, base::Seal seal, std::string_view verb);

// Settles one abandoned record stored at `key` (the caller checked its owner is gone): rolls
// forward or back as above and deletes it. True when it rolled forward.
Result<bool> settle_record(store::ObjectStore& store, const std::string& key, const PendingOp& op,
                           base::Seal seal);

} // namespace omnigraph::engine
