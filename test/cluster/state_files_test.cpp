// The JSON artefacts under `__cluster/` (spec cluster §4.3, §5.1, §6, §10.1, §11.1): the ledger,
// the lock, recovery sidecars and approval artefacts — strict parsing (unknown fields, required
// fields, versions, types) and byte-exact serialization in serde_json's pretty style — plus the
// text-level duplicate-key scan of cluster.yaml (§2.6 step 3).
#include "cluster/duplicate_keys.h"
#include "cluster/ledger.h"
#include "cluster/records.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace omnigraph::cluster {
namespace {

using base::Json;

// A ledger in the spec's §5.1 shape, written the way serde_json's pretty printer writes it
// (2-space indent, one member per line, a trailing newline). Map keys are in byte order; the
// free-form observation objects keep their own (non-alphabetical) order. The message carries a
// '/', a control character (lower-case \u escape) and non-ASCII text (raw UTF-8).
const char* kLedger = R"({
  "version": 1,
  "state_revision": 7,
  "applied_revision": {
    "config_digest": "9a1f000000000000000000000000000000000000000000000000000000000000",
    "resources": {
      "graph.knowledge": {
        "digest": "c300000000000000000000000000000000000000000000000000000000000000",
        "embedding_provider": "provider.embedding.default",
        "external_blob_policy": {
          "mode": "allow",
          "bases": [
            {
              "uri": "s3://assets/kb/",
              "scope": "server_safe"
            }
          ]
        }
      },
      "policy.base": {
        "digest": "7700000000000000000000000000000000000000000000000000000000000000",
        "applies_to": [
          "graph.knowledge"
        ]
      },
      "provider.embedding.default": {
        "digest": "aa00000000000000000000000000000000000000000000000000000000000000",
        "embedding_profile": {
          "kind": "openai-compatible",
          "model": "m",
          "api_key": "${OPENROUTER_API_KEY}"
        }
      },
      "query.knowledge.find_person": {
        "digest": "5e00000000000000000000000000000000000000000000000000000000000000"
      },
      "schema.knowledge": {
        "digest": "e000000000000000000000000000000000000000000000000000000000000000"
      }
    }
  },
  "resource_statuses": {
    "graph.knowledge": {
      "status": "applied"
    },
    "query.knowledge.old": {
      "status": "blocked",
      "conditions": [
        "approval_required"
      ],
      "message": "delete needs approval: run `cluster approve` / see \u0001 – ok"
    }
  },
  "approval_records": {
    "01J9Z3K6Y6W7F0N8Q2R4T5V6AP": {
      "consumed_at": "2026-06-08T12:00:00.123456Z",
      "consumed_by_operation": "apply"
    }
  },
  "recovery_records": {
    "01J9Z3K6Y6W7F0N8Q2R4T5V6OP": {
      "kind": "graph_create",
      "graph_id": "knowledge",
      "outcome": "rolled_forward",
      "recovered_at": "2026-06-08T12:00:01Z",
      "actor": "andrew"
    }
  },
  "observations": {
    "graph.knowledge": {
      "kind": "graph",
      "address": "graph.knowledge",
      "graph_uri": "/srv/kb/graphs/knowledge.omni",
      "observed_at": "2026-06-08T12:00:02Z",
      "exists": true,
      "graph_manifest_version": 12,
      "schema_digest": "e000000000000000000000000000000000000000000000000000000000000000",
      "desired_schema_digest": "e000000000000000000000000000000000000000000000000000000000000000",
      "schema_matches_desired": true,
      "error": null
    },
    "graph.scratch": {
      "kind": "tombstone",
      "deleted_at": "2026-06-08T12:00:03Z",
      "approval_id": "01J9Z3K6Y6W7F0N8Q2R4T5V6AP",
      "actor": "andrew"
    }
  }
}
)";

Ledger must_parse(std::string_view text) {
    auto l = parse_ledger(text);
    EXPECT_TRUE(l) << l.error().code << ": " << l.error().message;
    return l ? *l : Ledger{};
}

// The spec ledger with `edit` applied to its JSON.
template <class F> std::string edited(F&& edit) {
    Json j = Json::parse(kLedger);
    edit(j);
    return j.dump(2);
}

void expect_code(std::string_view text, std::string_view code) {
    auto l = parse_ledger(text);
    ASSERT_FALSE(l) << text;
    EXPECT_EQ(l.error().code, code) << l.error().message;
}

