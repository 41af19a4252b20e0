// Graph roots: creating one (init) and opening one (the accepted schema plus its version log).
//
// A graph root holds `_format.json`, the three schema files (`_schema.pg`, `_schema.ir.json`,
// `__schema_state.json`, which must agree with each other), and the manifest log and commit
// records of docs/format/manifest.md. Everything goes through store::ObjectStore, so a root
// may be a local directory or an s3:// prefix.
// Thread-safety: a Graph is immutable after open and may be shared; reads take no locks.
#pragma once

#include "base/error.h"
#include "engine/branch.h"
#include "engine/write_authorizer.h"
#include "format/manifest.h"
#include "schema/catalog.h"
#include "schema/ir.h"
#include "store/object_store.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::engine {

inline constexpr std::string_view kAlreadyInitialized = "already_initialized";
inline constexpr std::string_view kInitClaimed = "init_claimed";
inline constexpr std::string_view kGraphInvalid = "graph_invalid";
// Format 2 checksums every segment chunk and footer and every manifest, commit, branch and
// pending record (docs/format/). Format 1 graphs still open and read, unverified;
// upgrade_storage() (engine/storage_upgrade.h) rewrites them to format 2.
inline constexpr int kStorageFormatVersion = 2;
inline constexpr int kOldestReadableStorageFormat = 1;
// Records of a graph of this format or newer must be sealed (base/record_seal.h).
inline constexpr int kFirstSealedStorageFormat = 2;

struct InitOptions {
    bool force = false; // overwrite orphan schema files (never an existing graph)
    std::string schema_file = "schema.pg"; // for diagnostics
    // The controller's operation this init belongs to (a cluster's recovery sidecar id); the
    // init claim records it, so discard_unfinished_init can remove what an interrupted init
    // left (graph_lifecycle.h). Empty: the claim names no operation.
    std::string operation_id;
};

struct InitResult {
    std::string uri;
    format::CommitRecord genesis;
    std::vector<schema::Diagnostic> warnings;
};

// Creates a graph at the store's root from `schema_source`. A schema that does not compile
// writes nothing (its PG-* error is returned). Refuses an initialized root (already_initialized)
// and a root another init holds (init_claimed, from `__init_claim.json`).
Result<InitResult> init_graph(store::ObjectStore& store, std::string_view schema_source,
                              const InitOptions& options = {});

// One accepted schema: its source, IR and catalog. Every schema a manifest names is kept
// content-addressed under `_schemas/` (see kSchemaHistoryPrefix), so any version of any branch
// can be read with the schema it was written under.
struct SchemaVersion {
    std::string hash; // schema_ir_hash
    std::string source;
    schema::SchemaIr ir;
    schema::Catalog catalog;
};
using SchemaRef = std::shared_ptr<const SchemaVersion>;
SchemaRef make_schema_version(std::string source, schema::SchemaIr ir);

// Which version to read: a branch head (default), a manifest version of a branch, or a commit.
struct SnapshotSpec {
    std::string branch = "main";
    std::optional<uint64_t> version;
    std::optional<std::string> commit_id; // overrides branch/version
};

// One whole version of one branch with the schema it conforms to. Immutable.
struct Snapshot {
    format::Manifest manifest; // manifest.branch is the branch that was asked for
    SchemaRef schema;
};

class Graph {
  public:
    // Reads and cross-checks the format stamp, the schema files (graph_invalid when missing,
    // partial, or disagreeing) and main's head. Writes nothing: when an interrupted schema
    // apply left the root's schema files behind main's head, the head's schema is used and
    // heal() promotes it.
    static Result<Graph> open(store::ObjectStore& store);

    store::ObjectStore& store() const { return *store_; }
    // Whether the graph's records must be sealed: kRequired from storage format 2 on. Every
    // read of a manifest, commit, branch or pending record of this graph passes it.
    base::Seal seal() const { return seal_; }
    std::string uri() const { return store_->root().to_string(); }
    // main's current schema.
    const SchemaRef& main_schema() const { return main_schema_; }
    const schema::SchemaIr& ir() const { return main_schema_->ir; }
    const schema::Catalog& catalog() const { return main_schema_->catalog; }
    const std::string& schema_source() const { return main_schema_->source; }

