// `omnigraph commit changes` and `omnigraph changes poll|baseline` (spec engine-cli §2.5, §4.2).
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "cli/remote_graph.h"
#include "engine/changes.h"
#include "service/changes.h"
#include "service/graph_handle.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <system_error>
#include <unistd.h>

namespace omnigraph::cli {
namespace {

using base::Json;

struct ChangeArgs {
    std::string uri, commit_id, branch = "main", cursor, start, page_token, out;
    size_t limit = 0; // 0 = the default page
    std::vector<std::string> kinds, types, ops;
    bool json = false;
    ServerScopeArgs remote;

    Result<engine::ChangeFilter> filter() const {
        return engine::make_change_filter(kinds, types, ops, "--");
    }
    std::optional<size_t> page() const {
        return limit == 0 ? std::nullopt : std::optional<size_t>(limit);
    }
};

// The graph a change verb reads, and its filter.
Result<std::pair<std::unique_ptr<service::GraphHandle>, engine::ChangeFilter>>
open_with_filter(const ChangeArgs& a) {
    auto graph = OG_TRY(service::GraphHandle::open(a.uri));
    return std::pair{std::move(graph), OG_TRY(a.filter())};
}

// One page of a change verb's answer, given the page token to continue from (none: the first
// page): from the graph root through the service, or from the server's route.
using PageSource = std::function<Result<Json>(const std::optional<std::string>& token)>;

// The query string of a served change route: the filter (kind, type, op repeated) and limit.
std::vector<std::pair<std::string, std::string>> filter_query(const ChangeArgs& a) {
    std::vector<std::pair<std::string, std::string>> q;
    q.reserve(a.kinds.size() + a.types.size() + a.ops.size() + 3);
    for (const auto& k : a.kinds)
        q.emplace_back("kind", k);
    for (const auto& t : a.types)
        q.emplace_back("type", t);
    for (const auto& o : a.ops)
        q.emplace_back("op", o);
    if (a.limit > 0)
        q.emplace_back("limit", std::to_string(a.limit));
    return q;
}

// The pages of `commit changes ID` (GET …/commits/{id}/changes on a server).
Result<PageSource> commit_pages(const ChangeArgs& a) {
    auto remote = OG_TRY(RemoteGraph::resolve_or_root(a.remote, a.uri));
    if (remote) {
        auto g = std::make_shared<RemoteGraph>(std::move(*remote));
        return PageSource([g, a](const std::optional<std::string>& token) {
            auto q = filter_query(a);
            if (token)
                q.emplace_back("page_token", *token);
            return g->server().json("GET", g->path("commits/" + a.commit_id + "/changes"), q);
        });
    }
    auto opened = OG_TRY(open_with_filter(a));
    auto graph = std::shared_ptr<service::GraphHandle>(std::move(opened.first));
    service::CommitChangesRequest request{a.commit_id, a.page(), std::nullopt, opened.second};
    return PageSource([graph, request](const std::optional<std::string>& token) mutable {
        request.page_token = token;
        return service::commit_changes(*graph, request);
    });
}

// The pages of `changes poll` (GET …/changes on a server): the first from the cursor or start,
// the next ones from the page token alone.
Result<PageSource> poll_pages(const ChangeArgs& a) {
    auto remote = OG_TRY(RemoteGraph::resolve_or_root(a.remote, a.uri));
    if (remote) {
        auto g = std::make_shared<RemoteGraph>(std::move(*remote));
        return PageSource([g, a](const std::optional<std::string>& token) {
            auto q = filter_query(a);
            q.emplace_back("branch", a.branch);
            if (token)
                q.emplace_back("page_token", *token);
            else if (!a.cursor.empty())
                q.emplace_back("cursor", a.cursor);
            else if (!a.start.empty())
                q.emplace_back("start", a.start);
            return g->server().json("GET", g->path("changes"), q);
        });
    }
    auto opened = OG_TRY(open_with_filter(a));
    auto graph = std::shared_ptr<service::GraphHandle>(std::move(opened.first));
    engine::ChangeFilter filter = opened.second;
    return PageSource([graph, filter, a](const std::optional<std::string>& token) {
        service::PollRequest request;
        request.branch = a.branch;
        request.limit = a.page();
        request.filter = filter;
        if (token) {
            request.page_token = token;
        } else {
            if (!a.cursor.empty())
                request.cursor = a.cursor;
            if (!a.start.empty())
                request.start = a.start;
        }
        return service::poll_changes(*graph, request);
    });
}

void add_filter_flags(CLI::App* cmd, ChangeArgs& a) {
    cmd->add_option("--kind", a.kinds, "Only node or edge changes (repeatable)");
    cmd->add_option("--type", a.types, "Only changes of this type (repeatable)");
    cmd->add_option("--op", a.ops, "Only insert, update or delete (repeatable)");
}

// "insert node Person alice" (and the endpoints of an edge's last image).
void print_change(const Json& c) {
    std::cout << c["op"].get<std::string>() << " " << c["kind"].get<std::string>() << " "
              << c["type"]["name"].get<std::string>() << " " << c["id"].get<std::string>();
    const Json& image = c.contains("after") ? c["after"] : c["before"];
    if (image.contains("endpoints"))
        std::cout << " (" << image["endpoints"]["from"].get<std::string>() << " -> "
                  << image["endpoints"]["to"].get<std::string>() << ")";
    std::cout << "\n";
}

void print_cause(const Json& cause, size_t changes) {
    std::cout << "commit " << cause["graph_commit_id"].get<std::string>() << " on "
              << cause["authored_branch"].get<std::string>();
    if (cause["actor_id"].is_string())
        std::cout << " by " << cause["actor_id"].get<std::string>();
    std::cout << ": " << changes << (changes == 1 ? " change" : " changes") << "\n";
}

int run_commit_changes(const ChangeArgs& a) {
    auto pages = commit_pages(a);
    if (!pages)
        return fail(pages.error(), a.json);
    std::optional<std::string> token;
    if (!a.page_token.empty())
        token = a.page_token;
    // Without --page-token every page is fetched and shown as one response.
    Json whole;
    while (true) {
        auto page = (*pages)(token);
        if (!page)
            return fail(page.error(), a.json);
        if (whole.is_null())
            whole = std::move(*page);
        else
            for (auto& c : (*page)["changes"])
                whole["changes"].push_back(std::move(c));
        auto next = whole.find("next_page_token");
        if (!a.page_token.empty() || next == whole.end())
            break;
        token = next->get<std::string>();
        whole.erase("next_page_token");
    }
    if (a.json) {
        std::cout << base::to_pretty_json(whole);
        return 0;
    }
    print_cause(whole["cause"], whole["changes"].size());
    for (const auto& c : whole["changes"])
        print_change(c);
    if (whole.contains("next_page_token"))
        std::cout << "next_page_token: " << whole["next_page_token"].get<std::string>() << "\n";
    return 0;
}

int run_poll(const ChangeArgs& a) {
    auto pages = poll_pages(a);
    if (!pages)
        return fail(pages.error(), a.json);
    // Page tokens are followed until the terminal page, which carries the cursor.
    std::optional<std::string> token;
    Json blocks = Json::array();
    Json last;
    while (true) {
        auto page = (*pages)(token);
        if (!page)
            return fail(page.error(), a.json);
        for (auto& block : (*page)["blocks"]) {
            // A block a page split continues on the next page under the same cause.
            if (!blocks.empty() && blocks.back()["cause"] == block["cause"])
                for (auto& c : block["changes"])
                    blocks.back()["changes"].push_back(std::move(c));
            else
                blocks.push_back(std::move(block));
        }
        last = std::move(*page);
        auto next = last.find("next_page_token");
        if (next == last.end())
            break;
        token = next->get<std::string>();
    }
    if (a.json) {
        std::cout << base::to_pretty_json(Json::object(
            {{"blocks", blocks}, {"cursor", last["cursor"]}, {"caught_up", last["caught_up"]}}));
        return 0;
    }
    for (const auto& block : blocks) {
        print_cause(block["cause"], block["changes"].size());
        for (const auto& c : block["changes"])
            print_change(c);
    }
    std::cout << "cursor: " << last["cursor"].get<std::string>() << "\n"
              << "caught_up: " << (last["caught_up"].get<bool>() ? "true" : "false") << "\n";
    return 0;
}

Status sync_path(const std::string& path, int flags) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        int err = errno;
        if (fd >= 0)
            ::close(fd);
        return Error(codes::kStorageIo,
                     "fsync " + path + ": " +
                         std::error_code(err, std::generic_category()).message());
    }
    ::close(fd);
    return ok();
}

