// ClusterStore: every byte the control plane stores, under one storage root (spec cluster §4),
// through store::ObjectStore — so a local directory and an s3:// prefix behave the same.
//
//   <root>/__cluster/state.json            the ledger, replaced by compare-and-swap
//   <root>/__cluster/lock.json             the lock, created only if absent
//   <root>/__cluster/resources/query/<g>/<name>/<digest>.gq
//   <root>/__cluster/resources/policy/<name>/<digest>.yaml
//   <root>/__cluster/recoveries/<operation id>.json
//   <root>/__cluster/approvals/<approval id>.json
//   <root>/graphs/<g>.omni/                derived graph roots (the engine's)
//
// The ledger CAS uses put_if_match, which both backends make safe across processes.
// Thread-safety: as store::ObjectStore.
#pragma once

#include "base/error.h"
#include "base/uri.h"
#include "store/object_store.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::cluster {

inline constexpr std::string_view kStateKey = "__cluster/state.json";
inline constexpr std::string_view kLockKey = "__cluster/lock.json";
inline constexpr std::string_view kRecoveriesPrefix = "__cluster/recoveries/";
inline constexpr std::string_view kApprovalsPrefix = "__cluster/approvals/";

// The ledger as read: its bytes and the store's version token for the CAS.
struct StateRead {
    std::string text;
    std::string version;
};

class ClusterStore {
  public:
    // storage_root_invalid when the backend cannot be set up (e.g. S3 configuration).
    static Result<ClusterStore> open(const base::StorageUri& root);

    const base::StorageUri& root() const { return root_; }
    // "<root>/<key>" as shown to operators: a plain absolute path or an s3:// URI.
    std::string display(std::string_view key) const;
    std::string uri_of(std::string_view key) const; // file:///… or s3://… (per-file diagnostics)
    store::ObjectStore& objects() { return *store_; }

    // The ledger. nullopt when absent; state_read_error on I/O failure.
    Result<std::optional<StateRead>> read_state();
    // Creates (expected = nullopt) or replaces (expected = what was read) the ledger; anything
    // that moved in between is state_cas_mismatch, other failures state_write_error.
    Status write_state(const std::string& text, const std::optional<StateRead>& expected);

    // Catalog blobs.
    static std::string query_blob_key(const std::string& graph, const std::string& name,
                                      const std::string& digest);
    static std::string policy_blob_key(const std::string& name, const std::string& digest);
    Result<std::optional<std::string>> read_object(std::string_view key);
    // Creates `key` unless something already exists there (an existing blob is trusted).
    Status write_blob(std::string_view key, std::string_view text);

    // The .json objects directly under a prefix, sorted (ULID file names sort by time).
    Result<std::vector<std::string>> list_json(std::string_view prefix);

    // Derived graph roots.
    base::StorageUri graph_root(const std::string& graph_id) const;
    Result<std::unique_ptr<store::ObjectStore>> open_graph_store(const std::string& graph_id) const;
    Result<bool> graph_exists(const std::string& graph_id);

  private:
    ClusterStore(base::StorageUri root, std::unique_ptr<store::ObjectStore> store)
        : root_(std::move(root)), store_(std::move(store)) {}
    base::StorageUri root_;
    std::shared_ptr<store::ObjectStore> store_;
};

// The check `omnigraph init` runs on its target (spec cluster §13.3): a root shaped
// `<r>/graphs/<id>.omni` under a cluster's storage root `<r>` (one holding the ledger) belongs
// to `cluster apply`, so it is refused with engine::kGraphManaged. Any other root is ok, and so
// is one whose would-be cluster root cannot be opened or read (logged: it cannot be told apart
// from an unrelated directory).
Status refuse_cluster_graph_root(const base::StorageUri& graph_root);

} // namespace omnigraph::cluster
