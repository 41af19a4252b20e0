// Planning (spec cluster §8, §11.3, §16.2, §16.5, §16.7): the digest diff, binding and
// embedding-profile backfills, approval matching, every row of the classification table, and
// the approval gates. compute_plan is pure, so most cases use a hand-built DesiredState and
// Ledger; the scenario tests load the §16 fixture from a TempDir.
#include "cluster/desired_state.h"
#include "cluster/ledger.h"
#include "cluster/plan.h"
#include "test_support.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace omnigraph::cluster {
namespace {

namespace fs = std::filesystem;
using base::Json;

// ---------------------------------------------------------------------------------------------
// Hand-built inputs. Digests are short tokens: planning only compares them.

struct World {
    DesiredState desired;
    Ledger ledger;
    std::vector<Approval> approvals;
    std::set<std::string> pending;
    Diagnostics diags;

    World() { desired.config_digest = "cfg-1"; }

    // Desired resources.
    World& want(const std::string& address, const std::string& digest) {
        desired.digests[address] = digest;
        return *this;
    }
    World& want_policy(const std::string& name, const std::string& digest,
                       std::vector<std::string> applies_to) {
        want("policy." + name, digest);
        desired.policies[name] =
            DesiredPolicy{name, name + ".policy.yaml", "", digest, std::move(applies_to)};
        return *this;
    }
    World& want_provider(const std::string& name, const std::string& digest, Json profile) {
        want("provider.embedding." + name, digest);
        desired.providers[name] = DesiredProvider{name, std::move(profile), digest};
        return *this;
    }
    // Applied resources.
    World& have(const std::string& address, const std::string& digest) {
        ledger.resources[address] = LedgerResource{digest, {}, {}, {}, {}};
        return *this;
    }
    World& have_policy(const std::string& name, const std::string& digest,
                       std::optional<std::vector<std::string>> applies_to) {
        ledger.resources["policy." + name] =
            LedgerResource{digest, std::move(applies_to), {}, {}, {}};
        return *this;
    }
    World& have_provider(const std::string& name, const std::string& digest,
                         std::optional<Json> profile) {
        ledger.resources["provider.embedding." + name] =
            LedgerResource{digest, {}, {}, std::move(profile), {}};
        return *this;
    }
    // An unconsumed artefact approving the current ledger digest of `address` under
    // `config_digest` (default: the desired one).
    World& approve(const std::string& address, std::optional<std::string> config_digest = {},
                   std::string id = "01APPROVAL") {
        Approval a;
        a.approval_id = std::move(id);
        a.resource = address;
        a.reason = std::string(kDeleteGateReason);
        a.bound_config_digest = config_digest.value_or(desired.config_digest);
        if (const LedgerResource* r = ledger.find(address))
            a.bound_before_digest = r->digest;
        a.approved_by = "andrew";
        a.created_at = "2026-06-08T12:00:00Z";
        approvals.push_back(a);
        return *this;
    }
    World& pend(const std::string& graph) {
        pending.insert(graph);
        return *this;
    }
    // The same world with the graph `g` fully applied (graph, schema, one query).
    World& applied_graph(const std::string& g) {
        want("graph." + g, "G-" + g)
            .want("schema." + g, "S-" + g)
            .want("query." + g + ".q", "Q-" + g);
        have("graph." + g, "G-" + g)
            .have("schema." + g, "S-" + g)
            .have("query." + g + ".q", "Q-" + g);
        return *this;
    }