// ---------------------------------------------------------------------------------------------
// The ledger.

TEST(ClusterLedger, RoundTripIsByteExact) {
    Ledger l = must_parse(kLedger);
    EXPECT_EQ(serialize_ledger(l), kLedger);
}

TEST(ClusterLedger, ParsedFields) {
    Ledger l = must_parse(kLedger);
    EXPECT_EQ(l.state_revision, 7u);
    EXPECT_EQ(l.config_digest, "9a1f000000000000000000000000000000000000000000000000000000000000");
    ASSERT_EQ(l.resources.size(), 5u);
    const LedgerResource* graph = l.find("graph.knowledge");
    ASSERT_TRUE(graph);
    EXPECT_EQ(graph->embedding_provider, "provider.embedding.default");
    ASSERT_TRUE(graph->external_blob_policy);
    EXPECT_EQ((*graph->external_blob_policy)["bases"][0]["uri"], "s3://assets/kb/");
    EXPECT_FALSE(graph->applies_to);
    EXPECT_EQ(l.find("policy.base")->applies_to, std::vector<std::string>{"graph.knowledge"});
    EXPECT_FALSE(l.find("schema.knowledge")->applies_to);
    EXPECT_FALSE(l.find("missing"));
    ASSERT_EQ(l.statuses.count("query.knowledge.old"), 1u);
    EXPECT_EQ(l.statuses.at("query.knowledge.old").conditions,
              std::vector<std::string>{"approval_required"});
    EXPECT_EQ(l.observations.at("graph.knowledge")["graph_manifest_version"], 12);

    l.erase("query.knowledge.old"); // a status without a resource
    EXPECT_EQ(l.statuses.count("query.knowledge.old"), 0u);
    l.erase("graph.knowledge");
    EXPECT_FALSE(l.find("graph.knowledge"));
    EXPECT_EQ(l.statuses.count("graph.knowledge"), 0u);
}

TEST(ClusterLedger, MinimalLedgerDefaultsAndEmitsEveryTopLevelField) {
    Ledger l = must_parse(R"({"version": 1, "applied_revision": {}})");
    EXPECT_EQ(l.state_revision, 0u);
    EXPECT_FALSE(l.config_digest);
    EXPECT_TRUE(l.resources.empty());
    EXPECT_EQ(serialize_ledger(l), "{\n"
                                   "  \"version\": 1,\n"
                                   "  \"state_revision\": 0,\n"
                                   "  \"applied_revision\": {\n"
                                   "    \"config_digest\": null,\n"
                                   "    \"resources\": {}\n"
                                   "  },\n"
                                   "  \"resource_statuses\": {},\n"
                                   "  \"approval_records\": {},\n"
                                   "  \"recovery_records\": {},\n"
                                   "  \"observations\": {}\n"
                                   "}\n");
}

TEST(ClusterLedger, ResourceMetadataIsOmittedWhenAbsent) {
    Ledger l;
    l.resources["schema.k"] = LedgerResource{"d1", {}, {}, {}, {}};
    l.statuses["schema.k"] = StatusRecord{"applied", {}, {}};
    std::string text = serialize_ledger(l);
    EXPECT_NE(text.find("\"schema.k\": {\n        \"digest\": \"d1\"\n      }"), std::string::npos)
        << text;
    EXPECT_NE(text.find("\"schema.k\": {\n      \"status\": \"applied\"\n    }"), std::string::npos)
        << text;
    EXPECT_EQ(must_parse(text), l);
}

TEST(ClusterLedger, UnknownFieldAtEveryTypedLevelIsInvalid) {
    expect_code(edited([](Json& j) { j["extra"] = 1; }), "invalid_state_json");
    expect_code(edited([](Json& j) { j["applied_revision"]["extra"] = 1; }), "invalid_state_json");
    expect_code(edited([](Json& j) {
                    j["applied_revision"]["resources"]["schema.knowledge"]["extra"] = 1;
                }),
                "invalid_state_json");
    expect_code(edited([](Json& j) { j["resource_statuses"]["graph.knowledge"]["extra"] = 1; }),
                "invalid_state_json");
    expect_code(edited([](Json& j) {
                    j["applied_revision"]["resources"]["provider.embedding.default"]
                     ["embedding_profile"]["extra"] = 1;
                }),
                "invalid_state_json");
    expect_code(
        edited([](Json& j) {
            j["applied_revision"]["resources"]["graph.knowledge"]["external_blob_policy"]["extra"] =
                1;
        }),
        "invalid_state_json");
    expect_code(edited([](Json& j) {
                    j["applied_revision"]["resources"]["graph.knowledge"]["external_blob_policy"]
                     ["bases"][0]["extra"] = 1;
                }),
                "invalid_state_json");
    // Free-form values are not schema-checked.
    must_parse(edited([](Json& j) { j["observations"]["graph.knowledge"]["extra"] = 1; }));
    must_parse(edited([](Json& j) { j["recovery_records"]["x"] = Json::array({1, 2}); }));
}

