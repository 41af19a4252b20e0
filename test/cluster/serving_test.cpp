// The serving snapshot (spec cluster §14.2, acceptance §16.9): what `omnigraph-server --cluster`
// boots from is the applied revision only — ledger plus verified catalog blobs — with
// graph-local problems quarantined and revision-wide ones refused.
#include "base/json.h"
#include "cluster/commands.h"
#include "cluster/serving_snapshot.h"
#include "test_support.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace omnigraph::cluster {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::vector<std::string> codes(const Diagnostics& d, bool errors) {
    std::vector<std::string> out;
    for (const auto& item : d.items())
        if (item.error == errors)
            out.push_back(item.code);
    return out;
}

// The §16 fixture, imported and applied into a fresh config dir.
class ServingTest : public ::testing::Test {
  protected:
    void SetUp() override {
        fs::copy(testing::source_dir() + "/test/cluster/fixtures/knowledge", dir_.path(),
                 fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    }
    std::string path(const std::string& rel) const { return dir_.path() + "/" + rel; }
    void converge() {
        CommandOptions o{dir_.path(), std::string("tester")};
        ASSERT_TRUE(import_state(o).ok());
        auto applied = apply(o);
        ASSERT_TRUE(applied.ok()) << applied.to_text();
        ASSERT_TRUE(applied.json["converged"].get<bool>()) << applied.to_text();
    }
    base::Json ledger() const { return *base::parse_json(read_file(path("__cluster/state.json"))); }
    void write_ledger(const base::Json& j) {
        write_file(path("__cluster/state.json"), base::to_pretty_json(j));
    }
    ServingSnapshot load(Diagnostics& d) const { return load_serving_snapshot(dir_.path(), d); }

    testing::TempDir dir_;
};

TEST_F(ServingTest, ConvergedFixtureServesItsGraphQueryAndPolicy) {
    converge();
    Diagnostics d;
    ServingSnapshot s = load(d);
    ASSERT_FALSE(d.has_error()) << codes(d, true).front();
    ASSERT_EQ(s.graphs.size(), 1u);
    EXPECT_EQ(s.graphs[0].graph_id, "knowledge");
    EXPECT_TRUE(s.graphs[0].root.to_string().ends_with("graphs/knowledge.omni"));
    EXPECT_FALSE(s.graphs[0].external_blob_policy.has_value());
    ASSERT_EQ(s.queries.size(), 1u);
    EXPECT_EQ(s.queries[0].name, "find_person");
    EXPECT_EQ(s.queries[0].source, read_file(path("queries/people.gq")));
    ASSERT_EQ(s.policies.size(), 1u);
    EXPECT_EQ(s.policies[0].name, "base");
    EXPECT_EQ(s.policies[0].source, read_file(path("base.policy.yaml")));
    EXPECT_EQ(s.policies[0].applies_to, std::vector<std::string>{"graph.knowledge"});
}

TEST_F(ServingTest, ABareStorageRootServesTheSameRevisionWithoutAnyConfig) {
    converge();
    Diagnostics via_dir, via_uri;
    ServingSnapshot a = load(via_dir);
    ServingSnapshot b =
        load_serving_snapshot("file://" + fs::absolute(dir_.path()).string(), via_uri);
    ASSERT_FALSE(via_uri.has_error());
    ASSERT_EQ(b.graphs.size(), 1u);
    EXPECT_EQ(a.graphs[0].root, b.graphs[0].root);
    EXPECT_EQ(a.queries[0].source, b.queries[0].source);
}

TEST_F(ServingTest, NoLedgerIsClusterStateMissing) {
    Diagnostics d;
    (void)load(d);
    EXPECT_EQ(codes(d, true), std::vector<std::string>{"cluster_state_missing"});
}

TEST_F(ServingTest, WorkingTreeEditsAreNotServedUntilApplied) {
    converge();
    write_file(path("queries/people.gq"),
               "query other() { match { $p: Person } return { $p.name } }\n");
    Diagnostics d;
    ServingSnapshot s = load(d);
    ASSERT_FALSE(d.has_error());
    ASSERT_EQ(s.queries.size(), 1u);
    EXPECT_EQ(s.queries[0].name, "find_person");
}

TEST_F(ServingTest, APendingSidecarQuarantinesTheOnlyGraph) {
    converge();
    write_file(path("__cluster/recoveries/01J00000000000000000000000.json"),
               R"({"schema_version":1,"operation_id":"01J00000000000000000000000",)"
               R"("started_at":"2026-01-01T00:00:00Z","kind":"schema_apply",)"
               R"("graph_id":"knowledge","graph_uri":"x","desired_schema_digest":"ab"})");
    Diagnostics d;
    ServingSnapshot s = load(d);
    EXPECT_EQ(codes(d, true), std::vector<std::string>{"cluster_no_healthy_graphs"});
    EXPECT_EQ(codes(d, false), std::vector<std::string>{"cluster_recovery_pending"});
    EXPECT_EQ(d.items()[0].path, "graph.knowledge");
    EXPECT_TRUE(s.quarantined.contains("knowledge"));
    EXPECT_TRUE(s.queries.empty());
    EXPECT_TRUE(s.policies.empty()); // its only binding was dropped
}

TEST_F(ServingTest, ASidecarWithoutAGraphIsUnattributedAndUnreadableOnesAreFatal) {
    converge();
    write_file(path("__cluster/recoveries/01J00000000000000000000001.json"),
               R"({"schema_version":1,"operation_id":"01J00000000000000000000001",)"
               R"("started_at":"2026-01-01T00:00:00Z","kind":"graph_create",)"
               R"("graph_id":"","graph_uri":"x","desired_schema_digest":"ab"})");
    write_file(path("__cluster/recoveries/01J00000000000000000000002.json"), "{");
    Diagnostics d;
    (void)load(d);
    auto errors = codes(d, true);
    EXPECT_NE(std::find(errors.begin(), errors.end(), "cluster_recovery_unattributed"),
              errors.end());
    EXPECT_NE(std::find(errors.begin(), errors.end(), "invalid_recovery_sidecar"), errors.end());
}

TEST_F(ServingTest, TwoGraphsWithASidecarForOneServeTheOther) {
    std::string yaml = read_file(path("cluster.yaml"));
    yaml.replace(yaml.find("policies:"), 9, "  other:\n    schema: people.pg\npolicies:");
    write_file(path("cluster.yaml"), yaml);
    converge();
    write_file(path("__cluster/recoveries/01J00000000000000000000003.json"),
               R"({"schema_version":1,"operation_id":"01J00000000000000000000003",)"
               R"("started_at":"2026-01-01T00:00:00Z","kind":"schema_apply",)"
               R"("graph_id":"knowledge","graph_uri":"x","desired_schema_digest":"ab"})");
    Diagnostics d;
    ServingSnapshot s = load(d);
    ASSERT_FALSE(d.has_error());
    ASSERT_EQ(s.graphs.size(), 1u);
    EXPECT_EQ(s.graphs[0].graph_id, "other");
    EXPECT_TRUE(s.queries.empty());  // find_person belongs to the quarantined graph
    EXPECT_TRUE(s.policies.empty()); // base binds only knowledge
    EXPECT_EQ(codes(d, false), std::vector<std::string>{"cluster_recovery_pending"});
}

TEST_F(ServingTest, TamperedBlobAndStrippedBindingsAreBothRefused) {
    converge();
    for (const auto& e : fs::recursive_directory_iterator(path("__cluster/resources/query")))
        if (e.is_regular_file())
            write_file(e.path().string(),
                       "query tampered() { match { $p: Person } return { $p } }");
    base::Json j = ledger();
    j["applied_revision"]["resources"]["policy.base"].erase("applies_to");
    write_ledger(j);
    Diagnostics d;
    (void)load(d);
    auto errors = codes(d, true);
    EXPECT_NE(std::find(errors.begin(), errors.end(), "catalog_payload_digest_mismatch"),
              errors.end());
    EXPECT_NE(std::find(errors.begin(), errors.end(), "policy_bindings_missing"), errors.end());
}

TEST_F(ServingTest, MissingBlobIsCatalogPayloadMissing) {
    converge();
    fs::remove_all(path("__cluster/resources/policy"));
    Diagnostics d;
    (void)load(d);
    EXPECT_EQ(codes(d, true), std::vector<std::string>{"catalog_payload_missing"});
    EXPECT_NE(d.items()[0].message.find("cluster refresh"), std::string::npos);
}

TEST_F(ServingTest, LedgerWithoutGraphsIsClusterEmpty) {
    converge();
    base::Json j = ledger();
    j["applied_revision"]["resources"] = base::Json::object();
    write_ledger(j);
    Diagnostics d;
    (void)load(d);
    EXPECT_EQ(codes(d, true), std::vector<std::string>{"cluster_empty"});
}

TEST_F(ServingTest, EditedBlobPolicyIsADigestMismatchAndUnknownFieldsAreInvalidJson) {
    converge();
    base::Json j = ledger();
    j["applied_revision"]["resources"]["graph.knowledge"]["external_blob_policy"] =
        base::Json::parse(
            R"({"mode":"allow","bases":[{"uri":"s3://attacker/","scope":"server_safe"}]})");
    write_ledger(j);
    Diagnostics d;
    (void)load(d);
    EXPECT_EQ(codes(d, true), std::vector<std::string>{"external_blob_policy_digest_mismatch"});

    j["applied_revision"]["resources"]["policy.base"]["extra"] = 1;
    write_ledger(j);
    Diagnostics d2;
    (void)load(d2);
    EXPECT_EQ(codes(d2, true), std::vector<std::string>{"invalid_state_json"});
}

TEST_F(ServingTest, AHeldLockIsNotABootError) {
    converge();
    write_file(path("__cluster/lock.json"),
               R"({"version":1,"lock_id":"01J","operation":"apply","created_at":"x","pid":1})");
    Diagnostics d;
    ServingSnapshot s = load(d);
    EXPECT_FALSE(d.has_error());
    EXPECT_EQ(s.graphs.size(), 1u);
}

// The fixture's graph bound to a mock embedding provider, applied.
class ServingProviderTest : public ServingTest {
  protected:
    void SetUp() override {
        ServingTest::SetUp();
        std::string yaml = read_file(path("cluster.yaml"));
        yaml.replace(yaml.find("graphs:"), 7,
                     "providers:\n  embedding:\n    default:\n      provider: mock\n"
                     "      model: m1\ngraphs:");
        yaml.replace(yaml.find("    queries: queries/\n"), 22,
                     "    queries: queries/\n    embedding_provider: default\n");
        write_file(path("cluster.yaml"), yaml);
    }
    static constexpr const char* kProvider = "provider.embedding.default";
};

TEST_F(ServingProviderTest, AnAppliedProviderProfileIsServed) {
    converge();
    Diagnostics d;
    ServingSnapshot s = load(d);
    ASSERT_FALSE(d.has_error()) << codes(d, true).front();
    ASSERT_EQ(s.graphs.size(), 1u);
    ASSERT_TRUE(s.graphs[0].embedding_profile.has_value());
    EXPECT_EQ(base::to_canonical_json(*s.graphs[0].embedding_profile),
              R"({"kind":"mock","model":"m1"})");
}

TEST_F(ServingProviderTest, AStrippedProfileIsRefused) {
    converge();
    base::Json j = ledger();
    j["applied_revision"]["resources"][kProvider].erase("embedding_profile");
    write_ledger(j);
    Diagnostics d;
    ServingSnapshot s = load(d);
    auto errors = codes(d, true);
    ASSERT_FALSE(errors.empty());
    EXPECT_EQ(errors.front(), "embedding_provider_profile_missing");
    EXPECT_EQ(d.items()[0].path, kProvider);
    EXPECT_NE(d.items()[0].message.find("cluster apply"), std::string::npos);
    // The graph that binds it is not served either.
    EXPECT_NE(std::find(errors.begin(), errors.end(), "embedding_provider_missing"), errors.end());
    EXPECT_TRUE(s.graphs.empty());
}

TEST_F(ServingProviderTest, AnEditedProfileIsADigestMismatch) {
    converge();
    base::Json j = ledger();
    j["applied_revision"]["resources"][kProvider]["embedding_profile"]["model"] = "m2";
    write_ledger(j);
    Diagnostics d;
    (void)load(d);
    EXPECT_EQ(codes(d, true), std::vector<std::string>{"embedding_provider_digest_mismatch"});
    EXPECT_EQ(d.items()[0].path, kProvider);
}

TEST_F(ServingProviderTest, AProviderGoneFromTheLedgerIsMissing) {
    converge();
    base::Json j = ledger();
    j["applied_revision"]["resources"].erase(kProvider);
    write_ledger(j);
    Diagnostics d;
    ServingSnapshot s = load(d);
    EXPECT_EQ(codes(d, true), std::vector<std::string>{"embedding_provider_missing"});
    EXPECT_EQ(d.items()[0].path, "graph.knowledge");
    EXPECT_NE(d.items()[0].message.find(kProvider), std::string::npos);
    EXPECT_TRUE(s.graphs.empty());
}

TEST_F(ServingTest, CustomStorageRootIsFollowed) {
    testing::TempDir elsewhere;
    std::string yaml = read_file(path("cluster.yaml"));
    write_file(path("cluster.yaml"), "storage: " + elsewhere.path() + "/root\n" + yaml);
    converge();
    EXPECT_FALSE(fs::exists(path("__cluster")));
    Diagnostics d;
    ServingSnapshot s = load(d);
    ASSERT_FALSE(d.has_error());
    ASSERT_EQ(s.graphs.size(), 1u);
    EXPECT_EQ(s.graphs[0].root.to_string(), elsewhere.path() + "/root/graphs/knowledge.omni");
}

} // namespace
} // namespace omnigraph::cluster
