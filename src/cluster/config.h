// `cluster.yaml` (spec cluster §2): the typed declaration of one deployment, as written. Loading
// runs the spec's first four validation steps — the config dir, the file, the text-level
// pre-checks (duplicate keys, reserved and removed keys) and the strict typed parse (unknown
// fields, wrong types, missing required keys) — each stopping at its first failure class, then
// the header checks (version, metadata.name, state.backend, storage). What the declaration
// references (schemas, queries, policies) is read by desired_state.h.
#pragma once

#include "base/json.h"
#include "base/uri.h"
#include "cluster/diagnostic.h"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp> // complete type: std::optional<Json> members
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::cluster {

inline constexpr std::string_view kClusterFileName = "cluster.yaml";

// providers.embedding.<name>: every field optional, values as written (`${ENV}` unresolved).
struct ProviderProfile {
    std::optional<std::string> kind, base_url, model, api_key;
};
// {"kind":…,"base_url":…,"model":…,"api_key":…} with absent keys omitted.
base::Json profile_json(const ProviderProfile& p);

struct BlobBaseDecl {
    std::string base, scope; // as written; scope is server_safe | embedded_only
};

// graphs.<id>.queries in its three shapes.
struct QueriesDecl {
    enum class Form { kAbsent, kPath, kList, kMap };
    Form form = Form::kAbsent;
    std::vector<std::string> paths;         // kPath (one) and kList
    std::map<std::string, std::string> map; // kMap: name -> file
};

struct GraphDecl {
    std::string schema;
    QueriesDecl queries;
    std::optional<std::string> embedding_provider;
    std::vector<BlobBaseDecl> blob_bases; // external_blobs.allow
};

struct PolicyDecl {
    std::string file;
    std::vector<std::string> applies_to; // as written
};

struct ClusterConfig {
    int64_t version = 0;
    std::optional<std::string> metadata_name;
    std::optional<std::string> storage;
    std::optional<std::string> state_backend;
    std::optional<bool> state_lock;
    std::map<std::string, ProviderProfile> providers; // providers.embedding
    std::map<std::string, GraphDecl> graphs;
    std::map<std::string, PolicyDecl> policies;

    bool lock_enabled() const { return state_lock.value_or(true); }
};

// The raw config as the config digest hashes it (spec §3): every key present, maps in byte
// order, values as written.
base::Json raw_config_json(const ClusterConfig& config);

// Steps 3-4 on cluster.yaml's text: nullopt (with the diagnostics) when it does not parse.
std::optional<ClusterConfig> parse_cluster_text(std::string_view text, const std::string& file,
                                                Diagnostics& diags);

// A parsed cluster.yaml plus where it came from.
struct LoadedConfig {
    std::string config_dir;     // as given on the command line
    std::string abs_config_dir; // absolute, normalized
    std::string config_file;    // <config_dir>/cluster.yaml
    ClusterConfig config;
    std::optional<base::StorageUri> storage_root; // set when the header checks passed
    bool parsed = false;                          // steps 1-4 passed
};

// Steps 1-5 of spec §2.6. Diagnostics are appended to `diags`; `parsed` tells whether a typed
// config exists, `storage_root` whether the header checks passed too.
LoadedConfig load_cluster_config(const std::string& config_dir, Diagnostics& diags);

// A file of the working tree (cluster.yaml and what it references), whole; nullopt when it
// cannot be read or is a directory.
std::optional<std::string> read_working_file(const std::string& path);

// The storage root a config declares: absent -> the config dir; file://, plain paths
// (relative ones against the config dir) and s3://bucket[/prefix]; anything else is an
// invalid_storage_root error.
Result<base::StorageUri> resolve_storage_root(const std::optional<std::string>& storage,
                                              const std::string& abs_config_dir);

} // namespace omnigraph::cluster
