// External Blob references end to end (spec engine-cli §3.3, server-policy §1.5 "Blob", cluster
// §2.2 and §16.9's last row; issue 19 item 3): a cluster whose graph allows one server-safe S3
// base on the S3 test server. Through the server, a load naming an object under that base is
// admitted after a probe and stored as a reference; the blob route answers it with a 302 to the
// stored URI and never reads it; a URI outside the base is refused (400), one inside whose object
// is missing is 424 `external_blob_source`. The reference survives what copies rows — an update
// of another property, optimize, a schema change — and reads back through export, `blob stat`
// and the change feed as the URI. The direct CLI refuses references (no policy there).
#include "server_fixtures/server_process.h"
#include "store/s3_store.h"
#include "test_support.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSchema = R"(node Doc {
    name: String @key
    body: Blob?
    title: String?
}
)";

class ExternalBlobs : public ::testing::Test {
  protected:
    void SetUp() override {
        auto& s3 = S3TestServer::instance();
        ASSERT_TRUE(s3.ok()) << s3.error();
        env_ = s3.environment();
        // The source object, under the allowed base (its key has a space: URIs percent-encode).
        auto store = store::S3Store::open(
            *base::parse_storage_uri(std::string("s3://") + S3TestServer::kBucket), s3.config());
        ASSERT_TRUE(store) << store.error().message;
        ASSERT_TRUE((*store)->put(prefix_ + "/kb/report v1.pdf", "%PDF-1.7 twelve"));
        ASSERT_TRUE((*store)->put(prefix_ + "/elsewhere/x.bin", "outside"));
        fs::create_directories(cluster_);
        std::ofstream(cluster_ + "/docs.pg") << kSchema;
        std::ofstream(cluster_ + "/cluster.yaml") << "version: 1\n"
                                                     "graphs:\n"
                                                     "  docs:\n"
                                                     "    schema: docs.pg\n"
                                                     "    external_blobs:\n"
                                                     "      allow:\n"
                                                     "        - base: S3://"
                                                  << S3TestServer::kBucket << "/" << prefix_
                                                  << "/kb\n"
                                                     "          scope: server_safe\n";
        for (const char* verb : {"import", "apply"}) {
            auto r = run_process({omnigraph(), "cluster", verb, "--config", cluster_}, env_);
            ASSERT_EQ(r.exit_code, 0) << r.err;
        }
        std::ofstream(dir_.path() + "/seed.jsonl")
            << R"({"type":"Doc","data":{"name":"a","body":"base64:aGk=","title":"managed"}})"
            << "\n";
        auto seeded = run_process(
            {omnigraph(), "load", "--quiet", "--data", dir_.path() + "/seed.jsonl", graph_}, env_);
        ASSERT_EQ(seeded.exit_code, 0) << seeded.err;
        server_ = std::make_unique<ServerProcess>(std::vector<std::string>{"--cluster", cluster_,
                                                                           "--bind", "127.0.0.1:0",
                                                                           "--unauthenticated"},
                                                  env_, dir_.path());
        ASSERT_TRUE(server_->serving()) << server_->err();
    }

    std::string uri(const std::string& key) const {
        return std::string("s3://") + S3TestServer::kBucket + "/" + prefix_ + "/" + key;
    }
    // The Location header as sent (cpp-httplib's client percent-decodes Location; curl does not).
    std::string location(const std::string& target, bool head = false) {
        std::string url = "http://127.0.0.1:" + std::to_string(server_->port()) + target;
        auto r = head ? run_process({"curl", "-s", "-I", url})
                      : run_process({"curl", "-s", "-D", "-", "-o", "/dev/null", url});
        std::string headers = r.out;
        for (char& c : headers)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t at = headers.find("\nlocation: ");
        if (at == std::string::npos)
            return "";
        at += 11;
        return r.out.substr(at, r.out.find('\r', at) - at);
    }
    httplib::Result load(const std::string& line) {
        return server_->client().Post(
            "/graphs/docs/load", Json::object({{"data", line + "\n"}}).dump(), "application/json");
    }

