#include "engine/verify.h"

#include "base/text.h"
#include "base/ulid.h"
#include "engine/branch.h"
#include "engine/graph.h"
#include "engine/graph_lifecycle.h"
#include "engine/pending.h"
#include "engine/reclaimed.h"
#include "engine/table_data.h"
#include "format/manifest.h"
#include "format/segment.h"
#include "schema/ir.h"
#include "store/counting_store.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

namespace omnigraph::engine {

VerifyReport::VerifyReport() {
    for (auto name : kGraphCounters)
        counts.emplace(name, 0);
}

bool is_storage_failure(const Error& e) {
    return e.is(codes::kStorageUnavailable) || e.is(codes::kStorageIo) ||
           e.is(codes::kStoragePermissionDenied) || e.is(codes::kStorageConfiguration);
}

void VerifyReport::absorb(const VerifyReport& part, std::string_view prefix) {
    std::string p(prefix);
    objects_checked += part.objects_checked;
    bytes_read += part.bytes_read;
    for (const auto& m : part.missing)
        missing.push_back({p + m.key, m.referenced_by == "graph root" ? p : p + m.referenced_by});
    for (const auto& c : part.corrupt)
        corrupt.push_back({p + c.key, c.code, c.message});
    for (const auto& u : part.unreferenced)
        unreferenced.push_back({p + u.key, u.bytes});
    for (const auto& [name, n] : part.counts)
        counts[name] += n;
}

namespace {

constexpr std::string_view kGraphRoot = "graph root";

// The version of a manifest key under `prefix` (`_log/<branch>/`): `<inv:020>.json`.
std::optional<uint64_t> log_version(std::string_view key, std::string_view prefix) {
    constexpr std::string_view kJson = ".json";
    if (!key.starts_with(prefix) || !key.ends_with(kJson) ||
        key.size() != prefix.size() + 20 + kJson.size())
        return std::nullopt;
    std::string_view digits = key.substr(prefix.size(), 20);
    uint64_t inv = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), inv);
    if (ec != std::errc() || end != digits.data() + digits.size() ||
        inv == std::numeric_limits<uint64_t>::max())
        return std::nullopt;
    return std::numeric_limits<uint64_t>::max() - inv;
}

// A gap in a log is reported version by version, up to this many per branch: a stray key with
// an absurd version must not make the report (or the walk) endless.
constexpr uint64_t kMaxGapReport = 1000;

class GraphVerifier {
  public:
    GraphVerifier(store::ObjectStore& store, VerifyReport& report)
        : store_(store), report_(report) {}

    Status run() {
        for (const auto& meta : OG_TRY(store_.list_all("")))
            objects_.emplace(meta.key, meta.size);
        if (objects_.empty())
            return Error(codes::kNotFound, "no graph at " + store_.root().to_string());
        // An unreadable stamp is reported with the root files; its records are then judged
        // as the oldest format's.
        auto format = read_storage_format(store_);
        if (!format && is_storage_failure(format.error()))
            return std::move(format).error();
        seal_ = seal_for_storage_format(format ? *format : kOldestReadableStorageFormat);
        OG_CHECK(check_root_files());
        OG_CHECK(check_pending_records());
        auto records = OG_TRY(check_branch_records());
        OG_CHECK(walk_log("main", 1));
        for (const auto& r : records) // a branch's versions up to its fork are its source's
            OG_CHECK(walk_log(r.name, r.from_version == std::numeric_limits<uint64_t>::max()
                                          ? r.from_version
                                          : r.from_version + 1));
        for (const auto& r : records)
            check_fork(r, records);
        OG_CHECK(check_parent_commits());
        for (const auto& [key, bytes] : objects_)
            if (!referenced_.contains(key) && !bookkeeping(key))
                report_.unreferenced.push_back({key, bytes});
        return ok();
    }