    Plan plan() { return compute_plan(desired, ledger, approvals, pending, diags); }
};

const PlanChange* change(const Plan& p, const std::string& address) {
    for (const auto& c : p.changes)
        if (c.resource == address)
            return &c;
    return nullptr;
}

std::string describe(const Plan& p) {
    std::string out;
    for (const auto& c : p.changes)
        out += "  " + change_json(c).dump() + "\n";
    return out.empty() ? "  (no changes)\n" : out;
}

// `address` is planned as `operation` with this disposition and reason.
::testing::AssertionResult planned(const Plan& p, const std::string& address,
                                   const std::string& operation, const std::string& disposition,
                                   std::optional<std::string> reason = std::nullopt) {
    const PlanChange* c = change(p, address);
    if (!c)
        return ::testing::AssertionFailure() << "no change for " << address << " in:\n"
                                             << describe(p);
    if (c->operation != operation || c->disposition != disposition || c->reason != reason)
        return ::testing::AssertionFailure()
               << address << " expected " << operation << "/" << disposition << "/"
               << reason.value_or("-") << ", got " << change_json(*c).dump();
    return ::testing::AssertionSuccess();
}

std::vector<std::string> addresses(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& c : p.changes)
        out.push_back(c.resource);
    return out;
}

std::vector<std::string> gate_resources(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& g : p.gates)
        out.push_back(g.resource);
    return out;
}

// ---------------------------------------------------------------------------------------------
// The digest diff.

TEST(ClusterPlanDiff, CreatesUpdatesDeletesSortedByAddress) {
    World w;
    w.want("schema.b", "S2").want("graph.b", "G1").want("query.a.x", "Q1").want("policy.p", "P1");
    w.have("schema.b", "S1").have("graph.b", "G1").have("query.a.old", "Q0").have("graph.a", "GA");
    auto changes = diff_changes(w.desired, w.ledger, false);
    ASSERT_EQ(changes.size(), 5u);
    EXPECT_EQ(changes[0].resource, "graph.a");
    EXPECT_EQ(changes[0].operation, "delete");
    EXPECT_EQ(changes[0].before_digest, "GA");
    EXPECT_FALSE(changes[0].after_digest);
    EXPECT_EQ(changes[1].resource, "policy.p");
    EXPECT_EQ(changes[1].operation, "create");
    EXPECT_FALSE(changes[1].before_digest);
    EXPECT_EQ(changes[1].after_digest, "P1");
    EXPECT_EQ(changes[2].resource, "query.a.old");
    EXPECT_EQ(changes[2].operation, "delete");
    EXPECT_EQ(changes[3].resource, "query.a.x");
    EXPECT_EQ(changes[3].operation, "create");
    EXPECT_EQ(changes[4].resource, "schema.b");
    EXPECT_EQ(changes[4].operation, "update");
    EXPECT_EQ(changes[4].before_digest, "S1");
    EXPECT_EQ(changes[4].after_digest, "S2");
    for (const auto& c : changes) {
        EXPECT_TRUE(c.disposition.empty()) << c.resource; // unclassified
        EXPECT_FALSE(c.binding_change);
        EXPECT_FALSE(c.metadata_change);
    }
}

TEST(ClusterPlanDiff, NothingToDoIsEmpty) {
    World w;
    w.applied_graph("kb");
    Plan p = w.plan();
    EXPECT_TRUE(p.changes.empty()) << describe(p);
    EXPECT_TRUE(p.gates.empty());
    EXPECT_TRUE(w.diags.empty());
}

// ---------------------------------------------------------------------------------------------
// Classification, row by row (spec §8).

TEST(ClusterPlanClassify, GraphCreate) {
    World w;
    w.want("graph.kb", "G").want("schema.kb", "S").want("query.kb.q", "Q");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "graph.kb", "create", "applied"));
    // The init carries the schema; a same-run graph create does not block queries.
    EXPECT_TRUE(planned(p, "schema.kb", "create", "applied"));
    EXPECT_TRUE(planned(p, "query.kb.q", "create", "applied"));
    EXPECT_TRUE(p.gates.empty());

    World pending;
    pending.want("graph.kb", "G").want("schema.kb", "S").want("query.kb.q", "Q").pend("kb");
    Plan pp = pending.plan();
    EXPECT_TRUE(planned(pp, "graph.kb", "create", "blocked", "cluster_recovery_pending"));
    EXPECT_TRUE(planned(pp, "schema.kb", "create", "blocked", "cluster_recovery_pending"));
    EXPECT_TRUE(planned(pp, "query.kb.q", "create", "blocked", "cluster_recovery_pending"));
}

