// Replicas (issue 20 item 2): several omnigraph-server processes serve one cluster from one
// storage root — the S3 test server, and a local root. A bounded load generator writes through
// every replica and reads each acknowledged write back through another one; one replica is
// killed (SIGKILL) while writes are in flight and started again. Then every acknowledged write
// is in the graph exactly once, and no read on another replica ever missed a write that had
// been acknowledged before it started (the read-after-write bound is zero: every read looks
// for a newer head manifest first).
#include "server_fixtures/server_process.h"
#include "test_support.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

enum class Backend { kLocal, kS3 };

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
    return info.param == Backend::kLocal ? "LocalRoot" : "S3Root";
}

class Replicas : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        fs::copy(source_dir() + "/examples/company-brain", cluster_, fs::copy_options::recursive);
        if (GetParam() == Backend::kS3) {
            auto& server = S3TestServer::instance();
            ASSERT_TRUE(server.ok()) << server.error();
            env_ = server.environment();
            std::string root = unique_s3_uri("replicas");
            std::string yaml = read_file(cluster_ + "/cluster.yaml");
            std::string from = "# storage: s3://omnigraph-local/clusters/company-brain";
            yaml.replace(yaml.find(from), from.size(), "storage: " + root);
            std::ofstream(cluster_ + "/cluster.yaml") << yaml;
            graph_ = root + "/graphs/knowledge.omni";
        } else {
            graph_ = cluster_ + "/graphs/knowledge.omni";
        }
        for (const char* verb : {"import", "apply"})
            ASSERT_EQ(
                run_process({omnigraph(), "cluster", verb, "--config", cluster_}, env_).exit_code,
                0);
        ASSERT_EQ(
            run_process(
                {omnigraph(), "load", "--quiet", "--data", cluster_ + "/seed.jsonl", graph_}, env_)
                .exit_code,
            0);
        env_.emplace_back("OMNIGRAPH_SERVER_BEARER_TOKENS_JSON",
                          R"({"act-reader":"s3cret","act-editor":"ed1tor"})");
    }
    std::unique_ptr<ServerProcess> replica(int i) {
        std::string dir = dir_.path() + "/replica" + std::to_string(i);
        fs::create_directories(dir);
        return std::make_unique<ServerProcess>(
            std::vector<std::string>{"--cluster", cluster_, "--bind", "127.0.0.1:0"}, env_, dir);
    }

    TempDir dir_;
    std::string cluster_ = dir_.path() + "/company-brain";
    std::string graph_;
    Env env_;
};

TEST_P(Replicas, EveryAcknowledgedWriteIsReadEverywhereAndKeptOnce) {
    // Fewer writes over S3: the test server answers each request from one Node process.
    constexpr int kReplicas = 3;
    const int kClients = GetParam() == Backend::kS3 ? 4 : 6;
    const int kWritesPerClient = GetParam() == Backend::kS3 ? 6 : 25;
    std::vector<std::unique_ptr<ServerProcess>> servers;
    std::vector<std::atomic<int>> ports(kReplicas);
    for (int i = 0; i < kReplicas; ++i) {
        servers.push_back(replica(i));
        ASSERT_TRUE(servers.back()->serving()) << servers.back()->err();
        ports[i] = servers.back()->port();
    }
    const httplib::Headers editor = {{"Authorization", "Bearer ed1tor"}};
    const httplib::Headers reader = {{"Authorization", "Bearer s3cret"}};

    std::mutex mu;
    std::set<std::string> acknowledged;
    std::atomic<int> unanswered{0}, refused{0}, stale_reads{0}, reads{0};
    std::string problems;
    auto client = [&](int c) {
        for (int i = 0; i < kWritesPerClient; ++i) {
            int a = (c + i) % kReplicas, b = (a + 1) % kReplicas;
            std::string name = "W" + std::to_string(c) + "_" + std::to_string(i);
            httplib::Client write("127.0.0.1", ports[a].load());
            write.set_read_timeout(60);
            auto w = write.Post(
                "/graphs/knowledge/mutate", editor,
                R"({"query":"query m($n: String) { insert Person { name: $n } }","params":{"n":")" +
                    name + R"("}})",
                "application/json");
            if (!w) {
                ++unanswered; // the replica was down or died: not acknowledged
                continue;
            }
            if (w->status != 200) {
                ++refused; // e.g. every commit attempt lost to other writers: not acknowledged
                std::lock_guard lock(mu);
                if (problems.size() < 2000)
                    problems += std::to_string(w->status) + " " + w->body + "\n";
                continue;
            }
            {
                std::lock_guard lock(mu);
                acknowledged.insert(name);
            }
            // Read it back through another replica, at once.
            httplib::Client read("127.0.0.1", ports[b].load());
            auto r = read.Post(
                "/graphs/knowledge/query", reader,
                R"({"query":"query q($n: String) { match { $p: Person { name: $n } } return { $p.name } }","params":{"n":")" +
                    name + R"("}})",
                "application/json");
            if (r && r->status == 200) {
                ++reads;
                if (r->body.find("\"row_count\":1") == std::string::npos)
                    ++stale_reads;
            }
        }
    };
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c)
        clients.emplace_back(client, c);
    // Kill one replica hard while the writes go on, then start it again on a new port.
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    kill(servers[2]->pid(), SIGKILL);
    EXPECT_NE(servers[2]->wait_exit(std::chrono::seconds(10)), -2);
    servers[2] = replica(3);
    ASSERT_TRUE(servers[2]->serving()) << servers[2]->err();
    ports[2] = servers[2]->port();
    for (auto& t : clients)
        t.join();

    auto exported = run_process({omnigraph(), "export", graph_}, env_);
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    std::map<std::string, int> present;
    std::istringstream lines(exported.out);
    for (std::string line; std::getline(lines, line);) {
        auto at = line.find("\"id\":\"W");
        if (at != std::string::npos)
            ++present[line.substr(at + 6, line.find('"', at + 6) - at - 6)];
    }
    for (const auto& name : acknowledged)
        EXPECT_EQ(present[name], 1) << name << " was acknowledged";
    for (const auto& [name, n] : present)
        EXPECT_EQ(n, 1) << name;
    EXPECT_EQ(stale_reads.load(), 0) << "a read on another replica missed an acknowledged write";
    EXPECT_GT(acknowledged.size(), static_cast<size_t>(kClients * kWritesPerClient / 2))
        << problems;
    auto verify = run_process({omnigraph(), "storage", "verify", graph_}, env_);
    EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    std::cout << "[ replicas ] " << acknowledged.size() << " acknowledged of "
              << kClients * kWritesPerClient << " writes (" << unanswered.load()
              << " unanswered around the kill, " << refused.load() << " refused), "
              << present.size() << " present; " << reads.load()
              << " reads on another replica right after the ack, " << stale_reads.load()
              << " stale\n";
    for (auto& s : servers)
        EXPECT_EQ(s->stop(), 0) << s->err();
}

INSTANTIATE_TEST_SUITE_P(Backends, Replicas, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
