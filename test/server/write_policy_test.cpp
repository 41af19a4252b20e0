// The engine-layer repeat of the Cedar decision (spec server-policy §6, "parity bundle" and
// "engine handle taken from a policy-enabled app"): a graph handle carrying the server's write
// authorizer refuses a write the bundle does not grant, before anything is written, and allows
// what it grants — the same answers the HTTP routes give.
#include "engine/graph.h"
#include "engine/load.h"
#include "engine/schema_apply.h"
#include "policy/bundle.h"
#include "server/write_policy.h"
#include "store/object_store.h"
#include "test_support.h"

#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

const char* kSchema = "node Person {\n    name: String @key\n}\n";
const char* kWiderSchema = "node Person {\n    name: String @key\n    age: I32?\n}\n";
// The spec's parity bundle: admins (ragnor) change any branch and merge into protected ones;
// team (bruno) nothing.
const char* kParityBundle = R"(version: 1
groups:
  admins: [act-ragnor]
  team: [act-bruno]
protected_branches: [main]
rules:
  - id: admins-change
    allow:
      actors: { group: admins }
      actions: [change]
      branch_scope: any
  - id: admins-merge
    allow:
      actors: { group: admins }
      actions: [branch_merge]
      target_branch_scope: protected
)";

class WritePolicyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto parsed = base::parse_storage_uri(temp_.path());
        ASSERT_TRUE(parsed);
        auto store = store::open_store(*parsed);
        ASSERT_TRUE(store);
        store_ = std::move(*store);
        ASSERT_TRUE(engine::init_graph(*store_, kSchema));
        auto graph = engine::Graph::open(*store_);
        ASSERT_TRUE(graph);
        graph_.emplace(std::move(*graph));
        auto bundle =
            policy::parse_bundle(kParityBundle, "parity.policy.yaml", policy::BindingKind::kGraph);
        ASSERT_TRUE(bundle) << bundle.error().to_string();
        bundle_.emplace(policy::PolicyEngine::compile(*bundle, "knowledge"));
    }

    Result<engine::LoadSummary> load_as(std::optional<std::string> actor,
                                        std::string branch = "main",
                                        std::optional<std::string> from = std::nullopt) {
        engine::LoadOptions o;
        o.mode = engine::LoadMode::kMerge; // the same row again is an upsert
        o.branch = std::move(branch);
        o.from = std::move(from);
        o.actor = std::move(actor);
        return engine::load_graph(*store_, *graph_,
                                  R"({"type":"Person","data":{"name":"Ada"}})"
                                  "\n",
                                  o);
    }
    uint64_t main_version() {
        auto head = graph_->head("main");
        EXPECT_TRUE(head);
        return head ? head->version : 0;
    }

    TempDir temp_;
    std::unique_ptr<store::ObjectStore> store_;
    std::optional<engine::Graph> graph_;
    std::optional<policy::PolicyEngine> bundle_;
};

TEST_F(WritePolicyTest, TheEngineRefusesWhatTheBundleDoesNotGrant) {
    graph_->set_write_authorizer(server::write_authorizer(&*bundle_));
    uint64_t before = main_version();

    auto denied = load_as("act-bruno");
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, engine::kForbidden);
    EXPECT_NE(denied.error().message.find("policy denied action 'change'"), std::string::npos)
        << denied.error().message;
    auto unlisted = load_as("act-nobody");
    ASSERT_FALSE(unlisted);
    EXPECT_EQ(unlisted.error().code, engine::kForbidden);
    EXPECT_EQ(main_version(), before) << "a refused write writes nothing";

    // A bundle with no actor is not a decision: the caller was never authenticated.
    auto anonymous = load_as(std::nullopt);
    ASSERT_FALSE(anonymous);
    EXPECT_EQ(anonymous.error().code, policy::kUnauthorized);

    ASSERT_TRUE(load_as("act-ragnor")) << "admins change any branch";
    EXPECT_EQ(main_version(), before + 1);
}

TEST_F(WritePolicyTest, BranchCreationAndSchemaApplyAskTheirOwnActions) {
    graph_->set_write_authorizer(server::write_authorizer(&*bundle_));
    // ragnor may change, but no rule grants branch_create: a load that would fork is refused
    // and no branch appears.
    auto fork = load_as("act-ragnor", "feature", "main");
    ASSERT_FALSE(fork);
    EXPECT_EQ(fork.error().code, engine::kForbidden);
    EXPECT_NE(fork.error().message.find("branch_create"), std::string::npos)
        << fork.error().message;
    auto branches = graph_->branches();
    ASSERT_TRUE(branches);
    EXPECT_EQ(*branches, std::vector<std::string>{"main"});

    engine::SchemaApplyOptions o;
    o.actor = "act-ragnor";
    auto apply = engine::apply_schema_change(*graph_, kWiderSchema, o);
    ASSERT_FALSE(apply);
    EXPECT_EQ(apply.error().code, engine::kForbidden);
}

// Beyond upstream: forking a branch also asks `read` on its source, in the engine's repeat too.
TEST_F(WritePolicyTest, ForkingAsksReadOnTheSource) {
    auto bundle = policy::parse_bundle(R"(version: 1
groups:
  team: [act-bruno]
protected_branches: [main]
rules:
  - id: team-create
    allow:
      actors: { group: team }
      actions: [branch_create]
      target_branch_scope: unprotected
  - id: team-work
    allow:
      actors: { group: team }
      actions: [read, change]
      branch_scope: unprotected
)",
                                       "fork.policy.yaml", policy::BindingKind::kGraph);
    ASSERT_TRUE(bundle) << bundle.error().to_string();
    auto engine = policy::PolicyEngine::compile(*bundle, "knowledge");
    graph_->set_write_authorizer(server::write_authorizer(&engine));
    auto leak = load_as("act-bruno", "leak", "main");
    ASSERT_FALSE(leak);
    EXPECT_EQ(leak.error().code, engine::kForbidden);
    EXPECT_NE(leak.error().message.find("policy denied action 'read'"), std::string::npos)
        << leak.error().message;
    auto branches = graph_->branches();
    ASSERT_TRUE(branches);
    EXPECT_EQ(*branches, std::vector<std::string>{"main"});
    // A source he may read forks.
    graph_->set_write_authorizer(nullptr);
    ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
    graph_->set_write_authorizer(server::write_authorizer(&engine));
    EXPECT_TRUE(load_as("act-bruno", "scratch", "feature"));
}

TEST_F(WritePolicyTest, WithoutABundleActorsOnlyReadAndOpenServersWrite) {
    // Tokens without a bundle (default-deny): an actor's write is refused.
    graph_->set_write_authorizer(server::write_authorizer(nullptr));
    auto denied = load_as("act-ragnor");
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, engine::kForbidden);
    // An open server (no tokens, no bundle) writes without an actor.
    EXPECT_TRUE(load_as(std::nullopt));
    // The CLI installs nothing: every write is allowed.
    graph_->set_write_authorizer(nullptr);
    EXPECT_TRUE(load_as("act-bruno"));
}

} // namespace
} // namespace omnigraph::testing