TEST(ClusterPlanClassify, GraphUpdateIsDerivedUnlessTheSchemaIsPending) {
    World w;
    w.applied_graph("kb");
    w.want("graph.kb", "G2").want("schema.kb", "S2");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "graph.kb", "update", "derived"));
    EXPECT_TRUE(planned(p, "schema.kb", "update", "applied"));

    // A ledger holding graph.kb but no schema.kb: the schema create is standalone.
    World standalone;
    standalone.want("graph.kb", "G2").want("schema.kb", "S").want("query.kb.q", "Q");
    standalone.have("graph.kb", "G1").have("query.kb.q", "Q");
    Plan s = standalone.plan();
    EXPECT_TRUE(planned(s, "graph.kb", "update", "deferred", "apply_unsupported_kind"));
    EXPECT_TRUE(planned(s, "schema.kb", "create", "blocked", "cluster_recovery_pending"));
    EXPECT_TRUE(s.gates.empty());

    // A standalone schema delete makes the graph update deferred too.
    World del;
    del.want("graph.kb", "G2");
    del.have("graph.kb", "G1").have("schema.kb", "S");
    Plan d = del.plan();
    EXPECT_TRUE(planned(d, "graph.kb", "update", "deferred", "apply_unsupported_kind"));
    EXPECT_TRUE(planned(d, "schema.kb", "delete", "deferred", "apply_unsupported_kind"));
}

TEST(ClusterPlanClassify, UnapprovedGraphDeleteBlocksItsSubtree) {
    World w;
    w.applied_graph("kb");
    w.have("graph.old", "GO").have("schema.old", "SO").have("query.old.q", "QO");
    Plan p = w.plan();
    EXPECT_EQ(addresses(p), (std::vector<std::string>{"graph.old", "query.old.q", "schema.old"}));
    EXPECT_TRUE(planned(p, "graph.old", "delete", "blocked", "approval_required"));
    EXPECT_TRUE(planned(p, "schema.old", "delete", "blocked", "approval_required"));
    EXPECT_TRUE(planned(p, "query.old.q", "delete", "blocked", "approval_required"));
    // One gate per graph: the subtree's children are not gated separately.
    ASSERT_EQ(gate_resources(p), std::vector<std::string>{"graph.old"});
    EXPECT_EQ(p.gates[0].reason, "delete may remove deployed graph or schema definition");
    EXPECT_FALSE(p.gates[0].satisfied);
    EXPECT_TRUE(p.approvals.empty());
    EXPECT_TRUE(w.diags.empty());
}

TEST(ClusterPlanClassify, ApprovedGraphDeleteRides) {
    World w;
    w.have("graph.old", "GO").have("schema.old", "SO").have("query.old.q", "QO");
    w.approve("graph.old");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "graph.old", "delete", "applied"));
    EXPECT_TRUE(planned(p, "schema.old", "delete", "applied"));
    EXPECT_TRUE(planned(p, "query.old.q", "delete", "applied"));
    ASSERT_EQ(p.gates.size(), 1u);
    EXPECT_TRUE(p.gates[0].satisfied);
    EXPECT_EQ(p.approvals.at("graph.old"), "01APPROVAL");
    EXPECT_TRUE(w.diags.empty());
}

TEST(ClusterPlanClassify, PendingGraphDeleteDoesNotRide) {
    World w;
    w.have("graph.old", "GO").have("schema.old", "SO").have("query.old.q", "QO");
    w.approve("graph.old").pend("old");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "graph.old", "delete", "blocked", "cluster_recovery_pending"));
    EXPECT_TRUE(planned(p, "schema.old", "delete", "blocked", "cluster_recovery_pending"));
    // Queries of a graph delete that does not ride wait for approval.
    EXPECT_TRUE(planned(p, "query.old.q", "delete", "blocked", "approval_required"));
    // The approval still matches: the gate is satisfied, the sweep is what blocks.
    ASSERT_EQ(p.gates.size(), 1u);
    EXPECT_TRUE(p.gates[0].satisfied);
}

