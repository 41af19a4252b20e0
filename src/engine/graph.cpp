#include "engine/graph.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/text.h"
#include "base/ulid.h"
#include "engine/graph_lifecycle.h"
#include "engine/pending.h"
#include "engine/reclaimed.h"
#include "schema/compiler.h"
#include "schema/parser.h"
#include "schema/shape.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <shared_mutex>
#include <tuple>

namespace omnigraph::engine {

using base::Json;

namespace {

std::string state_text(const schema::Schema& shape, const schema::SchemaIr& ir) {
    Json j;
    j["format_version"] = 2;
    j["schema_shape_hash"] = schema::shape_hash(shape);
    j["schema_ir_hash"] = schema::ir_hash(ir);
    j["schema_identity_version"] = 2;
    j["schema_identity_domain"] = ir.schema_identity_domain;
    return base::to_pretty_json(j);
}

// Tables of a fresh schema: one empty entry per node and edge type.
std::vector<format::TableEntry> empty_tables(const schema::SchemaIr& ir) {
    std::vector<format::TableEntry> tables;
    auto add = [&](std::string key, uint64_t type_id, uint64_t incarnation) {
        format::TableEntry t;
        t.table_key = std::move(key);
        t.type_id = type_id;
        t.incarnation = incarnation;
        t.path = format::table_path(type_id, incarnation);
        tables.push_back(std::move(t));
    };
    for (const auto& n : ir.nodes)
        add("node:" + n.name, n.type_id, n.table_incarnation_id);
    for (const auto& e : ir.edges)
        add("edge:" + e.name, e.type_id, e.table_incarnation_id);
    std::sort(tables.begin(), tables.end(),
              [](const auto& a, const auto& b) { return a.table_key < b.table_key; });
    return tables;
}

// A typed lookup that never throws: a damaged file is graph_invalid, not a crash.
std::string string_at(const Json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                  : std::string();
}

Result<bool> any_under(store::ObjectStore& store, std::string_view prefix) {
    store::ListOptions options;
    options.prefix = std::string(prefix);
    options.limit = 1;
    auto page = OG_TRY(store.list(options));
    return !page.objects.empty();
}

// Everything after the claim; the caller releases the claim whatever happens.
Result<InitResult> init_claimed(store::ObjectStore& store, std::string_view source,
                                const schema::Schema& shape, const schema::SchemaIr& ir,
                                const InitOptions& options) {
    std::string uri = store.root().to_string();
    if (OG_TRY(any_under(store, "_log/")))
        return Error(
            kAlreadyInitialized,
            "graph already initialized at " + uri +
                (options.force ? " (--force never overwrites a graph that has commits)" : ""));
    if (!options.force)
        for (auto key : {kSchemaSourceKey, kSchemaIrKey, kSchemaStateKey, kFormatKey})
            if (OG_TRY(store.exists(key)))
                return Error(kAlreadyInitialized,
                             "graph already initialized at " + uri + ": " + store.uri_of(key) +
                                 " exists (pass --force to replace orphan schema files)");
    Json stamp;
    stamp["format"] = "omnigraph-cpp";
    stamp["version"] = kStorageFormatVersion;
    auto write = [&](std::string_view key, const std::string& text) -> Status {
        if (options.force) {
            OG_CHECK(store.put(key, text));
            return ok();
        }
        auto r = store.put_if_absent(key, text);
        if (!r && r.error().is(codes::kPreconditionFailed))
            return Error(kAlreadyInitialized, "graph already initialized at " + uri + ": " +
                                                  store.uri_of(key) + " appeared during init");
        if (!r)
            return std::move(r).error();
        return ok();
    };
    OG_CHECK(write(kSchemaSourceKey, std::string(source)));
    OG_CHECK(write(kSchemaIrKey, base::to_pretty_json(schema::ir_json(ir))));
    OG_CHECK(write(kSchemaStateKey, state_text(shape, ir)));
    OG_CHECK(write(kFormatKey, base::to_pretty_json(stamp)));
    OG_CHECK(store_schema_version(store, source, ir));

    format::CommitRecord genesis;
    genesis.graph_commit_id = base::new_ulid();
    genesis.graph_branch = "main";
    genesis.graph_manifest_version = 1;
    genesis.created_at = base::unix_micros(base::now());
    format::Manifest manifest;
    manifest.version = 1;
    manifest.branch = "main";
    manifest.commit_id = genesis.graph_commit_id;
    manifest.schema_ir_hash = schema::ir_hash(ir);
    manifest.tables = empty_tables(ir);
    auto published = format::publish(store, genesis, manifest);
    if (!published) {
        if (published.error().is(format::kManifestConflict))
            return Error(kAlreadyInitialized,
                         "graph already initialized at " + uri + " (a concurrent init won)");
        return std::move(published).error();
    }
    return InitResult{uri, genesis, {}};
}

} // namespace

Result<InitResult> init_graph(store::ObjectStore& store, std::string_view source,
                              const InitOptions& options) {
    // Compile first: a schema that does not compile must not touch storage.
    auto shape = OG_TRY(schema::load_schema(source, options.schema_file));
    auto built = OG_TRY(schema::build_ir(shape, nullptr, base::new_ulid()));

    // The claim is the first object: a root an init left holds it (discard_unfinished_init). On a
    // local root it is also the check for atomic create-only writes (link(2)): without them the
    // put fails with storage_configuration and nothing is written.
    auto claimed = store.put_if_absent(kInitClaimKey, init_claim_text(options.operation_id));
    if (!claimed) {
        if (claimed.error().is(codes::kPreconditionFailed))
            return Error(kInitClaimed,
                         "initialization claimed: " + store.uri_of(kInitClaimKey) +
                             " exists; another init is running, or one crashed (remove the "
                             "file by hand once no init is running)");
        return std::move(claimed).error();
    }
    auto result = init_claimed(store, source, shape, built.ir, options);
    // The init's outcome stands either way; a leftover claim only blocks later inits, whose
    // init_claimed error says how to clear it.
    ignore_error(store.remove(kInitClaimKey), "releasing the init claim");
    if (result) {
        result->warnings = shape.warnings;
        for (auto& w : built.warnings)
            result->warnings.push_back(std::move(w));
    }
    return result;
}

std::string schema_history_key(std::string_view ir_hash, std::string_view extension) {
    std::string_view hex = ir_hash;
    if (hex.starts_with("sha256:"))
        hex.remove_prefix(7);
    return std::string(kSchemaHistoryPrefix) + std::string(hex) + std::string(extension);
}

Status store_schema_version(store::ObjectStore& store, std::string_view source,
                            const schema::SchemaIr& ir) {
    std::string hash = schema::ir_hash(ir);
    // Source first: a reader that finds the IR finds the source too.
    OG_CHECK(store.put(schema_history_key(hash, ".pg"), source));
    OG_CHECK(
        store.put(schema_history_key(hash, ".ir.json"), base::to_pretty_json(schema::ir_json(ir))));
    return ok();
}

Status write_root_schema(store::ObjectStore& store, const SchemaVersion& v) {
    OG_CHECK(store.put(kSchemaSourceKey, v.source));
    OG_CHECK(store.put(kSchemaIrKey, base::to_pretty_json(schema::ir_json(v.ir))));
    OG_CHECK(store.put(kSchemaStateKey, state_text(schema::project_schema(v.ir), v.ir)));
    return ok();
}

SchemaRef make_schema_version(std::string source, schema::SchemaIr ir) {
    auto v = std::make_shared<SchemaVersion>();
    v->source = std::move(source);
    v->catalog = schema::project_catalog(ir);
    v->hash = v->catalog.ir_hash;
    v->ir = std::move(ir);
    return v;
}

struct Graph::Cache {
    std::shared_mutex mutex; // readers share it: a plain mutex convoys under many threads
    std::map<std::string, SchemaRef, std::less<>> schemas;
    std::shared_ptr<const format::Manifest> main_head; // newest main manifest seen
};

Graph::Graph(store::ObjectStore& store, base::Seal seal, SchemaRef main_schema,
             bool root_schema_stale)
    : store_(&store), seal_(seal), main_schema_(std::move(main_schema)),
      root_schema_stale_(root_schema_stale), cache_(std::make_shared<Cache>()) {
    cache_->schemas.emplace(main_schema_->hash, main_schema_);
}

Result<SchemaRef> read_schema_history(store::ObjectStore& store, std::string_view hash) {
    std::string ir_key = schema_history_key(hash, ".ir.json");
    auto ir_text = OG_TRY(store.read_if_exists(ir_key));
    auto source = OG_TRY(store.read_if_exists(schema_history_key(hash, ".pg")));
    if (!ir_text || !source)
        return Error(kGraphInvalid, "schema " + std::string(hash) + " is not stored under " +
                                        store.uri_of(kSchemaHistoryPrefix));
    auto ir_json = base::parse_json(*ir_text, store.uri_of(ir_key));
    if (!ir_json)
        return Error(kGraphInvalid, ir_json.error().to_string());
    auto ir = schema::parse_ir(*ir_json);
    if (!ir)
        return Error(kGraphInvalid, store.uri_of(ir_key) + ": " + ir.error().message);
    if (schema::ir_hash(*ir) != hash)
        return Error(kGraphInvalid,
                     store.uri_of(ir_key) + " does not hash to " + std::string(hash));
    return make_schema_version(std::move(*source), std::move(*ir));
}

Result<int> read_storage_format(store::ObjectStore& store) {
    std::string uri = store.root().to_string();
    auto invalid = [&](const std::string& why) {
        return Error(kGraphInvalid, "cannot open graph at " + uri + ": " + why);
    };
    auto stamp_text = OG_TRY(store.read_if_exists(kFormatKey));
    if (!stamp_text) {
        if (!OG_TRY(any_under(store, "")))
            return Error(codes::kNotFound, "no graph at " + uri + " (run `omnigraph init` first)");
        return invalid("_format.json is missing");
    }
    auto stamp = base::parse_json(*stamp_text, store.uri_of(kFormatKey));
    if (!stamp || string_at(*stamp, "format") != "omnigraph-cpp")
        return invalid("_format.json is not an omnigraph-cpp format stamp");
    const Json version = stamp->contains("version") ? (*stamp)["version"] : Json();
    if (!version.is_number_integer() || version.get<int64_t>() < kOldestReadableStorageFormat ||
        version.get<int64_t>() > kStorageFormatVersion)
        return invalid("storage format version " + base::to_compact_json(version) +
                       " is not supported (this build reads versions " +
                       std::to_string(kOldestReadableStorageFormat) + " to " +
                       std::to_string(kStorageFormatVersion) + ")");
    return static_cast<int>(version.get<int64_t>());
}

base::Seal seal_for_storage_format(int version) {
    return version >= kFirstSealedStorageFormat ? base::Seal::kRequired : base::Seal::kOptional;
}

Result<Graph> Graph::open(store::ObjectStore& store) {
    std::string uri = store.root().to_string();
    auto invalid = [&](const std::string& why) {
        return Error(kGraphInvalid, "cannot open graph at " + uri + ": " + why);
    };
    base::Seal seal = seal_for_storage_format(OG_TRY(read_storage_format(store)));
    // An init that died before its genesis commit left files but no graph.
    auto main_head = OG_TRY(format::read_latest_manifest(store, "main", seal));
    if (!main_head)
        return invalid("it has no genesis version (an init did not finish; rerun `omnigraph "
                       "init --force`)");
    auto source = OG_TRY(store.read_if_exists(kSchemaSourceKey));
    auto ir_text = OG_TRY(store.read_if_exists(kSchemaIrKey));
    auto state_text = OG_TRY(store.read_if_exists(kSchemaStateKey));
    if (!source || !ir_text || !state_text)
        return invalid("the schema contract is incomplete (_schema.pg, _schema.ir.json and "
                       "__schema_state.json are all required)");
    auto state = base::parse_json(*state_text, store.uri_of(kSchemaStateKey));
    if (!state || !state->is_object())
        return invalid("__schema_state.json is not a JSON object");
    if (string_at(*state, "schema_ir_hash") != main_head->schema_ir_hash) {
        // A schema apply committed but did not finish promoting the root's schema files (the
        // state file is written last): main's head and the schema history win; heal() rewrites
        // the files.
        auto head_schema = read_schema_history(store, main_head->schema_ir_hash);
        if (!head_schema)
            return invalid("main's head names schema " + main_head->schema_ir_hash + ", which " +
                           head_schema.error().message);
        return Graph(store, seal, std::move(*head_schema), true);
    }
    auto ir_json = base::parse_json(*ir_text, store.uri_of(kSchemaIrKey));
    if (!ir_json)
        return invalid(ir_json.error().to_string());
    auto ir = schema::parse_ir(*ir_json);
    if (!ir)
        return invalid(ir.error().message);
    if (string_at(*state, "schema_ir_hash") != schema::ir_hash(*ir))
        return invalid("_schema.ir.json does not match the schema_ir_hash of __schema_state.json");
    std::string shape_hash = schema::shape_hash(schema::project_schema(*ir));
    if (string_at(*state, "schema_shape_hash") != shape_hash ||
        string_at(*state, "schema_identity_domain") != ir->schema_identity_domain)
        return invalid("__schema_state.json does not match _schema.ir.json");
    // The source must still mean the accepted schema (comments and order may change).
    auto ast = schema::parse_schema(*source, store.uri_of(kSchemaSourceKey));
    Result<schema::Schema> compiled =
        ast ? schema::compile_schema(*ast, store.uri_of(kSchemaSourceKey),
                                     schema::CompileOptions{false, true})
            : Result<schema::Schema>(ast.error());
    if (!compiled || schema::shape_hash(*compiled) != shape_hash)
        return invalid("_schema.pg no longer matches the accepted compiled schema");
    return Graph(store, seal, make_schema_version(std::move(*source), std::move(*ir)), false);
}

Result<SchemaRef> Graph::schema_version(std::string_view ir_hash) const {
    {
        std::shared_lock lock(cache_->mutex);
        auto it = cache_->schemas.find(ir_hash);
        if (it != cache_->schemas.end())
            return it->second;
    }
    auto v = OG_TRY(read_schema_history(*store_, ir_hash));
    std::unique_lock lock(cache_->mutex);
    return cache_->schemas.emplace(v->hash, v).first->second;
}

Result<std::optional<BranchRecord>> Graph::branch_record(std::string_view name) const {
    if (name == "main")
        return std::optional<BranchRecord>();
    std::string key = branch_record_key(name);
    auto text = OG_TRY(store_->read_if_exists(key));
    if (!text)
        return std::optional<BranchRecord>();
    return std::optional<BranchRecord>(
        OG_TRY(parse_branch_record(*text, store_->uri_of(key), seal_)));
}

namespace {

Error branch_not_found(std::string_view branch) {
    return Error(codes::kNotFound, "branch '" + std::string(branch) + "' not found");
}

} // namespace

// Main's versions are contiguous (every commit writes head + 1 with put-if-absent) and main is
// never deleted, so "is there a version after the one we hold?" is one existence check instead of
// a list, a read and a parse per request, and it still sees every commit, from any process.
Result<format::Manifest> Graph::main_head() const {
    std::shared_ptr<const format::Manifest> held;
    {
        std::shared_lock lock(cache_->mutex);
        held = cache_->main_head;
    }
    if (held && !OG_TRY(store_->exists(format::manifest_key("main", held->version + 1))))
        return *held;
    auto latest = OG_TRY(format::read_latest_manifest(*store_, "main", seal_));
    if (!latest)
        return branch_not_found("main");
    auto fresh = std::make_shared<const format::Manifest>(std::move(*latest));
    std::unique_lock lock(cache_->mutex);
    if (!cache_->main_head || cache_->main_head->version < fresh->version)
        cache_->main_head = fresh;
    return *fresh;
}

Result<format::Manifest> Graph::head(std::string_view branch) const {
    if (branch == "main")
        return main_head();
    auto latest = OG_TRY(format::read_latest_manifest(*store_, branch, seal_));
    auto record = OG_TRY(branch_record(branch));
    if (!record)
        return branch_not_found(branch);
    if (latest && latest->version > record->from_version)
        return std::move(*latest);
    auto inherited = OG_TRY(at_version(record->from_branch, record->from_version));
    inherited.branch = std::string(branch);
    return inherited;
}

Result<format::Manifest> Graph::at_version(std::string_view branch, uint64_t version) const {
    std::optional<BranchRecord> record;
    if (branch != "main") {
        record = OG_TRY(branch_record(branch));
        if (!record)
            return branch_not_found(branch);
        if (version <= record->from_version) {
            auto inherited = OG_TRY(at_version(record->from_branch, version));
            inherited.branch = std::string(branch);
            return inherited;
        }
    }
    auto read = format::read_manifest(*store_, branch, version, seal_);
    if (!read && read.error().is(codes::kNotFound)) {
        // Gone because cleanup removed it (its record says so), or never there / damaged.
        auto reclaimed = read_reclaimed(*store_, branch, seal_);
        if (reclaimed && reclaimed->contains(version))
            return version_reclaimed(branch, version);
    }
    return read;
}

Result<Snapshot> Graph::snapshot(const SnapshotSpec& spec) const {
    Snapshot snap;
    if (spec.commit_id) {
        auto c = OG_TRY(commit(*spec.commit_id));
        snap.manifest = OG_TRY(at_version(c.graph_branch, c.graph_manifest_version));
        if (snap.manifest.commit_id != c.graph_commit_id)
            return Error(codes::kNotFound, "commit " + c.graph_commit_id +
                                               " is no longer the published version " +
                                               std::to_string(c.graph_manifest_version) +
                                               " of branch '" + c.graph_branch + "'");
    } else if (spec.version) {
        snap.manifest = OG_TRY(at_version(spec.branch, *spec.version));
    } else {
        snap.manifest = OG_TRY(head(spec.branch));
    }
    snap.schema = OG_TRY(schema_version(snap.manifest.schema_ir_hash));
    return snap;
}

Result<std::vector<format::CommitRecord>> Graph::commits(std::string_view branch) const {
    auto newest = OG_TRY(head(branch));
    std::vector<format::CommitRecord> out;
    std::set<std::string> seen{newest.commit_id};
    std::vector<std::string> frontier{newest.commit_id};
    while (!frontier.empty()) {
        auto c = OG_TRY(commit(frontier.back()));
        frontier.pop_back();
        for (const auto& parent : {c.parent_commit_id, c.merged_parent_commit_id})
            if (parent && seen.insert(*parent).second)
                frontier.push_back(*parent);
        out.push_back(std::move(c));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tie(a.graph_manifest_version, a.created_at, a.graph_commit_id) >
               std::tie(b.graph_manifest_version, b.created_at, b.graph_commit_id);
    });
    return out;
}