  private:
    // Marks `key` referenced; false (and reported missing) when the listing does not have it.
    bool require(const std::string& key, std::string_view referenced_by) {
        referenced_.insert(key);
        if (objects_.contains(key))
            return true;
        if (reported_.insert(key).second)
            report_.missing.push_back({key, std::string(referenced_by)});
        return false;
    }

    void corrupt(const std::string& key, std::string_view code, std::string message) {
        if (reported_.insert(key).second)
            report_.corrupt.push_back({key, std::string(code), std::move(message)});
    }

    // A reader refused `key`: a finding, or the error itself when storage failed.
    Status judge(const std::string& key, Error e, std::string_view referenced_by) {
        if (is_storage_failure(e))
            return e;
        if (e.is(codes::kNotFound)) {
            if (reported_.insert(key).second)
                report_.missing.push_back({key, std::string(referenced_by)});
        } else {
            corrupt(key, e.code, std::move(e.message));
        }
        return ok();
    }

    void checked(std::string_view kind) {
        ++report_.objects_checked;
        ++report_.counts[std::string(kind)];
    }

    bool bookkeeping(const std::string& key) const {
        return key == kInitClaimKey || key.starts_with(kPendingPrefix) ||
               pending_created_.contains(key);
    }

    // The format stamp and main's schema files, checked together the way opening the graph
    // checks them; the controller marker when there is one.
    Status check_root_files() {
        bool complete = true;
        for (auto key : {kFormatKey, kSchemaSourceKey, kSchemaIrKey, kSchemaStateKey})
            complete = require(std::string(key), kGraphRoot) && complete;
        auto main_log = objects_.lower_bound(format::manifest_log_prefix("main"));
        bool has_log = main_log != objects_.end() &&
                       main_log->first.starts_with(format::manifest_log_prefix("main"));
        if (complete && has_log) {
            for (int i = 0; i < 4; ++i)
                checked("root_files");
            // Only its verdict on the root files counts here: a damaged head manifest or a
            // schema missing from the history is reported by the walk below.
            auto opened = Graph::open(store_);
            if (!opened && is_storage_failure(opened.error()))
                return std::move(opened).error();
            if (!opened && opened.error().is(kGraphInvalid) &&
                opened.error().message.find(kSchemaHistoryPrefix) == std::string::npos) {
                auto unreadable = OG_TRY(first_unparseable_root_file());
                corrupt(unreadable ? *unreadable : root_file_named_in(opened.error().message),
                        kGraphInvalid, opened.error().message);
            }
        }
        if (objects_.contains(std::string(kManagedMarkerKey))) {
            referenced_.insert(std::string(kManagedMarkerKey));
            checked("root_files");
            auto by = OG_TRY(managed_by(store_));
            if (by && (by->owner.empty() || by->graph_id.empty()))
                corrupt(std::string(kManagedMarkerKey), kGraphInvalid,
                        store_.uri_of(kManagedMarkerKey) +
                            " is not a controller marker {\"cluster_root\", \"graph_id\"}");
        }
        return ok();
    }

    // The root JSON file that does not parse on its own (opening does not always say which).
    Result<std::optional<std::string>> first_unparseable_root_file() {
        for (auto key : {kFormatKey, kSchemaIrKey, kSchemaStateKey}) {
            auto text = OG_TRY(store_.read(key));
            auto json = base::parse_json(text);
            if (!json || !json->is_object() || (key == kSchemaIrKey && !schema::parse_ir(*json)))
                return std::optional<std::string>(key);
        }
        return std::optional<std::string>();
    }

    // Opening names the file it refused in its message; the state file binds the other two.
    static std::string root_file_named_in(std::string_view message) {
        for (auto key : {kFormatKey, kSchemaSourceKey, kSchemaIrKey})
            if (message.find(key) != std::string_view::npos)
                return std::string(key);
        return std::string(kSchemaStateKey);
    }

