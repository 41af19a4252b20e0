#include "format/manifest.h"

#include "base/json.h"
#include "base/record_seal.h"
#include "base/strict_record.h"
#include "base/ulid.h"

#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace omnigraph::format {

using base::Json;
using base::StrictRecord;

namespace {

Error corrupt(std::string_view where, const std::string& why) {
    return Error(kManifestCorrupt, "corrupt " + std::string(where) + ": " + why);
}

template <class T> Json optional_json(const std::optional<T>& v) {
    return v ? Json(*v) : Json(nullptr);
}

} // namespace

const TableEntry* Manifest::find(std::string_view table_key) const {
    for (const auto& t : tables)
        if (t.table_key == table_key)
            return &t;
    return nullptr;
}

std::string table_path(uint64_t type_id, uint64_t incarnation) {
    char buf[64];
    int n =
        std::snprintf(buf, sizeof buf, "tables/%016" PRIx64 "-%016" PRIx64, type_id, incarnation);
    return std::string(buf, static_cast<size_t>(n)); // 40 characters
}

std::string encode_branch(std::string_view branch) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string encoded;
    for (unsigned char c : branch) {
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '.' || c == '_' || c == '-';
        if (plain) {
            encoded.push_back(static_cast<char>(c));
        } else {
            encoded.push_back('%');
            encoded.push_back(kHex[c >> 4]);
            encoded.push_back(kHex[c & 15]);
        }
    }
    return encoded;
}

std::string manifest_log_prefix(std::string_view branch) {
    return "_log/" + encode_branch(branch) + "/";
}

std::string manifest_key(std::string_view branch, uint64_t version) {
    char inv[32];
    int n = std::snprintf(inv, sizeof inv, "%020" PRIu64, UINT64_MAX - version);
    std::string key = manifest_log_prefix(branch);
    key.append(inv, static_cast<size_t>(n)) += ".json";
    return key;
}

std::string commit_key(std::string_view commit_id) {
    return "_commits/" + std::string(commit_id) + ".json";
}

std::string manifest_text(const Manifest& m) {
    Json j;
    j["format"] = "omnigraph-manifest";
    j["version"] = m.version;
    j["branch"] = m.branch;
    j["commit_id"] = m.commit_id;
    j["schema_ir_hash"] = m.schema_ir_hash;
    Json tables = Json::array();
    for (const auto& t : m.tables) {
        Json tj;
        tj["table_key"] = t.table_key;
        tj["type_id"] = t.type_id;
        tj["incarnation"] = t.incarnation;
        tj["path"] = t.path;
        tj["table_version"] = t.table_version;
        tj["table_branch"] = t.table_branch;
        tj["row_count"] = t.row_count;
        Json segs = Json::array();
        for (const auto& s : t.segments) {
            Json sj;
            sj["segment"] = s.segment;
            sj["rows"] = s.rows;
            sj["bytes"] = s.bytes;
            sj["deletion_vector"] = optional_json(s.deletion_vector);
            sj["deleted_rows"] = s.deleted_rows;
            segs.push_back(sj);
        }
        tj["segments"] = segs;
        tables.push_back(tj);
    }
    j["tables"] = tables;
    return base::seal_record(base::to_canonical_json(j));
}

Result<Manifest> parse_manifest(std::string_view text, std::string_view where, base::Seal seal) {
    std::string name = "corrupt " + std::string(where);
    bool sealed = OG_TRY(base::verify_record_seal(text, kManifestCorrupt, name));
    auto j = base::parse_json(text);
    if (!j)
        return corrupt(where, j.error().message);
    auto r = OG_TRY(StrictRecord::of(*j, kManifestCorrupt, name));
    if (!sealed)
        OG_CHECK(base::check_unsealed(r, text, seal));
    if (OG_TRY(r.string("format")) != "omnigraph-manifest")
        return corrupt(where, "not an omnigraph manifest");
    Manifest m;
    m.version = OG_TRY(r.unsigned_integer("version"));
    m.branch = OG_TRY(r.string("branch"));
    m.commit_id = OG_TRY(r.string("commit_id"));
    m.schema_ir_hash = OG_TRY(r.string("schema_ir_hash"));
    for (const auto& tj : OG_TRY(r.objects("tables"))) {
        TableEntry t;
        t.table_key = OG_TRY(tj.string("table_key"));
        t.type_id = OG_TRY(tj.unsigned_integer("type_id"));
        t.incarnation = OG_TRY(tj.unsigned_integer("incarnation"));
        t.path = OG_TRY(tj.string("path"));
        t.table_version = OG_TRY(tj.unsigned_integer("table_version"));
        t.table_branch = OG_TRY(tj.optional_string("table_branch")).value_or(m.branch);
        t.row_count = OG_TRY(tj.unsigned_integer("row_count"));
        for (const auto& sj : OG_TRY(tj.objects("segments"))) {
            SegmentRef s;
            s.segment = OG_TRY(sj.string("segment"));
            s.rows = OG_TRY(sj.unsigned_integer("rows"));
            s.bytes = OG_TRY(sj.unsigned_integer("bytes"));
            s.deletion_vector = OG_TRY(sj.nullable_string("deletion_vector"));
            s.deleted_rows = OG_TRY(sj.unsigned_integer("deleted_rows"));
            if (s.deleted_rows > s.rows)
                return corrupt(where, "segment " + s.segment + " deletes more rows than it holds");
            t.segments.push_back(std::move(s));
        }
        if (!m.tables.empty() && !(m.tables.back().table_key < t.table_key))
            return corrupt(where, "tables are not sorted and unique at '" + t.table_key + "'");
        m.tables.push_back(std::move(t));
    }
    if (m.version == 0 || !base::is_ulid(m.commit_id))
        return corrupt(where, "bad version or commit id");
    return m;
}

