// The change surfaces (spec engine-cli §2.5, server-policy §1.3 rows 26-28) for the CLI and the
// server alike: one commit's entity diff a page at a time (CommitChangesOutput), a poll of a
// branch's feed (ChangeFeedOutput), and the baseline handshake (an export pinned to one commit,
// then the cursor that resumes right after it).
//
// Pages are bounded by a change count (`limit`, default 1,000, at most 8,192: above it
// resource_limit `commit_changes_page_changes`) and by 4 MiB of rendered changes (a single
// change above 32 MiB is resource_limit `commit_changes_page_bytes`). A page token is opaque
// and continues exactly the response it came from.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "engine/changes.h"
#include "service/export.h"
#include "service/graph_handle.h"

#include <cstddef>
#include <optional>
#include <ostream>
#include <string>

namespace omnigraph::service {

inline constexpr size_t kDefaultChangePage = 1000;
inline constexpr size_t kMaxChangePage = 8192;

struct CommitChangesRequest {
    std::string commit_id;
    std::optional<size_t> limit;
    std::optional<std::string> page_token;
    engine::ChangeFilter filter;
};

// One page of CommitChangesOutput. not_found `commit '<id>' not found` for an unknown id.
Result<base::Json> commit_changes(const GraphHandle& graph, const CommitChangesRequest& request);

struct PollRequest {
    std::string branch = "main";
    // At most one of these; none = start "now".
    std::optional<std::string> cursor, start, page_token;
    std::optional<size_t> limit;
    engine::ChangeFilter filter;
};

// One page of ChangeFeedOutput: blocks in first-parent order; on the terminal page of the
// poll's cut, `cursor` and `caught_up`; otherwise `next_page_token`. invalid_argument for more
// than one of cursor / start / page_token, or a start that is not now | beginning |
// after:<commit id> (checked before the page limit and anything the engine reads).
Result<base::Json> poll_changes(const GraphHandle& graph, const PollRequest& request);

// A baseline: the export of `branch`'s head (the filter's kinds and types), and the cursor that
// resumes the feed after that head's commit (bound to the whole filter, ops included).
struct PreparedBaseline {
    PreparedExport snapshot;
    std::string snapshot_commit_id, resume_cursor;
    bool empty_scope = false; // the filter admits no type: no rows
};
Result<PreparedBaseline> prepare_baseline(const GraphHandle& graph, const std::string& branch,
                                          const engine::ChangeFilter& filter);
// The snapshot's rows (the export's NDJSON); how many.
Result<uint64_t> write_baseline_rows(const GraphHandle& graph, const PreparedBaseline& baseline,
                                     std::ostream& out);
// The terminal record of a baseline stream: {"baseline": {snapshot_commit_id, resume_cursor}}.
base::Json baseline_record(const PreparedBaseline& baseline);

// The ErrorOutput detail of a change error: {"change_feed_gap": {...}} or
// {"change_diff_refusal": {...}}; null for any other error.
base::Json change_error_detail(const Error& error);

} // namespace omnigraph::service