// Writes the baseline's rows to `out` atomically: a temporary file beside it, fsynced, renamed
// over it, and the directory fsynced; an advisory lock on `out`.lock keeps two baselines from
// interleaving.
Status install_baseline(const std::function<Status(std::ostream&)>& write_rows,
                        const std::string& out) {
    namespace fs = std::filesystem;
    std::string lock_path = out + ".lock";
    int lock = ::open(lock_path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (lock < 0)
        return Error(codes::kStorageIo,
                     "cannot open " + lock_path + ": " +
                         std::error_code(errno, std::generic_category()).message());
    if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
        ::close(lock);
        return Error(codes::kPreconditionFailed,
                     lock_path + " is held: another baseline is writing " + out);
    }
    std::string tmp = out + ".tmp." + std::to_string(::getpid());
    auto written = [&]() -> Status {
        std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
        if (!file)
            return Error(codes::kStorageIo,
                         "cannot write " + tmp + ": " +
                             std::error_code(errno, std::generic_category()).message());
        OG_CHECK(write_rows(file));
        file.close();
        if (!file)
            return Error(codes::kStorageIo, "writing " + tmp + " failed");
        OG_CHECK(sync_path(tmp, O_RDONLY));
        std::error_code ec;
        fs::rename(tmp, out, ec);
        if (ec)
            return Error(codes::kStorageIo, "rename " + tmp + " to " + out + ": " + ec.message());
        fs::path dir = fs::absolute(fs::path(out)).parent_path();
        return sync_path(dir.string(), O_RDONLY | O_DIRECTORY);
    }();
    if (!written) {
        std::error_code ec;
        fs::remove(tmp, ec);
    }
    ::close(lock);
    return written;
}

