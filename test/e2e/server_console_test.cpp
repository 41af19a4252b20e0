// The web console (issue 21 item 3): omnigraph-server serves it at /ui from bytes compiled into
// the binary, without a token and under a strict Content-Security-Policy; and a real browser
// (Debian's chromium, headless, driven by puppeteer-core from test/peers) signs in and works
// through it on the example cluster: graph list, schema diagram, a query's table and picture,
// commits and branches, the stored-query catalog, a wrong token's 401, a screenshot that is not
// blank (test/e2e/console/console_test.mjs). The screenshots are kept in the build directory
// (console_test.png, console_test-schema.png) to look at.
#include "server_fixtures/server_process.h"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kTokens = R"({"act-reader":"s3cret","act-editor":"ed1tor"})";

// More people and teams than the seed, in a second commit, and a `feature` branch: the picture,
// the commit list and the branch list have something to show.
constexpr const char* kMoreRows =
    R"({"type":"Person","data":{"name":"Margaret","role":"director"}}
{"type":"Person","data":{"name":"Linus","role":"engineer"}}
{"type":"Person","data":{"name":"Barbara","role":"researcher"}}
{"type":"Person","data":{"name":"Ken","role":"engineer"}}
{"type":"Team","data":{"name":"Platform","mission":"Keep the lights on"}}
{"type":"Team","data":{"name":"Research","mission":"Find out"}}
{"edge":"MemberOf","from":"Grace","to":"Research","data":{}}
{"edge":"MemberOf","from":"Margaret","to":"Platform","data":{}}
{"edge":"MemberOf","from":"Margaret","to":"Research","data":{}}
{"edge":"MemberOf","from":"Linus","to":"Platform","data":{}}
{"edge":"MemberOf","from":"Barbara","to":"Research","data":{}}
{"edge":"MemberOf","from":"Ken","to":"Compilers","data":{}}
{"edge":"Knows","from":"Grace","to":"Margaret","data":{}}
{"edge":"Knows","from":"Linus","to":"Ken","data":{}}
{"edge":"Knows","from":"Barbara","to":"Ada","data":{}}
)";

class ConsoleTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ASSERT_NO_FATAL_FAILURE(deploy_example_cluster(cluster_));
        // A cluster-bound bundle lets the reader list graphs (GET /graphs needs graph_list).
        std::ofstream(cluster_ + "/ops.policy.yaml")
            << "version: 1\ngroups:\n  ops: [act-reader]\nrules:\n  - id: ops-list-graphs\n"
               "    allow:\n      actors: { group: ops }\n      actions: [graph_list]\n";
        std::ofstream(cluster_ + "/cluster.yaml", std::ios::app)
            << "  ops:\n    file: ops.policy.yaml\n    applies_to: [cluster]\n";
        ASSERT_EQ(run_process({omnigraph(), "cluster", "apply", "--config", cluster_}).exit_code,
                  0);
        std::string graph = cluster_ + "/graphs/knowledge.omni";
        std::ofstream(dir_.path() + "/more.jsonl") << kMoreRows;
        auto load = run_process({omnigraph(), "load", "--quiet", "--mode", "merge", "--data",
                                 dir_.path() + "/more.jsonl", "--as", "act-editor", graph});
        ASSERT_EQ(load.exit_code, 0) << load.out << load.err;
        auto branch =
            run_process({omnigraph(), "branch", "create", "--uri", graph, "--quiet", "feature"});
        ASSERT_EQ(branch.exit_code, 0) << branch.out << branch.err;
    }

    TempDir dir_;
    std::string cluster_ = dir_.path() + "/company-brain";
};

