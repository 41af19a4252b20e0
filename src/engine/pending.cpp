#include "engine/pending.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/process.h"
#include "base/record_seal.h"
#include "base/strict_record.h"
#include "base/text.h"
#include "base/ulid.h"
#include "engine/branch.h"
#include "format/manifest.h"

#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <unistd.h>

namespace omnigraph::engine {

using base::Json;

namespace {

std::string pending_key(std::string_view op_id) {
    return std::string(kPendingPrefix) + std::string(op_id) + ".json";
}

// Operations of this process that have not returned yet (counted: two threads may try the same
// fixed-name record, and the loser must not unmark the winner).
struct Running {
    std::mutex mutex;
    std::multiset<std::string> op_ids;
};
Running& running() {
    static Running r;
    return r;
}

void mark_running(const std::string& op_id, bool on) {
    std::lock_guard lock(running().mutex);
    if (on) {
        running().op_ids.insert(op_id);
    } else if (auto it = running().op_ids.find(op_id); it != running().op_ids.end()) {
        running().op_ids.erase(it);
    }
}

void remove_all(store::ObjectStore& store, const std::vector<std::string>& keys) {
    for (const auto& key : keys)
        if (auto r = store.remove(key); !r)
            base::log(base::LogLevel::kWarn, "recovery.remove_failed",
                      {{"key", store.uri_of(key)}, {"error", r.error().message}});
}

} // namespace

std::string pending_text(const PendingOp& op) {
    Json j;
    j["format"] = "omnigraph-pending";
    j["op_id"] = op.op_id;
    j["kind"] = op.kind;
    j["branch"] = op.branch;
    j["base_version"] = op.base_version;
    j["commit_id"] = op.commit_id;
    j["created"] = op.created;
    j["remove_after"] = op.remove_after;
    j["host"] = op.host;
    j["pid"] = op.pid;
    j["created_at"] = op.created_at;
    return base::seal_record(base::to_canonical_json(j));
}

Result<PendingOp> parse_pending(std::string_view text, const std::string& where, base::Seal seal) {
    auto refuse = [&](const std::string& why) {
        return Error(kRecoveryRequired, "unreadable pending-operation record " + where + " (" +
                                            why +
                                            "); move it aside once its operation is known "
                                            "to be dead");
    };
    auto sealed = base::verify_record_seal(text, kRecoveryRequired, where);
    if (!sealed)
        return refuse(sealed.error().message);
    auto j = base::parse_json(text);
    if (!j)
        return refuse(j.error().message);
    // The reader's messages carry no name: refuse() wraps them.
    auto read = [&]() -> Result<PendingOp> {
        auto r = OG_TRY(base::StrictRecord::of(*j, kRecoveryRequired, ""));
        if (!*sealed)
            OG_CHECK(base::check_unsealed(r, text, seal));
        if (OG_TRY(r.string("format")) != "omnigraph-pending")
            return r.error("not a pending-operation record");
        PendingOp op;
        op.op_id = OG_TRY(r.string("op_id"));
        op.kind = OG_TRY(r.string("kind"));
        op.branch = OG_TRY(r.string("branch"));
        op.base_version = OG_TRY(r.unsigned_integer("base_version"));
        op.commit_id = OG_TRY(r.string("commit_id"));
        op.created = OG_TRY(r.strings("created"));
        op.remove_after = OG_TRY(r.strings("remove_after"));
        op.host = OG_TRY(r.string("host"));
        op.pid = OG_TRY(r.integer("pid"));
        op.created_at = OG_TRY(r.integer("created_at"));
        return op;
    };
    auto op = read();
    if (!op)
        return refuse(op.error().message);
    return op;
}

PendingOp new_pending_op(std::string kind, std::string branch, uint64_t base_version,
                         std::string commit_id) {
    PendingOp op;
    op.kind = std::move(kind);
    op.branch = std::move(branch);
    op.base_version = base_version;
    op.commit_id = std::move(commit_id);
    op.op_id = op.commit_id;
    op.host = this_host();
    op.pid = static_cast<int64_t>(getpid());
    op.created_at = base::unix_micros(base::now());
    return op;
}

Status begin_pending(store::ObjectStore& store, const PendingOp& op) {
    mark_running(op.op_id, true);
    auto r = store.put_if_absent(pending_key(op.op_id), pending_text(op));
    if (!r) {
        mark_running(op.op_id, false);
        return std::move(r).error();
    }
    return ok();
}

Status rewrite_pending(store::ObjectStore& store, const PendingOp& op) {
    OG_CHECK(store.put(pending_key(op.op_id), pending_text(op)));
    return ok();
}

void finish_pending_committed(store::ObjectStore& store, const PendingOp& op) {
    remove_all(store, op.remove_after);
    ignore_error(store.remove(pending_key(op.op_id)),
                 "a leftover pending record is settled (rolled forward) by the next writer");
    mark_running(op.op_id, false);
}

Result<bool> pending_committed(store::ObjectStore& store, const PendingOp& op, base::Seal seal) {
    auto published = format::read_manifest(store, op.branch, op.base_version + 1, seal);
    if (!published) {
        if (published.error().is(codes::kNotFound))
            return false;
        return std::move(published).error();
    }
    return published->commit_id == op.commit_id;
}

Status settle_publish(store::ObjectStore& store, const PendingOp& op, base::Seal seal,
                      Status published) {
    if (!published && !published.error().is(format::kManifestConflict)) {
        auto landed = pending_committed(store, op, seal);
        if (landed && *landed)
            published = ok();
    }
    if (!published)
        finish_pending_failed(store, op, seal);
    return published;
}

format::CommitRecord new_commit(const format::Manifest& head, format::Manifest& next,
                                std::optional<std::string> actor,
                                std::optional<std::string> message) {
    format::CommitRecord commit;
    commit.graph_commit_id = base::new_ulid();
    commit.graph_branch = head.branch;
    commit.graph_manifest_version = next.version;
    commit.parent_commit_id = head.commit_id;
    commit.actor_id = std::move(actor);
    commit.message = std::move(message);
    commit.created_at = base::unix_micros(base::now());
    next.commit_id = commit.graph_commit_id;
    return commit;
}

void finish_pending_failed(store::ObjectStore& store, const PendingOp& op, base::Seal seal) {
    auto committed = pending_committed(store, op, seal);
    if (!committed || *committed) { // unknown (or, defensively, published): let recovery decide
        mark_running(op.op_id, false);
        return;
    }
    remove_all(store, op.created);
    ignore_error(store.remove(pending_key(op.op_id)),
                 "a leftover pending record is settled (rolled back) by the next writer");
    mark_running(op.op_id, false);
}

Result<std::optional<PendingOp>> read_pending(store::ObjectStore& store, std::string_view op_id,
                                              base::Seal seal) {
    std::string key = pending_key(op_id);
    auto text = OG_TRY(store.read_if_exists(key));
    if (!text)
        return std::optional<PendingOp>();
    return std::optional<PendingOp>(OG_TRY(parse_pending(*text, store.uri_of(key), seal)));
}

bool pending_owner_alive(const PendingOp& op) {
    if (op.host != this_host()) {
        auto age = base::unix_micros(base::now()) - op.created_at;
        return age < std::chrono::duration_cast<std::chrono::microseconds>(kPendingLease).count();
    }
    if (op.pid == static_cast<int64_t>(getpid())) {
        std::lock_guard lock(running().mutex);
        return running().op_ids.count(op.op_id) > 0;
    }
    return base::process_exists(op.pid);
}

std::string this_host() {
    std::string name = base::host_name();
    return name.empty() ? "unknown" : name;
}

Status settle_pending(store::ObjectStore& store, base::Seal seal) {
    for (const auto& meta : OG_TRY(store.list_all(kPendingPrefix))) {
        auto text = store.read_if_exists(meta.key);
        if (!text)
            return std::move(text).error();
        const std::optional<std::string>& record = *text;
        if (!record)
            continue; // settled by someone else between LIST and GET
        auto op = OG_TRY(parse_pending(*record, store.uri_of(meta.key), seal));
        if (pending_owner_alive(op))
            continue;
        OG_CHECK(settle_record(store, meta.key, op, seal));
    }
    return ok();
}

Result<bool> settle_record(store::ObjectStore& store, const std::string& key, const PendingOp& op,
                           base::Seal seal) {
    bool committed = OG_TRY(pending_committed(store, op, seal));
    base::log(base::LogLevel::kInfo, committed ? "recovery.roll_forward" : "recovery.roll_back",
              {{"op_id", op.op_id}, {"kind", op.kind}, {"branch", op.branch}});
    remove_all(store, committed ? op.remove_after : op.created);
    OG_CHECK(store.remove(key));
    return committed;
}

Status refuse_pending_operations(store::ObjectStore& store, base::Seal seal,
                                 std::string_view verb) {
    for (const auto& meta : OG_TRY(store.list_all(kPendingPrefix))) {
        auto text = OG_TRY(store.read_if_exists(meta.key));
        if (!text)
            continue; // finished meanwhile
        auto op = OG_TRY(parse_pending(*text, store.uri_of(meta.key), seal));
        return Error(kConflict,
                     base::concat(std::string(verb), " refused: a ", op.kind, " on branch '",
                                  op.branch, "' is in progress (pending operation ", op.op_id,
                                  " by ", op.host, " pid ", std::to_string(op.pid),
                                  "); run it again once that operation has finished"));
    }
    return ok();
}

} // namespace omnigraph::engine