std::string commit_text(const CommitRecord& c) {
    Json j;
    j["graph_commit_id"] = c.graph_commit_id;
    j["graph_branch"] = c.graph_branch;
    j["graph_manifest_version"] = c.graph_manifest_version;
    j["parent_commit_id"] = optional_json(c.parent_commit_id);
    j["merged_parent_commit_id"] = optional_json(c.merged_parent_commit_id);
    j["actor_id"] = optional_json(c.actor_id);
    j["message"] = optional_json(c.message);
    j["created_at"] = c.created_at;
    return base::seal_record(base::to_canonical_json(j));
}

Result<CommitRecord> parse_commit(std::string_view text, std::string_view where, base::Seal seal) {
    std::string name = "corrupt " + std::string(where);
    bool sealed = OG_TRY(base::verify_record_seal(text, kManifestCorrupt, name));
    auto j = base::parse_json(text);
    if (!j)
        return corrupt(where, j.error().message);
    auto r = OG_TRY(StrictRecord::of(*j, kManifestCorrupt, name));
    if (!sealed)
        OG_CHECK(base::check_unsealed(r, text, seal));
    CommitRecord c;
    c.graph_commit_id = OG_TRY(r.string("graph_commit_id"));
    c.graph_branch = OG_TRY(r.string("graph_branch"));
    c.graph_manifest_version = OG_TRY(r.unsigned_integer("graph_manifest_version"));
    c.parent_commit_id = OG_TRY(r.nullable_string("parent_commit_id"));
    c.merged_parent_commit_id = OG_TRY(r.nullable_string("merged_parent_commit_id"));
    c.actor_id = OG_TRY(r.nullable_string("actor_id"));
    c.message = OG_TRY(r.nullable_string("message"));
    c.created_at = OG_TRY(r.integer("created_at"));
    if (!base::is_ulid(c.graph_commit_id))
        return corrupt(where, "bad commit id '" + c.graph_commit_id + "'");
    return c;
}

Result<std::optional<Manifest>> read_latest_manifest(store::ObjectStore& store,
                                                     std::string_view branch, base::Seal seal) {
    store::ListOptions options;
    options.prefix = manifest_log_prefix(branch);
    options.limit = 1; // inverted version numbers: the first key is the newest version
    auto page = OG_TRY(store.list(options));
    if (page.objects.empty())
        return std::optional<Manifest>();
    const std::string& key = page.objects.front().key;
    auto text = OG_TRY(store.read(key));
    auto m = OG_TRY(parse_manifest(text, store.uri_of(key), seal));
    if (manifest_key(branch, m.version) != key || m.branch != branch)
        return corrupt(store.uri_of(key), "its version or branch does not match its key");
    return std::optional<Manifest>(std::move(m));
}

Result<Manifest> read_manifest(store::ObjectStore& store, std::string_view branch, uint64_t version,
                               base::Seal seal) {
    std::string key = manifest_key(branch, version);
    auto text = store.read(key);
    if (!text) {
        if (text.error().is(codes::kNotFound))
            return Error(codes::kNotFound, "branch '" + std::string(branch) +
                                               "' has no manifest version " +
                                               std::to_string(version));
        return std::move(text).error();
    }
    auto m = OG_TRY(parse_manifest(*text, store.uri_of(key), seal));
    if (m.version != version || m.branch != branch)
        return corrupt(store.uri_of(key), "its version or branch does not match its key");
    return m;
}

Result<CommitRecord> read_commit(store::ObjectStore& store, std::string_view commit_id,
                                 base::Seal seal) {
    if (!base::is_ulid(commit_id))
        return Error(codes::kNotFound, "commit '" + std::string(commit_id) + "' not found");
    auto text = store.read(commit_key(commit_id));
    if (!text) {
        if (text.error().is(codes::kNotFound))
            return Error(codes::kNotFound, "commit '" + std::string(commit_id) + "' not found");
        return std::move(text).error();
    }
    return parse_commit(*text, store.uri_of(commit_key(commit_id)), seal);
}

Status publish(store::ObjectStore& store, const CommitRecord& commit, const Manifest& manifest) {
    if (commit.graph_commit_id != manifest.commit_id ||
        commit.graph_manifest_version != manifest.version || commit.graph_branch != manifest.branch)
        return Error(codes::kInvalidArgument, "commit record and manifest disagree");
    // The commit record first: a published manifest must never name a missing commit.
    auto written = store.put_if_absent(commit_key(commit.graph_commit_id), commit_text(commit));
    if (!written && !written.error().is(codes::kPreconditionFailed))
        return std::move(written).error();
    auto created = store.put_if_absent(manifest_key(manifest.branch, manifest.version),
                                       manifest_text(manifest));
    if (!created) {
        if (created.error().is(codes::kPreconditionFailed))
            return Error(kManifestConflict,
                         "branch '" + manifest.branch + "' already has version " +
                             std::to_string(manifest.version) +
                             ": another writer committed first; re-read and retry");
        return std::move(created).error();
    }
    return ok();
}

} // namespace omnigraph::format