// The files are the ones in src/server/console/, byte for byte, with their types, no cache
// surprises and the CSP; no token is needed, and nothing of /ui is in the OpenAPI document.
TEST_F(ConsoleTest, AssetsAreServedFromTheBinaryWithoutAToken) {
    ServerProcess server({"--cluster", cluster_, "--bind", "127.0.0.1:0"},
                         {{"OMNIGRAPH_SERVER_BEARER_TOKENS_JSON", kTokens}}, dir_.path());
    ASSERT_TRUE(server.serving()) << server.err();
    auto client = server.client();
    const std::string console = source_dir() + "/src/server/console/";
    struct Case {
        std::string path, file, type;
    };
    for (const Case& c : {Case{"/ui", "index.html", "text/html; charset=utf-8"},
                          Case{"/ui/index.html", "index.html", "text/html; charset=utf-8"},
                          Case{"/ui/console.js", "console.js", "text/javascript; charset=utf-8"},
                          Case{"/ui/console.css", "console.css", "text/css; charset=utf-8"}}) {
        auto r = client.Get(c.path);
        ASSERT_TRUE(r) << c.path;
        EXPECT_EQ(r->status, 200) << c.path << ": " << r->body;
        EXPECT_EQ(r->get_header_value("Content-Type"), c.type) << c.path;
        EXPECT_EQ(r->body, read_file(console + c.file)) << c.path;
        EXPECT_EQ(r->get_header_value("Cache-Control"), "no-cache") << c.path;
        EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << c.path;
        std::string csp = r->get_header_value("Content-Security-Policy");
        EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
        EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
        EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
        EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    }
    // The page loads nothing from elsewhere, and has no inline script or handler.
    std::string html = read_file(console + "index.html");
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);
    EXPECT_EQ(html.find("onclick"), std::string::npos);
    EXPECT_EQ(html.find("<script>"), std::string::npos);

    auto head = client.Head("/ui/console.js");
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->get_header_value("Content-Type"), "text/javascript; charset=utf-8");

    auto missing = client.Get("/ui/nope.js");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(body(missing)["code"], "not_found");
    EXPECT_EQ(body(missing)["error"], "no console file 'nope.js'");
    auto deeper = client.Get("/ui/a/b.js");
    ASSERT_TRUE(deeper);
    EXPECT_EQ(deeper->status, 404);

    // The API behind it still wants the token.
    auto graphs = client.Get("/graphs");
    ASSERT_TRUE(graphs);
    EXPECT_EQ(graphs->status, 401);

    auto doc = client.Get("/openapi.json");
    ASSERT_TRUE(doc && doc->status == 200);
    EXPECT_EQ(doc->body.find("/ui"), std::string::npos);
}

// A real browser signs in and uses every view on real data (console_test.mjs asserts the DOM).
TEST_F(ConsoleTest, ABrowserSignsInAndUsesEveryView) {
    if (!fs::exists(kChromium))
        GTEST_SKIP() << kChromium << " is not installed (apt-get install chromium)";
    ServerProcess server({"--cluster", cluster_, "--bind", "127.0.0.1:0"},
                         {{"OMNIGRAPH_SERVER_BEARER_TOKENS_JSON", kTokens}}, dir_.path());
    ASSERT_TRUE(server.serving()) << server.err();
    std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/ui";
    std::string screenshot = binary_dir() + "/console_test.png";
    auto r = run_process({"node", source_dir() + "/test/e2e/console/console_test.mjs", url,
                          "s3cret", "not-the-token", screenshot});
    std::cout << r.out;
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// On an open server the console signs in with no token; GET /graphs is 403 there (no
// cluster-bound bundle can exist), so the graph is opened by its id.
TEST_F(ConsoleTest, ABrowserUsesAnOpenServerWithoutAToken) {
    if (!fs::exists(kChromium))
        GTEST_SKIP() << kChromium << " is not installed (apt-get install chromium)";
    // The policies go: an open server has neither tokens nor bundles.
    std::string yaml = read_file(cluster_ + "/cluster.yaml");
    yaml = yaml.substr(0, yaml.find("policies:"));
    std::ofstream(cluster_ + "/cluster.yaml") << yaml;
    ASSERT_EQ(run_process({omnigraph(), "cluster", "apply", "--config", cluster_}).exit_code, 0);
    ServerProcess server({"--cluster", cluster_, "--bind", "127.0.0.1:0", "--unauthenticated"}, {},
                         dir_.path());
    ASSERT_TRUE(server.serving()) << server.err();
    std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/ui";
    auto r = run_process({"node", source_dir() + "/test/e2e/console/console_test.mjs", url, "", "",
                          binary_dir() + "/console_test-open.png", "--open"});
    std::cout << r.out;
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

} // namespace
} // namespace omnigraph::testing
