// The control plane's commands (spec cluster §13): `omnigraph cluster validate | plan | apply |
// status | refresh | import | approve | force-unlock`, as library calls. Each returns its JSON
// object and its human lines; the CLI only prints them. Errors are diagnostics, never exceptions.
#pragma once

#include "base/json.h"
#include "cluster/diagnostic.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::cluster {

struct CommandOptions {
    std::string config_dir = ".";
    std::optional<std::string> actor; // --as, or the operator's default
};

struct CommandResult {
    base::Json json = base::Json::object(); // without "diagnostics"
    std::vector<std::string> lines;         // without the diagnostic lines
    Diagnostics diags;
    // plan/apply: changes remain (pending or blocked) — exit 2 under --detailed-exitcode.
    bool changes_pending = false;

    bool ok() const { return !diags.has_error(); }
    std::string to_json() const; // pretty, "diagnostics" last
    std::string to_text() const; // lines, then one line per diagnostic
};

CommandResult validate(const CommandOptions& o);
// `out_file`: also save the plan, bound to the config digest and the ledger CAS.
CommandResult plan(const CommandOptions& o, const std::optional<std::string>& out_file = {});
// `plan_file`: apply exactly that saved plan (plan_stale when anything moved since).
CommandResult apply(const CommandOptions& o, const std::optional<std::string>& plan_file = {});
CommandResult status(const CommandOptions& o);
CommandResult refresh(const CommandOptions& o);
// `if_missing`: an existing ledger is success, not state_already_exists.
CommandResult import_state(const CommandOptions& o, bool if_missing = false);
CommandResult approve(const CommandOptions& o, const std::string& address);
CommandResult force_unlock(const CommandOptions& o, const std::string& lock_id);

} // namespace omnigraph::cluster
