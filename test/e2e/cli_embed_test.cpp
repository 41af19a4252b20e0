// End to end: the T12 cookbook of issue 18 (test/e2e/cluster_fixtures/embed-chunks: a stored
// `insert Chunk { slug, text, chunk_index, createdAt }` whose schema declares
// `embedding: Vector(3072) @embed("text") @index`) validates, deploys and runs on
// omnigraph-server with the mock provider; a real provider whose secret is unset is a boot
// error naming the variable; the CLI takes its provider from OMNIGRAPH_EMBED_*.
#include "cluster_fixtures/cluster_e2e.h"
#include "embed/embedder.h"
#include "server_fixtures/server_process.h"

namespace omnigraph::testing::cluster_e2e {
namespace {

std::string fixture_dir() {
    return source_dir() + "/test/e2e/cluster_fixtures/embed-chunks";
}

class EmbedCookbook : public ::testing::Test {
  protected:
    void SetUp() override {
        work_ = dir_.path() + "/work";
        home_ = dir_.path() + "/home";
        fs::create_directories(work_);
        fs::create_directories(home_);
        fs::copy(fixture_dir(), work_ + "/embed-chunks", fs::copy_options::recursive);
        cli_.emplace(work_, home_);
    }
    ProcessResult og(const std::vector<std::string>& args, const Env& extra = {}) {
        return cli_->run(args, extra);
    }
    void deploy() {
        auto v = og({"cluster", "validate", "--config", "embed-chunks"});
        ASSERT_EQ(v.exit_code, 0) << v.out << v.err;
        ASSERT_EQ(og({"cluster", "import", "--config", "embed-chunks"}).exit_code, 0);
        auto applied = og({"cluster", "apply", "--config", "embed-chunks"});
        ASSERT_EQ(applied.exit_code, 0) << applied.out << applied.err;
    }
    Env server_env() const {
        return {{"OMNIGRAPH_HOME", home_},
                {"OMNIGRAPH_SERVER_BEARER_TOKENS_JSON", R"({"act-editor":"s3cret"})"}};
    }

