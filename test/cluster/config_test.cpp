// `cluster validate` and the desired state behind it (spec cluster §2, §15, §16.1): every
// validation diagnostic with its code, severity and path, query discovery in its three shapes,
// dependency edges, and what the config digest does and does not see.
//
// Each test copies the §16 fixture (test/cluster/fixtures/knowledge: graph `knowledge`, schema
// people.pg, queries/people.gq declaring find_person, policy base.policy.yaml bound to
// [knowledge]) into a TempDir and rewrites what it needs.
#include "cluster/commands.h"
#include "cluster/desired_state.h"
#include "test_support.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace omnigraph::cluster {
namespace {

namespace fs = std::filesystem;

std::string fixture_dir() {
    return testing::source_dir() + "/test/cluster/fixtures/knowledge";
}

void write_file(const fs::path& path, std::string_view text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << path;
}

std::string render(const Diagnostics& d) {
    std::string out;
    for (const auto& item : d.items())
        out += "  " + render_diagnostic(item) + "\n";
    return out.empty() ? "  (no diagnostics)\n" : out;
}

std::vector<std::string> codes(const Diagnostics& d) {
    std::vector<std::string> out;
    for (const auto& item : d.items())
        out.push_back(item.code);
    return out;
}

const Diagnostic* find_diag(const Diagnostics& d, std::string_view code) {
    for (const auto& item : d.items())
        if (item.code == code)
            return &item;
    return nullptr;
}

// Some diagnostic has exactly this code, severity and path.
::testing::AssertionResult has_diag(const Diagnostics& d, std::string_view code,
                                    std::string_view path, bool error = true) {
    for (const auto& item : d.items())
        if (item.code == code && item.path == path && item.error == error)
            return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure()
           << "no " << (error ? "error " : "warning ") << code << " at " << path << " in:\n"
           << render(d);
}

size_t count_code(const Diagnostics& d, std::string_view code) {
    size_t n = 0;
    for (const auto& item : d.items())
        n += item.code == code;
    return n;
}

// A private copy of the fixture.
class ClusterDir {
  public:
    ClusterDir() {
        fs::copy(fixture_dir(), dir_.path(),
                 fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    }
    const std::string& path() const { return dir_.path(); }
    std::string file(const std::string& rel) const { return path() + "/" + rel; }
    void write(const std::string& rel, std::string_view text) const { write_file(file(rel), text); }
    void yaml(std::string_view text) const { write("cluster.yaml", text); }

    CommandResult validate() const { return cluster::validate(CommandOptions{path(), {}}); }
    DesiredState load(Diagnostics& diags) const { return load_desired_state(path(), diags); }
    // The desired state of a configuration that must load without errors.
    DesiredState load_ok() const {
        Diagnostics diags;
        DesiredState d = load(diags);
        EXPECT_FALSE(diags.has_error()) << render(diags);
        EXPECT_TRUE(d.complete);
        return d;
    }

  private:
    testing::TempDir dir_;
};

// cluster.yaml of the fixture with one graph block replaced.
std::string with_graph(std::string_view graph_body) {
    return "version: 1\ngraphs:\n  knowledge:\n" + std::string(graph_body) +
           "policies:\n  base:\n    file: base.policy.yaml\n    applies_to: [knowledge]\n";
}

std::string with_policies(std::string_view policies) {
    return "version: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n    queries: queries/\n"
           "policies:\n" +
           std::string(policies);
}

std::vector<std::string> query_addresses(const DesiredState& d) {
    std::vector<std::string> out;
    for (const auto& r : d.resources)
        if (r.kind == "query")
            out.push_back(r.address);
    return out;
}

const char* kGraphOnlyPolicy = R"(version: 1
groups:
  readers: [act-reader]
rules:
  - id: readers-list
    allow:
      actors: { group: readers }
      actions: [graph_list]
)";

// ---------------------------------------------------------------------------------------------
// The minimal fixture.

TEST(ClusterValidate, MinimalFixtureIsValidWithDigestsAndSortedEdges) {
    ClusterDir dir;
    CommandResult r = dir.validate();
    ASSERT_TRUE(r.ok()) << render(r.diags);
    // The only finding is the validate-only default-deny warning.
    ASSERT_EQ(r.diags.items().size(), 1u) << render(r.diags);
    EXPECT_TRUE(has_diag(r.diags, "external_blob_ingress_default_deny",
                         "graphs.knowledge.external_blobs", false));
    EXPECT_EQ(r.json["ok"], true);

    std::vector<std::string> addresses;
    for (auto it = r.json["resource_digests"].begin(); it != r.json["resource_digests"].end();
         ++it) {
        addresses.push_back(it.key());
        EXPECT_EQ(it.value().get<std::string>().size(), 64u) << it.key();
    }
    EXPECT_EQ(addresses,
              (std::vector<std::string>{"graph.knowledge", "policy.base",
                                        "query.knowledge.find_person", "schema.knowledge"}));
    const auto& resources = r.json["resources"];
    ASSERT_EQ(resources.size(), 4u);
    EXPECT_EQ(resources[0]["kind"], "graph");
    EXPECT_FALSE(resources[0].contains("path")); // the composite has no file
    EXPECT_EQ(resources[1]["kind"], "policy");
    EXPECT_EQ(resources[2]["kind"], "query");
    EXPECT_EQ(resources[3]["kind"], "schema");
    EXPECT_EQ(resources[3]["path"], dir.path() + "/people.pg");

    const auto& deps = r.json["dependencies"];
    ASSERT_EQ(deps.size(), 4u) << deps.dump();
    EXPECT_EQ(deps[0]["from"], "policy.base");
    EXPECT_EQ(deps[0]["to"], "graph.knowledge");
    EXPECT_EQ(deps[1]["from"], "query.knowledge.find_person");
    EXPECT_EQ(deps[1]["to"], "graph.knowledge");
    EXPECT_EQ(deps[2]["from"], "query.knowledge.find_person");
    EXPECT_EQ(deps[2]["to"], "schema.knowledge");
    EXPECT_EQ(deps[3]["from"], "schema.knowledge");
    EXPECT_EQ(deps[3]["to"], "graph.knowledge");
    ASSERT_FALSE(r.lines.empty());
    EXPECT_EQ(r.lines[0], "cluster config valid: 4 resource(s), 4 dependency edge(s)");
}

TEST(ClusterValidate, DesiredStateCarriesNormalizedBindingsAndQueries) {
    ClusterDir dir;
    DesiredState d = dir.load_ok();
    ASSERT_EQ(d.graphs.count("knowledge"), 1u);
    const DesiredGraph& g = d.graphs.at("knowledge");
    EXPECT_FALSE(g.blob_policy); // no external_blobs: deny
    EXPECT_FALSE(g.provider);
    ASSERT_EQ(g.queries.count("find_person"), 1u);
    EXPECT_EQ(g.queries.at("find_person").digest, d.digests.at("query.knowledge.find_person"));
    ASSERT_EQ(d.policies.count("base"), 1u);
    EXPECT_EQ(d.policies.at("base").applies_to, std::vector<std::string>{"graph.knowledge"});
    EXPECT_EQ(d.config_digest.size(), 64u);
    EXPECT_EQ(dependents_of(d, "graph.knowledge"),
              (std::vector<std::string>{"policy.base", "query.knowledge.find_person",
                                        "schema.knowledge"}));
}

// ---------------------------------------------------------------------------------------------
// Steps 1-2: the directory and the file.

TEST(ClusterValidate, MissingConfigDirIsConfigDirNotFound) {
    testing::TempDir tmp;
    std::string missing = tmp.path() + "/nope";
    CommandResult r = validate(CommandOptions{missing, {}});
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(codes(r.diags), std::vector<std::string>{"config_dir_not_found"});
    EXPECT_TRUE(has_diag(r.diags, "config_dir_not_found", missing));
    EXPECT_EQ(r.json["ok"], false);
    ASSERT_FALSE(r.lines.empty());
    EXPECT_EQ(r.lines[0], "cluster config invalid");

    // A regular file is not a config dir either.
    write_file(tmp.path() + "/plain", "x");
    CommandResult f = validate(CommandOptions{tmp.path() + "/plain", {}});
    EXPECT_EQ(codes(f.diags), std::vector<std::string>{"config_dir_not_found"});
}

TEST(ClusterValidate, UnreadableClusterYamlIsReadError) {
    testing::TempDir empty;
    CommandResult r = validate(CommandOptions{empty.path(), {}});
    EXPECT_EQ(codes(r.diags), std::vector<std::string>{"cluster_config_read_error"});
    EXPECT_TRUE(r.diags.items()[0].error);

    testing::TempDir dir_as_file;
    fs::create_directories(dir_as_file.path() + "/cluster.yaml");
    CommandResult d = validate(CommandOptions{dir_as_file.path(), {}});
    EXPECT_EQ(codes(d.diags), std::vector<std::string>{"cluster_config_read_error"});
}

// ---------------------------------------------------------------------------------------------
// Step 3: text-level pre-checks.

TEST(ClusterValidate, RepeatedTopLevelKeyIsDuplicateYamlKey) {
    ClusterDir dir;
    dir.yaml("version: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n"
             "graphs:\n  other:\n    schema: people.pg\n");
    CommandResult r = dir.validate();
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(codes(r.diags), std::vector<std::string>{"duplicate_yaml_key"}) << render(r.diags);
    EXPECT_TRUE(has_diag(r.diags, "duplicate_yaml_key", "graphs"));
}

TEST(ClusterValidate, DuplicateQuotedKeyContainingHashIsReportedOnce) {
    ClusterDir dir;
    // The '#' inside the quotes is not a comment: both lines carry the same key.
    dir.yaml("version: 1\n"
             "metadata:\n"
             "  \"name#1\": a # a real comment with a \"quote\n"
             "  \"name#1\": b\n");
    CommandResult r = dir.validate();
    EXPECT_EQ(count_code(r.diags, "duplicate_yaml_key"), 1u) << render(r.diags);
    EXPECT_TRUE(has_diag(r.diags, "duplicate_yaml_key", "metadata.name#1"));
    EXPECT_FALSE(r.diags.has_code("invalid_cluster_yaml")); // step 3 stops before the parse
}

TEST(ClusterValidate, SequenceItemsAreSeparateMappings) {
    ClusterDir dir;
    fs::create_directories(dir.file("assets/a"));
    fs::create_directories(dir.file("assets/b"));
    std::string allow = "    external_blobs:\n      allow:\n"
                        "        - base: file://" +
                        dir.path() +
                        "/assets/a\n"
                        "          scope: embedded_only\n"
                        "        - base: file://" +
                        dir.path() + "/assets/b\n          scope: embedded_only\n";
    dir.yaml(with_graph("    schema: people.pg\n" + allow));
    CommandResult ok = dir.validate();
    EXPECT_TRUE(ok.ok()) << render(ok.diags);
    EXPECT_FALSE(ok.diags.has_code("duplicate_yaml_key"));

    std::string twice = "    external_blobs:\n      allow:\n"
                        "        - base: s3://bucket/a\n"
                        "          scope: server_safe\n"
                        "          scope: server_safe\n"
                        "        - base: s3://bucket/b\n"
                        "          scope: server_safe\n";
    dir.yaml(with_graph("    schema: people.pg\n" + twice));
    CommandResult r = dir.validate();
    EXPECT_EQ(codes(r.diags), std::vector<std::string>{"duplicate_yaml_key"}) << render(r.diags);
    EXPECT_TRUE(
        has_diag(r.diags, "duplicate_yaml_key", "graphs.knowledge.external_blobs.allow[].scope"));
}

TEST(ClusterValidate, EveryReservedTopLevelKeyIsFuturePhaseField) {
    for (const char* key :
         {"apply", "env_file", "pipelines", "embeddings", "ui", "aliases", "bindings"}) {
        SCOPED_TRACE(key);
        ClusterDir dir;
        dir.yaml("version: 1\n" + std::string(key) + ": {}\n");
        CommandResult r = dir.validate();
        EXPECT_FALSE(r.ok());
        ASSERT_FALSE(r.diags.empty());
        EXPECT_EQ(r.diags.items()[0].code, "future_phase_field") << render(r.diags);
        EXPECT_TRUE(has_diag(r.diags, "future_phase_field", key));
        // Reserved keys stop validation before the typed parse (no unknown-field error).
        EXPECT_FALSE(r.diags.has_code("invalid_cluster_yaml")) << render(r.diags);
    }
}

TEST(ClusterValidate, StreamingDeclarationIsRemoved) {
    ClusterDir dir;
    dir.yaml(with_graph("    schema: people.pg\n    streaming: true\n"));
    CommandResult r = dir.validate();
    EXPECT_EQ(codes(r.diags), std::vector<std::string>{"removed_streaming_declaration"})
        << render(r.diags);
    EXPECT_TRUE(has_diag(r.diags, "removed_streaming_declaration", "graphs.knowledge.streaming"));
}

TEST(ClusterValidate, PreChecksAreAllCollectedBeforeStopping) {
    ClusterDir dir;
    dir.yaml("version: 1\npipelines: {}\nwat: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n"
             "    schema: other.pg\n    streaming: {}\n");
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "duplicate_yaml_key", "graphs.knowledge.schema"));
    EXPECT_TRUE(has_diag(r.diags, "future_phase_field", "pipelines"));
    EXPECT_TRUE(has_diag(r.diags, "removed_streaming_declaration", "graphs.knowledge.streaming"));
    // `wat` would be a typed-parse error, which never runs.
    EXPECT_FALSE(r.diags.has_code("invalid_cluster_yaml")) << render(r.diags);
    EXPECT_EQ(r.diags.items().size(), 3u) << render(r.diags);
}