    // Pending-operation records: an unreadable one stops every writer (recovery_required); the
    // objects a live one is creating are not unreferenced yet.
    Status check_pending_records() {
        for (auto it = objects_.lower_bound(std::string(kPendingPrefix));
             it != objects_.end() && it->first.starts_with(kPendingPrefix); ++it) {
            checked("pending_records");
            auto text = store_.read(it->first);
            if (!text) {
                OG_CHECK(judge(it->first, std::move(text).error(), kGraphRoot));
                continue;
            }
            auto op = parse_pending(*text, store_.uri_of(it->first), seal_);
            if (!op) {
                OG_CHECK(judge(it->first, std::move(op).error(), kGraphRoot));
                continue;
            }
            for (const auto& key : op->created)
                if (objects_.contains(key) && pending_created_.insert(key).second)
                    ++report_.counts["pending_objects"];
        }
        return ok();
    }

    Result<std::vector<BranchRecord>> check_branch_records() {
        std::vector<BranchRecord> records;
        const std::string prefix = "_branches/";
        for (auto it = objects_.lower_bound(prefix);
             it != objects_.end() && it->first.starts_with(prefix); ++it) {
            const std::string& key = it->first;
            referenced_.insert(key);
            checked("branches");
            auto text = store_.read(key);
            if (!text) {
                OG_CHECK(judge(key, std::move(text).error(), kGraphRoot));
                continue;
            }
            auto record = parse_branch_record(*text, store_.uri_of(key), seal_);
            if (!record) {
                OG_CHECK(judge(key, std::move(record).error(), kGraphRoot));
                continue;
            }
            if (branch_record_key(record->name) != key || record->name == "main") {
                corrupt(key, format::kManifestCorrupt,
                        store_.uri_of(key) + " names branch '" + record->name +
                            "', which is not the branch of its key");
                continue;
            }
            records.push_back(std::move(*record));
        }
        return records;
    }

    // Every version of `branch` from `first` to its newest: a gap is a missing manifest.
    Status walk_log(const std::string& branch, uint64_t first) {
        std::string prefix = format::manifest_log_prefix(branch);
        std::vector<uint64_t> versions; // ascending (the listing is newest first)
        for (auto it = objects_.lower_bound(prefix);
             it != objects_.end() && it->first.starts_with(prefix); ++it)
            if (auto v = log_version(it->first, prefix); v && *v >= first)
                versions.push_back(*v);
        std::sort(versions.begin(), versions.end());
        if (versions.empty()) {
            if (branch == "main") // main always has its genesis version
                require(format::manifest_key(branch, 1), kGraphRoot);
            return ok();
        }
        std::string head = format::manifest_key(branch, versions.back());
        // Versions cleanup removed are no gap: its record says which (engine/reclaimed.h).
        ReclaimedVersions reclaimed{branch, {}};
        std::string record = reclaimed_key(branch);
        if (objects_.contains(record)) {
            referenced_.insert(record);
            checked("reclaimed_records");
            auto read = read_reclaimed(store_, branch, seal_);
            if (read)
                reclaimed = std::move(*read);
            else
                OG_CHECK(judge(record, std::move(read).error(), kGraphRoot));
        }
        uint64_t expected = first, gaps = 0;
        for (uint64_t v : versions) {
            while (expected < v && gaps < kMaxGapReport) {
                if (uint64_t next = reclaimed.next_unreclaimed(expected); next != expected) {
                    expected = next;
                    continue;
                }
                require(format::manifest_key(branch, expected), head);
                ++expected;
                ++gaps;
            }
            expected = v + 1;
            std::string key = format::manifest_key(branch, v);
            referenced_.insert(key);
            OG_CHECK(verify_manifest(branch, v, key));
        }
        return ok();
    }

    Status verify_manifest(const std::string& branch, uint64_t version, const std::string& key) {
        checked("manifests");
        auto read = format::read_manifest(store_, branch, version, seal_);
        if (!read)
            return judge(key, std::move(read).error(), kGraphRoot);
        const format::Manifest& m = *read;
        manifest_commits_[key] = m.commit_id;
        OG_CHECK(verify_manifest_commit(m, key));
        OG_CHECK(verify_schema(m.schema_ir_hash, key));
        for (const auto& table : m.tables)
            for (const auto& seg : table.segments)
                OG_CHECK(verify_segment_ref(table, seg, key));
        return ok();
    }

