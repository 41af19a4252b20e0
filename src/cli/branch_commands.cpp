// `omnigraph branch create|list|delete|merge` (spec engine-cli §2.1, §2.3, §4.4).
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/remote_graph.h"
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
    bool json = false, quiet = false, delete_branch = false, yes = false;
    ServerScopeArgs remote;
};

// The branch verbs on a server (routes …/branches, …/branches/merge); the JSON answers are the
// documents the local verbs print.
int run_remote(const RemoteGraph& g, const std::string& verb, const BranchArgs& a) {
    if (!a.actor.empty())
        return fail(served_actor_refused(), a.json);
    Result<Json> out = Json();
    if (verb == "create") {
        echo_served("branch create", g.uri(), a.quiet || a.json);
        Json body = {{"name", a.name}, {"from", a.from}};
        out = g.server().json("POST", g.path("branches"), {}, &body);
    } else if (verb == "list") {
        out = g.server().json("GET", g.path("branches"));
    } else if (verb == "delete") {
        if (!confirm_destructive("branch delete", g.uri(), true, a.yes, a.json,
                                 "branch delete removes branch '" + a.name + "' of " + g.uri() +
                                     "."))
            return 1;
        echo_served("branch delete", g.uri(), a.quiet || a.json);
        out = g.server().json("DELETE", g.path("branches/" + a.name));
    } else {
        echo_served("branch merge", g.uri(), a.quiet || a.json);
        Json body = {{"source", a.name}, {"target", a.into}, {"delete_branch", a.delete_branch}};
        out = g.server().json("POST", g.path("branches/merge"), {}, &body);
    }
    if (!out)
        return fail(out.error(), a.json);
    if (a.json) {
        std::cout << base::to_pretty_json(*out);
        return 0;
    }
    if (verb == "create") {
        std::cout << "created branch " << (*out)["name"].get<std::string>() << " from "
                  << (*out)["from"].get<std::string>() << "\n";
    } else if (verb == "list") {
        for (const auto& n : (*out)["branches"])
            std::cout << n.get<std::string>() << "\n";
    } else if (verb == "delete") {
        std::cout << "deleted branch " << (*out)["name"].get<std::string>() << "\n";
    } else {
        std::cout << "merged " << (*out)["source"].get<std::string>() << " into "
                  << (*out)["target"].get<std::string>() << ": "
                  << (*out)["outcome"].get<std::string>() << "\n";
        if (out->value("branch_deleted", false))
            std::cout << "deleted branch " << (*out)["source"].get<std::string>() << "\n";
        if (out->contains("branch_delete_error") && (*out)["branch_delete_error"].is_string())
            std::cerr << "warning: merged, but could not delete branch '"
                      << (*out)["source"].get<std::string>()
                      << "': " << (*out)["branch_delete_error"].get<std::string>() << "\n";
    }
    return 0;
}

// Runs `local` on the graph root, or the verb on the server the flags address.
template <class Local> int dispatch(const std::string& verb, const BranchArgs& a, Local local) {
    auto remote = RemoteGraph::resolve(a.remote, !a.uri.empty());
    if (!remote)
        return fail(remote.error(), a.json);
    std::optional<RemoteGraph> served = std::move(remote).value();
    if (served)
        return run_remote(*served, verb, a);
    if (a.uri.empty())
        return fail(Error(codes::kInvalidArgument,
                          "--uri is required (or address a served graph with --server)"),
                    a.json);
    return local(a);
}

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
    auto name = engine::normalize_branch_name(a.name);
    if (!name)
        return fail(name.error(), a.json);
    // `main` is refused below whatever is confirmed: no question for it.
    if (*name != "main" && !confirm_destructive("branch delete", graph.uri(),
                                                graph.store().root().is_s3(), a.yes, a.json,
                                                "branch delete removes branch '" + *name + "' of " +
                                                    graph.uri() + "."))
        return 1;
    echo_target("branch delete", graph.store(), a.quiet || a.json);
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
    c->add_option("--uri,--store", create->uri, "Graph root");
    create->remote.add_to(c);
    c->add_option("--from", create->from, "Source branch (default main)");
    c->add_option("--as", create->actor, "Actor recorded with the branch");
    c->add_option("name", create->name, "New branch name")->required();
    c->add_flag("--json", create->json, "Print JSON");
    c->add_flag("--quiet", create->quiet, "No target echo on stderr");
    c->callback(
        [create, &outcome] { outcome.exit_code = dispatch("create", *create, run_create); });

    auto list = std::make_shared<BranchArgs>();
    auto* l = branch->add_subcommand("list", "List branches (bytewise order)");
    l->add_option("--uri,--store", list->uri, "Graph root");
    list->remote.add_to(l);
    l->add_flag("--json", list->json, "Print JSON");
    l->callback([list, &outcome] { outcome.exit_code = dispatch("list", *list, run_list); });

    auto del = std::make_shared<BranchArgs>();
    auto* d = branch->add_subcommand("delete", "Delete a branch (never main)");
    d->add_option("--uri,--store", del->uri, "Graph root");
    del->remote.add_to(d);
    d->add_flag("--yes", del->yes, "Confirm the delete of a branch of a non-local graph");
    d->add_option("name", del->name, "Branch to delete")->required();
    d->add_flag("--json", del->json, "Print JSON");
    d->add_flag("--quiet", del->quiet, "No target echo on stderr");
    d->callback([del, &outcome] { outcome.exit_code = dispatch("delete", *del, run_delete); });

    auto merge = std::make_shared<BranchArgs>();
    auto* m = branch->add_subcommand("merge", "Three-way merge of a branch into another");
    m->add_option("--uri,--store", merge->uri, "Graph root");
    merge->remote.add_to(m);
    m->add_option("source", merge->name, "Branch to merge")->required();
    m->add_option("--into", merge->into, "Target branch (default main)");
    m->add_option("--as", merge->actor, "Actor recorded with the merge commit");
    m->add_flag("--delete-branch", merge->delete_branch,
                "Delete the source branch after a successful merge");
    m->add_flag("--json", merge->json, "Print JSON");
    m->add_flag("--quiet", merge->quiet, "No target echo on stderr");
    m->callback([merge, &outcome] { outcome.exit_code = dispatch("merge", *merge, run_merge); });
}

} // namespace omnigraph::cli
