// The omnigraph CLI's verbs. Each register_* adds one verb (and its sub-verbs) to the app; the
// handlers run after parsing and return the process exit code (0 ok, 1 error, 2 usage).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace omnigraph::cli {

// Where a verb stores its exit code once it ran.
struct Outcome {
    int exit_code = 0;
};

void register_version(CLI::App& app, Outcome& outcome);
void register_storage(CLI::App& app, Outcome& outcome);
void register_storage_upgrade(CLI::App& storage, Outcome& outcome); // storage upgrade
void register_lint(CLI::App& app, Outcome& outcome);
void register_schema(CLI::App& app, Outcome& outcome);
void register_graph(CLI::App& app, Outcome& outcome); // init, load, snapshot, export, commit
void register_branch(CLI::App& app, Outcome& outcome);
// commit changes (needs register_graph first), changes poll|baseline
void register_changes(CLI::App& app, Outcome& outcome);
void register_blob(CLI::App& app, Outcome& outcome);    // blob get|stat
void register_query(CLI::App& app, Outcome& outcome);   // query (alias read), mutate (alias change)
void register_policy(CLI::App& app, Outcome& outcome);  // policy validate|test|explain
void register_cluster(CLI::App& app, Outcome& outcome); // cluster validate|plan|apply|…
void register_maintenance(CLI::App& app, Outcome& outcome); // optimize, repair, cleanup
void register_embed(CLI::App& app, Outcome& outcome);       // embed (offline JSONL helper)
// login, logout, profile list|show, graphs list, alias (cli/operator_commands.cpp)
void register_operator(CLI::App& app, Outcome& outcome);
void register_queries(CLI::App& app, Outcome& outcome); // queries list|validate --cluster DIR
// reference (hidden): the command tree as Markdown, docs/cli-commands.md
void register_reference(CLI::App& app, Outcome& outcome);

// `lint --query F.gq` (query_commands.cpp): every query type-checked against the schema file or,
// without one, the schema of the graph at `uri`.
int run_query_lint(const std::string& query_path, const std::string& schema_path,
                   const std::string& uri, bool json);

} // namespace omnigraph::cli
