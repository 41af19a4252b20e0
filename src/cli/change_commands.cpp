// `omnigraph commit changes` and `omnigraph changes poll|baseline` (spec engine-cli §2.5, §4.2).
#include "cli/commands.h"
#include "cli/graph_access.h"
#include "engine/changes.h"
#include "service/changes.h"
#include "service/graph_handle.h"

#include <CLI/CLI.hpp>
#include <cerrno>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
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
    auto opened = open_with_filter(a);
    if (!opened)
        return fail(opened.error(), a.json);
    auto& [graph, filter] = *opened;
    service::CommitChangesRequest request{a.commit_id, a.page(), std::nullopt, filter};
    if (!a.page_token.empty())
        request.page_token = a.page_token;
    // Without --page-token every page is fetched and shown as one response.
    Json whole;
    while (true) {
        auto page = service::commit_changes(*graph, request);
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
        request.page_token = next->get<std::string>();
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
    auto opened = open_with_filter(a);
    if (!opened)
        return fail(opened.error(), a.json);
    auto& [graph, filter] = *opened;
    service::PollRequest request;
    request.branch = a.branch;
    if (!a.cursor.empty())
        request.cursor = a.cursor;
    if (!a.start.empty())
        request.start = a.start;
    request.limit = a.page();
    request.filter = filter;
    // Page tokens are followed until the terminal page, which carries the cursor.
    Json blocks = Json::array();
    Json last;
    while (true) {
        auto page = service::poll_changes(*graph, request);
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
        request = service::PollRequest{
            a.branch, std::nullopt, std::nullopt, next->get<std::string>(), a.page(), filter};
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
Status install_baseline(const service::GraphHandle& graph,
                        const service::PreparedBaseline& baseline, const std::string& out) {
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
        OG_CHECK(service::write_baseline_rows(graph, baseline, file));
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

int run_baseline(const ChangeArgs& a) {
    auto opened = open_with_filter(a);
    if (!opened)
        return fail(opened.error(), a.json);
    auto& [graph, filter] = *opened;
    auto baseline = service::prepare_baseline(*graph, a.branch, filter);
    if (!baseline)
        return fail(baseline.error(), a.json);
    if (auto installed = install_baseline(*graph, *baseline, a.out); !installed)
        return fail(installed.error(), a.json);
    if (a.json) {
        std::cout << base::to_pretty_json(service::baseline_record(*baseline)["baseline"]);
        return 0;
    }
    std::cout << "snapshot: " << a.out << "\n"
              << "snapshot_commit_id: " << baseline->snapshot_commit_id << "\n"
              << "resume_cursor: " << baseline->resume_cursor << "\n";
    return 0;
}

} // namespace

void register_changes(CLI::App& app, Outcome& outcome) {
    CLI::App* commit = app.get_subcommand("commit");
    auto diff = std::make_shared<ChangeArgs>();
    auto* diff_cmd =
        commit->add_subcommand("changes", "Entity changes of one commit against its first parent");
    diff_cmd->add_option("--uri,--store", diff->uri, "Graph root")->required();
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
    poll_cmd->add_option("--uri,--store", poll->uri, "Graph root")->required();
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
    base_cmd->add_option("--uri,--store", base->uri, "Graph root")->required();
    base_cmd->add_option("--branch", base->branch, "Branch (default main)");
    base_cmd->add_option("--out", base->out, "File that receives the snapshot")->required();
    add_filter_flags(base_cmd, *base);
    base_cmd->add_flag("--json", base->json, "Print JSON");
    base_cmd->callback([base, &outcome] { outcome.exit_code = run_baseline(*base); });
}

} // namespace omnigraph::cli