// A baseline from a server: POST …/changes/baseline answers the rows, then the terminal
// `{"baseline": …}` record; the rows go to `out` as a local baseline's do.
Result<Json> remote_baseline(const RemoteGraph& g, const ChangeArgs& a) {
    Json body = Json::object({{"branch", a.branch}});
    for (const auto& [key, values] :
         {std::pair{"kind", &a.kinds}, {"type", &a.types}, {"op", &a.ops}})
        if (!values->empty())
            body[key] = *values;
    auto answer = OG_TRY(g.server().call("POST", g.path("changes/baseline"), {}, body.dump()));
    if (answer.status != 200)
        return http_answer_error(answer);
    std::string_view rows = answer.body;
    while (rows.ends_with('\n'))
        rows.remove_suffix(1);
    size_t last = rows.rfind('\n');
    std::string_view terminal = last == std::string_view::npos ? rows : rows.substr(last + 1);
    Json record = Json::parse(terminal, nullptr, false);
    if (!record.is_object() || !record.contains("baseline"))
        return Error(codes::kInternal, "the server's baseline did not end with its record");
    rows = last == std::string_view::npos ? std::string_view() : rows.substr(0, last + 1);
    OG_CHECK(install_baseline(
        [&](std::ostream& file) -> Status {
            file.write(rows.data(), static_cast<std::streamsize>(rows.size()));
            return ok();
        },
        a.out));
    return record["baseline"];
}

