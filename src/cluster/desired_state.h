// The desired state (spec cluster §1, §2): cluster.yaml plus every file it references, read from
// the working tree, validated, and reduced to typed resources with digests and dependency edges.
// This is all `cluster validate` does; plan and apply start from it.
#pragma once

#include "cluster/config.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::cluster {

struct DesiredQuery {
    std::string name;
    std::string file;   // display path of the declaring file
    std::string source; // the whole file (the digest covers all of it)
    std::string digest;
};

struct DesiredGraph {
    std::string id;
    std::string schema_file; // display path
    std::string schema_source;
    std::string schema_digest;             // "" when the file could not be read
    std::optional<std::string> provider;   // provider.embedding.<name>
    std::optional<base::Json> blob_policy; // nullopt = deny
    std::map<std::string, DesiredQuery> queries;
};

struct DesiredPolicy {
    std::string name, file, source, digest;
    std::vector<std::string> applies_to; // normalized: "cluster" | "graph.<id>", sorted, unique
};

struct DesiredProvider {
    std::string name;
    base::Json profile; // profile_json of the declaration
    std::string digest;
};

struct ResourceInfo {
    std::string address, kind, digest;
    std::optional<std::string> path;
};

struct DesiredState {
    LoadedConfig loaded;
    std::map<std::string, DesiredGraph> graphs;
    std::map<std::string, DesiredPolicy> policies;
    std::map<std::string, DesiredProvider> providers;
    std::map<std::string, std::string> digests;                    // address -> digest, byte order
    std::vector<ResourceInfo> resources;                           // address order
    std::vector<std::pair<std::string, std::string>> dependencies; // (from, to), sorted
    std::string config_digest;
    bool complete = false; // every step ran (the config parsed and its header is valid)
};

// Runs every validation step of spec §2.6; diagnostics are appended to `diags`.
DesiredState load_desired_state(const std::string& config_dir, Diagnostics& diags);

// The graph id rule: the cluster's identifier syntax intersected with the server's route rule
// (spec §2.5, §14.3), so a graph that applies always serves: an ASCII letter, then letters,
// digits and '-', at most 64 characters, not a reserved route name.
bool valid_graph_id(std::string_view id);
// The server's route rule alone (spec server-policy §1.1): 1-64 of [A-Za-z0-9-], not graphs,
// healthz, openapi or policies.
bool valid_route_graph_id(std::string_view id);
// Query, policy and provider names: a letter or '_', then letters, digits, '_' and '-'.
bool valid_resource_name(std::string_view name);

// The composite of one desired graph from its own parts.
std::string desired_composite(const DesiredState& d, const DesiredGraph& g);

// Direct dependents of `address` (the `from` of edges pointing at it), sorted.
std::vector<std::string> dependents_of(const DesiredState& d, const std::string& address);

} // namespace omnigraph::cluster