// ---------------------------------------------------------------------------------------------
// Step 4: the strict typed parse.

TEST(ClusterValidate, TypedParseFailuresAreInvalidClusterYaml) {
    struct Case {
        const char* name;
        std::string yaml;
        const char* message_part;
    };
    const std::vector<Case> cases = {
        {"unknown top-level field", "version: 1\nwat: 1\n", "wat"},
        {"missing version", "graphs: {}\n", "version"},
        {"version as a string", "version: \"1\"\n", "version"},
        {"graphs as a list", "version: 1\ngraphs: [knowledge]\n", "graphs"},
        {"lock not a boolean", "version: 1\nstate:\n  lock: maybe\n", "state.lock"},
        {"unknown provider family", "version: 1\nproviders:\n  storage: {}\n", "storage"},
        {"unknown graph field",
         "version: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n"
         "    shema: x\n",
         "shema"},
        {"missing schema", "version: 1\ngraphs:\n  knowledge:\n    queries: queries/\n", "schema"},
        {"missing applies_to", "version: 1\npolicies:\n  base:\n    file: base.policy.yaml\n",
         "applies_to"},
        {"applies_to not a list",
         "version: 1\npolicies:\n  base:\n    file: base.policy.yaml\n    applies_to: {a: 1}\n",
         "applies_to"},
        {"unknown blob scope",
         "version: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n"
         "    external_blobs:\n      allow:\n"
         "        - base: s3://b/x\n          scope: everywhere\n",
         "everywhere"},
        {"not YAML", "version: 1\ngraphs: [\n", ""},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        ClusterDir dir;
        dir.yaml(c.yaml);
        CommandResult r = dir.validate();
        EXPECT_FALSE(r.ok());
        ASSERT_EQ(codes(r.diags), std::vector<std::string>{"invalid_cluster_yaml"})
            << render(r.diags);
        EXPECT_TRUE(r.diags.items()[0].error);
        EXPECT_EQ(r.diags.items()[0].path, "cluster.yaml");
        EXPECT_NE(r.diags.items()[0].message.find(c.message_part), std::string::npos)
            << r.diags.items()[0].message;
        EXPECT_TRUE(r.json["resource_digests"].empty());
    }
}

