// `omnigraph branch create|list|delete|merge` (spec engine-cli §2.1, §2.3, §4.4).
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "service/branch_merge.h"
#include "service/graph_handle.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {
namespace {

using base::Json;

struct BranchArgs {
    std::string uri, name, from = "main", actor;
    std::string into = "main"; // merge
    bool json = false, quiet = false, delete_branch = false;
};

int run_create(const BranchArgs& a) {
    auto opened = service::GraphHandle::open(a.uri);
    if (!opened)
        return fail(opened.error(), a.json);
    const engine::Graph& graph = (*opened)->graph();
    echo_target("branch create", graph.store(), a.quiet || a.json);
    std::optional<std::string> actor;
    if (!a.actor.empty())
        actor = a.actor;
    auto record = graph.create_branch(a.name, a.from, actor);
    if (!record)
        return fail(record.error(), a.json);
    if (a.json) {
        Json out;
        out["uri"] = graph.uri();
        out["from"] = record->from_branch;
        out["name"] = record->name;
        const std::optional<std::string>& actor_id = record->actor_id;
        out["actor_id"] = actor_id ? Json(*actor_id) : Json(nullptr);
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    std::cout << "created branch " << record->name << " from " << record->from_branch << "\n";
    return 0;
}

int run_list(const BranchArgs& a) {
    auto opened = service::GraphHandle::open(a.uri);
    if (!opened)
        return fail(opened.error(), a.json);
    const engine::Graph& graph = (*opened)->graph();
    auto names = graph.branches();
    if (!names)
        return fail(names.error(), a.json);
    if (a.json) {
        Json out;
        out["branches"] = *names;
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    for (const auto& n : *names)
        std::cout << n << "\n";
    return 0;
}

int run_delete(const BranchArgs& a) {
    auto opened = service::GraphHandle::open(a.uri);
    if (!opened)
        return fail(opened.error(), a.json);
    const engine::Graph& graph = (*opened)->graph();
    echo_target("branch delete", graph.store(), a.quiet || a.json);
    auto name = engine::normalize_branch_name(a.name);
    if (!name)
        return fail(name.error(), a.json);
    auto deleted = graph.delete_branch(*name);
    if (!deleted)
        return fail(deleted.error(), a.json);
    if (a.json) {
        Json out;
        out["uri"] = graph.uri();
        out["name"] = *name;
        std::cout << base::to_pretty_json(out);
        return 0;
    }
    std::cout << "deleted branch " << *name << "\n";
    return 0;
}

// `branch merge SOURCE [--into T] [--delete-branch]` (spec engine-cli §2.3, §4.4).
int run_merge(const BranchArgs& a) {
    auto opened = service::GraphHandle::open(a.uri);
    if (!opened)
        return fail(opened.error(), a.json);
    echo_target("branch merge", (*opened)->graph().store(), a.quiet || a.json);
    service::MergeRequest request;
    request.source = a.name;
    request.target = a.into;
    if (!a.actor.empty())
        request.actor = a.actor;
    request.delete_branch = a.delete_branch;
    auto report = service::merge_branches(**opened, request);
    if (!report)
        return fail(report.error(), a.json);
    const std::string& source = report->merge.source;
    if (a.json) {
        std::cout << base::to_pretty_json(service::merge_report_json(*report));
    } else {
        std::cout << "merged " << source << " into " << report->merge.target << ": "
                  << engine::merge_outcome_name(report->merge.outcome) << "\n";
        if (a.delete_branch && !report->delete_error)
            std::cout << "deleted branch " << source << "\n";
    }
    if (const std::optional<Error>& why = report->delete_error; why)
        std::cerr << "warning: merged, but could not delete branch '" << source
                  << "': " << why->message << "\n";
    return 0;
}

} // namespace

void register_branch(CLI::App& app, Outcome& outcome) {
    auto* branch = app.add_subcommand("branch", "Create, list, delete and merge branches");
    branch->require_subcommand(1);

    auto create = std::make_shared<BranchArgs>();
    auto* c = branch->add_subcommand("create", "Create a branch at another branch's head");
    c->add_option("--uri", create->uri, "Graph root")->required();
    c->add_option("--from", create->from, "Source branch (default main)");
    c->add_option("--as", create->actor, "Actor recorded with the branch");
    c->add_option("name", create->name, "New branch name")->required();
    c->add_flag("--json", create->json, "Print JSON");
    c->add_flag("--quiet", create->quiet, "No target echo on stderr");
    c->callback([create, &outcome] { outcome.exit_code = run_create(*create); });

    auto list = std::make_shared<BranchArgs>();
    auto* l = branch->add_subcommand("list", "List branches (bytewise order)");
    l->add_option("--uri", list->uri, "Graph root")->required();
    l->add_flag("--json", list->json, "Print JSON");
    l->callback([list, &outcome] { outcome.exit_code = run_list(*list); });

    auto del = std::make_shared<BranchArgs>();
    auto* d = branch->add_subcommand("delete", "Delete a branch (never main)");
    d->add_option("--uri", del->uri, "Graph root")->required();
    d->add_option("name", del->name, "Branch to delete")->required();
    d->add_flag("--json", del->json, "Print JSON");
    d->add_flag("--quiet", del->quiet, "No target echo on stderr");
    d->callback([del, &outcome] { outcome.exit_code = run_delete(*del); });

    auto merge = std::make_shared<BranchArgs>();
    auto* m = branch->add_subcommand("merge", "Three-way merge of a branch into another");
    m->add_option("--uri", merge->uri, "Graph root")->required();
    m->add_option("source", merge->name, "Branch to merge")->required();
    m->add_option("--into", merge->into, "Target branch (default main)");
    m->add_option("--as", merge->actor, "Actor recorded with the merge commit");
    m->add_flag("--delete-branch", merge->delete_branch,
                "Delete the source branch after a successful merge");
    m->add_flag("--json", merge->json, "Print JSON");
    m->add_flag("--quiet", merge->quiet, "No target echo on stderr");
    m->callback([merge, &outcome] { outcome.exit_code = run_merge(*merge); });
}

} // namespace omnigraph::cli