TEST(ClusterLedger, RequiredFieldsAndTypes) {
    expect_code(R"({"applied_revision": {}})", "invalid_state_json");
    expect_code(R"({"version": 1})", "invalid_state_json");
    expect_code(R"({"version": "1", "applied_revision": {}})", "invalid_state_json");
    expect_code(R"({"version": 1, "state_revision": -1, "applied_revision": {}})",
                "invalid_state_json");
    expect_code(R"({"version": 1, "applied_revision": {"resources": {"a": {}}}})",
                "invalid_state_json");
    expect_code(R"({"version": 1, "applied_revision": {"resources": {"a": {"digest": 5}}}})",
                "invalid_state_json");
    expect_code(R"({"version": 1, "applied_revision": {}, "resource_statuses": {"a": {}}})",
                "invalid_state_json");
    expect_code(R"({"version": 1, "applied_revision": {},
                    "resource_statuses": {"a": {"status": "sleeping"}}})",
                "invalid_state_json");
    expect_code("{", "invalid_state_json");
    expect_code("[]", "invalid_state_json");
    expect_code("", "invalid_state_json");
    // Reserved statuses are accepted on read.
    for (const char* status : {"pending", "planned", "applying", "drifted", "error"})
        must_parse(std::string(R"({"version": 1, "applied_revision": {},
                                  "resource_statuses": {"a": {"status": ")") +
                   status + "\"}}}");
}

TEST(ClusterLedger, ExternalBlobPolicyIsTyped) {
    // mode and bases[].{uri, scope} are the policy's fields, not free-form values.
    expect_code(
        edited([](Json& j) {
            j["applied_revision"]["resources"]["graph.knowledge"]["external_blob_policy"].erase(
                "bases");
        }),
        "invalid_state_json");
    expect_code(edited([](Json& j) {
                    j["applied_revision"]["resources"]["graph.knowledge"]["external_blob_policy"]
                     ["bases"][0]
                         .erase("scope");
                }),
                "invalid_state_json");
    expect_code(edited([](Json& j) {
                    j["applied_revision"]["resources"]["graph.knowledge"]["external_blob_policy"]
                     ["bases"][0]["uri"] = 7;
                }),
                "invalid_state_json");
}

TEST(ClusterLedger, ExternalBlobPolicyIsWrittenInDeclarationOrder) {
    // Struct-typed objects keep their declaration order on write (spec §4.3): mode, then bases,
    // each base uri then scope — whatever order the file had.
    std::string reordered = edited([](Json& j) {
        j["applied_revision"]["resources"]["graph.knowledge"]["external_blob_policy"] = Json::parse(
            R"({"bases": [{"scope": "server_safe", "uri": "s3://assets/kb/"}], "mode": "allow"})");
    });
    EXPECT_EQ(serialize_ledger(must_parse(reordered)), kLedger);
}

TEST(ClusterLedger, VersionTwoIsUnsupported) {
    expect_code(R"({"version": 2, "applied_revision": {}})", "unsupported_state_version");
    expect_code(R"({"version": 0, "applied_revision": {}})", "unsupported_state_version");
}

TEST(ClusterLedger, LegacyManifestVersionIsRenamed) {
    Ledger l = must_parse(R"({"version": 1, "state_revision": 42, "applied_revision": {},
        "observations": {"graph.knowledge": {"kind": "graph", "manifest_version": 12,
                                             "exists": true}}})");
    const Json& obs = l.observations.at("graph.knowledge");
    EXPECT_EQ(obs["graph_manifest_version"], 12);
    EXPECT_FALSE(obs.contains("manifest_version"));
    EXPECT_EQ(obs["kind"], "graph");
    EXPECT_EQ(obs["exists"], true);
    std::string text = serialize_ledger(l);
    EXPECT_EQ(text.find("\"manifest_version\""), std::string::npos) << text;
    EXPECT_NE(text.find("\"graph_manifest_version\": 12"), std::string::npos) << text;

    // Both spellings agreeing is fine; the legacy one is dropped.
    Ledger both = must_parse(R"({"version": 1, "applied_revision": {},
        "observations": {"graph.k": {"manifest_version": 3, "graph_manifest_version": 3}}})");
    EXPECT_EQ(both.observations.at("graph.k").dump(), R"({"graph_manifest_version":3})");

    expect_code(R"({"version": 1, "applied_revision": {},
        "observations": {"graph.k": {"manifest_version": 3, "graph_manifest_version": 4}}})",
                "conflicting_graph_manifest_observation");
}