    Status verify_manifest_commit(const format::Manifest& m, const std::string& key) {
        if (!base::is_ulid(m.commit_id)) {
            corrupt(key, format::kManifestCorrupt,
                    store_.uri_of(key) + " names '" + m.commit_id + "', which is not a commit id");
            return ok();
        }
        std::string commit = format::commit_key(m.commit_id);
        if (!require(commit, key) || !verified_.insert(commit).second)
            return ok();
        checked("commits");
        auto c = format::read_commit(store_, m.commit_id, seal_);
        if (!c)
            return judge(commit, std::move(c).error(), key);
        if (c->graph_commit_id != m.commit_id || c->graph_branch != m.branch ||
            c->graph_manifest_version != m.version)
            corrupt(commit, format::kManifestCorrupt,
                    base::concat(store_.uri_of(commit), " records commit ", c->graph_commit_id,
                                 " of branch '", c->graph_branch, "' version ",
                                 std::to_string(c->graph_manifest_version), ", but ", key,
                                 " names it for branch '", m.branch, "' version ",
                                 std::to_string(m.version)));
        for (const auto& parent : {c->parent_commit_id, c->merged_parent_commit_id})
            if (parent)
                parents_.emplace(*parent, commit);
        return ok();
    }

    // Parents that no manifest of a live branch named (a deleted branch's commits, say) are
    // still referenced: history walks them.
    Status check_parent_commits() {
        while (!parents_.empty()) {
            auto [id, child] = *parents_.begin();
            parents_.erase(parents_.begin());
            if (!base::is_ulid(id)) {
                corrupt(child, format::kManifestCorrupt,
                        store_.uri_of(child) + " names parent '" + id +
                            "', which is not a commit id");
                continue;
            }
            std::string key = format::commit_key(id);
            if (!require(key, child) || !verified_.insert(key).second)
                continue;
            checked("commits");
            auto c = format::read_commit(store_, id, seal_);
            if (!c) {
                OG_CHECK(judge(key, std::move(c).error(), child));
                continue;
            }
            for (const auto& parent : {c->parent_commit_id, c->merged_parent_commit_id})
                if (parent && !verified_.contains(format::commit_key(*parent)))
                    parents_.emplace(*parent, key);
        }
        return ok();
    }

    Status verify_schema(const std::string& hash, const std::string& manifest) {
        if (!schemas_.insert(hash).second)
            return ok();
        std::string source = schema_history_key(hash, ".pg");
        std::string ir = schema_history_key(hash, ".ir.json");
        bool present = require(source, manifest);
        if (!require(ir, manifest) || !present)
            return ok();
        checked("schemas");
        report_.objects_checked += 1; // two files per schema
        auto schema = read_schema_history(store_, hash);
        if (!schema)
            return judge(ir, std::move(schema).error(), manifest);
        return ok();
    }

    Status verify_segment_ref(const format::TableEntry& table, const format::SegmentRef& seg,
                              const std::string& manifest) {
        for (const std::string* key :
             {&seg.segment, seg.deletion_vector ? &*seg.deletion_vector : nullptr}) {
            if (key && !store::validate_key(*key)) {
                corrupt(manifest, format::kManifestCorrupt,
                        store_.uri_of(manifest) + " names '" + *key + "', which is not a key");
                return ok();
            }
        }
        if (require(seg.segment, manifest))
            OG_CHECK(verify_segment(table, seg, manifest));
        if (seg.deletion_vector && require(*seg.deletion_vector, manifest) &&
            verified_.insert(*seg.deletion_vector).second) {
            checked("deletion_vectors");
            auto dv = read_deletion_vector(store_, table, seg);
            if (!dv)
                return judge(*seg.deletion_vector, std::move(dv).error(), manifest);
        }
        return ok();
    }