TEST(ClusterPlanClassify, SchemaUpdate) {
    World w;
    w.applied_graph("kb");
    w.want("schema.kb", "S2");
    EXPECT_TRUE(planned(w.plan(), "schema.kb", "update", "applied"));
    w.pend("kb");
    EXPECT_TRUE(planned(w.plan(), "schema.kb", "update", "blocked", "cluster_recovery_pending"));
}

TEST(ClusterPlanClassify, StandaloneSchemaDeleteIsDeferredButGated) {
    World w;
    w.want("graph.kb", "G").want("query.kb.q", "Q2");
    w.have("graph.kb", "G").have("schema.kb", "S").have("query.kb.q", "Q1");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "schema.kb", "delete", "deferred", "apply_unsupported_kind"));
    // The schema is pending: the query update waits for it.
    EXPECT_TRUE(planned(p, "query.kb.q", "update", "blocked", "dependency_not_applied"));
    ASSERT_EQ(gate_resources(p), std::vector<std::string>{"schema.kb"});
    EXPECT_FALSE(p.gates[0].satisfied);
}

TEST(ClusterPlanClassify, QueryCreateWaitsForAStandaloneSchemaCreate) {
    World w;
    w.want("graph.kb", "G").want("schema.kb", "S").want("query.kb.q", "Q");
    w.have("graph.kb", "G");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "schema.kb", "create", "blocked", "cluster_recovery_pending"));
    EXPECT_TRUE(planned(p, "query.kb.q", "create", "blocked", "dependency_not_applied"));
    // Pending wins over dependency.
    w.pend("kb");
    EXPECT_TRUE(planned(w.plan(), "query.kb.q", "create", "blocked", "cluster_recovery_pending"));
}

TEST(ClusterPlanClassify, QueryChanges) {
    World w;
    w.applied_graph("kb");
    w.want("query.kb.q", "Q2").want("query.kb.new", "QN").have("query.kb.gone", "QG");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "query.kb.q", "update", "applied"));
    EXPECT_TRUE(planned(p, "query.kb.new", "create", "applied"));
    // Without a graph delete a query delete just happens, ungated.
    EXPECT_TRUE(planned(p, "query.kb.gone", "delete", "applied"));
    EXPECT_TRUE(p.gates.empty());

    w.pend("kb");
    Plan pp = w.plan();
    EXPECT_TRUE(planned(pp, "query.kb.q", "update", "blocked", "cluster_recovery_pending"));
    EXPECT_TRUE(planned(pp, "query.kb.new", "create", "blocked", "cluster_recovery_pending"));
    EXPECT_TRUE(planned(pp, "query.kb.gone", "delete", "applied"));
}

TEST(ClusterPlanClassify, PolicyCreateBlockedByAPendingBoundGraph) {
    World w;
    w.applied_graph("kb").applied_graph("other");
    w.want_policy("base", "P", {"graph.kb"})
        .want_policy("ops", "P2", {"graph.other"})
        .want_policy("server", "P3", {"cluster"});
    w.have_policy("gone", "PG", std::vector<std::string>{"graph.kb"});
    w.pend("kb");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "policy.base", "create", "blocked", "cluster_recovery_pending"));
    EXPECT_TRUE(planned(p, "policy.ops", "create", "applied"));
    EXPECT_TRUE(planned(p, "policy.server", "create", "applied"));
    // Deletes are never held back.
    EXPECT_TRUE(planned(p, "policy.gone", "delete", "applied"));

    World update;
    update.applied_graph("kb").want_policy("base", "P2", {"graph.kb"});
    update.have_policy("base", "P1", std::vector<std::string>{"graph.kb"});
    EXPECT_TRUE(planned(update.plan(), "policy.base", "update", "applied"));
    update.pend("kb");
    EXPECT_TRUE(
        planned(update.plan(), "policy.base", "update", "blocked", "cluster_recovery_pending"));
}

