// The operator's own configuration for talking to servers (spec engine-cli §4.3):
// `~/.omnigraph/config.yaml` (the directory is `$OMNIGRAPH_HOME` when set). Named servers (URLs,
// never tokens), flat defaults (a server and its graph, or a store), profiles (named sets of the
// same) and aliases (a stored query on a named server, with positional arguments). A missing
// file is an empty configuration; a malformed one is `invalid_config` with file:line:col;
// unknown keys are warned about on stderr.
//
// This is not the operator guide's per-project `omnigraph.yaml` (cli/operator_config.h), which
// names graph roots for `--target`; both may be present.
#pragma once

#include "base/error.h"
#include "base/json.h"

#include <map>
#include <nlohmann/json.hpp> // complete type: the Alias::params member
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::cli {

// Where a verb's graph lives when no address is given on the command line.
struct ScopeDefaults {
    std::optional<std::string> server, graph, store;
};

struct Alias {
    std::string server, graph, query;
    std::vector<std::string> args; // parameter names the positional arguments fill, in order
    base::Json params = base::Json::object();
    std::optional<std::string> format;
};

struct HomeConfig {
    std::string dir;  // ~/.omnigraph or $OMNIGRAPH_HOME
    std::string path; // dir + "/config.yaml" (may not exist)
    std::optional<std::string> actor;
    std::map<std::string, std::string> servers; // name -> URL
    ScopeDefaults defaults;
    std::optional<std::string> output;
    std::map<std::string, ScopeDefaults> profiles;
    std::map<std::string, Alias> aliases;
};

// The directory of the operator's files: $OMNIGRAPH_HOME, else $HOME/.omnigraph.
std::string omnigraph_home();

Result<HomeConfig> load_home_config();

} // namespace omnigraph::cli
