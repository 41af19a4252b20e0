// The control plane's digests and canonical encodings (spec cluster §3) against golden values
// computed independently with Python's hashlib/json, and the external-blob base normal form
// (spec §2.2).
//
// Every golden below comes from this Python 3 script (run once, output pasted):
//
//   import hashlib, json
//   h  = lambda b: hashlib.sha256(b).hexdigest()
//   cj = lambda o: json.dumps(o, ensure_ascii=False, separators=(',', ':')).encode()
//   SCHEMA = b"node Person {\n    name: String @key\n    age: I32?\n}\n"
//   QUERY  = b"query find_person($name: String) {\n    match { $p: Person { name: $name } }\n"
//            b"    return { $p.name, $p.age }\n}\n"
//   POLICY = <kPolicy below, as bytes>
//   S, Q, P = h(SCHEMA), h(QUERY), h(POLICY)
//   prov = h(b"embedding-provider\0" + cj({"kind": "mock", "model": "m"}))
//   def comp(g, s, qs=(), provider=None, policy=None):
//       b = b"graph\0" + g.encode() + b"\0schema\0" + s.encode() + b"\0"
//       for n, d in sorted(qs):
//           b += b"query\0" + n.encode() + b"\0" + d.encode() + b"\0"
//       if provider:
//           b += b"embedding_provider\0" + provider[0].encode() + b"\0" + provider[1].encode() +
//           b"\0"
//       if policy is not None:
//           b += b"external_blob_policy\0" + cj(policy) + b"\0"
//       return h(b)
//   def cfg(raw, res):
//       b = b"cluster-config\0" + cj(raw) + b"\0"
//       for a in sorted(res):
//           b += a.encode() + b"\0" + res[a].encode() + b"\0"
//       return h(b)
//
// (Python's json.dumps with ensure_ascii=False escapes exactly like serde_json: \" \\ \b \f \n
// \r \t, other controls as lower-case \u00xx, everything else raw.)
#include "base/json.h"
#include "cluster/config.h"
#include "cluster/desired_state.h"
#include "cluster/digests.h"
#include "cluster/external_blobs.h"
#include "test_support.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace omnigraph::cluster {
namespace {

namespace fs = std::filesystem;
using base::Json;

const char* kSchema = "node Person {\n    name: String @key\n    age: I32?\n}\n";
const char* kQuery = "query find_person($name: String) {\n"
                     "    match { $p: Person { name: $name } }\n"
                     "    return { $p.name, $p.age }\n"
                     "}\n";
const char* kPolicy = "version: 1\n"
                      "groups:\n"
                      "  readers: [act-reader]\n"
                      "  editors: [act-editor]\n"
                      "rules:\n"
                      "  - id: readers-read\n"
                      "    allow:\n"
                      "      actors: { group: readers }\n"
                      "      actions: [read, invoke_query]\n"
                      "  - id: editors-write\n"
                      "    allow:\n"
                      "      actors: { group: editors }\n"
                      "      actions: [read, invoke_query, change]\n";

// h(b""), S, Q, P
const char* kEmptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const char* kSchemaDigest = "e432e2b68248afc15dfa970a19e65c14da8b2740a0b29d8e2df934e695fab2dd";
const char* kQueryDigest = "dd0e7c6af69c3131e85ce8006ae0f6208836deca6f855a5fc1a1021236cdaaa0";
const char* kPolicyDigest = "1c681dcda106ebbd92c33ceffbc32dcb3d75f8662e31930ca64c0e3a4e423264";
// prov
const char* kMockProviderDigest =
    "f99f62c239082b37268cce690eb46ae6b6019f2fa7eaf0a17ab7e61286e7cc7a";

void write_file(const fs::path& path, std::string_view text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

Json allow_policy() {
    return Json::parse(
        R"({"mode":"allow","bases":[{"uri":"s3://assets-bucket/knowledge/","scope":"server_safe"}]})");
}

// ---------------------------------------------------------------------------------------------
// Digest layouts.

TEST(ClusterDigests, ContentDigestIsTheRawBytes) {
    EXPECT_EQ(content_digest(""), kEmptyDigest);
    EXPECT_EQ(content_digest(kSchema), kSchemaDigest);
    EXPECT_EQ(content_digest(kQuery), kQueryDigest);
    EXPECT_EQ(content_digest(kPolicy), kPolicyDigest);
    // Comments and whitespace count.
    EXPECT_NE(content_digest(std::string(kSchema) + "\n"), kSchemaDigest);
}

TEST(ClusterDigests, ProviderDigest) {
    // prov
    EXPECT_EQ(provider_digest(Json::parse(R"({"kind":"mock","model":"m"})")), kMockProviderDigest);
    ProviderProfile mock;
    mock.kind = "mock";
    mock.model = "m";
    EXPECT_EQ(provider_digest(profile_json(mock)), kMockProviderDigest);
    // h(b"embedding-provider\0" + cj({}))
    EXPECT_EQ(provider_digest(profile_json(ProviderProfile{})),
              "0bcf9f87bb1e4cdb186d6fd0bee411fb7d9da65844d130a67683381a6b36f93e");
    // h(b"embedding-provider\0" + cj({"kind":"openai","base_url":"https://api.example.com/v1",
    //   "model":"text-embedding-3-small","api_key":"${OPENAI_API_KEY}"}))
    // profile_json emits kind, base_url, model, api_key whatever order the fields were set in.
    ProviderProfile full;
    full.api_key = "${OPENAI_API_KEY}";
    full.model = "text-embedding-3-small";
    full.base_url = "https://api.example.com/v1";
    full.kind = "openai";
    EXPECT_EQ(profile_json(full).dump(),
              R"({"kind":"openai","base_url":"https://api.example.com/v1",)"
              R"("model":"text-embedding-3-small","api_key":"${OPENAI_API_KEY}"})");
    EXPECT_EQ(provider_digest(profile_json(full)),
              "335a0ebaaf96ac9c44fbfe2e8358705fd0bd311f9ed1b779470a8a60ad2a0bac");
}

TEST(ClusterDigests, GraphCompositeWithoutQueriesIsTheHistoricalDigest) {
    // comp("knowledge", S)
    CompositeInput in{"knowledge", kSchemaDigest, {}, std::nullopt, std::nullopt};
    EXPECT_EQ(graph_composite_digest(in),
              "2c36c139b9c92f54abf4d37532b044b17218026d5c9449953dcd4df9aae5b883");
    // comp("knowledge", "")
    in.schema_digest = "";
    EXPECT_EQ(graph_composite_digest(in),
              "af305c236e92b5c7004823bd7fd40dcec6a7c56bb6c0697a45e12a840139bd4c");
}

TEST(ClusterDigests, GraphCompositeSortsQueriesByName) {
    // comp("knowledge", S, [("zeta", "1"*64), ("alpha", "2"*64)])
    const char* golden = "7d1d90561ff6602e3faca2b48b71a05dbd7c33c60a202796336b7a3d602fc63b";
    CompositeInput in{"knowledge",
                      kSchemaDigest,
                      {{"zeta", std::string(64, '1')}, {"alpha", std::string(64, '2')}},
                      std::nullopt,
                      std::nullopt};
    EXPECT_EQ(graph_composite_digest(in), golden);
    std::swap(in.queries[0], in.queries[1]);
    EXPECT_EQ(graph_composite_digest(in), golden);
}

TEST(ClusterDigests, GraphCompositeWithProvider) {
    // comp("knowledge", S, provider=("provider.embedding.default", prov))
    CompositeInput in{
        "knowledge",
        kSchemaDigest,
        {},
        std::pair<std::string, std::string>{"provider.embedding.default", kMockProviderDigest},
        std::nullopt};
    EXPECT_EQ(graph_composite_digest(in),
              "e2bff27bd076d3f30c7af8b31f9ad4eb5dcbf605965a54f1c5b06ae23ba334c7");
    // comp("knowledge", S, provider=("provider.embedding.default", ""))
    in.provider->second = "";
    EXPECT_EQ(graph_composite_digest(in),
              "72f4db4f63530030d1c556687d6cc19f05dde156927002460517b6faf118e2fa");
}

TEST(ClusterDigests, GraphCompositeWithAllowPolicy) {
    // comp("knowledge", S, policy={"mode":"allow","bases":[{"uri":"s3://assets-bucket/knowledge/",
    //   "scope":"server_safe"}]})
    const char* golden = "99a92bf4f6aefb6e532bbdc4cd072c48670c9573368940698c0ef61589624e7f";
    CompositeInput in{"knowledge", kSchemaDigest, {}, std::nullopt, allow_policy()};
    EXPECT_EQ(graph_composite_digest(in), golden);
    // Key order inside a stored policy does not matter: it is re-serialized canonically.
    in.blob_policy = Json::parse(
        R"({"bases":[{"scope":"server_safe","uri":"s3://assets-bucket/knowledge/"}],"mode":"allow"})");
    EXPECT_EQ(graph_composite_digest(in), golden);
    EXPECT_EQ(base::to_canonical_json(canonical_blob_policy(*in.blob_policy)),
              base::to_canonical_json(allow_policy()));
}

TEST(ClusterDigests, GraphCompositeWithEverything) {
    // comp("knowledge", S, [("find_person", Q)], ("provider.embedding.default", prov), policy)
    CompositeInput in{
        "knowledge",
        kSchemaDigest,
        {{"find_person", kQueryDigest}},
        std::pair<std::string, std::string>{"provider.embedding.default", kMockProviderDigest},
        allow_policy()};
    EXPECT_EQ(graph_composite_digest(in),
              "4ed45ae11f3e141f58c9b612c5582f08064568f2714a4907bf99434f53fef808");
}

TEST(ClusterDigests, StateCas) {
    // "sha256:" + h(b'{\n  "version": 1\n}\n')
    EXPECT_EQ(state_cas("{\n  \"version\": 1\n}\n"),
              "sha256:4b8894d57dfa621e534ef4eb25263e8f00254cbcb4327f1f98796314ac279dde");
    EXPECT_EQ(state_cas(""), std::string("sha256:") + kEmptyDigest);
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON.

TEST(ClusterDigests, CanonicalJsonEscapesLikeSerde) {
    // cj({"s": "q\"b\\s/\b\t\n\f\r\x01\x1f\x7fé€😀"})
    Json j = Json::object({{"s", "q\"b\\s/\b\t\n\f\r\x01\x1f\x7f"
                                 "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"}});
    EXPECT_EQ(base::to_canonical_json(j), "{\"s\":\"q\\\"b\\\\s/\\b\\t\\n\\f\\r\\u0001\\u001f\x7f"
                                          "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
    // Lower-case hex in \u escapes.
    EXPECT_EQ(base::to_canonical_json(Json("\x1b")), "\"\\u001b\"");
    EXPECT_EQ(base::to_canonical_json(Json::parse(R"({"a":1,"b":[1,2],"c":null,"d":true})")),
              R"({"a":1,"b":[1,2],"c":null,"d":true})");
    // h(b"embedding-provider\0" + cj({"kind":"mock","model":"a/b\x01\x1bé\"\\"}))
    EXPECT_EQ(
        provider_digest(Json::object({{"kind", "mock"}, {"model", "a/b\x01\x1b\xc3\xa9\"\\"}})),
        "98c2bb00cce8f0c686ab575b1445918ee07b7c6487c4f04f9d39c3390609df67");
}

// ---------------------------------------------------------------------------------------------
// The config digest.

// The raw config of the §16 fixture, as cj() of:
//   {"version":1,"metadata":{"name":None},"storage":None,"state":{"backend":None,"lock":None},
//    "providers":{"embedding":{}},
//    "graphs":{"knowledge":{"schema":"people.pg","queries":"queries/","embedding_provider":None}},
//    "policies":{"base":{"file":"base.policy.yaml","applies_to":["knowledge"]}}}
const char* kMinimalRaw =
    R"({"version":1,"metadata":{"name":null},"storage":null,"state":{"backend":null,"lock":null},)"
    R"("providers":{"embedding":{}},"graphs":{"knowledge":{"schema":"people.pg","queries":"queries/",)"
    R"("embedding_provider":null}},"policies":{"base":{"file":"base.policy.yaml",)"
    R"("applies_to":["knowledge"]}}})";
// comp("knowledge", S, [("find_person", Q)])
const char* kMinimalGraph = "c1d66890ee5e60cb68bcea6ea159335282e52051e19c3dc044eb23140a6d8b91";
// cfg(raw, {"graph.knowledge": <kMinimalGraph>, "policy.base": P,
//           "query.knowledge.find_person": Q, "schema.knowledge": S})
const char* kMinimalConfig = "2c5bf87aa67d8113227fd022e5d8be8b1c2e48d87dca971bd01c175b05483d96";

TEST(ClusterDigests, RawConfigAndConfigDigestFromAHandBuiltConfig) {
    ClusterConfig c;
    c.version = 1;
    GraphDecl g;
    g.schema = "people.pg";
    g.queries.form = QueriesDecl::Form::kPath;
    g.queries.paths = {"queries/"};
    c.graphs["knowledge"] = g;
    c.policies["base"] = PolicyDecl{"base.policy.yaml", {"knowledge"}};
    Json raw = raw_config_json(c);
    EXPECT_EQ(base::to_canonical_json(raw), kMinimalRaw);
    // Resources in any order: the digest sorts them by address.
    std::vector<std::pair<std::string, std::string>> resources = {
        {"schema.knowledge", kSchemaDigest},
        {"graph.knowledge", kMinimalGraph},
        {"query.knowledge.find_person", kQueryDigest},
        {"policy.base", kPolicyDigest}};
    EXPECT_EQ(config_digest(raw, resources), kMinimalConfig);
}

TEST(ClusterDigests, RawConfigQueryShapesAndOmittedBlobs) {
    ClusterConfig c;
    c.version = 1;
    GraphDecl absent;
    absent.schema = "a.pg";
    GraphDecl list;
    list.schema = "b.pg";
    list.queries.form = QueriesDecl::Form::kList;
    list.queries.paths = {"q2/", "q1.gq"};
    GraphDecl map;
    map.schema = "c.pg";
    map.queries.form = QueriesDecl::Form::kMap;
    map.queries.map = {{"zeta", "z.gq"}, {"alpha", "a.gq"}};
    c.graphs = {{"gc", map}, {"ga", absent}, {"gb", list}};
    EXPECT_EQ(base::to_canonical_json(raw_config_json(c)["graphs"]),
              R"({"ga":{"schema":"a.pg","queries":{},"embedding_provider":null},)"
              R"("gb":{"schema":"b.pg","queries":["q2/","q1.gq"],"embedding_provider":null},)"
              R"("gc":{"schema":"c.pg","queries":{"alpha":{"file":"a.gq"},"zeta":{"file":"z.gq"}},)"
              R"("embedding_provider":null}})");
}

TEST(ClusterDigests, DesiredStateOfTheFixtureMatchesTheGoldens) {
    testing::TempDir dir;
    write_file(dir.path() + "/cluster.yaml",
               "version: 1\ngraphs:\n  knowledge:\n    schema: people.pg\n    queries: queries/\n"
               "policies:\n  base:\n    file: base.policy.yaml\n    applies_to: [knowledge]\n");
    write_file(dir.path() + "/people.pg", kSchema);
    write_file(dir.path() + "/queries/people.gq", kQuery);
    write_file(dir.path() + "/base.policy.yaml", kPolicy);
    Diagnostics diags;
    DesiredState d = load_desired_state(dir.path(), diags);
    ASSERT_FALSE(diags.has_error());
    EXPECT_EQ(d.digests,
              (std::map<std::string, std::string>{{"graph.knowledge", kMinimalGraph},
                                                  {"policy.base", kPolicyDigest},
                                                  {"query.knowledge.find_person", kQueryDigest},
                                                  {"schema.knowledge", kSchemaDigest}}));
    EXPECT_EQ(d.config_digest, kMinimalConfig);
}

// A richer config exercising every raw-config field:
//   raw2 = {"version":1,"metadata":{"name":"café / brain"},"storage":"./state",
//     "state":{"backend":None,"lock":False},
//     "providers":{"embedding":{"default":{"kind":"mock","model":"m"}}},
//     "graphs":{"archive":{"schema":"people.pg","queries":["queries/people.gq"],
//                          "embedding_provider":None},
//               "knowledge":{"schema":"./people.pg","queries":{"find_person":{"file":
//                            "queries/people.gq"}},"embedding_provider":"default",
//                            "external_blobs":{"allow":[{"base":"S3://Assets-Bucket/knowledge",
//                            "scope":"server_safe"}]}}},
//     "policies":{"base":{"file":"base.policy.yaml","applies_to":["knowledge","graph.archive"]}}}
//   ga  = comp("archive", S, [("find_person", Q)])
//   gk2 = comp("knowledge", S, [("find_person", Q)], ("provider.embedding.default", prov), policy)
//   cfg(raw2, {"graph.archive": ga, "graph.knowledge": gk2, "policy.base": P,
//              "provider.embedding.default": prov, "query.archive.find_person": Q,
//              "query.knowledge.find_person": Q, "schema.archive": S, "schema.knowledge": S})
TEST(ClusterDigests, RichConfigMatchesTheGoldens) {
    testing::TempDir dir;
    write_file(dir.path() + "/cluster.yaml", "version: 1\n"
                                             "metadata:\n"
                                             "  name: \"caf\xc3\xa9 / brain\"\n"
                                             "storage: ./state\n"
                                             "state:\n"
                                             "  lock: false\n"
                                             "providers:\n"
                                             "  embedding:\n"
                                             "    default:\n"
                                             "      provider: mock\n"
                                             "      model: m\n"
                                             "graphs:\n"
                                             "  knowledge:\n"
                                             "    schema: ./people.pg\n"
                                             "    queries:\n"
                                             "      find_person: { file: queries/people.gq }\n"
                                             "    embedding_provider: default\n"
                                             "    external_blobs:\n"
                                             "      allow:\n"
                                             "        - base: S3://Assets-Bucket/knowledge\n"
                                             "          scope: server_safe\n"
                                             "  archive:\n"
                                             "    schema: people.pg\n"
                                             "    queries: [queries/people.gq]\n"
                                             "policies:\n"
                                             "  base:\n"
                                             "    file: base.policy.yaml\n"
                                             "    applies_to: [knowledge, graph.archive]\n");
    write_file(dir.path() + "/people.pg", kSchema);
    write_file(dir.path() + "/queries/people.gq", kQuery);
    write_file(dir.path() + "/base.policy.yaml", kPolicy);
    Diagnostics diags;
    DesiredState d = load_desired_state(dir.path(), diags);
    ASSERT_FALSE(diags.has_error());
    EXPECT_EQ(base::to_canonical_json(raw_config_json(d.loaded.config)),
              "{\"version\":1,\"metadata\":{\"name\":\"caf\xc3\xa9 / brain\"},"
              "\"storage\":\"./state\",\"state\":{\"backend\":null,\"lock\":false},"
              "\"providers\":{\"embedding\":{\"default\":{\"kind\":\"mock\",\"model\":\"m\"}}},"
              "\"graphs\":{\"archive\":{\"schema\":\"people.pg\",\"queries\":"
              "[\"queries/people.gq\"],\"embedding_provider\":null},\"knowledge\":{\"schema\":"
              "\"./people.pg\",\"queries\":{\"find_person\":{\"file\":\"queries/people.gq\"}},"
              "\"embedding_provider\":\"default\",\"external_blobs\":{\"allow\":[{\"base\":"
              "\"S3://Assets-Bucket/knowledge\",\"scope\":\"server_safe\"}]}}},"
              "\"policies\":{\"base\":{\"file\":\"base.policy.yaml\",\"applies_to\":"
              "[\"knowledge\",\"graph.archive\"]}}}");
    EXPECT_EQ(d.digests.at("graph.archive"),
              "794c4b14dbfad78f48ebb589381aeb6f86cde909df470ffd96dcf7989ba7b3d1");
    EXPECT_EQ(d.digests.at("graph.knowledge"),
              "4ed45ae11f3e141f58c9b612c5582f08064568f2714a4907bf99434f53fef808");
    EXPECT_EQ(d.digests.at("provider.embedding.default"), kMockProviderDigest);
    EXPECT_EQ(d.digests.size(), 8u);
    EXPECT_EQ(d.config_digest, "5f0115faae5d6c23d916ccdcec33e6a04612d44609cb4bb32bbad0cb8fd32301");
}

// ---------------------------------------------------------------------------------------------
// External blob bases.

std::string normal(const std::string& base, const std::string& scope = "server_safe") {
    auto r = normalize_blob_base(base, scope);
    EXPECT_TRUE(r) << base << ": " << r.error().message;
    return r ? *r : "";
}

void expect_refused(const std::string& base, const std::string& scope = "server_safe") {
    auto r = normalize_blob_base(base, scope);
    ASSERT_FALSE(r) << base << " was accepted as " << *r;
    EXPECT_EQ(r.error().code, "invalid_external_blob_base") << base;
}

TEST(ClusterBlobBases, NormalForm) {
    EXPECT_EQ(normal("S3://Assets-Bucket/knowledge"), "s3://assets-bucket/knowledge/");
    EXPECT_EQ(normal("s3://assets-bucket/knowledge/"), "s3://assets-bucket/knowledge/");
    EXPECT_EQ(normal("s3://bucket"), "s3://bucket/");
    EXPECT_EQ(normal("s3://bucket/"), "s3://bucket/");
    // Path case is kept; only scheme and bucket are lower-cased.
    EXPECT_EQ(normal("s3://B/Kb/Images"), "s3://b/Kb/Images/");
    // Segments are decoded then re-encoded: unreserved bytes raw, everything else %XX upper.
    EXPECT_EQ(normal("s3://b/a%20b/%7e%2d_.x"), "s3://b/a%20b/~-_.x/");
    EXPECT_EQ(normal("s3://b/a b/c+d"), "s3://b/a%20b/c%2Bd/");
    EXPECT_EQ(normal("s3://b/caf\xc3\xa9"), "s3://b/caf%C3%A9/");
    EXPECT_EQ(normal("s3://b/caf%c3%a9"), "s3://b/caf%C3%A9/");
    // A '.' inside a segment is fine.
    EXPECT_EQ(normal("s3://b/v1.2/..x"), "s3://b/v1.2/..x/");
}

TEST(ClusterBlobBases, Refusals) {
    expect_refused("");
    expect_refused(" s3://b/x");
    expect_refused("s3://b/x ");
    expect_refused("s3://user@b/x");        // user-info
    expect_refused("s3://b:9000/x");        // port
    expect_refused("s3://b/x?versionId=1"); // query
    expect_refused("s3://b/x#frag");        // fragment
    expect_refused("s3://b/x\\y");          // backslash
    expect_refused("s3://b/a/../c");        // '..'
    expect_refused("s3://b/a/./c");         // '.'
    expect_refused("s3://b/a/%2E%2E/c");    // '..' encoded
    expect_refused("s3://b/a/%2e/c");       // '.' encoded
    expect_refused("s3://b/a%2Fb");         // encoded '/'
    expect_refused("s3://b/a%25b");         // encoded '%'
    expect_refused("s3://b/a%5Cb");         // encoded '\'
    expect_refused("s3://b/a%00b");         // encoded NUL
    expect_refused("s3://b/a%zzb");         // not an encoding
    expect_refused("s3://b/a%2");           // truncated
    expect_refused("s3://b/a//c");          // empty component
    expect_refused("s3:///x");              // no bucket
    expect_refused("gs://b/x");             // scheme
    expect_refused("/abs/path", "embedded_only");
    expect_refused("file://host/tmp", "embedded_only");
}

TEST(ClusterBlobBases, FileBases) {
    testing::TempDir dir;
    fs::create_directories(dir.path() + "/assets dir");
    // file:// is never server-safe.
    expect_refused("file://" + dir.path() + "/assets dir", "server_safe");
    // embedded_only: must name an existing directory; the normal form is lexical.
    EXPECT_EQ(normal("FILE://" + dir.path() + "/assets%20dir", "embedded_only"),
              "file://" + dir.path() + "/assets%20dir/");
    expect_refused("file://" + dir.path() + "/missing", "embedded_only");
    write_file(dir.path() + "/plain", "x");
    expect_refused("file://" + dir.path() + "/plain", "embedded_only");
}

TEST(ClusterBlobBases, PolicyIsSortedByUriThenServerSafeFirst) {
    auto policy = blob_policy_json({{"s3://b/z/", "embedded_only"},
                                    {"s3://b/a/", "embedded_only"},
                                    {"s3://b/a/", "server_safe"}});
    ASSERT_TRUE(policy);
    EXPECT_EQ(base::to_canonical_json(*policy),
              R"({"mode":"allow","bases":[{"uri":"s3://b/a/","scope":"server_safe"},)"
              R"({"uri":"s3://b/a/","scope":"embedded_only"},)"
              R"({"uri":"s3://b/z/","scope":"embedded_only"}]})");
    EXPECT_FALSE(blob_policy_json({}));
}

TEST(ClusterBlobBases, CheckPolicyNormalizesSortsAndFindsOverlaps) {
    Diagnostics diags;
    auto policy = check_blob_policy(
        "kb", {{"s3://Zeta/x", "server_safe"}, {"S3://alpha", "server_safe"}}, diags);
    EXPECT_TRUE(diags.empty());
    ASSERT_TRUE(policy);
    EXPECT_EQ(base::to_canonical_json(*policy),
              R"({"mode":"allow","bases":[{"uri":"s3://alpha/","scope":"server_safe"},)"
              R"({"uri":"s3://zeta/x/","scope":"server_safe"}]})");

    EXPECT_FALSE(check_blob_policy("kb", {}, diags));
    EXPECT_TRUE(diags.empty());

    // Overlap in either direction, and equal bases under different scopes.
    for (const auto& pair :
         std::vector<std::pair<std::string, std::string>>{{"s3://b/kb/images", "s3://B/kb"},
                                                          {"s3://b/kb", "s3://b/kb/images/"},
                                                          {"s3://b", "s3://b/anything"}}) {
        Diagnostics overlap;
        EXPECT_FALSE(check_blob_policy(
            "kb", {{pair.first, "server_safe"}, {pair.second, "server_safe"}}, overlap));
        EXPECT_TRUE(overlap.has_code("invalid_external_blob_policy")) << pair.first;
        ASSERT_FALSE(overlap.empty());
        EXPECT_EQ(overlap.items()[0].path, "graphs.kb.external_blobs.allow");
    }
    Diagnostics distinct;
    EXPECT_TRUE(check_blob_policy(
        "kb",
        {{"s3://b/kb", "server_safe"}, {"s3://b/kb2", "server_safe"}, {"s3://c/kb", "server_safe"}},
        distinct));
    EXPECT_TRUE(distinct.empty());

    Diagnostics bad;
    EXPECT_FALSE(check_blob_policy("kb",
                                   {{"s3://b/ok", "server_safe"},
                                    {"s3://b/../x", "server_safe"},
                                    {"s3://:1/x", "server_safe"}},
                                   bad));
    ASSERT_EQ(bad.items().size(), 2u);
    EXPECT_EQ(bad.items()[0].code, "invalid_external_blob_base");
    EXPECT_EQ(bad.items()[0].path, "graphs.kb.external_blobs.allow[1].base");
    EXPECT_EQ(bad.items()[1].path, "graphs.kb.external_blobs.allow[2].base");
}

} // namespace
} // namespace omnigraph::cluster