TEST(ClusterPlanClassify, ProvidersAreAlwaysApplied) {
    World w;
    Json profile = Json::parse(R"({"kind":"mock","model":"m"})");
    w.want_provider("new", "PN", profile).want_provider("changed", "PC2", profile);
    w.have_provider("changed", "PC1", profile).have_provider("gone", "PG", profile);
    w.pend("kb");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "provider.embedding.new", "create", "applied"));
    EXPECT_TRUE(planned(p, "provider.embedding.changed", "update", "applied"));
    EXPECT_TRUE(planned(p, "provider.embedding.gone", "delete", "applied"));
    EXPECT_TRUE(p.gates.empty());
}

TEST(ClusterPlanClassify, UnknownAddressesAreDeferred) {
    World w;
    w.have("pipeline.nightly", "X").have("ui.dashboard.main", "Y");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "pipeline.nightly", "delete", "deferred", "apply_unsupported_kind"));
    EXPECT_TRUE(planned(p, "ui.dashboard.main", "delete", "deferred", "apply_unsupported_kind"));
    EXPECT_TRUE(p.gates.empty());
    EXPECT_EQ(kind_of("provider.storage.s"), "unknown");
    EXPECT_EQ(kind_of("provider.embedding.e"), "provider");
    EXPECT_EQ(graph_of("query.kb.find_person"), "kb");
    EXPECT_EQ(graph_of("schema.kb"), "kb");
    EXPECT_EQ(graph_of("policy.base"), "");
}

// ---------------------------------------------------------------------------------------------
// Metadata changes.

TEST(ClusterPlanMetadata, BindingBackfillAndChange) {
    World missing;
    missing.applied_graph("kb").want_policy("base", "P", {"graph.kb"});
    missing.have_policy("base", "P", std::nullopt); // a pre-binding ledger
    Plan p = missing.plan();
    ASSERT_EQ(p.changes.size(), 1u) << describe(p);
    const PlanChange& c = p.changes[0];
    EXPECT_EQ(c.resource, "policy.base");
    EXPECT_EQ(c.operation, "update");
    EXPECT_EQ(c.before_digest, "P");
    EXPECT_EQ(c.after_digest, "P");
    EXPECT_TRUE(c.binding_change);
    EXPECT_EQ(c.metadata_change, "policy_bindings");
    EXPECT_EQ(c.disposition, "applied");
    EXPECT_EQ(change_json(c).dump(),
              R"({"resource":"policy.base","operation":"update","before_digest":"P",)"
              R"("after_digest":"P","disposition":"applied","binding_change":true,)"
              R"("metadata_change":"policy_bindings"})");

    World narrowed;
    narrowed.applied_graph("kb").want_policy("base", "P", {"cluster"});
    narrowed.have_policy("base", "P", std::vector<std::string>{"graph.kb"});
    Plan n = narrowed.plan();
    ASSERT_EQ(n.changes.size(), 1u) << describe(n);
    EXPECT_TRUE(n.changes[0].binding_change);
    // The plain diff (what approve sees) has no metadata changes.
    EXPECT_TRUE(diff_changes(narrowed.desired, narrowed.ledger, false).empty());

    World same;
    same.applied_graph("kb").want_policy("base", "P", {"graph.kb"});
    same.have_policy("base", "P", std::vector<std::string>{"graph.kb"});
    EXPECT_TRUE(same.plan().changes.empty());

    // A content update carries the new bindings itself: no separate binding change.
    World both;
    both.applied_graph("kb").want_policy("base", "P2", {"cluster"});
    both.have_policy("base", "P1", std::vector<std::string>{"graph.kb"});
    Plan b = both.plan();
    ASSERT_EQ(b.changes.size(), 1u) << describe(b);
    EXPECT_FALSE(b.changes[0].binding_change);
    EXPECT_FALSE(b.changes[0].metadata_change);
    EXPECT_FALSE(change_json(b.changes[0]).contains("binding_change"));
}