TEST(ClusterLedger, EmbeddingProfileAcceptsTheProviderAlias) {
    Ledger l = must_parse(R"({"version": 1, "applied_revision": {"resources": {
        "provider.embedding.default": {"digest": "d",
            "embedding_profile": {"model": "m", "provider": "mock"}}}}})");
    const auto& profile = l.find("provider.embedding.default")->embedding_profile;
    ASSERT_TRUE(profile);
    // Re-emitted with `kind`, in the profile's key order.
    EXPECT_EQ(profile->dump(), R"({"kind":"mock","model":"m"})");
    std::string text = serialize_ledger(l);
    EXPECT_NE(text.find("\"embedding_profile\": {\n          \"kind\": \"mock\",\n"
                        "          \"model\": \"m\"\n        }"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("\"provider\""), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The lock.

const char* kLock = R"({
  "version": 1,
  "lock_id": "01J9Z3K6Y6W7F0N8Q2R4T5V6X7",
  "operation": "apply",
  "created_at": "2026-06-08T12:00:00.123456Z",
  "pid": 4242
})";

TEST(ClusterLock, RoundTripWithoutTrailingNewline) {
    auto lock = parse_lock(kLock);
    ASSERT_TRUE(lock) << lock.error().message;
    EXPECT_EQ(lock->lock_id, "01J9Z3K6Y6W7F0N8Q2R4T5V6X7");
    EXPECT_EQ(lock->operation, "apply");
    EXPECT_EQ(lock->created_at, "2026-06-08T12:00:00.123456Z");
    EXPECT_EQ(lock->pid, 4242u);
    EXPECT_FALSE(lock->host);
    EXPECT_FALSE(lock->actor);
    EXPECT_FALSE(lock->lease_expires_at);
    EXPECT_EQ(serialize_lock(*lock), kLock);
}

TEST(ClusterLock, OptionalHolderFields) {
    LockRecord l{"01J",     "plan",   "2026-06-08T12:00:00Z", 7,
                 "build-1", "andrew", "2026-06-08T12:05:00Z"};
    std::string text = serialize_lock(l);
    EXPECT_EQ(text, "{\n"
                    "  \"version\": 1,\n"
                    "  \"lock_id\": \"01J\",\n"
                    "  \"operation\": \"plan\",\n"
                    "  \"created_at\": \"2026-06-08T12:00:00Z\",\n"
                    "  \"pid\": 7,\n"
                    "  \"host\": \"build-1\",\n"
                    "  \"actor\": \"andrew\",\n"
                    "  \"lease_expires_at\": \"2026-06-08T12:05:00Z\"\n"
                    "}");
    auto back = parse_lock(text);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->host, "build-1");
    EXPECT_EQ(back->actor, "andrew");
    EXPECT_EQ(back->lease_expires_at, "2026-06-08T12:05:00Z");
}

void expect_lock_code(const Json& j, std::string_view code) {
    auto l = parse_lock(j.dump());
    ASSERT_FALSE(l) << j.dump();
    EXPECT_EQ(l.error().code, code) << j.dump() << ": " << l.error().message;
}