Result<Json> baseline_of(const ChangeArgs& a) {
    auto remote = OG_TRY(RemoteGraph::resolve_or_root(a.remote, a.uri));
    if (remote)
        return remote_baseline(*remote, a);
    auto opened = OG_TRY(open_with_filter(a));
    const service::GraphHandle& graph = *opened.first;
    auto baseline = OG_TRY(service::prepare_baseline(graph, a.branch, opened.second));
    OG_CHECK(install_baseline(
        [&](std::ostream& file) -> Status {
            OG_CHECK(service::write_baseline_rows(graph, baseline, file));
            return ok();
        },
        a.out));
    return service::baseline_record(baseline)["baseline"];
}

int run_baseline(const ChangeArgs& a) {
    auto record = baseline_of(a);
    if (!record)
        return fail(record.error(), a.json);
    if (a.json) {
        std::cout << base::to_pretty_json(*record);
        return 0;
    }
    std::cout << "snapshot: " << a.out << "\n"
              << "snapshot_commit_id: " << (*record)["snapshot_commit_id"].get<std::string>()
              << "\n"
              << "resume_cursor: " << (*record)["resume_cursor"].get<std::string>() << "\n";
    return 0;
}

} // namespace

void register_changes(CLI::App& app, Outcome& outcome) {
    CLI::App* commit = app.get_subcommand("commit");
    auto diff = std::make_shared<ChangeArgs>();
    auto* diff_cmd =
        commit->add_subcommand("changes", "Entity changes of one commit against its first parent");
    diff_cmd->add_option("--uri,--store", diff->uri, "Graph root");
    diff->remote.add_to(diff_cmd);
    diff_cmd->add_option("id", diff->commit_id, "Commit id")->required();
    diff_cmd->add_option("--limit", diff->limit, "Changes per page (default 1000, at most 8192)");
    diff_cmd->add_option("--page-token", diff->page_token,
                         "Continue a page (then exactly one page is printed)");
    add_filter_flags(diff_cmd, *diff);
    diff_cmd->add_flag("--json", diff->json, "Print JSON");
    diff_cmd->callback([diff, &outcome] { outcome.exit_code = run_commit_changes(*diff); });

    auto* changes = app.add_subcommand("changes", "A branch's change feed");
    changes->require_subcommand(1);
    auto poll = std::make_shared<ChangeArgs>();
    auto* poll_cmd = changes->add_subcommand("poll", "Changes after a cursor, commit by commit");
    poll_cmd->add_option("--uri,--store", poll->uri, "Graph root");
    poll->remote.add_to(poll_cmd);
    poll_cmd->add_option("--branch", poll->branch, "Branch (default main)");
    auto* cursor = poll_cmd->add_option("--cursor", poll->cursor, "Resume after this cursor");
    poll_cmd->add_option("--start", poll->start, "now (default) | beginning | after:<commit id>")
        ->excludes(cursor);
    poll_cmd->add_option("--limit", poll->limit, "Changes per page (default 1000, at most 8192)");
    add_filter_flags(poll_cmd, *poll);
    poll_cmd->add_flag("--json", poll->json, "Print JSON");
    poll_cmd->callback([poll, &outcome] { outcome.exit_code = run_poll(*poll); });

    auto base = std::make_shared<ChangeArgs>();
    auto* base_cmd = changes->add_subcommand(
        "baseline", "Snapshot a branch to a file and print the cursor that resumes after it");
    base_cmd->add_option("--uri,--store", base->uri, "Graph root");
    base->remote.add_to(base_cmd);
    base_cmd->add_option("--branch", base->branch, "Branch (default main)");
    base_cmd->add_option("--out", base->out, "File that receives the snapshot")->required();
    add_filter_flags(base_cmd, *base);
    base_cmd->add_flag("--json", base->json, "Print JSON");
    base_cmd->callback([base, &outcome] { outcome.exit_code = run_baseline(*base); });
}

} // namespace omnigraph::cli