TEST(ClusterValidate, UnknownFieldMessageSaysUnknownField) {
    ClusterDir dir;
    dir.yaml("version: 1\nwat: 1\n");
    CommandResult r = dir.validate();
    ASSERT_EQ(r.diags.items().size(), 1u);
    EXPECT_NE(r.diags.items()[0].message.find("unknown field"), std::string::npos)
        << r.diags.items()[0].message;
}

// ---------------------------------------------------------------------------------------------
// Step 5: the header.

TEST(ClusterValidate, VersionOtherThanOneIsUnsupported) {
    ClusterDir dir;
    dir.yaml("version: 2\n");
    CommandResult r = dir.validate();
    EXPECT_EQ(codes(r.diags), std::vector<std::string>{"unsupported_cluster_config_version"});
    EXPECT_TRUE(has_diag(r.diags, "unsupported_cluster_config_version", "version"));
}

TEST(ClusterValidate, BlankMetadataNameIsRefused) {
    ClusterDir dir;
    dir.yaml("version: 1\nmetadata:\n  name: \"   \"\n");
    CommandResult r = dir.validate();
    EXPECT_EQ(codes(r.diags), std::vector<std::string>{"empty_metadata_name"});
    EXPECT_TRUE(has_diag(r.diags, "empty_metadata_name", "metadata.name"));

    dir.yaml("version: 1\nmetadata:\n  name: company-brain\n");
    EXPECT_TRUE(dir.validate().ok());
}

TEST(ClusterValidate, StateBackendMustBeCluster) {
    ClusterDir dir;
    dir.yaml("version: 1\nstate:\n  backend: s3://bucket/state\n");
    CommandResult r = dir.validate();
    EXPECT_EQ(codes(r.diags), std::vector<std::string>{"unsupported_state_backend"});
    EXPECT_TRUE(has_diag(r.diags, "unsupported_state_backend", "state.backend"));

    dir.yaml("version: 1\nstate:\n  backend: cluster\n  lock: false\n");
    CommandResult ok = dir.validate();
    EXPECT_TRUE(ok.ok()) << render(ok.diags);
}

TEST(ClusterValidate, InvalidStorageRoots) {
    for (const char* storage : {"\"   \"", "\"s3://\"", "gs://bucket/x", "http://host/x"}) {
        SCOPED_TRACE(storage);
        ClusterDir dir;
        dir.yaml("version: 1\nstorage: " + std::string(storage) +
                 "\ngraphs:\n  knowledge:\n    schema: people.pg\n");
        CommandResult r = dir.validate();
        EXPECT_EQ(codes(r.diags), std::vector<std::string>{"invalid_storage_root"})
            << render(r.diags);
        EXPECT_TRUE(has_diag(r.diags, "invalid_storage_root", "storage"));
        // A failed header stops before the graphs are read.
        EXPECT_TRUE(r.json["resource_digests"].empty());
    }
}

TEST(ClusterValidate, ValidStorageRootsPass) {
    for (const char* storage : {"./elsewhere", "s3://bucket/prefix/", "file:///tmp/og-root"}) {
        SCOPED_TRACE(storage);
        ClusterDir dir;
        dir.yaml("version: 1\nstorage: " + std::string(storage) +
                 "\ngraphs:\n  knowledge:\n    schema: people.pg\n");
        CommandResult r = dir.validate();
        EXPECT_TRUE(r.ok()) << render(r.diags);
    }
}

TEST(ClusterValidate, HeaderErrorsAreAllReported) {
    ClusterDir dir;
    dir.yaml("version: 3\nmetadata: {name: \"\"}\nstate: {backend: etcd}\nstorage: \"s3://\"\n");
    CommandResult r = dir.validate();
    EXPECT_TRUE(r.diags.has_code("unsupported_cluster_config_version"));
    EXPECT_TRUE(r.diags.has_code("empty_metadata_name"));
    EXPECT_TRUE(r.diags.has_code("unsupported_state_backend"));
    EXPECT_TRUE(r.diags.has_code("invalid_storage_root"));
}