TEST(ClusterLock, StrictParsing) {
    const Json lock = Json::parse(kLock);
    for (const char* field : {"version", "lock_id", "operation", "created_at", "pid"}) {
        SCOPED_TRACE(field);
        Json j = lock;
        j.erase(field);
        expect_lock_code(j, "invalid_state_lock");
    }
    Json unknown = lock;
    unknown["ttl"] = 5;
    expect_lock_code(unknown, "invalid_state_lock");
    Json v2 = lock;
    v2["version"] = 2;
    expect_lock_code(v2, "unsupported_state_lock_version");
    Json big = lock;
    big["pid"] = 4294967296ULL;
    expect_lock_code(big, "invalid_state_lock");
    Json negative = lock;
    negative["pid"] = -1;
    expect_lock_code(negative, "invalid_state_lock");
    Json text_pid = lock;
    text_pid["pid"] = "4242";
    expect_lock_code(text_pid, "invalid_state_lock");
    Json max = lock;
    max["pid"] = 4294967295ULL;
    auto ok = parse_lock(max.dump());
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->pid, 4294967295u);
    auto broken = parse_lock("{");
    ASSERT_FALSE(broken);
    EXPECT_EQ(broken.error().code, "invalid_state_lock");
}

// ---------------------------------------------------------------------------------------------
// Recovery sidecars.

const char* kSidecar = R"({
  "schema_version": 1,
  "operation_id": "01J9Z3K6Y6W7F0N8Q2R4T5V6OP",
  "started_at": "2026-06-08T12:00:00Z",
  "actor": "andrew",
  "kind": "graph_create",
  "graph_id": "knowledge",
  "graph_uri": "/srv/kb/graphs/knowledge.omni",
  "observed_manifest_version": null,
  "expected_manifest_version": 3,
  "desired_schema_digest": "e000000000000000000000000000000000000000000000000000000000000000",
  "state_cas_base": "sha256:8c00000000000000000000000000000000000000000000000000000000000000",
  "approval_id": null
}
)";

TEST(ClusterSidecar, RoundTrip) {
    auto s = parse_sidecar(kSidecar);
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->kind, "graph_create");
    EXPECT_EQ(s->actor, "andrew");
    EXPECT_FALSE(s->observed_manifest_version);
    EXPECT_EQ(s->expected_manifest_version, 3u);
    EXPECT_FALSE(s->approval_id);
    EXPECT_EQ(serialize_sidecar(*s), kSidecar);
}

TEST(ClusterSidecar, AbsentOptionalsAreWrittenAsNull) {
    Sidecar s;
    s.operation_id = "op";
    s.started_at = "t";
    s.kind = "graph_delete";
    s.graph_id = "scratch";
    s.graph_uri = "/r/graphs/scratch.omni";
    s.desired_schema_digest = "";
    s.approval_id = "ap";
    EXPECT_EQ(serialize_sidecar(s), "{\n"
                                    "  \"schema_version\": 1,\n"
                                    "  \"operation_id\": \"op\",\n"
                                    "  \"started_at\": \"t\",\n"
                                    "  \"actor\": null,\n"
                                    "  \"kind\": \"graph_delete\",\n"
                                    "  \"graph_id\": \"scratch\",\n"
                                    "  \"graph_uri\": \"/r/graphs/scratch.omni\",\n"
                                    "  \"observed_manifest_version\": null,\n"
                                    "  \"expected_manifest_version\": null,\n"
                                    "  \"desired_schema_digest\": \"\",\n"
                                    "  \"state_cas_base\": null,\n"
                                    "  \"approval_id\": \"ap\"\n"
                                    "}\n");
    // Optional fields may also be left out entirely.
    auto minimal = parse_sidecar(R"({"schema_version": 1, "operation_id": "op", "started_at": "t",
        "kind": "schema_apply", "graph_id": "g", "graph_uri": "u", "desired_schema_digest": "d"})");
    ASSERT_TRUE(minimal) << minimal.error().message;
    EXPECT_FALSE(minimal->actor);
    EXPECT_FALSE(minimal->state_cas_base);
}

TEST(ClusterSidecar, StrictParsing) {
    const Json sidecar = Json::parse(kSidecar);
    for (const char* field : {"schema_version", "operation_id", "started_at", "kind", "graph_id",
                              "graph_uri", "desired_schema_digest"}) {
        SCOPED_TRACE(field);
        Json j = sidecar;
        j.erase(field);
        auto s = parse_sidecar(j.dump());
        ASSERT_FALSE(s);
        EXPECT_EQ(s.error().code, "invalid_recovery_sidecar");
    }
    for (const char* field : {"actor", "observed_manifest_version", "expected_manifest_version",
                              "state_cas_base", "approval_id"}) {
        SCOPED_TRACE(field);
        Json j = sidecar;
        j.erase(field);
        EXPECT_TRUE(parse_sidecar(j.dump()));
    }
    Json unknown = sidecar;
    unknown["note"] = "x";
    EXPECT_EQ(parse_sidecar(unknown.dump()).error().code, "invalid_recovery_sidecar");
    Json kind = sidecar;
    kind["kind"] = "graph_rename";
    EXPECT_EQ(parse_sidecar(kind.dump()).error().code, "invalid_recovery_sidecar");
    Json version = sidecar;
    version["expected_manifest_version"] = "3";
    EXPECT_EQ(parse_sidecar(version.dump()).error().code, "invalid_recovery_sidecar");
    Json v2 = sidecar;
    v2["schema_version"] = 2;
    EXPECT_EQ(parse_sidecar(v2.dump()).error().code, "unsupported_recovery_sidecar_version");
    EXPECT_EQ(parse_sidecar("not json").error().code, "invalid_recovery_sidecar");
}

