// The per-operator `omnigraph.yaml` of the operator guide (read from the working directory, or
// from --config PATH): `graphs.<name>.uri` so that `--target <name>` addresses a graph root
// (relative URIs resolve against the file's directory), `cli.graph` as the default target,
// `cli.branch` as the default branch and `cli.actor` as the default for `--as`. Other keys of
// the original file (`project`, `server`, `auth`, `query`, `aliases`, `policy`, `queries`) are
// accepted and ignored; unknown top-level keys are warned about on stderr.
#pragma once

#include "base/error.h"

#include <map>
#include <optional>
#include <string>

namespace omnigraph::cli {

struct OperatorConfig {
    std::string path;                              // the file read ("" when there is none)
    std::map<std::string, std::string> graph_uris; // graphs.<name>.uri, resolved
    std::optional<std::string> default_graph, default_branch, actor;
};

// `config_path` empty: ./omnigraph.yaml when it exists, else an empty config. A named file
// that is missing, or a file that does not parse, is an error (`invalid_config`).
Result<OperatorConfig> load_operator_config(const std::string& config_path);

// The graph root for a verb: an explicit URI wins, then --target, then cli.graph. Errors name
// the three ways.
Result<std::string> resolve_graph_uri(const OperatorConfig& config, const std::string& uri,
                                      const std::string& target);

} // namespace omnigraph::cli