    TempDir dir_;
    std::string work_, home_;
    std::optional<Omni> cli_;
};

TEST_F(EmbedCookbook, ValidatesDeploysAndEmbedsOnInsert) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    ServerProcess server({"--cluster", "embed-chunks", "--bind", "127.0.0.1:0"}, server_env(),
                         dir_.path(), work_);
    ASSERT_TRUE(server.serving()) << server.err();
    httplib::Headers auth{{"authorization", "Bearer s3cret"}};
    auto inserted = server.client().Post(
        "/graphs/chunks/queries/add_chunk", auth,
        R"({"params":{"slug":"c1","text":"hello","i":0,"t":"2024-01-01T00:00:00Z"}})",
        "application/json");
    ASSERT_TRUE(inserted);
    ASSERT_EQ(inserted->status, 200) << inserted->body;
    EXPECT_EQ(Json::parse(inserted->body)["affected_nodes"], 1) << inserted->body;
    auto read = server.client().Post("/graphs/chunks/queries/chunk", auth,
                                     R"({"params":{"slug":"c1"}})", "application/json");
    ASSERT_TRUE(read);
    ASSERT_EQ(read->status, 200) << read->body;
    Json rows = Json::parse(read->body)["rows"];
    ASSERT_EQ(rows.size(), 1u) << read->body;
    std::vector<float> got = rows[0]["c.embedding"].get<std::vector<float>>();
    EXPECT_EQ(got, embed::mock_embedding("mock", "hello", 3072));
    EXPECT_EQ(server.stop(), 0) << server.err();
}

TEST_F(EmbedCookbook, UnsetSecretIsABootErrorNamingTheVariable) {
    edit_file(work_ + "/embed-chunks/cluster.yaml", "      kind: mock\n      model: mock\n",
              "      kind: openai\n      api_key: ${OG_E2E_UNSET_EMBED_KEY}\n");
    ASSERT_NO_FATAL_FAILURE(deploy());
    ServerProcess server({"--cluster", "embed-chunks", "--bind", "127.0.0.1:0"}, server_env(),
                         dir_.path(), work_);
    EXPECT_FALSE(server.serving());
    EXPECT_NE(server.exit_code(), 0);
    EXPECT_TRUE(contains(server.err(), "OG_E2E_UNSET_EMBED_KEY")) << server.err();
    EXPECT_TRUE(contains(server.err(), "chunks")) << server.err();
}

TEST_F(EmbedCookbook, UnreachableProviderIs503AndTheKeyNeverShows) {
    edit_file(work_ + "/embed-chunks/cluster.yaml", "      kind: mock\n      model: mock\n",
              "      kind: openai-compatible\n      base_url: http://127.0.0.1:1/v1\n"
              "      api_key: ${OG_E2E_EMBED_KEY}\n");
    ASSERT_NO_FATAL_FAILURE(deploy());
    Env env = server_env();
    env.emplace_back("OG_E2E_EMBED_KEY", "sk-e2e-secret-value");
    env.emplace_back("OMNIGRAPH_EMBED_RETRIES", "1");
    env.emplace_back("OMNIGRAPH_EMBED_BACKOFF_MS", "10");
    ServerProcess server({"--cluster", "embed-chunks", "--bind", "127.0.0.1:0"}, env, dir_.path(),
                         work_);
    ASSERT_TRUE(server.serving()) << server.err();
    auto r = server.client().Post(
        "/graphs/chunks/queries/add_chunk", {{"authorization", "Bearer s3cret"}},
        R"({"params":{"slug":"c1","text":"hello","i":0,"t":"2024-01-01T00:00:00Z"}})",
        "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->body;
    EXPECT_TRUE(contains(r->body, "2 attempts")) << r->body;
    EXPECT_FALSE(contains(r->body, "sk-e2e-secret-value"));
    EXPECT_EQ(server.stop(), 0);
    EXPECT_FALSE(contains(server.err(), "sk-e2e-secret-value"));
    EXPECT_TRUE(contains(server.err(), "embed.retry")) << server.err();
}

TEST_F(EmbedCookbook, CliTakesTheProviderFromTheEnvironment) {
    std::string root = work_ + "/g";
    ASSERT_EQ(og({"init", root, "--schema", "embed-chunks/schema.pg"}).exit_code, 0);
    std::vector<std::string> add = {
        "mutate",
        "--store",
        root,
        "--query",
        "embed-chunks/queries/chunks.gq",
        "add_chunk",
        "--params",
        R"({"slug":"c1","text":"hi","i":0,"t":"2024-01-01T00:00:00Z"})"};
    auto none = og(add);
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_TRUE(contains(none.err, "embedding_provider_missing")) << none.err;
    auto bad = og(add, {{"OMNIGRAPH_EMBED_PROVIDER", "openai"}});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_TRUE(contains(bad.err, "OMNIGRAPH_EMBED_API_KEY")) << bad.err;
    auto mocked = og(add, {{"OMNIGRAPH_EMBED_PROVIDER", "mock"}});
    EXPECT_EQ(mocked.exit_code, 0) << mocked.err;
    write_file(work_ + "/rows.jsonl", R"({"type":"Chunk","data":{"slug":"c2","text":"yo",)"
                                      R"("chunk_index":1,"createdAt":"2024-01-01T00:00:00Z"}})"
                                      "\n");
    auto unloaded = og({"load", "--data", "rows.jsonl", "--mode", "merge", root});
    EXPECT_EQ(unloaded.exit_code, 1);
    EXPECT_TRUE(contains(unloaded.err, "rows.jsonl:1:1")) << unloaded.err;
    auto loaded = og({"load", "--data", "rows.jsonl", "--mode", "merge", root},
                     {{"OMNIGRAPH_EMBED_PROVIDER", "mock"}});
    EXPECT_EQ(loaded.exit_code, 0) << loaded.err;
    auto exported = og({"export", root});
    EXPECT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_EQ(std::count(exported.out.begin(), exported.out.end(), '\n'), 2) << exported.out;
    EXPECT_TRUE(contains(exported.out, "\"embedding\":[")) << exported.out.substr(0, 300);
}

TEST_F(EmbedCookbook, OfflineEmbedCommand) {
    const std::string spec = "embed-chunks/schema.pg";
    write_file(work_ + "/in.jsonl",
               R"({"type":"Chunk","data":{"slug":"a","text":"hello","chunk_index":0}})"
               "\n\n"
               R"({"type":"Chunk","data":{"slug":"b","text":"given","embedding":[1,2]}})"
               "\n"
               R"({"edge":"X","from":"a","to":"b"})"
               "\n");
    Env mock = {{"OMNIGRAPH_EMBED_PROVIDER", "mock"}};
    // Without a provider nothing is written.
    auto none = og({"embed", "--input", "in.jsonl", "--output", "out.jsonl", "--spec", spec});
    EXPECT_EQ(none.exit_code, 1);
    EXPECT_TRUE(contains(none.err, "needs an embedding provider")) << none.err;
    EXPECT_FALSE(fs::exists(work_ + "/out.jsonl"));

    auto r = og({"embed", "--input", "in.jsonl", "--output", "out.jsonl", "--spec", spec}, mock);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "embed: 1 vector(s) computed, 0 cleared, 3 row(s) written to out.jsonl\n");
    std::vector<std::string> out;
    std::istringstream lines(read_file(work_ + "/out.jsonl"));
    for (std::string l; std::getline(lines, l);)
        out.push_back(l);
    ASSERT_EQ(out.size(), 4u);
    Json a = Json::parse(out[0]);
    EXPECT_EQ(a["data"]["embedding"].get<std::vector<float>>(),
              embed::mock_embedding("mock", "hello", 3072));
    EXPECT_EQ(out[1], "");
    EXPECT_EQ(Json::parse(out[2])["data"]["embedding"], Json::parse("[1,2]")); // kept
    EXPECT_EQ(out[3], R"({"edge":"X","from":"a","to":"b"})");

    // --reembed-all recomputes the given one too; --seed rewrites in place.
    fs::copy_file(work_ + "/in.jsonl", work_ + "/seed.jsonl");
    auto all =
        og({"embed", "--seed", "seed.jsonl", "--spec", spec, "--reembed-all", "--json"}, mock);
    ASSERT_EQ(all.exit_code, 0) << all.err;
    EXPECT_EQ(Json::parse(all.out)["embedded"], 2);
    {
        std::istringstream seeded(read_file(work_ + "/seed.jsonl"));
        std::vector<std::string> seed_lines;
        for (std::string l; std::getline(seeded, l);)
            seed_lines.push_back(l);
        ASSERT_EQ(seed_lines.size(), 4u);
        EXPECT_EQ(Json::parse(seed_lines[2])["data"]["embedding"].get<std::vector<float>>(),
                  embed::mock_embedding("mock", "given", 3072));
    }

    // --clean removes them; --select must name an @embed property.
    auto clean = og({"embed", "--seed", "seed.jsonl", "--spec", spec, "--clean"});
    ASSERT_EQ(clean.exit_code, 0) << clean.err;
    EXPECT_TRUE(contains(clean.out, "2 cleared")) << clean.out;
    EXPECT_FALSE(contains(read_file(work_ + "/seed.jsonl"), "embedding"));
    auto bad = og({"embed", "--seed", "seed.jsonl", "--spec", spec, "--select", "Chunk.text"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_TRUE(contains(bad.err, "Chunk.text")) << bad.err;
}

} // namespace
} // namespace omnigraph::testing::cluster_e2e
