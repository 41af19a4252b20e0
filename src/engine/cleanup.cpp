#include "engine/cleanup.h"

#include "base/clock.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "base/text.h"
#include "base/ulid.h"
#include "engine/pending.h"
#include "engine/reclaimed.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::engine {

namespace {

constexpr std::string_view kLogPrefix = "_log/";
constexpr std::string_view kTablesPrefix = "tables/";
constexpr std::string_view kCommitsPrefix = "_commits/";

// "<inv:020>.json" -> its version.
std::optional<uint64_t> log_file_version(std::string_view file) {
    if (file.size() != 25 || !file.ends_with(".json"))
        return std::nullopt;
    uint64_t inv = 0;
    // NOLINTNEXTLINE(bugprone-suspicious-stringview-data-usage): from_chars takes the range
    auto [end, ec] = std::from_chars(file.data(), file.data() + 20, inv);
    if (ec != std::errc() || end != file.data() + 20 || inv == std::numeric_limits<uint64_t>::max())
        return std::nullopt;
    return std::numeric_limits<uint64_t>::max() - inv;
}

// When an object named "<dir>/<ULID>.<ext>" was written (its ULID's time); nullopt for any other
// name: such objects are never removed.
std::optional<int64_t> written_ms(std::string_view key) {
    std::string_view name = key.substr(key.rfind('/') + 1);
    std::string_view id = name.substr(0, name.find('.'));
    if (!base::is_ulid(id))
        return std::nullopt;
    return static_cast<int64_t>(base::ulid_millis(id));
}

struct LogEntry {
    std::string key;
    format::Manifest manifest;
    int64_t made_ms = 0; // its commit's time
};

using VersionRef = std::pair<std::string, uint64_t>; // (encoded log dir, version)

class Collector {
  public:
    Collector(store::ObjectStore& store, const Graph& graph, const CleanupPolicy& policy)
        : store_(store), graph_(graph), policy_(policy),
          now_ms_(base::unix_micros(base::now()) / 1000),
          grace_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(policy.grace).count()) {}

    Result<CleanupResult> run() {
        for (auto& r : OG_TRY(graph_.branch_records()))
            records_.emplace(r.name, std::move(r));
        live_dirs_.emplace(format::encode_branch("main"), "main");
        for (const auto& [name, r] : records_)
            live_dirs_.emplace(format::encode_branch(name), name);
        for (const auto& meta : OG_TRY(store_.list_all("")))
            listing_.emplace(meta.key, meta.size);
        OG_CHECK(read_logs());
        for (const auto& [dir, branch] : live_dirs_)
            apply_policy(OG_TRY(history(branch, std::numeric_limits<uint64_t>::max(), 0)));
        keep_fork_points();
        OG_CHECK(protect_pending());
        plan_tables();
        OG_CHECK(base::failpoint("cleanup.before_remove"));
        OG_CHECK(remove_manifests());
        remove_table_objects();
        OG_CHECK(remove_unreachable_commits());
        remove_stale_reclaimed_records();
        for (auto& [key, t] : tables_) {
            result_.tables.push_back(std::move(t));
        }
        result_.uri = graph_.uri();
        result_.policy = policy_;
        return std::move(result_);
    }

  private:
    bool young(int64_t ms) const { return ms > now_ms_ - grace_ms_; }

    Status read_logs() {
        for (auto it = listing_.lower_bound(std::string(kLogPrefix));
             it != listing_.end() && it->first.starts_with(kLogPrefix); ++it) {
            std::string_view rest = std::string_view(it->first).substr(kLogPrefix.size());
            size_t slash = rest.find('/');
            if (slash == std::string_view::npos)
                continue;
            auto version = log_file_version(rest.substr(slash + 1));
            if (!version)
                continue; // not a manifest: left alone
            auto text = store_.read(it->first);
            if (!text && text.error().is(codes::kNotFound))
                continue; // removed since the listing (a branch delete)
            if (!text)
                return std::move(text).error();
            // A manifest that does not parse stops the cleanup: what it names is unknown.
            auto m = OG_TRY(format::parse_manifest(*text, store_.uri_of(it->first), graph_.seal()));
            int64_t made = base::is_ulid(m.commit_id)
                               ? static_cast<int64_t>(base::ulid_millis(m.commit_id))
                               : now_ms_;
            logs_[std::string(rest.substr(0, slash))].emplace(
                *version, LogEntry{it->first, std::move(m), made});
        }
        return ok();
    }

