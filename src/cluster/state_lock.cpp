#include "cluster/state_lock.h"

#include "base/clock.h"
#include "base/env.h"
#include "base/process.h"
#include "base/ulid.h"

#include <chrono>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace omnigraph::cluster {

namespace {

int64_t lease_seconds() { // invalid values are logged (config.ignored) and ignored
    constexpr uint64_t kCentury = 100ull * 365 * 24 * 3600;
    return static_cast<int64_t>(
        base::env_uint_or("OMNIGRAPH_CLUSTER_LOCK_LEASE_SECONDS", 15ull * 60, 1, kCentury));
}

std::optional<int64_t> seconds_since(const std::string& rfc3339) {
    auto t = base::parse_rfc3339(rfc3339);
    if (!t)
        return std::nullopt;
    return std::chrono::duration_cast<std::chrono::seconds>(base::now() - *t).count();
}

// A lock whose holder ran on this host and no longer exists was left by a command that died
// (killed, crashed): no command can still be working under it. Removes it if it is still that
// very lock (a conditional delete of the version read) and says so; true when it was removed.
// Locks of other hosts, or without a host, are never touched.
bool remove_dead_holders_lock(ClusterStore& store, Diagnostics& diags) {
    auto got = store.objects().get(kLockKey);
    if (!got)
        return false;
    auto lock = parse_lock(got->data);
    std::string here = base::host_name();
    if (!lock || here.empty() || lock->host != here || lock->pid == 0 ||
        base::process_exists(lock->pid))
        return false;
    auto removed = store.objects().remove_if_match(kLockKey, got->meta.version);
    if (!removed) {
        ignore_error(removed, "removing a lock whose holder no longer runs");
        return false;
    }
    diags.warn("state_lock_recovered", store.display(kLockKey),
               "removed the lock " + lock->lock_id + " left by `" + lock->operation + "` (pid " +
                   std::to_string(lock->pid) + " on this host), which no longer runs");
    return true;
}

} // namespace

void StateObservations::observe_holder(const LockRecord& lock) {
    locked = true;
    lock_id = lock.lock_id;
    lock_operation = lock.operation;
    lock_created_at = lock.created_at;
    lock_pid = lock.pid;
    lock_age_seconds = seconds_since(lock.created_at);
    lock_host = lock.host;
    lock_actor = lock.actor;
    lock_lease_expires_at = lock.lease_expires_at;
}

base::Json observations_json(const StateObservations& o) {
    base::Json j = base::Json::object();
    j["state_path"] = o.state_path;
    j["lock_path"] = o.lock_path;
    j["state_found"] = o.state_found;
    if (o.applied_config_digest)
        j["applied_config_digest"] = *o.applied_config_digest;
    j["state_revision"] = o.state_revision;
    if (o.state_cas)
        j["state_cas"] = *o.state_cas;
    j["resource_count"] = o.resource_count;
    j["locked"] = o.locked;
    if (o.lock_id)
        j["lock_id"] = *o.lock_id;
    j["lock_acquired"] = o.lock_acquired;
    if (o.acquired_lock_id)
        j["acquired_lock_id"] = *o.acquired_lock_id;
    if (o.lock_operation)
        j["lock_operation"] = *o.lock_operation;
    if (o.lock_created_at)
        j["lock_created_at"] = *o.lock_created_at;
    if (o.lock_pid)
        j["lock_pid"] = *o.lock_pid;
    if (o.lock_age_seconds)
        j["lock_age_seconds"] = *o.lock_age_seconds;
    if (o.lock_host)
        j["lock_host"] = *o.lock_host;
    if (o.lock_actor)
        j["lock_actor"] = *o.lock_actor;
    if (o.lock_lease_expires_at)
        j["lock_lease_expires_at"] = *o.lock_lease_expires_at;
    return j;
}

std::string render_lock_holder(const StateObservations& o) {
    std::string parts;
    auto add = [&](const std::string& part) { parts += (parts.empty() ? "" : ", ") + part; };
    if (o.lock_id)
        add("id=" + *o.lock_id);
    if (o.lock_operation)
        add("operation=" + *o.lock_operation);
    if (o.lock_pid)
        add("pid=" + std::to_string(*o.lock_pid));
    if (o.lock_host)
        add("host=" + *o.lock_host);
    if (o.lock_actor)
        add("actor=" + *o.lock_actor);
    if (o.lock_created_at)
        add("created_at=" + *o.lock_created_at);
    if (o.lock_age_seconds)
        add("age_seconds=" + std::to_string(*o.lock_age_seconds));
    if (o.lock_lease_expires_at)
        add("lease_expires_at=" + *o.lock_lease_expires_at);
    return parts.empty() ? "held" : "held (" + parts + ")";
}