TEST(ClusterValidate, ResourceErrorsAccumulateInSpecOrder) {
    // Step 6: providers, then each graph (id, external blobs, embedding reference, schema,
    // queries), then policies; processing continues after each error.
    ClusterDir dir;
    dir.yaml("version: 1\n"
             "providers:\n  embedding:\n    default:\n      kind: openai\n      api_key: sk-1\n"
             "graphs:\n"
             "  my_kb:\n"
             "    schema: nope.pg\n"
             "    queries: missing.gq\n"
             "    embedding_provider: elsewhere\n"
             "    external_blobs:\n      allow:\n"
             "        - base: s3://b/../x\n          scope: server_safe\n"
             "policies:\n  base:\n    file: nope.policy.yaml\n    applies_to: [my_kb]\n");
    CommandResult r = dir.validate();
    EXPECT_EQ(codes(r.diags),
              (std::vector<std::string>{
                  "embedding_api_key_inline", "invalid_resource_id", "invalid_external_blob_base",
                  "dangling_embedding_provider_reference", "schema_file_missing",
                  "query_file_missing", "policy_file_missing"}))
        << render(r.diags);
}

// ---------------------------------------------------------------------------------------------
// Identifiers.

TEST(ClusterValidate, GraphIdsFollowTheServingRule) {
    // '_' is allowed by the cluster syntax but not by the server's routes: refused here.
    for (const std::string& id : std::vector<std::string>{
             "my_graph", "_knowledge", "9lives", "graphs", "healthz", std::string(65, 'a')}) {
        SCOPED_TRACE(id);
        ClusterDir dir;
        dir.yaml("version: 1\ngraphs:\n  " + id + ":\n    schema: people.pg\n");
        CommandResult r = dir.validate();
        EXPECT_TRUE(has_diag(r.diags, "invalid_resource_id", "graphs." + id));
    }
    for (const std::string& id :
         std::vector<std::string>{"kb-2", "Knowledge", std::string(64, 'a')}) {
        SCOPED_TRACE(id);
        ClusterDir dir;
        dir.yaml("version: 1\ngraphs:\n  " + id + ":\n    schema: people.pg\n");
        CommandResult r = dir.validate();
        EXPECT_TRUE(r.ok()) << render(r.diags);
    }
    EXPECT_TRUE(valid_graph_id("a-b"));
    EXPECT_FALSE(valid_graph_id(""));
    EXPECT_FALSE(valid_graph_id("a.b"));
    EXPECT_FALSE(valid_graph_id("openapi"));
    EXPECT_FALSE(valid_graph_id("policies"));
}

TEST(ClusterValidate, BadPolicyAndProviderNamesAreInvalidResourceIds) {
    ClusterDir dir;
    dir.yaml("version: 1\n"
             "providers:\n  embedding:\n    \"bad name\": {kind: mock}\n"
             "graphs:\n  knowledge:\n    schema: people.pg\n"
             "policies:\n"
             "  \"9lives\":\n    file: base.policy.yaml\n    applies_to: [knowledge]\n");
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "invalid_resource_id", "policies.9lives"));
    EXPECT_TRUE(has_diag(r.diags, "invalid_resource_id", "providers.embedding.bad name"));

    dir.yaml(with_policies("  \"bad.name\":\n    file: base.policy.yaml\n"
                           "    applies_to: [knowledge]\n"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "invalid_resource_id", "policies.bad.name"));

    EXPECT_TRUE(valid_resource_name("_private-1"));
    EXPECT_FALSE(valid_resource_name("-x"));
    EXPECT_FALSE(valid_resource_name("a b"));
}

TEST(ClusterValidate, BadQueryNameInExplicitMapIsInvalidResourceId) {
    // Query names follow the identifier rule too (spec §2.5); the explicit map is where a
    // cluster.yaml spells one.
    ClusterDir dir;
    dir.yaml(with_graph("    schema: people.pg\n    queries:\n"
                        "      9lives: { file: queries/people.gq }\n"));
    CommandResult r = dir.validate();
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(has_diag(r.diags, "invalid_resource_id", "graphs.knowledge.queries.9lives"));
}

// ---------------------------------------------------------------------------------------------
// Schemas.