    // The versions of `branch` up to `max_version`, newest first: its own log above its fork
    // point, then its source's up to the fork point.
    Result<std::vector<VersionRef>> history(const std::string& branch, uint64_t max_version,
                                            size_t depth) {
        if (depth > records_.size())
            return Error(format::kManifestCorrupt,
                         "branch records form a cycle at '" + branch + "'");
        std::vector<VersionRef> out;
        uint64_t fork = 0;
        auto record = records_.find(branch);
        if (record != records_.end())
            fork = record->second.from_version;
        std::string dir = format::encode_branch(branch);
        if (auto log = logs_.find(dir); log != logs_.end())
            for (auto it = log->second.rbegin(); it != log->second.rend(); ++it)
                if (it->first > fork && it->first <= max_version)
                    out.emplace_back(dir, it->first);
        if (record != records_.end()) {
            auto inherited =
                OG_TRY(history(record->second.from_branch, std::min(max_version, fork), depth + 1));
            out.insert(out.end(), inherited.begin(), inherited.end());
        }
        return out;
    }

    int64_t made_ms(const VersionRef& v) const { return logs_.at(v.first).at(v.second).made_ms; }

    void apply_policy(const std::vector<VersionRef>& h) {
        uint64_t keep = policy_.keep ? std::max<uint64_t>(*policy_.keep, 1) : 0;
        int64_t older_ms =
            policy_.older_than
                ? std::chrono::duration_cast<std::chrono::milliseconds>(*policy_.older_than).count()
                : 0;
        for (size_t i = 0; i < h.size(); ++i) {
            bool by_keep = policy_.keep && i < keep;
            bool by_age = policy_.older_than && made_ms(h[i]) > now_ms_ - older_ms;
            bool by_policy = policy_.keep && policy_.older_than ? (by_keep || by_age)
                             : policy_.keep                     ? by_keep
                                                                : by_age;
            // A version made, or superseded, within the grace period may be in use as a head.
            bool by_grace = young(made_ms(h[i])) || (i > 0 && young(made_ms(h[i - 1])));
            if (i == 0 || by_policy || by_grace)
                kept_.insert(h[i]);
        }
    }

    // A branch's fork point is its head until its first commit, and what its record names.
    void keep_fork_points() {
        for (const auto& [name, r] : records_) {
            std::string from = r.from_branch;
            for (size_t depth = 0; from != "main" && depth <= records_.size(); ++depth) {
                auto source = records_.find(from);
                if (source == records_.end() || source->second.from_version < r.from_version)
                    break;
                from = source->second.from_branch;
            }
            kept_.emplace(format::encode_branch(from), r.from_version);
        }
    }

    // Objects and commits a write in progress is creating (a record that appeared after the
    // refusal check: its objects are young anyway, this makes it explicit).
    Status protect_pending() {
        for (const auto& meta : OG_TRY(store_.list_all(kPendingPrefix))) {
            auto text = OG_TRY(store_.read_if_exists(meta.key));
            if (!text)
                continue;
            auto op = OG_TRY(parse_pending(*text, store_.uri_of(meta.key), graph_.seal()));
            protected_.insert(op.created.begin(), op.created.end());
            protected_.insert(format::commit_key(op.commit_id));
        }
        return ok();
    }

    CleanedTable& table_at(const std::string& path) {
        auto named = path_keys_.find(path);
        const std::string& key = named == path_keys_.end() ? path : named->second;
        auto& t = tables_[key];
        t.table_key = key;
        return t;
    }

    // What stays referenced, what goes, and per table how many table versions go.
    void plan_tables() {
        using TableVersion = std::tuple<std::string, std::string, uint64_t>; // key, branch, v
        std::set<TableVersion> kept_versions, dropped_versions;
        for (const auto& [dir, entries] : logs_) {
            bool live = live_dirs_.contains(dir);
            for (const auto& [version, e] : entries) {
                bool keep =
                    live ? kept_.contains({dir, version}) || young(e.made_ms) : young(e.made_ms);
                for (const auto& t : e.manifest.tables) {
                    path_keys_.emplace(t.path, t.table_key);
                    tables_[t.table_key].table_key = t.table_key;
                    (keep ? kept_versions : dropped_versions)
                        .emplace(t.table_key, t.table_branch, t.table_version);
                    if (!keep)
                        continue;
                    for (const auto& s : t.segments) {
                        referenced_.insert(s.segment);
                        if (s.deletion_vector)
                            referenced_.insert(*s.deletion_vector);
                    }
                }
                if (keep) {
                    kept_commits_.insert(e.manifest.commit_id);
                } else {
                    (live ? removed_[live_dirs_.at(dir)] : removed_[""])
                        .emplace_back(version, e.key);
                }
            }
        }
        for (const auto& v : dropped_versions)
            if (!kept_versions.contains(v))
                ++tables_[std::get<0>(v)].old_versions_removed;
    }