    // A segment is read once (footer and every column chunk); each later reference is checked
    // against the row count found.
    Status verify_segment(const format::TableEntry& table, const format::SegmentRef& seg,
                          const std::string& manifest) {
        const std::string& key = seg.segment;
        if (auto seen = segment_rows_.find(key); seen != segment_rows_.end()) {
            const std::optional<uint64_t>& found = seen->second;
            if (found.has_value() && found.value() != seg.rows)
                corrupt(manifest, format::kManifestCorrupt,
                        base::concat(store_.uri_of(manifest), " says ", key, " holds ",
                                     std::to_string(seg.rows), " rows; it holds ",
                                     std::to_string(found.value())));
            return ok();
        }
        auto& rows = segment_rows_[key]; // stays nullopt when the segment is damaged
        checked("segments");
        uint64_t size = objects_.at(key);
        if (size != seg.bytes) {
            corrupt(key, format::kSegmentCorrupt,
                    base::concat(store_.uri_of(key), " is ", std::to_string(size), " bytes; ",
                                 manifest, " says ", std::to_string(seg.bytes)));
            return ok();
        }
        auto reader = format::SegmentReader::open(store_, key, seg.bytes);
        if (!reader)
            return judge(key, std::move(reader).error(), manifest);
        std::vector<std::string> required{"id"};
        if (table.table_key.starts_with("edge:"))
            required.insert(required.end(), {"src", "dst"});
        for (const auto& name : required) {
            const auto* column = reader->footer().find(name);
            if (!column || column->type.kind != format::PhysicalKind::kString) {
                corrupt(key, format::kSegmentCorrupt,
                        store_.uri_of(key) + " has no String column '" + name + "'");
                return ok();
            }
        }
        if (reader->row_count() != seg.rows) {
            corrupt(key, format::kSegmentCorrupt,
                    base::concat(store_.uri_of(key), " holds ", std::to_string(reader->row_count()),
                                 " rows; ", manifest, " says ", std::to_string(seg.rows)));
            return ok();
        }
        std::map<std::string, format::Column, std::less<>> indexed;
        for (const auto& column : reader->footer().columns) {
            ++report_.counts["column_chunks"];
            auto decoded = reader->read_column(column.name);
            if (!decoded)
                return judge(key, std::move(decoded).error(), manifest);
            if (reader->footer().find_index(column.name))
                indexed.emplace(column.name, std::move(*decoded));
        }
        // Every key index block reads back, and each entry names a row holding its key.
        for (const auto& index : reader->footer().indexes) {
            const format::Column& values = indexed.at(index.column);
            for (size_t b = 0; b < index.blocks.size(); ++b) {
                ++report_.counts["index_blocks"];
                auto entries = reader->read_index_block(index, b);
                if (!entries)
                    return judge(key, std::move(entries).error(), manifest);
                for (size_t i = 0; i < entries->keys.size(); ++i)
                    if (values.bytes_at(entries->rows.fixed_at<uint32_t>(i)) !=
                        entries->keys.bytes_at(i)) {
                        corrupt(key, format::kSegmentCorrupt,
                                base::concat(store_.uri_of(key), ": block ", std::to_string(b),
                                             " of index '", index.column,
                                             "' names a row that holds another key"));
                        return ok();
                    }
            }
        }
        rows = reader->row_count();
        return ok();
    }

