// Graph roots: creating one (init) and opening one (the accepted schema plus its version log).
//
// A graph root holds `_format.json`, the three schema files (`_schema.pg`, `_schema.ir.json`,
// `__schema_state.json`, which must agree with each other), and the manifest log and commit
// records of docs/format/manifest.md. Everything goes through store::ObjectStore, so a root
// may be a local directory or an s3:// prefix.
// Thread-safety: a Graph is immutable after open and may be shared; reads take no locks.
#pragma once

#include "base/error.h"
#include "format/manifest.h"
#include "schema/catalog.h"
#include "schema/ir.h"
#include "store/object_store.h"

#include <optional>
#include <string>
#include <vector>

namespace omnigraph::engine {

inline constexpr std::string_view kAlreadyInitialized = "already_initialized";
inline constexpr std::string_view kInitClaimed = "init_claimed";
inline constexpr std::string_view kGraphInvalid = "graph_invalid";
inline constexpr int kStorageFormatVersion = 1;

struct InitOptions {
    bool force = false; // overwrite orphan schema files (never an existing graph)
    std::string schema_file = "schema.pg"; // for diagnostics
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

class Graph {
  public:
    // Reads and cross-checks the format stamp and the schema files (graph_invalid when missing,
    // partial, or disagreeing). Writes nothing.
    static Result<Graph> open(store::ObjectStore& store);

    const schema::SchemaIr& ir() const { return ir_; }
    const schema::Catalog& catalog() const { return catalog_; }
    const std::string& schema_source() const { return schema_source_; }
    std::string uri() const { return store_->root().to_string(); }

    // The newest manifest of `branch` (not_found when the branch does not exist).
    Result<format::Manifest> head(std::string_view branch = "main") const;
    Result<format::Manifest> at_version(std::string_view branch, uint64_t version) const;
    // Commits of `branch` in manifest-version order, newest first.
    Result<std::vector<format::CommitRecord>> commits(std::string_view branch = "main") const;
    Result<format::CommitRecord> commit(std::string_view commit_id) const;

  private:
    Graph(store::ObjectStore& store, std::string source, schema::SchemaIr ir)
        : store_(&store), schema_source_(std::move(source)), ir_(std::move(ir)),
          catalog_(schema::project_catalog(ir_)) {}

    store::ObjectStore* store_;
    std::string schema_source_;
    schema::SchemaIr ir_;
    schema::Catalog catalog_;
};

// The root's files, for code that needs the names (tests, cleanup).
inline constexpr std::string_view kFormatKey = "_format.json";
inline constexpr std::string_view kSchemaSourceKey = "_schema.pg";
inline constexpr std::string_view kSchemaIrKey = "_schema.ir.json";
inline constexpr std::string_view kSchemaStateKey = "__schema_state.json";
inline constexpr std::string_view kInitClaimKey = "__init_claim.json";

} // namespace omnigraph::engine