Result<format::CommitRecord> Graph::commit(std::string_view commit_id) const {
    if (!base::is_ulid(commit_id))
        return Error(codes::kInvalidArgument,
                     "'" + std::string(commit_id) + "' is not a commit id (a 26-character ULID)");
    return format::read_commit(*store_, commit_id, seal_);
}

Result<std::vector<BranchRecord>> Graph::branch_records() const {
    std::vector<BranchRecord> records;
    for (const auto& meta : OG_TRY(store_->list_all("_branches/"))) {
        auto text = OG_TRY(store_->read(meta.key));
        records.push_back(OG_TRY(parse_branch_record(text, store_->uri_of(meta.key), seal_)));
    }
    return records;
}

Result<std::vector<std::string>> Graph::branches() const {
    std::vector<std::string> names{"main"};
    for (auto& record : OG_TRY(branch_records()))
        names.push_back(std::move(record.name));
    std::sort(names.begin(), names.end());
    return names;
}

void Graph::set_write_authorizer(WriteAuthorizer authorizer) {
    write_authorizer_ =
        authorizer ? std::make_shared<const WriteAuthorizer>(std::move(authorizer)) : nullptr;
}

Status Graph::authorize_write(const WriteRequest& request) const {
    if (!write_authorizer_)
        return ok();
    return (*write_authorizer_)(request);
}

