// omnigraph-server's memory levels off under repeated large reads (issue 17 part 4): a generated
// graph of 200,000 users, then 100 rounds of a full-table scan with `limit 3` and a top-3 by a
// property, one request at a time on a new connection (so on changing worker threads), with the
// server's VmRSS read after each round. Every request allocates and frees tens of MB; an
// allocator that keeps each request's peak per thread arena (glibc with a 1 GiB trim threshold
// did: 6x the first round's RSS by round 10) fails the bounds below.
#include "server_fixtures/server_process.h"
#include "test_support.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <string>
#include <vector>

namespace omnigraph::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kRounds = 100;
constexpr long kLevelOverRound1 = 2;
#if defined(__SANITIZE_ADDRESS__)
// ASan replaces malloc with its own allocator, so there is nothing of ours to measure: the rounds
// still run and every answer is checked, but the RSS bounds hold only for the release programs
// (measured under ASan with a 32 MB quarantine: 185 -> 260 -> 328 MB over rounds 1, 30, 100).
constexpr bool kMeasuresOurAllocator = false;
constexpr int kUsers = 50'000; // ASan runs the same rounds several times slower
#else
constexpr bool kMeasuresOurAllocator = true;
constexpr int kUsers = 200'000;
#endif

// A one-graph cluster in `dir` with kUsers users (string key, four scalar properties), loaded.
void deploy_users(const std::string& dir) {
    fs::create_directories(dir);
    std::ofstream(dir + "/cluster.yaml")
        << "version: 1\nmetadata:\n  name: memory\ngraphs:\n  social:\n    schema: social.pg\n";
    std::ofstream(dir + "/social.pg") << "node User {\n    handle: String @key\n    name: String\n"
                                         "    age: I32\n    city: String\n    score: F64\n}\n";
    {
        std::ofstream data(dir + "/users.jsonl");
        for (long long i = 0; i < kUsers; ++i) // 64-bit: i * 104729 passes 2^31
            data << R"({"type":"User","data":{"handle":"u)" << i << R"(","name":"User number )" << i
                 << R"(","age":)" << 18 + (i * 7919) % 63 << R"(,"city":"City )" << i % 97
                 << R"(","score":)" << (i * 104729) % 100000 / 100.0 << "}}\n";
    }
    for (const char* verb : {"import", "apply"})
        ASSERT_EQ(run_process({omnigraph(), "cluster", verb, "--config", dir}).exit_code, 0);
    auto load = run_process({omnigraph(), "load", "--quiet", "--data", dir + "/users.jsonl",
                             dir + "/graphs/social.omni"});
    ASSERT_EQ(load.exit_code, 0) << load.err;
}

TEST(ServerMemoryTest, RssLevelsOffOverRepeatedScans) {
    TempDir tmp;
    const std::string dir = tmp.path() + "/cluster";
    ASSERT_NO_FATAL_FAILURE(deploy_users(dir));
    const Env env = {{"OMNIGRAPH_LOG", "warn"}};
    ServerProcess server({"--cluster", dir, "--bind", "127.0.0.1:0", "--unauthenticated"}, env,
                         tmp.path());
    ASSERT_TRUE(server.serving()) << server.err();
    auto client = server.client();
    client.set_read_timeout(std::chrono::seconds(60));
    const std::vector<std::string> queries = {
        R"({"query":"query scan() { match { $u: User } return { $u.handle } limit 3 }"})",
        R"({"query":"query top3() { match { $u: User } return { $u.handle } order { $u.age desc } limit 3 }"})"};

    std::vector<long> rss_kib; // after each round
    for (int round = 0; round < kRounds; ++round) {
        for (const auto& q : queries) {
            auto r = client.Post("/graphs/social/query", q, "application/json");
            ASSERT_TRUE(r) << "round " << round + 1 << ": " << server.err();
            ASSERT_EQ(r->status, 200) << r->body;
            ASSERT_EQ(body(r)["row_count"], 3);
        }
        rss_kib.push_back(proc_status_kib(server.pid(), "VmRSS"));
    }
    // RSS right after a round depends on how much of the last second's garbage the allocator
    // has returned yet, so windows are compared by their highest sample.
    const auto window_max = [&](int from, int to) { // rounds, 1-based, inclusive
        return *std::max_element(rss_kib.begin() + from - 1, rss_kib.begin() + to);
    };
    const long at1 = rss_kib[0], early = window_max(1, 30), late = window_max(60, 100);
    std::cout << "server VmRSS after round 1: " << at1 / 1024
              << " MB, max of rounds 1-30: " << early / 1024
              << " MB, max of 60-100: " << late / 1024 << " MB\n";
    if (!kMeasuresOurAllocator)
        return;
    // Levelled off: the highest RSS of rounds 60-100 is at most 25% above that of rounds 1-30
    // (measured with jemalloc: 0-20%, no trend over 300 rounds).
    EXPECT_LT(late, early + early / 4) << "server RSS keeps growing with repeated scans";
    // At a level set by one round, not by how many worker threads ran one: glibc as tuned
    // before (1 GiB trim threshold, 16 arenas on 2 cores) reached 6x round 1 by round 10,
    // jemalloc's defaults 3.7x.
    EXPECT_LT(late, kLevelOverRound1 * at1) << "server RSS multiplies with the worker threads";
}

} // namespace
} // namespace omnigraph::testing