TEST(ClusterValidate, MissingSchemaFile) {
    ClusterDir dir;
    dir.yaml(with_graph("    schema: nope.pg\n    queries: queries/\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "schema_file_missing", "graphs.knowledge.schema"));
    // The queries cannot be type-checked without a schema.
    EXPECT_TRUE(has_diag(r.diags, "query_typecheck_skipped", "graphs.knowledge.queries.find_person",
                         false));
    EXPECT_FALSE(r.json["resource_digests"].contains("schema.knowledge"));
    EXPECT_FALSE(r.diags.has_code("external_blob_ingress_default_deny"));
}

TEST(ClusterValidate, SchemaSyntaxAndCatalogErrors) {
    ClusterDir dir;
    dir.yaml(with_graph("    schema: people.pg\n    queries: queries/\n"));
    dir.write("people.pg", "node Person {\n");
    CommandResult parse = dir.validate();
    EXPECT_TRUE(has_diag(parse.diags, "schema_parse_error", "graphs.knowledge.schema"));
    EXPECT_FALSE(parse.diags.has_code("schema_catalog_error"));
    EXPECT_TRUE(has_diag(parse.diags, "query_typecheck_skipped",
                         "graphs.knowledge.queries.find_person", false));
    // The file was read: its digest is still a resource.
    EXPECT_TRUE(parse.json["resource_digests"].contains("schema.knowledge"));

    dir.write("people.pg", "node Person { name: String @key }\nedge Knows: Person -> Robot\n");
    CommandResult catalog = dir.validate();
    EXPECT_TRUE(has_diag(catalog.diags, "schema_catalog_error", "graphs.knowledge.schema"));
    EXPECT_FALSE(catalog.diags.has_code("schema_parse_error"));
    EXPECT_TRUE(catalog.diags.has_code("query_typecheck_skipped"));
    EXPECT_FALSE(catalog.diags.has_code("query_typecheck_error"));
}

// ---------------------------------------------------------------------------------------------
// Queries: discovery shapes and their diagnostics.

const char* kTwoQueries = "query by_age($age: I32) {\n"
                          "    match { $p: Person { age: $age } }\n"
                          "    return { $p.name }\n"
                          "}\n"
                          "\n"
                          "query all_people() {\n"
                          "    match { $p: Person }\n"
                          "    return { $p.name }\n"
                          "}\n";

TEST(ClusterValidate, DirectoryDiscoveryTakesEveryGqFileSorted) {
    ClusterDir dir;
    dir.write("queries/more.gq", kTwoQueries);
    dir.write("queries/notes.txt", "query ignored() { match { $p: Person } return { $p.name } }\n");
    dir.write("queries/sub/deep.gq", "query deep() { match { $p: Person } return { $p.name } }\n");
    dir.yaml(with_graph("    schema: people.pg\n    queries: ./queries/\n"));
    DesiredState d = dir.load_ok();
    EXPECT_EQ(query_addresses(d),
              (std::vector<std::string>{"query.knowledge.all_people", "query.knowledge.by_age",
                                        "query.knowledge.find_person"}));
    // The digest of a query is the digest of its whole file.
    EXPECT_EQ(d.digests.at("query.knowledge.all_people"), d.digests.at("query.knowledge.by_age"));
    EXPECT_NE(d.digests.at("query.knowledge.by_age"), d.digests.at("query.knowledge.find_person"));
}

TEST(ClusterValidate, ListAndSingleFileDiscovery) {
    ClusterDir dir;
    dir.write("extra/more.gq", kTwoQueries);
    dir.yaml(with_graph("    schema: people.pg\n    queries: [queries/, extra/more.gq]\n"));
    DesiredState list = dir.load_ok();
    EXPECT_EQ(query_addresses(list),
              (std::vector<std::string>{"query.knowledge.all_people", "query.knowledge.by_age",
                                        "query.knowledge.find_person"}));

    // A single file is taken whatever its extension.
    dir.write("extra/more.txt", kTwoQueries);
    dir.yaml(with_graph("    schema: people.pg\n    queries: extra/more.txt\n"));
    DesiredState single = dir.load_ok();
    EXPECT_EQ(query_addresses(single),
              (std::vector<std::string>{"query.knowledge.all_people", "query.knowledge.by_age"}));
}

TEST(ClusterValidate, ExplicitMapRegistersOnlyTheNamedQueries) {
    ClusterDir dir;
    dir.write("extra/more.gq", kTwoQueries);
    dir.yaml(with_graph("    schema: people.pg\n    queries:\n"
                        "      by_age: { file: extra/more.gq }\n"
                        "      find_person:\n        file: queries/people.gq\n"));
    DesiredState d = dir.load_ok();
    EXPECT_EQ(query_addresses(d),
              (std::vector<std::string>{"query.knowledge.by_age", "query.knowledge.find_person"}));
}

TEST(ClusterValidate, EmptyQueryDirectoryIsAWarning) {
    ClusterDir dir;
    fs::create_directories(dir.file("empty"));
    dir.write("empty/readme.md", "nothing here\n");
    dir.yaml(with_graph("    schema: people.pg\n    queries: empty/\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(r.ok()) << render(r.diags);
    EXPECT_TRUE(has_diag(r.diags, "query_dir_empty", "graphs.knowledge.queries", false));
}

TEST(ClusterValidate, MissingQueryFileInDiscoveryAndInTheMap) {
    ClusterDir dir;
    dir.yaml(with_graph("    schema: people.pg\n    queries: missing.gq\n"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "query_file_missing", "graphs.knowledge.queries"));

    dir.yaml(with_graph("    schema: people.pg\n    queries: [queries/, missing.gq]\n"));
    CommandResult list = dir.validate();
    EXPECT_TRUE(has_diag(list.diags, "query_file_missing", "graphs.knowledge.queries"));
    EXPECT_TRUE(list.json["resource_digests"].contains("query.knowledge.find_person"));

    dir.yaml(with_graph("    schema: people.pg\n    queries:\n"
                        "      find_person: { file: missing.gq }\n"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "query_file_missing",
                         "graphs.knowledge.queries.find_person.file"));
}

TEST(ClusterValidate, EveryMapEntryOnABadFileIsReported) {
    // Several names may share a file (spec §2.2); each entry's own path carries the failure.
    ClusterDir dir;
    dir.write("queries/garbage.gq", "this is not a query\n");
    dir.yaml(with_graph("    schema: people.pg\n    queries:\n"
                        "      a: { file: missing.gq }\n"
                        "      b: { file: missing.gq }\n"
                        "      c: { file: queries/garbage.gq }\n"
                        "      d: { file: queries/garbage.gq }\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "query_file_missing", "graphs.knowledge.queries.a.file"));
    EXPECT_TRUE(has_diag(r.diags, "query_file_missing", "graphs.knowledge.queries.b.file"));
    EXPECT_TRUE(has_diag(r.diags, "query_parse_error", "graphs.knowledge.queries.c"));
    EXPECT_TRUE(has_diag(r.diags, "query_parse_error", "graphs.knowledge.queries.d"));
}

TEST(ClusterValidate, UnparseableQueryFileInDiscoveryAndInTheMap) {
    ClusterDir dir;
    dir.write("queries/garbage.gq", "this is not a query\n");
    dir.yaml(with_graph("    schema: people.pg\n    queries: queries/\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "query_parse_error", "graphs.knowledge.queries"));
    // The healthy file still registers.
    EXPECT_TRUE(r.json["resource_digests"].contains("query.knowledge.find_person"));

    dir.yaml(with_graph("    schema: people.pg\n    queries:\n"
                        "      broken: { file: queries/garbage.gq }\n"));
    EXPECT_TRUE(
        has_diag(dir.validate().diags, "query_parse_error", "graphs.knowledge.queries.broken"));
}

TEST(ClusterValidate, SameQueryInTwoFilesIsDuplicateQueryName) {
    ClusterDir dir;
    dir.write("other/copy.gq", "query find_person() { match { $p: Person } return { $p.name } }\n");
    dir.yaml(
        with_graph("    schema: people.pg\n    queries: [queries/people.gq, other/copy.gq]\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "duplicate_query_name", "graphs.knowledge.queries.find_person"));
    EXPECT_EQ(count_code(r.diags, "duplicate_query_name"), 1u);
    // The first file in discovery order wins.
    Diagnostics diags;
    DesiredState d = dir.load(diags);
    ASSERT_EQ(d.graphs.at("knowledge").queries.count("find_person"), 1u);
    EXPECT_EQ(d.graphs.at("knowledge").queries.at("find_person").file,
              dir.path() + "/queries/people.gq");

    // Listing the same file twice is not a duplicate.
    dir.yaml(with_graph("    schema: people.pg\n    queries: [queries/, queries/people.gq]\n"));
    CommandResult twice = dir.validate();
    EXPECT_TRUE(twice.ok()) << render(twice.diags);
}

TEST(ClusterValidate, ExplicitMapNameMissingFromItsFileIsKeyMismatch) {
    ClusterDir dir;
    dir.yaml(with_graph("    schema: people.pg\n    queries:\n"
                        "      find_people: { file: queries/people.gq }\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "query_key_mismatch", "graphs.knowledge.queries.find_people"));
    EXPECT_FALSE(r.json["resource_digests"].contains("query.knowledge.find_person"));
}

TEST(ClusterValidate, QueryAgainstUnknownTypeIsTypecheckError) {
    ClusterDir dir;
    dir.write("queries/robots.gq", "query robots() { match { $r: Robot } return { $r.name } }\n");
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "query_typecheck_error", "graphs.knowledge.queries.robots"));
    EXPECT_FALSE(r.diags.has_code("query_typecheck_skipped"));
}

// ---------------------------------------------------------------------------------------------
// Policies.

TEST(ClusterValidate, EmptyAppliesToIsPolicyMissingAppliesTo) {
    ClusterDir dir;
    dir.yaml(with_policies("  base:\n    file: base.policy.yaml\n    applies_to: []\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "policy_missing_applies_to", "policies.base.applies_to"));
}

TEST(ClusterValidate, WrongKindAndDanglingGraphBindings) {
    ClusterDir dir;
    dir.yaml(with_policies("  base:\n    file: base.policy.yaml\n"
                           "    applies_to: [query.knowledge.find_person, missing]\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "wrong_kind_reference", "policies.base.applies_to"));
    EXPECT_TRUE(has_diag(r.diags, "dangling_graph_reference", "policies.base.applies_to"));
    EXPECT_NE(find_diag(r.diags, "dangling_graph_reference")->message.find("missing"),
              std::string::npos);

    // Both spellings of a graph binding normalize to graph.<id>.
    dir.yaml(with_policies("  base:\n    file: base.policy.yaml\n"
                           "    applies_to: [graph.knowledge, knowledge]\n"));
    DesiredState d = dir.load_ok();
    EXPECT_EQ(d.policies.at("base").applies_to, std::vector<std::string>{"graph.knowledge"});
}

TEST(ClusterValidate, MixedBindingKindsAloneOnAValidBundle) {
    ClusterDir dir;
    dir.write("empty.policy.yaml", "version: 1\n");
    dir.yaml(with_policies("  base:\n    file: empty.policy.yaml\n"
                           "    applies_to: [cluster, knowledge]\n"));
    CommandResult r = dir.validate();
    EXPECT_EQ(codes(r.diags), std::vector<std::string>{"policy_mixed_binding_kinds"})
        << render(r.diags);
    EXPECT_TRUE(has_diag(r.diags, "policy_mixed_binding_kinds", "policies.base.applies_to"));
}

TEST(ClusterValidate, MixedBindingBundleIsStillSyntaxChecked) {
    // Spec §2.3: mixed/empty bundles are only syntax-checked — not skipped. A misspelled rule
    // field is a syntax error whatever the bindings.
    ClusterDir dir;
    dir.write("bad.policy.yaml", "version: 1\nrules:\n  - id: r\n    alow: {}\n");
    dir.yaml(with_policies("  base:\n    file: bad.policy.yaml\n"
                           "    applies_to: [cluster, knowledge]\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "policy_mixed_binding_kinds", "policies.base.applies_to"));
    EXPECT_TRUE(has_diag(r.diags, "policy_invalid", "policies.base.file"));
}

TEST(ClusterValidate, OneBundlePerScope) {
    ClusterDir dir;
    dir.write("second.policy.yaml", "version: 1\n");
    dir.yaml(with_policies("  base:\n    file: base.policy.yaml\n    applies_to: [knowledge]\n"
                           "  second:\n    file: second.policy.yaml\n"
                           "    applies_to: [graph.knowledge]\n"));
    CommandResult r = dir.validate();
    ASSERT_TRUE(has_diag(r.diags, "duplicate_policy_binding", "policies.second.applies_to"));
    const std::string& message = find_diag(r.diags, "duplicate_policy_binding")->message;
    EXPECT_NE(message.find("base"), std::string::npos) << message;
    EXPECT_NE(message.find("second"), std::string::npos) << message;
    EXPECT_NE(message.find("graph.knowledge"), std::string::npos) << message;
    EXPECT_EQ(count_code(r.diags, "duplicate_policy_binding"), 1u);

    dir.write("admins.policy.yaml", kGraphOnlyPolicy);
    dir.yaml(with_policies("  zeta:\n    file: admins.policy.yaml\n    applies_to: [cluster]\n"
                           "  alpha:\n    file: admins.policy.yaml\n    applies_to: [cluster]\n"));
    CommandResult cluster = dir.validate();
    // The later bundle in name order is the one reported.
    EXPECT_TRUE(has_diag(cluster.diags, "duplicate_policy_binding", "policies.zeta.applies_to"));
    EXPECT_EQ(count_code(cluster.diags, "duplicate_policy_binding"), 1u) << render(cluster.diags);
}

TEST(ClusterValidate, MissingPolicyFile) {
    ClusterDir dir;
    dir.yaml(with_policies("  base:\n    file: nope.policy.yaml\n    applies_to: [knowledge]\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "policy_file_missing", "policies.base.file"));
    EXPECT_FALSE(r.json["resource_digests"].contains("policy.base"));
}

TEST(ClusterValidate, BundlesAreCompiledForTheirBindingKind) {
    ClusterDir dir;
    // A server-scoped action in a graph-bound bundle.
    dir.write("base.policy.yaml", kGraphOnlyPolicy);
    CommandResult graph_list = dir.validate();
    ASSERT_TRUE(has_diag(graph_list.diags, "policy_invalid", "policies.base.file"));
    EXPECT_NE(find_diag(graph_list.diags, "policy_invalid")->message.find("server-scoped"),
              std::string::npos);

    // The same bundle is fine bound to the cluster.
    dir.yaml(with_policies("  base:\n    file: base.policy.yaml\n    applies_to: [cluster]\n"));
    CommandResult cluster = dir.validate();
    EXPECT_TRUE(cluster.ok()) << render(cluster.diags);

    // A per-graph action with branch_scope in a cluster-bound bundle.
    dir.write("base.policy.yaml", "version: 1\ngroups:\n  readers: [act-reader]\nrules:\n"
                                  "  - id: r\n    allow:\n      actors: { group: readers }\n"
                                  "      actions: [read]\n      branch_scope: any\n");
    CommandResult per_graph = dir.validate();
    ASSERT_TRUE(has_diag(per_graph.diags, "policy_invalid", "policies.base.file"));
    EXPECT_NE(find_diag(per_graph.diags, "policy_invalid")->message.find("per-graph"),
              std::string::npos)
        << find_diag(per_graph.diags, "policy_invalid")->message;
}

TEST(ClusterValidate, BranchScopeOnInvokeQueryIsPolicyInvalid) {
    ClusterDir dir;
    dir.write("base.policy.yaml", "version: 1\ngroups:\n  readers: [act-reader]\nrules:\n"
                                  "  - id: r\n    allow:\n      actors: { group: readers }\n"
                                  "      actions: [invoke_query]\n      branch_scope: any\n");
    CommandResult r = dir.validate();
    ASSERT_TRUE(has_diag(r.diags, "policy_invalid", "policies.base.file"));
    EXPECT_NE(find_diag(r.diags, "policy_invalid")->message.find("invoke_query"),
              std::string::npos);
}

TEST(ClusterValidate, StrictBundleSyntax) {
    ClusterDir dir;
    dir.write("base.policy.yaml", "version: 1\ngroups:\n  readers: [act-reader]\nrules:\n"
                                  "  - id: r\n    alow:\n      actors: { group: readers }\n"
                                  "      actions: [read]\n");
    CommandResult misspelled = dir.validate();
    ASSERT_TRUE(has_diag(misspelled.diags, "policy_invalid", "policies.base.file"));
    EXPECT_NE(find_diag(misspelled.diags, "policy_invalid")->message.find("alow"),
              std::string::npos);

    dir.write("base.policy.yaml", "version: 1\ngroups:\n  admins: [act-admin]\nrules:\n"
                                  "  - id: r\n    allow:\n      actors: { group: admins }\n"
                                  "      actions: [schema_apply]\n      branch_scope: any\n");
    CommandResult schema_apply = dir.validate();
    ASSERT_TRUE(has_diag(schema_apply.diags, "policy_invalid", "policies.base.file"));
    EXPECT_NE(find_diag(schema_apply.diags, "policy_invalid")->message.find("schema_apply"),
              std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Embedding providers.

std::string with_provider(std::string_view profile, std::string_view ref = "default") {
    return "version: 1\nproviders:\n  embedding:\n    default:\n" + std::string(profile) +
           "graphs:\n  knowledge:\n    schema: people.pg\n    embedding_provider: " +
           std::string(ref) + "\n";
}

TEST(ClusterValidate, MockProviderBoundToAGraph) {
    ClusterDir dir;
    dir.yaml(with_provider("      kind: mock\n      model: m\n"));
    CommandResult r = dir.validate();
    ASSERT_TRUE(r.ok()) << render(r.diags);
    bool found = false;
    for (const auto& res : r.json["resources"])
        if (res["address"] == "provider.embedding.default") {
            found = true;
            EXPECT_EQ(res["kind"], "embedding_provider");
            EXPECT_FALSE(res.contains("path"));
        }
    EXPECT_TRUE(found) << r.json["resources"].dump();
    bool edge = false;
    for (const auto& e : r.json["dependencies"])
        edge |= e["from"] == "graph.knowledge" && e["to"] == "provider.embedding.default";
    EXPECT_TRUE(edge) << r.json["dependencies"].dump();

    DesiredState d = dir.load_ok();
    EXPECT_EQ(d.graphs.at("knowledge").provider, "provider.embedding.default");
    // The full address spelling binds the same provider.
    dir.yaml(with_provider("      kind: mock\n      model: m\n", "provider.embedding.default"));
    DesiredState full = dir.load_ok();
    EXPECT_EQ(full.digests.at("graph.knowledge"), d.digests.at("graph.knowledge"));
}

TEST(ClusterValidate, ProviderDiagnostics) {
    ClusterDir dir;
    dir.yaml(with_provider("      kind: cohere\n      api_key: ${KEY}\n"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "invalid_embedding_provider",
                         "providers.embedding.default.kind"));

    dir.yaml(with_provider("      kind: openai\n      api_key: sk-live-123\n"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "embedding_api_key_inline",
                         "providers.embedding.default.api_key"));

    // Enforced for mock too when a key is given; a blank reference is not a reference.
    dir.yaml(with_provider("      kind: mock\n      api_key: \"${ }\"\n"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "embedding_api_key_inline",
                         "providers.embedding.default.api_key"));

    // The default kind (openai-compatible) needs a key.
    dir.yaml(with_provider("      model: m\n"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "embedding_api_key_required",
                         "providers.embedding.default.api_key"));

    dir.yaml(with_provider("      kind: gemini\n      api_key: \"${ GEMINI_KEY }\"\n"));
    CommandResult ok = dir.validate();
    EXPECT_TRUE(ok.ok()) << render(ok.diags);
}

TEST(ClusterValidate, EmbeddingProviderReferences) {
    ClusterDir dir;
    dir.yaml(with_provider("      kind: mock\n", "provider.policy.default"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "wrong_kind_reference",
                         "graphs.knowledge.embedding_provider"));
    dir.yaml(with_provider("      kind: mock\n", "unknown"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "dangling_embedding_provider_reference",
                         "graphs.knowledge.embedding_provider"));
    dir.yaml(with_provider("      kind: mock\n", "provider.embedding.unknown"));
    EXPECT_TRUE(has_diag(dir.validate().diags, "dangling_embedding_provider_reference",
                         "graphs.knowledge.embedding_provider"));
}

// ---------------------------------------------------------------------------------------------
// External blobs.

std::string with_blobs(std::string_view allow_items) {
    return with_graph("    schema: people.pg\n    queries: queries/\n"
                      "    external_blobs:\n      allow:\n" +
                      std::string(allow_items));
}

TEST(ClusterValidate, ExternalBlobBasesAreNormalized) {
    ClusterDir dir;
    fs::create_directories(dir.file("external-assets"));
    dir.yaml(with_blobs("        - base: S3://Assets-Bucket/knowledge\n"
                        "          scope: server_safe\n"
                        "        - base: file://" +
                        dir.path() + "/external-assets\n          scope: embedded_only\n"));
    CommandResult r = dir.validate();
    ASSERT_TRUE(r.ok()) << render(r.diags);
    EXPECT_FALSE(r.diags.has_code("external_blob_ingress_default_deny"));
    DesiredState d = dir.load_ok();
    const auto& policy = d.graphs.at("knowledge").blob_policy;
    ASSERT_TRUE(policy);
    EXPECT_EQ((*policy)["mode"], "allow");
    ASSERT_EQ((*policy)["bases"].size(), 2u);
    // Sorted by uri: "file:" < "s3:".
    EXPECT_EQ((*policy)["bases"][0]["uri"], "file://" + dir.path() + "/external-assets/");
    EXPECT_EQ((*policy)["bases"][0]["scope"], "embedded_only");
    EXPECT_EQ((*policy)["bases"][1]["uri"], "s3://assets-bucket/knowledge/");
    EXPECT_EQ((*policy)["bases"][1]["scope"], "server_safe");
}

TEST(ClusterValidate, BadExternalBlobBaseNamesItsIndex) {
    ClusterDir dir;
    dir.yaml(with_blobs("        - base: s3://bucket/ok\n          scope: server_safe\n"
                        "        - base: file:///tmp\n          scope: server_safe\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(has_diag(r.diags, "invalid_external_blob_base",
                         "graphs.knowledge.external_blobs.allow[1].base"));
    EXPECT_FALSE(r.diags.has_code("external_blob_ingress_default_deny"));
}

TEST(ClusterValidate, OverlappingBasesAreInvalidPolicy) {
    ClusterDir dir;
    dir.yaml(with_blobs("        - base: s3://bucket/kb\n          scope: server_safe\n"
                        "        - base: s3://bucket/kb/images\n          scope: server_safe\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(
        has_diag(r.diags, "invalid_external_blob_policy", "graphs.knowledge.external_blobs.allow"));

    // A shared string prefix is not a shared path prefix.
    dir.yaml(with_blobs("        - base: s3://bucket/kb\n          scope: server_safe\n"
                        "        - base: s3://bucket/kb2\n          scope: server_safe\n"));
    CommandResult ok = dir.validate();
    EXPECT_TRUE(ok.ok()) << render(ok.diags);
}

TEST(ClusterValidate, SymlinkedFileBasesOverlapByTheirCanonicalPath) {
    // Spec §2.2: embedded_only file:// bases are canonicalised through symlinks for the
    // existence and overlap checks. `link` points inside `real`, so the two bases overlap
    // although their lexical forms do not.
    ClusterDir dir;
    fs::create_directories(dir.file("real/sub"));
    fs::create_directory_symlink(dir.file("real/sub"), dir.file("link"));
    dir.yaml(with_blobs("        - base: file://" + dir.path() +
                        "/real\n          scope: embedded_only\n"
                        "        - base: file://" +
                        dir.path() + "/link\n          scope: embedded_only\n"));
    CommandResult r = dir.validate();
    EXPECT_TRUE(
        has_diag(r.diags, "invalid_external_blob_policy", "graphs.knowledge.external_blobs.allow"));
    // The stored form stays lexical when there is no overlap.
    dir.yaml(with_blobs("        - base: file://" + dir.path() +
                        "/link\n          scope: embedded_only\n"));
    DesiredState d = dir.load_ok();
    ASSERT_TRUE(d.graphs.at("knowledge").blob_policy);
    EXPECT_EQ((*d.graphs.at("knowledge").blob_policy)["bases"][0]["uri"],
              "file://" + dir.path() + "/link/");
}

TEST(ClusterValidate, DefaultDenyWarningOnlyOnValidConfigs) {
    ClusterDir dir;
    dir.yaml("version: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n"
             "  second:\n    schema: people.pg\n"
             "    external_blobs:\n      allow: []\n");
    CommandResult r = dir.validate();
    ASSERT_TRUE(r.ok()) << render(r.diags);
    EXPECT_TRUE(has_diag(r.diags, "external_blob_ingress_default_deny",
                         "graphs.knowledge.external_blobs", false));
    EXPECT_TRUE(has_diag(r.diags, "external_blob_ingress_default_deny",
                         "graphs.second.external_blobs", false));

    // Only validate warns: the desired state itself carries no such diagnostic.
    Diagnostics diags;
    (void)dir.load(diags);
    EXPECT_FALSE(diags.has_code("external_blob_ingress_default_deny"));

    // Not when the configuration has an error.
    dir.write("people.pg", "garbage");
    EXPECT_FALSE(dir.validate().diags.has_code("external_blob_ingress_default_deny"));
}

// ---------------------------------------------------------------------------------------------
// The config digest.

TEST(ClusterConfigDigest, FormattingAndCommentsDoNotChangeIt) {
    ClusterDir dir;
    std::string base = dir.load_ok().config_digest;
    dir.yaml("# the same cluster, written differently\n"
             "version: 1   # always 1\n"
             "\n"
             "policies: {base: {applies_to: [knowledge], file: base.policy.yaml}}\n"
             "graphs:\n"
             "    knowledge: {queries: \"queries/\", schema: 'people.pg'}\n");
    EXPECT_EQ(dir.load_ok().config_digest, base);
}

TEST(ClusterConfigDigest, SpellingChangesIt) {
    ClusterDir dir;
    DesiredState original = dir.load_ok();
    const std::string& base = original.config_digest;
    struct Case {
        const char* name;
        std::string yaml;
    };
    const std::vector<Case> cases = {
        {"./ path", "version: 1\ngraphs:\n  knowledge:\n    schema: ./people.pg\n"
                    "    queries: queries/\npolicies:\n  base:\n    file: base.policy.yaml\n"
                    "    applies_to: [knowledge]\n"},
        {"typed binding", "version: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n"
                          "    queries: queries/\npolicies:\n  base:\n    file: base.policy.yaml\n"
                          "    applies_to: [graph.knowledge]\n"},
        {"explicit default", "version: 1\nstate:\n  lock: true\ngraphs:\n  knowledge:\n"
                             "    schema: people.pg\n    queries: queries/\npolicies:\n  base:\n"
                             "    file: base.policy.yaml\n    applies_to: [knowledge]\n"},
        {"metadata", "version: 1\nmetadata:\n  name: kb\ngraphs:\n  knowledge:\n"
                     "    schema: people.pg\n    queries: queries/\npolicies:\n  base:\n"
                     "    file: base.policy.yaml\n    applies_to: [knowledge]\n"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        dir.yaml(c.yaml);
        DesiredState d = dir.load_ok();
        EXPECT_NE(d.config_digest, base);
        // Same files, same bindings: no resource digest moves.
        EXPECT_EQ(d.digests, original.digests);
    }
    // ./people.pg names the same bytes as people.pg.
    dir.yaml(cases[0].yaml);
    DesiredState dotted = dir.load_ok();
    dir.yaml("version: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n    queries: queries/\n"
             "policies:\n  base:\n    file: base.policy.yaml\n    applies_to: [knowledge]\n");
    DesiredState plain = dir.load_ok();
    EXPECT_EQ(dotted.digests, plain.digests);
    EXPECT_NE(dotted.config_digest, plain.config_digest);
}

TEST(ClusterConfigDigest, AnyResourceEditChangesIt) {
    ClusterDir dir;
    std::string base = dir.load_ok().config_digest;
    dir.write(
        "base.policy.yaml", "# a comment\n" + [&] {
            std::ifstream in(fixture_dir() + "/base.policy.yaml");
            std::stringstream s;
            s << in.rdbuf();
            return s.str();
        }());
    EXPECT_NE(dir.load_ok().config_digest, base);
}

TEST(ClusterConfigDigest, ProviderAliasHashesLikeKind) {
    ClusterDir dir;
    dir.yaml(with_provider("      kind: mock\n      model: m\n"));
    DesiredState kind = dir.load_ok();
    dir.yaml(with_provider("      model: m\n      provider: mock\n"));
    DesiredState alias = dir.load_ok();
    EXPECT_EQ(alias.config_digest, kind.config_digest);
    EXPECT_EQ(alias.digests, kind.digests);
    EXPECT_EQ(alias.providers.at("default").profile.dump(), R"({"kind":"mock","model":"m"})");

    dir.yaml(with_provider("      kind: mock\n      provider: mock\n"));
    EXPECT_TRUE(dir.validate().diags.has_code("invalid_cluster_yaml"));
}

} // namespace
} // namespace omnigraph::cluster