Result<BranchRecord> Graph::create_branch(std::string_view name, std::string_view from,
                                          std::optional<std::string> actor) const {
    std::string n = OG_TRY(normalize_branch_name(name));
    if (n == "main")
        return Error(kConflict, "cannot create branch 'main': it always exists");
    OG_CHECK(authorize_write({WriteAction::kBranchCreate, std::string(from), n, actor}));
    OG_CHECK(authorize_write({WriteAction::kReadSource, std::string(from), std::nullopt, actor}));
    auto source = OG_TRY(head(from));
    for (const auto& existing : OG_TRY(branches())) {
        if (existing == n)
            return Error(kConflict, "branch '" + n + "' already exists");
        if (branch_paths_collide(existing, n))
            return Error(kConflict,
                         base::concat("branch '", n, "' collides with existing branch '", existing,
                                      "' (one name cannot be a path prefix of another)"));
    }
    // Manifests left by a deleted branch of the same name belong to no branch now.
    OG_CHECK(store_->remove_prefix(format::manifest_log_prefix(n)));
    OG_CHECK(store_->remove(reclaimed_key(n)));
    BranchRecord record;
    record.name = n;
    record.from_branch = std::string(from);
    record.from_version = source.version;
    record.from_commit_id = source.commit_id;
    record.actor_id = std::move(actor);
    record.created_at = base::unix_micros(base::now());
    auto created = store_->put_if_absent(branch_record_key(n), branch_record_text(record));
    if (!created) {
        if (created.error().is(codes::kPreconditionFailed))
            return Error(kConflict, "branch '" + n + "' already exists");
        return std::move(created).error();
    }
    return record;
}

Status Graph::delete_branch(std::string_view name) const {
    std::string n = OG_TRY(normalize_branch_name(name));
    if (n == "main")
        return Error(kConflict, "cannot delete branch 'main'");
    if (!OG_TRY(branch_record(n)))
        return branch_not_found(n);
    for (const auto& other : OG_TRY(branch_records()))
        if (other.from_branch == n)
            return Error(kConflict, "cannot delete branch '" + n + "': branch '" + other.name +
                                        "' was created from it and still depends on it");
    OG_CHECK(store_->remove(branch_record_key(n))); // the delete; the rest is reclamation
    ignore_error(store_->remove_prefix(format::manifest_log_prefix(n)),
                 "a deleted branch's manifests are removed when the name is created again");
    ignore_error(store_->remove(reclaimed_key(n)),
                 "a deleted branch's reclaimed record is removed when the name is created again");
    return ok();
}

Status Graph::heal() const {
    if (root_schema_stale_)
        OG_CHECK(write_root_schema(*store_, *main_schema_));
    return settle_pending(*store_, seal_);
}

} // namespace omnigraph::engine