    // A branch's versions up to its fork are its source's: that manifest must exist and name
    // the commit the record says.
    void check_fork(const BranchRecord& record, const std::vector<BranchRecord>& records) {
        std::string owner = branch_record_key(record.name);
        std::string from = record.from_branch;
        for (size_t depth = 0; from != "main"; ++depth) {
            auto source = std::find_if(records.begin(), records.end(),
                                       [&](const auto& r) { return r.name == from; });
            if (source == records.end() || depth > records.size()) {
                require(branch_record_key(from), owner);
                return;
            }
            if (record.from_version > source->from_version)
                break;
            from = source->from_branch;
        }
        std::string fork = format::manifest_key(from, record.from_version);
        if (!require(fork, owner))
            return;
        require(format::commit_key(record.from_commit_id), owner);
        auto named = manifest_commits_.find(fork);
        if (named != manifest_commits_.end() && named->second != record.from_commit_id)
            corrupt(owner, format::kManifestCorrupt,
                    base::concat(store_.uri_of(owner), " forks at commit ", record.from_commit_id,
                                 ", but ", fork, " is commit ", named->second));
    }

    store::ObjectStore& store_;
    VerifyReport& report_;
    base::Seal seal_ = base::Seal::kRequired; // set by run() from the format stamp
    std::map<std::string, uint64_t> objects_; // the listing: key -> size
    std::set<std::string> referenced_;
    std::set<std::string> reported_; // keys with a finding already
    std::set<std::string> verified_; // commits and deletion vectors already read
    std::set<std::string> schemas_;
    std::set<std::string> pending_created_;
    std::map<std::string, std::optional<uint64_t>> segment_rows_;
    std::map<std::string, std::string> manifest_commits_;
    std::multimap<std::string, std::string> parents_; // parent id -> the commit naming it
};

} // namespace

Result<VerifyReport> verify_graph(store::ObjectStore& store) {
    store::CountingStore counting(store);
    VerifyReport report;
    report.uri = store.root().to_string();
    GraphVerifier verifier(counting, report);
    OG_CHECK(verifier.run());
    report.bytes_read = counting.bytes_read();
    return report;
}

base::Json verify_report_json(const VerifyReport& report) {
    base::Json out;
    out["uri"] = report.uri;
    out["ok"] = report.ok();
    out["objects_checked"] = report.objects_checked;
    out["bytes_read"] = report.bytes_read;
    out["missing"] = base::Json::array();
    for (const auto& m : report.missing)
        out["missing"].push_back({{"key", m.key}, {"referenced_by", m.referenced_by}});
    out["corrupt"] = base::Json::array();
    for (const auto& c : report.corrupt)
        out["corrupt"].push_back({{"key", c.key}, {"code", c.code}, {"message", c.message}});
    out["unreferenced"] = base::Json::array();
    for (const auto& u : report.unreferenced)
        out["unreferenced"].push_back({{"key", u.key}, {"bytes", u.bytes}});
    base::Json counts = base::Json::object();
    for (const auto& [name, n] : report.counts)
        counts[name] = n;
    counts["missing"] = report.missing.size();
    counts["corrupt"] = report.corrupt.size();
    counts["unreferenced"] = report.unreferenced.size();
    out["counts"] = counts;
    return out;
}

std::vector<std::string> verify_report_lines(const VerifyReport& report) {
    std::vector<std::string> lines;
    lines.reserve(report.missing.size() + report.corrupt.size() + report.unreferenced.size() + 1);
    for (const auto& m : report.missing)
        lines.push_back(
            base::concat("missing       ", m.key, " (referenced by ", m.referenced_by, ")"));
    for (const auto& c : report.corrupt)
        lines.push_back(base::concat("corrupt       ", c.key, ": ", c.code, ": ", c.message));
    for (const auto& u : report.unreferenced)
        lines.push_back(
            base::concat("unreferenced  ", u.key, " (", std::to_string(u.bytes), " bytes)"));
    lines.push_back(base::concat(
        "storage verify of ", report.uri, ": ", report.ok() ? "ok" : "DAMAGED", ": ",
        std::to_string(report.objects_checked), " objects checked, ",
        std::to_string(report.bytes_read), " bytes read, ", std::to_string(report.missing.size()),
        " missing, ", std::to_string(report.corrupt.size()), " corrupt, ",
        std::to_string(report.unreferenced.size()), " unreferenced"));
    return lines;
}

} // namespace omnigraph::engine
