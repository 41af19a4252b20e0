// End to end: `omnigraph storage verify` on a graph with branches, several versions and a
// deletion vector, clean and then damaged (a deleted, truncated or overwritten segment, manifest
// or deletion vector, a stray object), on local disk and on S3; and `--cluster` over a cluster's
// ledger, catalog and graphs.
#include "base/record_seal.h"
#include "cluster_fixtures/cluster_e2e.h"
#include "format/manifest.h"
#include "format/segment.h"

namespace omnigraph::testing::cluster_e2e {
namespace {

std::string fixture(const std::string& name) {
    return source_dir() + "/test/schema/fixtures/" + name;
}

// A graph at `uri`: main at version 3 (genesis, a load, a merge that writes a deletion vector),
// branch `feature` forked at 2 with one commit of its own.
class VerifyGraph {
  public:
    VerifyGraph(std::string uri, Env env)
        : uri_(std::move(uri)), env_(std::move(env)), root_(uri_) {
        run_ok({"init", "--schema", fixture("test.pg"), uri_});
        run_ok({"load", "--quiet", "--data", fixture("test.jsonl"), uri_});
        run_ok({"branch", "create", "--uri", uri_, "feature"});
        write_file(dir_.path() + "/eve.jsonl",
                   "{\"type\":\"Person\",\"data\":{\"name\":\"Eve\",\"age\":22}}\n");
        run_ok({"load", "--quiet", "--mode", "append", "--branch", "feature", "--data",
                dir_.path() + "/eve.jsonl", uri_});
        write_file(dir_.path() + "/alice.jsonl",
                   "{\"type\":\"Person\",\"data\":{\"name\":\"Alice\",\"age\":31}}\n");
        run_ok(
            {"load", "--quiet", "--mode", "merge", "--data", dir_.path() + "/alice.jsonl", uri_});
    }

    const Root& root() const { return root_; }
    const std::string& uri() const { return uri_; }