    TempDir dir_;
    std::string prefix_ = "assets-" + std::to_string(::getpid());
    std::string cluster_ = dir_.path() + "/cluster";
    std::string graph_ = cluster_ + "/graphs/docs.omni";
    Env env_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_F(ExternalBlobs, AdmittedUnderAnAllowedBaseRedirectedAndCarried) {
    // Admitted: the written URI percent-encodes the space; the stored one is the normal form.
    std::string written = uri("kb/report%20v1.pdf");
    auto r = load(R"({"type":"Doc","data":{"name":"x","body":")" + written +
                  R"(","title":"external"}})");
    ASSERT_EQ(r->status, 200) << r->body;

    auto blob = server_->client().Get("/graphs/docs/blob?entity=node&type=Doc&id=x&property=body");
    ASSERT_EQ(blob->status, 302) << blob->body;
    std::string selector = "/graphs/docs/blob?entity=node&type=Doc&id=x&property=body";
    EXPECT_EQ(location(selector), written);
    EXPECT_EQ(blob->get_header_value("Cache-Control"), "no-store");
    EXPECT_FALSE(blob->get_header_value("Omnigraph-Snapshot-Id").empty());
    EXPECT_FALSE(blob->has_header("ETag"));
    auto head = server_->client().Head("/graphs/docs/blob?entity=node&type=Doc&id=x&property=body");
    EXPECT_EQ(head->status, 302);
    EXPECT_EQ(location(selector, true), written);
    // A managed cell of the same table still answers its bytes.
    auto managed =
        server_->client().Get("/graphs/docs/blob?entity=node&type=Doc&id=a&property=body");
    EXPECT_EQ(managed->status, 200);
    EXPECT_EQ(managed->body, "hi");

    // An update of another property rewrites the row: the reference is carried, not re-read.
    auto m = server_->client().Post(
        "/graphs/docs/mutate",
        Json::object({{"query", "query q() { update Doc set { title: \"renamed\" } where name = "
                                "\"x\" }"}})
            .dump(),
        "application/json");
    ASSERT_EQ(m->status, 200) << m->body;
    blob = server_->client().Get("/graphs/docs/blob?entity=node&type=Doc&id=x&property=body");
    EXPECT_EQ(blob->status, 302);
    EXPECT_EQ(location(selector), written);

    // The CLI: stat shows the reference, get refuses to dereference, export writes the URI,
    // optimize (a segment rewrite) keeps it, and a direct load refuses references.
    auto stat = run_process(
        {omnigraph(), "blob", "stat", "node", "Doc", "x", "body", "--store", graph_, "--json"},
        env_);
    ASSERT_EQ(stat.exit_code, 0) << stat.err;
    Json s = Json::parse(stat.out);
    EXPECT_EQ(s["kind"], "external");
    EXPECT_EQ(s["uri"], written);
    EXPECT_EQ(s["size"], 15);
    EXPECT_TRUE(s["etag"].is_null());
    auto get = run_process(
        {omnigraph(), "blob", "get", "node", "Doc", "x", "body", "--store", graph_}, env_);
    EXPECT_NE(get.exit_code, 0);
    EXPECT_NE(get.err.find("external reference to " + written), std::string::npos) << get.err;
    auto optimized = run_process({omnigraph(), "optimize", graph_}, env_);
    ASSERT_EQ(optimized.exit_code, 0) << optimized.err;
    auto exported = run_process({omnigraph(), "export", graph_}, env_);
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    EXPECT_NE(exported.out.find("\"body\":\"" + written + "\""), std::string::npos) << exported.out;
    EXPECT_NE(exported.out.find("\"body\":\"base64:aGk=\""), std::string::npos);
    std::ofstream(dir_.path() + "/ext.jsonl")
        << R"({"type":"Doc","data":{"name":"y","body":")" << written << "\"}}\n";
    auto direct = run_process(
        {omnigraph(), "load", "--mode", "merge", "--data", dir_.path() + "/ext.jsonl", graph_},
        env_);
    EXPECT_NE(direct.exit_code, 0);
    EXPECT_NE(direct.err.find("external blob sources are not allowed on this path"),
              std::string::npos)
        << direct.err;
    auto verify = run_process({omnigraph(), "storage", "verify", graph_}, env_);
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

    // The server re-reads the optimized table: still the reference.
    blob = server_->client().Get("/graphs/docs/blob?entity=node&type=Doc&id=x&property=body");
    EXPECT_EQ(blob->status, 302);
    EXPECT_EQ(location(selector), written);
}

TEST_F(ExternalBlobs, RefusedOutsideTheBasesAndAFailedProbeIs424) {
    auto outside =
        load(R"({"type":"Doc","data":{"name":"x","body":")" + uri("elsewhere/x.bin") + R"("}})");
    ASSERT_EQ(outside->status, 400) << outside->body;
    Json b = Json::parse(outside->body);
    EXPECT_EQ(b["code"], "bad_request");
    EXPECT_NE(b["error"].get<std::string>().find("not under an allowed external_blobs base"),
              std::string::npos)
        << outside->body;
    // A look-alike prefix is not under the base: bases end at a path component.
    auto sibling =
        load(R"({"type":"Doc","data":{"name":"x","body":")" + uri("kb2/x.bin") + R"("}})");
    EXPECT_EQ(sibling->status, 400) << sibling->body;
    auto dotted = load(R"({"type":"Doc","data":{"name":"x","body":")" +
                       uri("kb/../elsewhere/x.bin") + R"("}})");
    EXPECT_EQ(dotted->status, 400) << dotted->body;

    std::string missing = uri("kb/missing.pdf");
    auto absent = load(R"({"type":"Doc","data":{"name":"x","body":")" + missing + R"("}})");
    ASSERT_EQ(absent->status, 424) << absent->body;
    b = Json::parse(absent->body);
    EXPECT_FALSE(b.contains("code"));
    EXPECT_EQ(b["external_blob_source"]["uri"], missing);
    EXPECT_TRUE(b["external_blob_source"]["reason"].is_string());

    // Nothing was written by the refused loads.
    auto blob = server_->client().Get("/graphs/docs/blob?entity=node&type=Doc&id=x&property=body");
    EXPECT_EQ(blob->status, 404);

    // A mutation assigning a reference is admitted the same way.
    auto inserted = server_->client().Post(
        "/graphs/docs/mutate",
        Json::object({{"query", "query q($b: Blob) { insert Doc { name: \"z\", body: $b } }"},
                      {"params", Json::object({{"b", uri("kb/report%20v1.pdf")}})}})
            .dump(),
        "application/json");
    ASSERT_EQ(inserted->status, 200) << inserted->body;
    blob = server_->client().Get("/graphs/docs/blob?entity=node&type=Doc&id=z&property=body");
    EXPECT_EQ(blob->status, 302);
    auto refused = server_->client().Post(
        "/graphs/docs/mutate",
        Json::object({{"query", "query q($b: Blob) { insert Doc { name: \"w\", body: $b } }"},
                      {"params", Json::object({{"b", missing}})}})
            .dump(),
        "application/json");
    EXPECT_EQ(refused->status, 424) << refused->body;
}

} // namespace
} // namespace omnigraph::testing