    // The schema with this hash (cached after the first read).
    Result<SchemaRef> schema_version(std::string_view ir_hash) const;

    // The newest manifest of `branch` (not_found when the branch does not exist). A branch
    // without commits of its own returns its source's manifest at the fork, renamed.
    Result<format::Manifest> head(std::string_view branch = "main") const;
    // Version `version` of `branch`, following the fork to the source for older versions.
    Result<format::Manifest> at_version(std::string_view branch, uint64_t version) const;
    Result<Snapshot> snapshot(const SnapshotSpec& spec = {}) const;

    // Commits reachable from the branch head (parents and merged parents), newest first by
    // (manifest version, created_at, id).
    Result<std::vector<format::CommitRecord>> commits(std::string_view branch = "main") const;
    Result<format::CommitRecord> commit(std::string_view commit_id) const;

    // Branches: `main` plus every branch record, sorted bytewise.
    Result<std::vector<std::string>> branches() const;
    Result<std::optional<BranchRecord>> branch_record(std::string_view name) const;
    // Every branch record (not main), in key order.
    Result<std::vector<BranchRecord>> branch_records() const;
    // Creates `name` at `from`'s head. Refuses main, an existing name, a name whose '/'-path
    // collides with a live branch (conflict) and invalid names (invalid_argument).
    Result<BranchRecord> create_branch(std::string_view name, std::string_view from,
                                       std::optional<std::string> actor) const;
    // Deletes `name` (not main; not while another branch was forked from it). Its manifests
    // go; its segments stay until a cleanup.
    Status delete_branch(std::string_view name) const;

    // Completes interrupted work before a write: promotes main's head schema into the root's
    // schema files when an apply stopped after its commit, and settles pending-operation
    // records (engine/pending.h). Idempotent; a no-op on a clean graph.
    Status heal() const;
    // Whether main's head names a schema the root's schema files do not hold yet (an apply
    // stopped after its commit); heal() rewrites them.
    bool root_schema_stale() const { return root_schema_stale_; }

    // Installs the check every write of this handle (and its copies) asks first; see
    // write_authorizer.h. Writers call authorize_write before they write anything.
    void set_write_authorizer(WriteAuthorizer authorizer);
    Status authorize_write(const WriteRequest& request) const;

  private:
    struct Cache;
    Graph(store::ObjectStore& store, base::Seal seal, SchemaRef main_schema,
          bool root_schema_stale);
    Result<format::Manifest> main_head() const;

    store::ObjectStore* store_;
    base::Seal seal_;
    SchemaRef main_schema_;
    bool root_schema_stale_ = false;
    std::shared_ptr<Cache> cache_;
    std::shared_ptr<const WriteAuthorizer> write_authorizer_;
};

// The storage format version `_format.json` states: graph_invalid when the stamp is not one
// or names a version this build does not read, not_found when the stamp is missing.
Result<int> read_storage_format(store::ObjectStore& store);
base::Seal seal_for_storage_format(int version);

// The root's files, for code that needs the names (tests, cleanup).
inline constexpr std::string_view kFormatKey = "_format.json";
inline constexpr std::string_view kSchemaSourceKey = "_schema.pg";
inline constexpr std::string_view kSchemaIrKey = "_schema.ir.json";
inline constexpr std::string_view kSchemaStateKey = "__schema_state.json";
inline constexpr std::string_view kInitClaimKey = "__init_claim.json";
// `_schemas/<hex of schema_ir_hash>.pg` and `.ir.json`: every schema a manifest has named.
inline constexpr std::string_view kSchemaHistoryPrefix = "_schemas/";
std::string schema_history_key(std::string_view ir_hash, std::string_view extension);
// Rewrites the root's schema files for `v`: source, IR, then the state that binds them.
Status write_root_schema(store::ObjectStore& store, const SchemaVersion& v);
// Reads the schema `ir_hash` from the history: graph_invalid when either file is missing, the
// IR does not parse, or it does not hash to its name.
Result<SchemaRef> read_schema_history(store::ObjectStore& store, std::string_view ir_hash);
// Writes a schema into the history (idempotent: the key is its hash).
Status store_schema_version(store::ObjectStore& store, std::string_view source,
                            const schema::SchemaIr& ir);

} // namespace omnigraph::engine