    ProcessResult run(std::vector<std::string> args) const {
        args.insert(args.begin(), omnigraph());
        return run_process(args, env_);
    }
    void run_ok(const std::vector<std::string>& args) const {
        auto r = run(args);
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    // `storage verify --json URI`, checked to exit `expected`.
    Json verify(int expected) const {
        auto r = run({"storage", "verify", "--json", uri_});
        EXPECT_EQ(r.exit_code, expected) << r.out << r.err;
        return parse(r.out);
    }

    // The first key under `prefix` that ends with `suffix`.
    std::string key(const std::string& prefix, const std::string& suffix) const {
        for (const auto& k : root_.keys(prefix))
            if (k.ends_with(suffix))
                return k;
        ADD_FAILURE() << "no " << prefix << "*" << suffix;
        return "";
    }
    // The segment of the Person table that main's head names (the one its deletion vector
    // belongs to).
    std::string person_segment() const {
        std::string head = root_.keys("_log/main/").front(); // newest first
        auto manifest = format::parse_manifest(root_.text(head), head, base::Seal::kRequired);
        EXPECT_TRUE(manifest) << manifest.error().message;
        if (manifest)
            for (const auto& seg : manifest->find("node:Person")->segments)
                if (seg.deletion_vector)
                    return seg.segment;
        ADD_FAILURE() << "no segment with a deletion vector in " << head;
        return "";
    }

  private:
    TempDir dir_;
    std::string uri_;
    Env env_;
    Root root_;
};

// Findings of one kind in a --json report, as "key" or "key code".
std::vector<std::string> findings(const Json& report, const std::string& kind) {
    std::vector<std::string> out;
    for (const auto& f : report[kind])
        out.push_back(f["key"].get<std::string>() +
                      (f.contains("code") ? " " + f["code"].get<std::string>() : ""));
    return out;
}

void expect_clean(const VerifyGraph& g) {
    Json report = g.verify(0);
    EXPECT_EQ(keys_of(report),
              (std::vector<std::string>{"uri", "ok", "objects_checked", "bytes_read", "missing",
                                        "corrupt", "unreferenced", "counts"}));
    EXPECT_EQ(report["ok"], true);
    EXPECT_EQ(report["uri"], g.uri());
    EXPECT_TRUE(report["missing"].empty() && report["corrupt"].empty() &&
                report["unreferenced"].empty())
        << pretty(report);
    const Json& counts = report["counts"];
    // main 1..3 and feature's own version 3; the feature record; one schema.
    EXPECT_EQ(counts["manifests"], 4) << pretty(report);
    EXPECT_EQ(counts["commits"], 4);
    EXPECT_EQ(counts["branches"], 1);
    EXPECT_EQ(counts["schemas"], 1);
    EXPECT_EQ(counts["root_files"], 4);
    EXPECT_EQ(counts["deletion_vectors"], 1);
    EXPECT_GE(counts["segments"].get<int>(), 5);
    EXPECT_GT(counts["column_chunks"].get<int>(), counts["segments"].get<int>());
    EXPECT_GT(report["objects_checked"].get<int>(), 15);
    EXPECT_GT(report["bytes_read"].get<int>(), 1000);
    EXPECT_EQ(counts["missing"], 0);
}

// --- local disk --------------------------------------------------------------------------------

class StorageVerify : public ::testing::Test {
  protected:
    TempDir dir_;
    VerifyGraph g_{dir_.path() + "/g.omni", {}};
};

TEST_F(StorageVerify, CleanGraphExitsZeroWithCounts) {
    expect_clean(g_);
    auto text = g_.run({"storage", "verify", g_.uri()});
    EXPECT_EQ(text.exit_code, 0) << text.err;
    EXPECT_TRUE(text.out.starts_with("storage verify of " + g_.uri() + ": ok: ")) << text.out;
    EXPECT_TRUE(contains(text.out, " 0 missing, 0 corrupt, 0 unreferenced\n")) << text.out;
}

TEST_F(StorageVerify, DeletedSegmentIsMissing) {
    std::string seg = g_.person_segment();
    g_.root().remove(seg);
    Json report = g_.verify(1);
    EXPECT_EQ(report["ok"], false);
    ASSERT_EQ(findings(report, "missing"), std::vector<std::string>{seg}) << pretty(report);
    EXPECT_TRUE(report["missing"][0]["referenced_by"].get<std::string>().starts_with("_log/"));
    EXPECT_EQ(report["counts"]["missing"], 1);
    auto text = g_.run({"storage", "verify", g_.uri()});
    EXPECT_EQ(text.exit_code, 1);
    EXPECT_TRUE(text.out.starts_with("missing       " + seg + " (referenced by _log/")) << text.out;
    EXPECT_TRUE(contains(text.out, ": DAMAGED: ")) << text.out;
}

TEST_F(StorageVerify, TruncatedSegmentIsCorrupt) {
    std::string seg = g_.person_segment();
    std::string bytes = g_.root().text(seg);
    g_.root().write(seg, bytes.substr(0, bytes.size() / 2));
    Json report = g_.verify(1);
    EXPECT_EQ(findings(report, "corrupt"), std::vector<std::string>{seg + " segment_corrupt"})
        << pretty(report);
}

TEST_F(StorageVerify, OverwrittenSegmentIsCorruptByItsReader) {
    // Same size, so the reader itself (not the size check) must refuse it.
    std::string seg = g_.person_segment();
    std::string bytes = g_.root().text(seg);
    g_.root().write(seg, std::string(bytes.size(), '\0'));
    Json report = g_.verify(1);
    ASSERT_EQ(findings(report, "corrupt"), std::vector<std::string>{seg + " segment_corrupt"})
        << pretty(report);
    EXPECT_TRUE(contains(report["corrupt"][0]["message"], "magic")) << pretty(report);
}

TEST_F(StorageVerify, DamagedColumnChunkIsCorrupt) {
    // The footer stays intact; the first column chunk (the ids) is cut short by zeroing its
    // offsets, which the chunk decoder refuses.
    std::string seg = g_.person_segment();
    std::string bytes = g_.root().text(seg);
    auto footer = format::parse_segment_footer(bytes, bytes.size());
    ASSERT_TRUE(footer) << footer.error().message;
    const auto* id = footer->find("id");
    ASSERT_NE(id, nullptr);
    ASSERT_FALSE(id->compressed);
    for (uint64_t i = id->offset; i < id->offset + id->length; ++i)
        bytes[i] = '\xff';
    g_.root().write(seg, bytes);
    Json report = g_.verify(1);
    EXPECT_EQ(findings(report, "corrupt"), std::vector<std::string>{seg + " segment_corrupt"})
        << pretty(report);
}

// A byte flipped inside a value leaves every structure intact: only a checksum over the chunk
// catches it (storage format 2).
TEST_F(StorageVerify, ValueByteFlipIsCorrupt) {
    std::string seg = g_.person_segment();
    std::string bytes = g_.root().text(seg);
    auto footer = format::parse_segment_footer(bytes, bytes.size());
    ASSERT_TRUE(footer) << footer.error().message;
    const format::SegmentColumnInfo* age = nullptr;
    for (const auto& c : footer->columns)
        if (c.type.kind == format::PhysicalKind::kI32)
            age = &c;
    ASSERT_NE(age, nullptr);
    ASSERT_FALSE(age->compressed);
    bytes[age->offset + age->length - 1] ^= 0x40; // the last row's high byte
    g_.root().write(seg, bytes);
    Json report = g_.verify(1);
    EXPECT_EQ(findings(report, "corrupt"), std::vector<std::string>{seg + " segment_corrupt"})
        << pretty(report);
}

TEST_F(StorageVerify, DamagedManifestIsCorrupt) {
    // main's version 2 (the load): inverted version numbers end in ...613 for v = 2.
    std::string manifest = g_.key("_log/main/", "18446744073709551613.json");
    std::string text = g_.root().text(manifest);
    g_.root().write(manifest, text.substr(0, text.size() - 10));
    Json report = g_.verify(1);
    EXPECT_EQ(findings(report, "corrupt"), std::vector<std::string>{manifest + " manifest_corrupt"})
        << pretty(report);
    // Its segments are still referenced by version 3 and the branch, so nothing else is lost.
    EXPECT_TRUE(report["missing"].empty()) << pretty(report);
}

TEST_F(StorageVerify, ChangedDigitInAManifestIsCorrupt) {
    // Still valid JSON with every field in place: only the record's checksum tells.
    std::string manifest = g_.key("_log/main/", "18446744073709551613.json");
    std::string text = g_.root().text(manifest);
    auto seal = text.rfind(",\"checksum\"");
    ASSERT_NE(seal, std::string::npos) << text;
    auto digit = text.find_last_of("0123456789", seal);
    ASSERT_NE(digit, std::string::npos) << text;
    text[digit] = text[digit] == '1' ? '2' : '1';
    g_.root().write(manifest, text);
    Json report = g_.verify(1);
    EXPECT_EQ(findings(report, "corrupt"), std::vector<std::string>{manifest + " manifest_corrupt"})
        << pretty(report);
}

TEST_F(StorageVerify, DeletedManifestIsAGapInTheLog) {
    std::string manifest = g_.key("_log/main/", "18446744073709551613.json");
    g_.root().remove(manifest);
    Json report = g_.verify(1);
    ASSERT_EQ(findings(report, "missing"), std::vector<std::string>{manifest}) << pretty(report);
}

TEST_F(StorageVerify, DamagedDeletionVectorIsCorrupt) {
    std::string dv = g_.key("tables/", ".dv");
    std::string bytes = g_.root().text(dv);
    // Truncated, then a flipped byte with the length intact: its SHA-256 catches both.
    g_.root().write(dv, bytes.substr(0, bytes.size() - 1));
    EXPECT_EQ(findings(g_.verify(1), "corrupt"),
              std::vector<std::string>{dv + " deletion_vector_corrupt"});
    bytes[20] ^= 0x01;
    g_.root().write(dv, bytes);
    EXPECT_EQ(findings(g_.verify(1), "corrupt"),
              std::vector<std::string>{dv + " deletion_vector_corrupt"});
}

TEST_F(StorageVerify, DamagedCommitAndBranchRecordsAreCorrupt) {
    std::string commit = g_.key("_commits/", ".json");
    g_.root().write(commit, "{\"graph_commit_id\":");
    std::string branch = "_branches/feature.json";
    g_.root().write(branch, "not json");
    Json report = g_.verify(1);
    auto corrupt = findings(report, "corrupt");
    EXPECT_NE(std::find(corrupt.begin(), corrupt.end(), commit + " manifest_corrupt"),
              corrupt.end())
        << pretty(report);
    EXPECT_NE(std::find(corrupt.begin(), corrupt.end(), branch + " manifest_corrupt"),
              corrupt.end())
        << pretty(report);
}

TEST_F(StorageVerify, DamagedRootSchemaIsCorrupt) {
    g_.root().write("_schema.ir.json", "{}");
    Json report = g_.verify(1);
    EXPECT_EQ(findings(report, "corrupt"),
              std::vector<std::string>{"_schema.ir.json graph_invalid"})
        << pretty(report);
}

TEST_F(StorageVerify, StrayObjectIsUnreferencedButNotDamage) {
    g_.root().write("tables/stray.seg", "leftover");
    std::string stray_commit = "_commits/01J00000000000000000000009.json";
    g_.root().write(stray_commit, "{}");
    Json report = g_.verify(0);
    EXPECT_EQ(report["ok"], true);
    ASSERT_EQ(findings(report, "unreferenced"),
              (std::vector<std::string>{stray_commit, "tables/stray.seg"}))
        << pretty(report);
    EXPECT_EQ(report["unreferenced"][1]["bytes"], 8);
    EXPECT_EQ(report["counts"]["unreferenced"], 2);
}

TEST_F(StorageVerify, ObjectsOfAPendingWriteAreNotUnreferenced) {
    std::string seg = "tables/inflight.seg";
    g_.root().write(seg, "half-written");
    // Sealed: a format-2 graph refuses an unsealed record.
    g_.root().write(
        "_pending/01J00000000000000000000007.json",
        base::seal_record(
            "{\"format\":\"omnigraph-pending\",\"op_id\":\"01J00000000000000000000007\","
            "\"kind\":\"load\",\"branch\":\"main\",\"base_version\":3,"
            "\"commit_id\":\"01J00000000000000000000007\",\"created\":[\"" +
            seg +
            "\"],\"remove_after\":[],\"host\":\"elsewhere\",\"pid\":1,"
            "\"created_at\":1700000000000003}"));
    Json report = g_.verify(0);
    EXPECT_TRUE(report["unreferenced"].empty()) << pretty(report);
    EXPECT_EQ(report["counts"]["pending_records"], 1);
    EXPECT_EQ(report["counts"]["pending_objects"], 1);
    g_.root().write("_pending/01J00000000000000000000007.json", "garbage");
    Json damaged = g_.verify(1);
    EXPECT_EQ(findings(damaged, "corrupt"),
              std::vector<std::string>{"_pending/01J00000000000000000000007.json "
                                       "recovery_required"})
        << pretty(damaged);
}

TEST(StorageVerifyUsage, NeedsAUriOrACluster) {
    EXPECT_EQ(run_process({omnigraph(), "storage", "verify"}).exit_code, 2);
    TempDir dir;
    auto empty = run_process({omnigraph(), "storage", "verify", "--json", dir.path() + "/none"});
    EXPECT_EQ(empty.exit_code, 1);
    EXPECT_TRUE(contains(empty.out, "\"code\": \"not_found\"")) << empty.out;
}

// --- S3 ----------------------------------------------------------------------------------------

TEST(StorageVerifyS3, CleanThenDamaged) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    VerifyGraph g(unique_s3_uri("verify"), server.environment());
    expect_clean(g);
    std::string seg = g.person_segment();
    std::string dv = g.key("tables/", ".dv");
    g.root().write(dv, "OGDV");
    std::string other;
    for (const auto& k : g.root().keys("tables/"))
        if (k.ends_with(".seg") && k != seg)
            other = k;
    ASSERT_FALSE(other.empty());
    g.root().write(other, std::string(g.root().text(other).size(), 'x'));
    g.root().remove(seg);
    g.root().write("stray.bin", "abc");
    std::string manifest = g.key("_log/main/", "18446744073709551613.json");
    g.root().write(manifest, g.root().text(manifest).substr(0, 40));
    Json report = g.verify(1);
    EXPECT_EQ(findings(report, "missing"), std::vector<std::string>{seg}) << pretty(report);
    auto corrupt = findings(report, "corrupt");
    std::sort(corrupt.begin(), corrupt.end());
    auto want =
        std::vector<std::string>{other + " segment_corrupt", dv + " deletion_vector_corrupt",
                                 manifest + " manifest_corrupt"};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(corrupt, want) << pretty(report);
    EXPECT_EQ(findings(report, "unreferenced"), std::vector<std::string>{"stray.bin"});
}

// --- --cluster ---------------------------------------------------------------------------------

const char* kSchema = "node Person {\n    name: String @key\n    age: I32?\n}\n";
const char* kQueries = "query find_person($name: String) {\n    match { $p: Person { name: $name } "
                       "}\n    return { $p.name, $p.age }\n}\n";

// A cluster with two graphs, a query and a policy, applied; its storage root is the config
// directory or `storage` when given.
class VerifyCluster {
  public:
    explicit VerifyCluster(const std::string& storage = "", Env env = {})
        : env_(std::move(env)), cli_(dir_.path(), dir_.path() + "/home", env_),
          root_(storage.empty() ? dir_.path() + "/cfg" : storage) {
        fs::create_directories(dir_.path() + "/home");
        write_file(cfg("people.pg"), kSchema);
        write_file(cfg("queries/people.gq"), kQueries);
        write_file(cfg("base.policy.yaml"), read_file(example_dir() + "/base.policy.yaml"));
        write_file(cfg("cluster.yaml"),
                   std::string("version: 1\n") +
                       (storage.empty() ? "" : "storage: " + storage + "\n") +
                       "graphs:\n  knowledge:\n    schema: people.pg\n    queries: queries/\n"
                       "  other:\n    schema: people.pg\n"
                       "policies:\n  base:\n    file: base.policy.yaml\n"
                       "    applies_to: [knowledge]\n");
        EXPECT_EQ(cli_.run({"cluster", "import", "--config", "cfg"}).exit_code, 0);
        auto applied = cli_.run({"cluster", "apply", "--config", "cfg"});
        EXPECT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    }
    std::string cfg(const std::string& rel = "") const {
        return rel.empty() ? dir_.path() + "/cfg" : dir_.path() + "/cfg/" + rel;
    }
    const Root& root() const { return root_; }
    Json verify(int expected, std::vector<std::string> extra = {}) const {
        std::vector<std::string> args{"storage", "verify", "--cluster", "cfg"};
        args.insert(args.end(), extra.begin(), extra.end());
        return cli_.json(args, expected);
    }
    ProcessResult run(const std::vector<std::string>& args) const { return cli_.run(args); }