Result<StateLock> StateLock::acquire(ClusterStore& store, const std::string& operation,
                                     const std::optional<std::string>& actor,
                                     const std::string& config_dir, StateObservations& obs,
                                     Diagnostics& diags) {
    LockRecord record;
    record.lock_id = base::new_ulid();
    record.operation = operation;
    auto now = base::now();
    record.created_at = base::format_rfc3339(now);
    record.pid = static_cast<uint32_t>(getpid());
    record.host = base::host_name();
    record.actor = actor;
    record.lease_expires_at = base::format_rfc3339(now + std::chrono::seconds(lease_seconds()));
    auto put = store.objects().put_if_absent(kLockKey, serialize_lock(record));
    if (!put && put.error().is(codes::kPreconditionFailed) &&
        remove_dead_holders_lock(store, diags))
        put = store.objects().put_if_absent(kLockKey, serialize_lock(record));
    if (put) {
        obs.lock_acquired = true;
        obs.acquired_lock_id = record.lock_id;
        return StateLock(&store, std::move(record), put->version, config_dir);
    }
    if (!put.error().is(codes::kPreconditionFailed))
        return Error("state_lock_error",
                     "cannot create " + store.display(kLockKey) + ": " + put.error().message);
    std::string holder = "another command";
    std::string id = "<LOCK_ID>";
    std::string lease_note;
    auto text = store.read_object(kLockKey);
    if (const std::optional<std::string>* lock_text = text ? &*text : nullptr;
        lock_text && *lock_text) {
        if (auto lock = parse_lock(**lock_text)) {
            obs.observe_holder(*lock);
            id = lock->lock_id;
            holder = "lock " + id + " (" + render_lock_holder(obs).substr(6);
            holder.pop_back();
            holder += ")";
            if (const std::optional<std::string>& expires = lock->lease_expires_at)
                if (auto over = seconds_since(*expires); over && *over > 0)
                    lease_note = "; its lease expired " + std::to_string(*over) +
                                 " s ago, so its holder has probably crashed";
        }
    }
    obs.locked = true;
    return Error(
        "state_lock_held",
        "the cluster state is locked by " + holder + lease_note +
            ". A lock of another host or of a running process is never broken automatically: "
            "if no cluster command is running, "
            "run `omnigraph cluster force-unlock " +
            id + " --config " + config_dir + "`");
}

StateLock::StateLock(StateLock&& other) noexcept
    : store_(std::exchange(other.store_, nullptr)), record_(std::move(other.record_)),
      version_(std::move(other.version_)), config_dir_(std::move(other.config_dir_)) {}

StateLock::~StateLock() {
    if (store_)
        ignore_error(release(), "releasing the cluster lock at scope exit");
}

void StateLock::renew() {
    if (!store_)
        return;
    record_.lease_expires_at =
        base::format_rfc3339(base::now() + std::chrono::seconds(lease_seconds()));
    auto put = store_->objects().put_if_match(kLockKey, serialize_lock(record_), version_);
    if (put)
        version_ = put->version;
    else
        ignore_error(put, "renewing the cluster lock's lease (informational only)");
}

Status StateLock::release() {
    if (!store_)
        return ok();
    ClusterStore* store = std::exchange(store_, nullptr);
    auto removed = store->objects().remove_if_match(kLockKey, version_);
    if (removed)
        return ok();
    std::string where = store->display(kLockKey);
    if (removed.error().is(codes::kPreconditionFailed))
        return Error("state_lock_lost",
                     "the lock " + record_.lock_id + " this command held at " + where +
                         " was force-unlocked while it ran, and another command holds the lock "
                         "now; that lock was left in place");
    return Error("state_lock_error",
                 "cannot release the lock " + record_.lock_id + " at " + where + ": " +
                     removed.error().message +
                     ". Once no cluster command is running, run `omnigraph cluster "
                     "force-unlock " +
                     record_.lock_id + " --config " + config_dir_ + "`");
}

void observe_lock(ClusterStore& store, StateObservations& obs, Diagnostics& diags) {
    auto text = store.read_object(kLockKey);
    if (!text) {
        diags.warn("state_lock_read_error", store.display(kLockKey),
                   "cannot read the lock: " + text.error().message);
        obs.locked = true;
        return;
    }
    const std::optional<std::string>& lock_text = *text;
    if (!lock_text)
        return;
    obs.locked = true;
    auto lock = parse_lock(*lock_text);
    if (!lock) {
        diags.warn(lock.error().code, store.display(kLockKey), lock.error().message);
        return;
    }
    obs.observe_holder(*lock);
}

} // namespace omnigraph::cluster
