#include "engine/graph.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/ulid.h"
#include "schema/compiler.h"
#include "schema/parser.h"
#include "schema/shape.h"

#include <nlohmann/json.hpp>

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
    for (const auto& n : ir.nodes)
        tables.push_back({"node:" + n.name,
                          n.type_id,
                          n.table_incarnation_id,
                          format::table_path(n.type_id, n.table_incarnation_id),
                          1,
                          0,
                          {}});
    for (const auto& e : ir.edges)
        tables.push_back({"edge:" + e.name,
                          e.type_id,
                          e.table_incarnation_id,
                          format::table_path(e.type_id, e.table_incarnation_id),
                          1,
                          0,
                          {}});
    std::sort(tables.begin(), tables.end(),
              [](const auto& a, const auto& b) { return a.table_key < b.table_key; });
    return tables;
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
    std::string uri = store.root().to_string();

    if (!store.root().is_s3()) {
        // Local roots need atomic create-only writes (link(2)); find out before claiming.
        std::string probe = "__create_if_absent_probe_" + base::new_ulid();
        OG_CHECK(store.put_if_absent(probe, ""));
        OG_CHECK(store.remove(probe));
    }
    Json claim;
    claim["version"] = 1;
    claim["attempt_id"] = base::new_ulid();
    auto claimed = store.put_if_absent(kInitClaimKey, base::to_compact_json(claim));
    if (!claimed) {
        if (claimed.error().is(codes::kPreconditionFailed))
            return Error(kInitClaimed,
                         "initialization claimed: " + store.uri_of(kInitClaimKey) +
                             " exists; another init is running, or one crashed (remove the "
                             "file by hand once no init is running)");
        return std::move(claimed).error();
    }
    auto result = init_claimed(store, source, shape, built.ir, options);
    auto released = store.remove(kInitClaimKey); // best effort: a leftover claim only blocks inits
    (void)released;
    if (result) {
        result->warnings = shape.warnings;
        for (auto& w : built.warnings)
            result->warnings.push_back(std::move(w));
    }
    return result;
}

Result<Graph> Graph::open(store::ObjectStore& store) {
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
    // Typed lookups that never throw: a damaged file is graph_invalid, not a crash.
    auto string_at = [](const Json& j, const char* key) {
        return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                      : std::string();
    };
    auto stamp = base::parse_json(*stamp_text, store.uri_of(kFormatKey));
    if (!stamp || string_at(*stamp, "format") != "omnigraph-cpp")
        return invalid("_format.json is not an omnigraph-cpp format stamp");
    const Json version = stamp->contains("version") ? (*stamp)["version"] : Json();
    if (!version.is_number_integer() || version.get<int64_t>() != kStorageFormatVersion)
        return invalid("storage format version " + base::to_compact_json(version) +
                       " is not supported (this build reads version " +
                       std::to_string(kStorageFormatVersion) + ")");
    auto source = OG_TRY(store.read_if_exists(kSchemaSourceKey));
    auto ir_text = OG_TRY(store.read_if_exists(kSchemaIrKey));
    auto state_text = OG_TRY(store.read_if_exists(kSchemaStateKey));
    if (!source || !ir_text || !state_text)
        return invalid("the schema contract is incomplete (_schema.pg, _schema.ir.json and "
                       "__schema_state.json are all required)");
    auto ir_json = base::parse_json(*ir_text, store.uri_of(kSchemaIrKey));
    if (!ir_json)
        return invalid(ir_json.error().to_string());
    auto ir = schema::parse_ir(*ir_json);
    if (!ir)
        return invalid(ir.error().message);
    auto state = base::parse_json(*state_text, store.uri_of(kSchemaStateKey));
    if (!state || !state->is_object())
        return invalid("__schema_state.json is not a JSON object");
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
    // An init that died before its genesis commit left files but no graph.
    auto genesis = format::read_manifest(store, "main", 1);
    if (!genesis) {
        if (genesis.error().is(codes::kNotFound))
            return invalid("it has no genesis version (an init did not finish; rerun `omnigraph "
                           "init --force`)");
        return std::move(genesis).error();
    }
    return Graph(store, std::move(*source), std::move(*ir));
}

Result<format::Manifest> Graph::head(std::string_view branch) const {
    auto latest = OG_TRY(format::read_latest_manifest(*store_, branch));
    if (!latest)
        return Error(codes::kNotFound, "branch '" + std::string(branch) + "' not found");
    return std::move(*latest);
}

Result<format::Manifest> Graph::at_version(std::string_view branch, uint64_t version) const {
    return format::read_manifest(*store_, branch, version);
}

Result<std::vector<format::CommitRecord>> Graph::commits(std::string_view branch) const {
    auto newest = OG_TRY(head(branch));
    std::vector<format::CommitRecord> out;
    std::string prefix = format::manifest_key(branch, 0);
    prefix.resize(prefix.rfind('/') + 1);
    auto keys = OG_TRY(store_->list_all(prefix)); // newest first (inverted version numbers)
    for (const auto& meta : keys) {
        auto text = OG_TRY(store_->read(meta.key));
        auto m = OG_TRY(format::parse_manifest(text, store_->uri_of(meta.key)));
        if (m.version > newest.version)
            continue; // published after we looked at the head
        out.push_back(OG_TRY(format::read_commit(*store_, m.commit_id)));
    }
    return out;
}

Result<format::CommitRecord> Graph::commit(std::string_view commit_id) const {
    return format::read_commit(*store_, commit_id);
}

} // namespace omnigraph::engine