    void note_failure(CleanedTable* t, const std::string& key, const Error& e) {
        base::log(base::LogLevel::kWarn, "cleanup.remove_failed",
                  {{"key", store_.uri_of(key)}, {"error", e.message}});
        if (t && !t->error)
            t->error = store_.uri_of(key) + ": " + e.message;
    }

    Status remove_manifests() {
        for (const auto& [branch, entries] : removed_) {
            // The record first: once a manifest is gone, reading it says "reclaimed". Deleted
            // branches' logs (branch "") get none.
            std::vector<uint64_t> versions;
            for (const auto& [v, key] : entries)
                versions.push_back(v);
            if (!branch.empty())
                OG_CHECK(record_reclaimed(store_, branch, versions, graph_.seal()));
            for (const auto& [v, key] : entries)
                OG_CHECK(remove_manifest(key));
        }
        return ok();
    }

    // A manifest that cannot be removed stops the cleanup before any object goes: the objects
    // it names would otherwise be removed under it.
    Status remove_manifest(const std::string& key) {
        OG_CHECK(store_.remove(key));
        ++result_.manifests_removed;
        result_.bytes_removed += listing_.count(key) ? listing_.at(key) : 0;
        OG_CHECK(base::failpoint("cleanup.after_manifest_remove"));
        return ok();
    }

    void remove_table_objects() {
        for (auto it = listing_.lower_bound(std::string(kTablesPrefix));
             it != listing_.end() && it->first.starts_with(kTablesPrefix); ++it) {
            const std::string& key = it->first;
            bool segment = key.ends_with(".seg"), vector = key.ends_with(".dv");
            auto when = written_ms(key);
            if ((!segment && !vector) || !when || young(*when) || referenced_.contains(key) ||
                protected_.contains(key))
                continue;
            CleanedTable& t = table_at(key.substr(0, key.rfind('/')));
            if (auto removed = store_.remove(key); !removed) {
                note_failure(&t, key, removed.error());
                continue;
            }
            t.bytes_removed += it->second;
            result_.bytes_removed += it->second;
            ++(segment ? result_.segments_removed : result_.deletion_vectors_removed);
        }
    }

    // Commit records reachable from a kept version, a branch's fork or a pending write are
    // history; the rest (lost races, deleted branches) go once older than the grace period.
    Status remove_unreachable_commits() {
        std::vector<std::string> frontier(kept_commits_.begin(), kept_commits_.end());
        for (const auto& [name, r] : records_)
            frontier.push_back(r.from_commit_id);
        std::set<std::string> reachable;
        while (!frontier.empty()) {
            std::string id = std::move(frontier.back());
            frontier.pop_back();
            if (!base::is_ulid(id) || !reachable.insert(id).second)
                continue;
            auto c = format::read_commit(store_, id, graph_.seal());
            if (!c && c.error().is(codes::kNotFound))
                continue; // a missing parent is verify's finding, not cleanup's
            if (!c)
                return std::move(c).error();
            for (const auto& parent : {c->parent_commit_id, c->merged_parent_commit_id})
                if (parent)
                    frontier.push_back(*parent);
        }
        for (auto it = listing_.lower_bound(std::string(kCommitsPrefix));
             it != listing_.end() && it->first.starts_with(kCommitsPrefix); ++it) {
            const std::string& key = it->first;
            std::string_view name = std::string_view(key).substr(kCommitsPrefix.size());
            std::string id(name.substr(0, name.find('.')));
            auto when = written_ms(key);
            if (!key.ends_with(".json") || !when || young(*when) || reachable.contains(id) ||
                protected_.contains(key))
                continue;
            if (auto removed = store_.remove(key); !removed) {
                note_failure(nullptr, key, removed.error());
                continue;
            }
            ++result_.commits_removed;
            result_.bytes_removed += it->second;
        }
        return ok();
    }

    void remove_stale_reclaimed_records() {
        for (auto it = listing_.lower_bound(std::string(kReclaimedPrefix));
             it != listing_.end() && it->first.starts_with(kReclaimedPrefix); ++it) {
            std::string_view name = std::string_view(it->first).substr(kReclaimedPrefix.size());
            if (!name.ends_with(".json") ||
                live_dirs_.contains(std::string(name.substr(0, name.size() - 5))))
                continue;
            if (auto removed = store_.remove(it->first); !removed)
                note_failure(nullptr, it->first, removed.error());
        }
    }