TEST(ClusterPlanMetadata, EmbeddingProfileBackfill) {
    Json profile = Json::parse(R"({"kind":"mock","model":"m"})");
    World w;
    w.want_provider("default", "PD", profile).have_provider("default", "PD", std::nullopt);
    Plan p = w.plan();
    ASSERT_EQ(p.changes.size(), 1u) << describe(p);
    EXPECT_EQ(p.changes[0].resource, "provider.embedding.default");
    EXPECT_EQ(p.changes[0].operation, "update");
    EXPECT_EQ(p.changes[0].before_digest, "PD");
    EXPECT_EQ(p.changes[0].after_digest, "PD");
    EXPECT_FALSE(p.changes[0].binding_change);
    EXPECT_EQ(p.changes[0].metadata_change, "embedding_profile");
    EXPECT_EQ(p.changes[0].disposition, "applied");

    World other;
    other.want_provider("default", "PD", profile)
        .have_provider("default", "PD", Json::parse(R"({"kind":"mock","model":"m2"})"));
    EXPECT_EQ(other.plan().changes.size(), 1u);
}

TEST(ClusterPlanMetadata, ProfileReadWithTheAliasMatchesTheDesiredProfile) {
    // A ledger written with `provider:` and another key order reads back as the same profile.
    auto ledger = parse_ledger(R"({"version": 1, "applied_revision": {"resources": {
        "provider.embedding.default": {"digest": "PD",
            "embedding_profile": {"model": "m", "provider": "mock"}}}}})");
    ASSERT_TRUE(ledger) << ledger.error().message;
    World w;
    w.want_provider("default", "PD", Json::parse(R"({"kind":"mock","model":"m"})"));
    w.ledger = *ledger;
    Plan p = w.plan();
    EXPECT_TRUE(p.changes.empty()) << describe(p);
}

// ---------------------------------------------------------------------------------------------
// Approval matching.

TEST(ClusterPlanApprovals, StaleWhenTheConfigDigestMoved) {
    World w;
    w.have("graph.old", "GO").have("schema.old", "SO");
    w.approve("graph.old", "cfg-0");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "graph.old", "delete", "blocked", "approval_required"));
    EXPECT_TRUE(planned(p, "schema.old", "delete", "blocked", "approval_required"));
    EXPECT_FALSE(p.gates.at(0).satisfied);
    ASSERT_EQ(w.diags.items().size(), 1u);
    const Diagnostic& d = w.diags.items()[0];
    EXPECT_EQ(d.code, "approval_stale");
    EXPECT_FALSE(d.error);
    EXPECT_EQ(d.path, "graph.old");
}

TEST(ClusterPlanApprovals, StaleWhenTheBeforeDigestMoved) {
    World w;
    w.have("graph.old", "GO");
    w.approve("graph.old");
    w.approvals.back().bound_before_digest = "G-earlier";
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "graph.old", "delete", "blocked", "approval_required"));
    EXPECT_TRUE(w.diags.has_code("approval_stale"));
}

TEST(ClusterPlanApprovals, AnyMatchingArtefactApprovesAndConsumedOnesDoNot) {
    World w;
    w.have("graph.old", "GO");
    w.approve("graph.old", "cfg-0", "01A").approve("graph.old", std::nullopt, "01B");
    Plan p = w.plan();
    EXPECT_TRUE(planned(p, "graph.old", "delete", "applied"));
    EXPECT_EQ(p.approvals.at("graph.old"), "01B");
    EXPECT_FALSE(w.diags.has_code("approval_stale"));

    World consumed;
    consumed.have("graph.old", "GO");
    consumed.approve("graph.old");
    consumed.approvals.back().consumed_at = "2026-06-08T13:00:00Z";
    Plan c = consumed.plan();
    EXPECT_TRUE(planned(c, "graph.old", "delete", "blocked", "approval_required"));
    EXPECT_TRUE(consumed.diags.empty()); // consumed artefacts are not candidates at all

    // An artefact for another resource neither approves nor goes stale.
    World elsewhere;
    elsewhere.have("graph.old", "GO");
    elsewhere.approve("graph.other");
    EXPECT_TRUE(planned(elsewhere.plan(), "graph.old", "delete", "blocked", "approval_required"));
    EXPECT_TRUE(elsewhere.diags.empty());
}