// ---------------------------------------------------------------------------------------------
// Approval artefacts.

const char* kApproval = R"({
  "schema_version": 1,
  "approval_id": "01J9Z3K6Y6W7F0N8Q2R4T5V6AP",
  "resource": "graph.scratch",
  "operation": "delete",
  "reason": "delete may remove deployed graph or schema definition",
  "bound_config_digest": "9a1f000000000000000000000000000000000000000000000000000000000000",
  "bound_before_digest": "c300000000000000000000000000000000000000000000000000000000000000",
  "bound_after_digest": null,
  "approved_by": "andrew",
  "created_at": "2026-06-08T12:00:00Z",
  "consumed_at": null,
  "consumed_by_operation": null
}
)";

TEST(ClusterApproval, RoundTrip) {
    auto a = parse_approval(kApproval);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->resource, "graph.scratch");
    EXPECT_EQ(a->bound_before_digest,
              "c300000000000000000000000000000000000000000000000000000000000000");
    EXPECT_FALSE(a->bound_after_digest);
    EXPECT_FALSE(a->consumed_at);
    EXPECT_EQ(serialize_approval(*a), kApproval);

    a->consumed_at = "2026-06-09T00:00:00Z";
    std::string consumed = serialize_approval(*a);
    EXPECT_NE(consumed.find("  \"consumed_at\": \"2026-06-09T00:00:00Z\",\n"
                            "  \"consumed_by_operation\": null\n}\n"),
              std::string::npos)
        << consumed;
}

TEST(ClusterApproval, StrictParsing) {
    const Json approval = Json::parse(kApproval);
    for (const char* field : {"schema_version", "approval_id", "resource", "operation", "reason",
                              "bound_config_digest", "approved_by", "created_at"}) {
        SCOPED_TRACE(field);
        Json j = approval;
        j.erase(field);
        auto a = parse_approval(j.dump());
        ASSERT_FALSE(a);
        EXPECT_EQ(a.error().code, "invalid_approval_artifact");
    }
    for (const char* field :
         {"bound_before_digest", "bound_after_digest", "consumed_at", "consumed_by_operation"}) {
        SCOPED_TRACE(field);
        Json j = approval;
        j.erase(field);
        auto a = parse_approval(j.dump());
        ASSERT_TRUE(a);
        // Absent optionals are written back as null.
        EXPECT_NE(serialize_approval(*a).find("\"" + std::string(field) + "\": null"),
                  std::string::npos);
    }
    Json unknown = approval;
    unknown["expires_at"] = "never";
    EXPECT_EQ(parse_approval(unknown.dump()).error().code, "invalid_approval_artifact");
    Json v2 = approval;
    v2["schema_version"] = 2;
    EXPECT_EQ(parse_approval(v2.dump()).error().code, "unsupported_approval_version");
    Json wrong_type = approval;
    wrong_type["approved_by"] = Json::array({"andrew"});
    EXPECT_EQ(parse_approval(wrong_type.dump()).error().code, "invalid_approval_artifact");
    EXPECT_EQ(parse_approval("").error().code, "invalid_approval_artifact");
}

// ---------------------------------------------------------------------------------------------
// The duplicate-key scan.

std::vector<std::string> duplicate_paths(std::string_view yaml) {
    std::vector<std::string> out;
    for (const auto& d : find_duplicate_keys(yaml))
        out.push_back(d.path);
    return out;
}