  private:
    TempDir dir_;
    Env env_;
    Omni cli_;
    Root root_;
};

std::vector<std::string> graph_ids(const Json& report) {
    std::vector<std::string> out;
    for (const auto& g : report["graphs"])
        out.push_back(g["graph_id"].get<std::string>() + (g["ok"] == true ? " ok" : " damaged"));
    return out;
}

void cluster_flow(const VerifyCluster& c) {
    Json clean = c.verify(0);
    EXPECT_EQ(clean["ok"], true) << pretty(clean);
    EXPECT_EQ(clean["uri"], c.root().uri());
    EXPECT_EQ(clean["state_revision"], 2);
    EXPECT_EQ(graph_ids(clean), (std::vector<std::string>{"knowledge ok", "other ok"}));
    EXPECT_EQ(clean["counts"]["ledger"], 1);
    EXPECT_EQ(clean["counts"]["catalog_objects"], 2); // the query file and the policy
    EXPECT_EQ(clean["counts"]["graphs"], 2);
    EXPECT_EQ(clean["counts"]["manifests"], 2); // each graph's genesis
    EXPECT_TRUE(clean["unreferenced"].empty()) << pretty(clean);

    // A tampered catalog blob, a segment-less damage in one graph, a stray graph root.
    std::string blob;
    for (const auto& k : c.root().keys("__cluster/resources/query/"))
        blob = k;
    ASSERT_FALSE(blob.empty());
    c.root().write(blob, c.root().text(blob) + "# tampered\n");
    std::string manifest = c.root().keys("graphs/other.omni/_log/main/").front();
    c.root().write(manifest, "{");
    c.root().write("graphs/ghost.omni/_format.json", "{}");
    Json damaged = c.verify(1);
    auto corrupt = findings(damaged, "corrupt");
    std::sort(corrupt.begin(), corrupt.end());
    EXPECT_EQ(corrupt, (std::vector<std::string>{blob + " catalog_payload_mismatch",
                                                 manifest + " manifest_corrupt"}))
        << pretty(damaged);
    EXPECT_EQ(graph_ids(damaged), (std::vector<std::string>{"knowledge ok", "other damaged"}));
    // The stray root is one entry; what only the damaged manifest named (its commit and
    // schema) can no longer be reached, so it is listed as unreferenced too.
    auto unreferenced = findings(damaged, "unreferenced");
    ASSERT_FALSE(unreferenced.empty());
    EXPECT_EQ(unreferenced.front(), "graphs/ghost.omni/");
    for (size_t i = 1; i < unreferenced.size(); ++i)
        EXPECT_TRUE(unreferenced[i].starts_with("graphs/other.omni/_")) << unreferenced[i];

    // One graph only, by id: the other's damage is not looked at.
    Json one = c.verify(1, {"knowledge"});
    EXPECT_EQ(graph_ids(one), std::vector<std::string>{"knowledge ok"});
    EXPECT_EQ(findings(one, "corrupt"),
              std::vector<std::string>{blob + " catalog_payload_mismatch"});
    Json unknown = c.verify(1, {"nope"});
    EXPECT_EQ(unknown["code"], "invalid_argument") << pretty(unknown);

    // A graph the ledger names whose root is gone; a ledger that does not parse.
    c.root().remove_prefix("graphs/knowledge.omni/");
    Json gone = c.verify(1);
    EXPECT_EQ(damaged["missing"].size(), 0u);
    EXPECT_EQ(findings(gone, "missing"), std::vector<std::string>{"graphs/knowledge.omni/"})
        << pretty(gone);
    c.root().write("__cluster/state.json", "{\"version\":");
    Json no_ledger = c.verify(1);
    auto no_ledger_corrupt = findings(no_ledger, "corrupt");
    EXPECT_NE(std::find(no_ledger_corrupt.begin(), no_ledger_corrupt.end(),
                        "__cluster/state.json invalid_state_json"),
              no_ledger_corrupt.end())
        << pretty(no_ledger);
    EXPECT_EQ(no_ledger["state_revision"], nullptr);
}

TEST(StorageVerifyCluster, LedgerCatalogAndGraphsOnLocalDisk) {
    VerifyCluster c;
    cluster_flow(c);
    // Text: one line per finding, one per graph, then the summary.
    auto text = c.run({"storage", "verify", "--cluster", "cfg"});
    EXPECT_EQ(text.exit_code, 1);
    EXPECT_TRUE(contains(text.out, "graph other: DAMAGED (")) << text.out;
    EXPECT_TRUE(contains(text.out, "storage verify of " + c.root().uri() + ": DAMAGED: "))
        << text.out;
}

TEST(StorageVerifyCluster, LedgerCatalogAndGraphsOnS3) {
    auto& server = S3TestServer::instance();
    ASSERT_TRUE(server.ok()) << server.error();
    VerifyCluster c(unique_s3_uri("verify-cluster"), server.environment());
    cluster_flow(c);
}

} // namespace
} // namespace omnigraph::testing::cluster_e2e