    store::ObjectStore& store_;
    const Graph& graph_;
    CleanupPolicy policy_;
    int64_t now_ms_, grace_ms_;
    std::map<std::string, BranchRecord> records_;
    std::map<std::string, std::string> live_dirs_;             // encoded log dir -> branch
    std::map<std::string, uint64_t> listing_;                  // key -> bytes
    std::map<std::string, std::map<uint64_t, LogEntry>> logs_; // dir -> version -> manifest
    std::set<VersionRef> kept_;
    std::set<std::string> kept_commits_;
    std::set<std::string> referenced_, protected_;
    // Manifests to remove (version, key) by live branch; "" for deleted branches' logs.
    std::map<std::string, std::vector<std::pair<uint64_t, std::string>>> removed_;
    std::map<std::string, std::string> path_keys_; // table path -> table key
    std::map<std::string, CleanedTable> tables_;
    CleanupResult result_;
};

} // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
    auto bad = [&] {
        return Error(codes::kInvalidArgument,
                     "invalid duration '" + std::string(text) +
                         "': expected an integer with an optional unit s, m, h, d or w (e.g. 7d)");
    };
    if (text.empty())
        return bad();
    uint64_t unit = 1;
    switch (text.back()) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    case 'w':
        unit = uint64_t{7} * 86400;
        break;
    default:
        unit = 0;
    }
    std::string_view digits = unit ? text.substr(0, text.size() - 1) : text;
    unit = unit ? unit : 1;
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
        n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / 1000 / unit)
        return bad();
    return std::chrono::seconds(static_cast<int64_t>(n * unit));
}

Result<CleanupResult> cleanup_graph(store::ObjectStore& store, const Graph& graph,
                                    const CleanupPolicy& policy) {
    if (!policy.keep && !policy.older_than)
        return Error(codes::kInvalidArgument,
                     "cleanup requires at least one of --keep or --older-than");
    if (policy.grace.count() < 0)
        return Error(codes::kInvalidArgument, "the cleanup grace period cannot be negative");
    OG_CHECK(graph.authorize_write({WriteAction::kChange, std::string("main"), {}, {}}));
    OG_CHECK(graph.heal());
    OG_CHECK(refuse_pending_operations(store, graph.seal(), "cleanup"));
    return Collector(store, graph, policy).run();
}

std::string describe_policy(const CleanupPolicy& p) {
    std::string out;
    if (p.keep)
        out = "keep the newest " + std::to_string(std::max<uint64_t>(*p.keep, 1)) +
              " versions of each branch";
    if (p.older_than)
        out +=
            (out.empty() ? "remove versions older than " : ", and remove only those older than ") +
            std::to_string(p.older_than->count()) + "s";
    out += " (grace period " + std::to_string(p.grace.count()) + "s)";
    return out;
}

base::Json cleanup_json(const CleanupResult& r) {
    base::Json out;
    out["uri"] = r.uri;
    out["keep_versions"] = r.policy.keep ? base::Json(*r.policy.keep) : base::Json(nullptr);
    out["older_than_secs"] =
        r.policy.older_than ? base::Json(r.policy.older_than->count()) : base::Json(nullptr);
    out["datasets"] = base::Json::array();
    for (const auto& t : r.tables)
        out["datasets"].push_back(
            {{"type_key", t.table_key},
             {"bytes_removed", t.bytes_removed},
             {"old_versions_removed", t.old_versions_removed},
             {"error", t.error ? base::Json(*t.error) : base::Json(nullptr)}});
    out["grace_secs"] = r.policy.grace.count();
    out["manifests_removed"] = r.manifests_removed;
    out["segments_removed"] = r.segments_removed;
    out["deletion_vectors_removed"] = r.deletion_vectors_removed;
    out["commits_removed"] = r.commits_removed;
    out["bytes_removed"] = r.bytes_removed;
    return out;
}

std::vector<std::string> cleanup_lines(const CleanupResult& r) {
    std::vector<std::string> lines{
        base::concat("cleanup ", r.uri, " \u2014 ", std::to_string(r.tables.size()), " datasets")};
    for (const auto& t : r.tables) {
        size_t colon = t.table_key.find(':');
        std::string label = colon == std::string::npos
                                ? "table " + t.table_key
                                : base::concat(t.table_key.starts_with("edge:") ? "edge" : "node",
                                               " type '", t.table_key.substr(colon + 1), "'");
        if (label.size() < 40)
            label.resize(40, ' ');
        lines.push_back(
            label + (t.error
                         ? "error: " + *t.error
                         : base::concat(std::to_string(t.old_versions_removed), " old versions, ",
                                        std::to_string(t.bytes_removed), " bytes removed")));
    }
    lines.push_back(base::concat("removed ", std::to_string(r.manifests_removed), " manifests, ",
                                 std::to_string(r.segments_removed), " segments, ",
                                 std::to_string(r.deletion_vectors_removed), " deletion vectors, ",
                                 std::to_string(r.commits_removed), " unreachable commits: ",
                                 std::to_string(r.bytes_removed), " bytes"));
    return lines;
}

} // namespace omnigraph::engine