TEST(ClusterDuplicateKeys, NestedMappingsAndLines) {
    auto dups = find_duplicate_keys("version: 1\n"
                                    "graphs:\n"
                                    "  a:\n"
                                    "    schema: x.pg\n"
                                    "  b:\n"
                                    "    schema: y.pg\n"
                                    "    schema: z.pg\n"
                                    "  a:\n"
                                    "    schema: x.pg\n");
    ASSERT_EQ(dups.size(), 2u);
    EXPECT_EQ(dups[0].path, "graphs.b.schema");
    EXPECT_EQ(dups[0].line, 7);
    EXPECT_EQ(dups[1].path, "graphs.a");
    EXPECT_EQ(dups[1].line, 8);
    // The same key under different parents is not a duplicate.
    EXPECT_TRUE(duplicate_paths("a:\n  x: 1\nb:\n  x: 1\n").empty());
    // A later document starts afresh.
    EXPECT_TRUE(duplicate_paths("a: 1\n---\na: 2\n").empty());
}

TEST(ClusterDuplicateKeys, BlockScalarsAreContentNotKeys) {
    EXPECT_TRUE(duplicate_paths("doc: |\n"
                                "  key: 1\n"
                                "  key: 2\n"
                                "\n"
                                "  key: 3\n"
                                "other: >-\n"
                                "  other: folded\n"
                                "  other: again\n"
                                "last: 1\n")
                    .empty());
    // The scalar ends where the indentation returns.
    EXPECT_EQ(duplicate_paths("doc: |\n  a: 1\ndoc: 2\n"), std::vector<std::string>{"doc"});
    // Inside a sequence item's mapping.
    EXPECT_TRUE(duplicate_paths("steps:\n  - run: |\n      a: 1\n      a: 2\n").empty());
}

TEST(ClusterDuplicateKeys, BlockScalarSequenceItemsAreContentNotKeys) {
    // A block scalar can be a sequence item itself (`- |`); its lines are text, not keys.
    EXPECT_TRUE(duplicate_paths("notes:\n"
                                "  - |\n"
                                "    a: 1\n"
                                "    a: 2\n"
                                "  - >\n"
                                "    b: 1\n"
                                "    b: 2\n")
                    .empty());
}

TEST(ClusterDuplicateKeys, SequencesOfMappings) {
    const char* distinct = "allow:\n"
                           "  - base: a\n"
                           "    scope: server_safe\n"
                           "  - base: b\n"
                           "    scope: server_safe\n"
                           "  -\n"
                           "    base: c\n"
                           "    scope: embedded_only\n";
    EXPECT_TRUE(duplicate_paths(distinct).empty());
    // Items at the same indentation as their key.
    EXPECT_TRUE(duplicate_paths("allow:\n- base: a\n  scope: x\n- base: b\n  scope: y\n").empty());
    EXPECT_EQ(duplicate_paths("g:\n  allow:\n  - base: a\n    scope: x\n    scope: y\n"),
              std::vector<std::string>{"g.allow[].scope"});
    // A key after the list belongs to the enclosing mapping again.
    EXPECT_EQ(duplicate_paths("allow:\n  - base: a\nallow: []\n"),
              std::vector<std::string>{"allow"});
    // Scalar items are not keys.
    EXPECT_TRUE(duplicate_paths("applies_to:\n  - knowledge\n  - knowledge\n").empty());
}

TEST(ClusterDuplicateKeys, CommentsAndQuotes) {
    // Comments with quotes and colons do not open anything.
    EXPECT_TRUE(duplicate_paths("# don't: 'care\n"
                                "a: 1 # it's \"fine\": really\n"
                                "  # b: 1\n"
                                "b: 2\n")
                    .empty());
    // '#' inside quotes is not a comment; quoted and plain spellings are the same key.
    EXPECT_EQ(duplicate_paths("\"a#b\": 1\n'a#b': 2\n"), std::vector<std::string>{"a#b"});
    EXPECT_EQ(duplicate_paths("name: 1\n\"name\": 2\n"), std::vector<std::string>{"name"});
    // A '#' glued to a word is not a comment either.
    EXPECT_EQ(duplicate_paths("k: a#b\nk: c\n"), std::vector<std::string>{"k"});
    // URL-like values are not keys.
    EXPECT_TRUE(duplicate_paths("items:\n  - s3://bucket/x\n  - s3://bucket/x\n").empty());
    // Windows line endings.
    EXPECT_EQ(duplicate_paths("a: 1\r\na: 2\r\n"), std::vector<std::string>{"a"});
}

} // namespace
} // namespace omnigraph::cluster