// ---------------------------------------------------------------------------------------------
// Scenarios on the §16 fixture.

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

class FixtureDir {
  public:
    FixtureDir() {
        fs::copy(testing::source_dir() + "/test/cluster/fixtures/knowledge", dir_.path(),
                 fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    }
    std::string file(const std::string& rel) const { return dir_.path() + "/" + rel; }
    void write(const std::string& rel, std::string_view text) const {
        std::ofstream out(file(rel), std::ios::binary | std::ios::trunc);
        out << text;
    }
    DesiredState load() const {
        Diagnostics diags;
        DesiredState d = load_desired_state(dir_.path(), diags);
        EXPECT_FALSE(diags.has_error());
        return d;
    }

  private:
    testing::TempDir dir_;
};

// The ledger an apply of `d` would leave: every digest, with bindings.
Ledger converged(const DesiredState& d) {
    Ledger l;
    l.state_revision = 2;
    l.config_digest = d.config_digest;
    for (const auto& [address, digest] : d.digests)
        l.resources[address] = LedgerResource{digest, {}, {}, {}, {}};
    for (const auto& [name, p] : d.policies)
        l.resources["policy." + name].applies_to = p.applies_to;
    return l;
}

Plan plan_of(const DesiredState& d, const Ledger& l, const std::vector<Approval>& approvals,
             Diagnostics& diags) {
    return compute_plan(d, l, approvals, {}, diags);
}

TEST(ClusterPlanScenario, NoLedgerCreatesEverything) {
    FixtureDir dir;
    DesiredState d = dir.load();
    Diagnostics diags;
    Plan p = plan_of(d, Ledger{}, {}, diags);
    EXPECT_EQ(addresses(p),
              (std::vector<std::string>{"graph.knowledge", "policy.base",
                                        "query.knowledge.find_person", "schema.knowledge"}));
    for (const auto& c : p.changes) {
        EXPECT_EQ(c.operation, "create") << c.resource;
        EXPECT_EQ(c.disposition, "applied") << c.resource;
        EXPECT_EQ(c.after_digest, d.digests.at(c.resource));
    }
    EXPECT_TRUE(p.gates.empty());
    EXPECT_TRUE(plan_of(d, converged(d), {}, diags).changes.empty());
}

TEST(ClusterPlanScenario, StaleLedgerProposesExactlyTheDifferences) {
    // Spec §16.2: ledger has graph (matching), policy.old, stale schema.
    FixtureDir dir;
    DesiredState d = dir.load();
    Ledger l;
    l.resources["graph.knowledge"] =
        LedgerResource{d.digests.at("graph.knowledge"), {}, {}, {}, {}};
    l.resources["schema.knowledge"] = LedgerResource{std::string(64, '0'), {}, {}, {}, {}};
    l.resources["policy.old"] = LedgerResource{std::string(64, '7'), {}, {}, {}, {}};
    Diagnostics diags;
    Plan p = plan_of(d, l, {}, diags);
    ASSERT_EQ(p.changes.size(), 4u) << describe(p);
    EXPECT_TRUE(planned(p, "policy.base", "create", "applied"));
    EXPECT_TRUE(planned(p, "policy.old", "delete", "applied"));
    EXPECT_TRUE(planned(p, "query.knowledge.find_person", "create", "applied"));
    EXPECT_TRUE(planned(p, "schema.knowledge", "update", "applied"));
    EXPECT_EQ(addresses(p),
              (std::vector<std::string>{"policy.base", "policy.old", "query.knowledge.find_person",
                                        "schema.knowledge"}));
}

TEST(ClusterPlanScenario, ApprovalGoesStaleWhenThePolicyFileIsEdited) {
    // Spec §16.5: the ledger has an extra subtree `old`; approve it; then edit a policy.
    FixtureDir dir;
    DesiredState d = dir.load();
    Ledger l = converged(d);
    l.resources["graph.old"] = LedgerResource{std::string(64, 'a'), {}, {}, {}, {}};
    l.resources["schema.old"] = LedgerResource{std::string(64, 'b'), {}, {}, {}, {}};
    l.resources["query.old.q"] = LedgerResource{std::string(64, 'c'), {}, {}, {}, {}};

    Diagnostics diags;
    Plan before = plan_of(d, l, {}, diags);
    EXPECT_TRUE(planned(before, "graph.old", "delete", "blocked", "approval_required"));
    EXPECT_TRUE(planned(before, "schema.old", "delete", "blocked", "approval_required"));
    EXPECT_TRUE(planned(before, "query.old.q", "delete", "blocked", "approval_required"));
    ASSERT_EQ(before.gates.size(), 1u);
    EXPECT_EQ(before.gates[0].resource, "graph.old");
    EXPECT_FALSE(before.gates[0].satisfied);

    // What approve writes: bound to the desired config and the ledger's digests.
    const PlanChange* del = change(before, "graph.old");
    Approval a;
    a.approval_id = "01J0000000000000000000APPR";
    a.resource = "graph.old";
    a.reason = before.gates[0].reason;
    a.bound_config_digest = d.config_digest;
    a.bound_before_digest = del->before_digest;
    a.bound_after_digest = del->after_digest;
    a.approved_by = "andrew";
    a.created_at = "2026-06-08T12:00:00Z";
    Plan approved = plan_of(d, l, {a}, diags);
    EXPECT_TRUE(planned(approved, "graph.old", "delete", "applied"));
    EXPECT_TRUE(planned(approved, "schema.old", "delete", "applied"));
    EXPECT_TRUE(planned(approved, "query.old.q", "delete", "applied"));
    EXPECT_TRUE(approved.gates.at(0).satisfied);
    EXPECT_TRUE(diags.empty());

    // Any config edit moves the config digest, even a comment in an unrelated policy.
    dir.write("base.policy.yaml", "# reviewed\n" + read_file(dir.file("base.policy.yaml")));
    DesiredState edited = dir.load();
    ASSERT_NE(edited.config_digest, d.config_digest);
    Plan stale = plan_of(edited, l, {a}, diags);
    EXPECT_TRUE(planned(stale, "graph.old", "delete", "blocked", "approval_required"));
    EXPECT_FALSE(stale.gates.at(0).satisfied);
    EXPECT_TRUE(diags.has_code("approval_stale"));
    // The edited policy itself is a plain update.
    EXPECT_TRUE(planned(stale, "policy.base", "update", "applied"));
}

TEST(ClusterPlanScenario, OnlyAppliesToEditedIsABindingChange) {
    // Spec §16.7: applies_to edited to [cluster], file untouched.
    FixtureDir dir;
    DesiredState d = dir.load();
    Ledger l = converged(d);
    ASSERT_EQ(l.find("policy.base")->applies_to, std::vector<std::string>{"graph.knowledge"});
    // A graph-free bundle is valid for both kinds.
    dir.write("base.policy.yaml", "version: 1\n");
    l.resources["policy.base"].digest = dir.load().digests.at("policy.base");
    std::string yaml = read_file(dir.file("cluster.yaml"));
    auto at = yaml.find("[knowledge]");
    ASSERT_NE(at, std::string::npos);
    dir.write("cluster.yaml", yaml.replace(at, 11, "[cluster]"));
    DesiredState rebound = dir.load();
    Diagnostics diags;
    Plan p = plan_of(rebound, l, {}, diags);
    ASSERT_EQ(p.changes.size(), 1u) << describe(p);
    EXPECT_EQ(p.changes[0].resource, "policy.base");
    EXPECT_EQ(p.changes[0].operation, "update");
    EXPECT_EQ(p.changes[0].before_digest, p.changes[0].after_digest);
    EXPECT_TRUE(p.changes[0].binding_change);
    EXPECT_EQ(p.changes[0].metadata_change, "policy_bindings");
    EXPECT_EQ(p.changes[0].disposition, "applied");
}

} // namespace
} // namespace omnigraph::cluster
