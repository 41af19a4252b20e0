// End to end: crashes need no hands. `omnigraph cluster apply` over a cluster of a dozen graphs,
// and `omnigraph load` into one graph, are SIGKILLed at random moments — on local disk and on the
// S3 test server — and what they leave must be recovered by the next command on its own:
//
// - apply: each round starts an apply and kills it after a delay drawn uniformly from [0, d],
//   d the duration of an uninterrupted apply from scratch. A round whose apply finished before
//   the kill must have converged (so it recovered every earlier kill); the cluster then starts
//   over from an empty root. After the last kill one apply converges, every declared graph
//   opens, and `cluster refresh` finds no drift.
// - load: each round appends a batch of fresh rows and is killed the same way. After every kill
//   the graph holds all rows of the batch or none (counted by `export`), and the next load works;
//   after the last kill one load succeeds and no pending-operation record is left.
//
// The delays come from a fixed seed, printed in the log: OMNIGRAPH_KILL_SEED=<n> replays a run,
// OMNIGRAPH_KILL_ROUNDS=<n> changes the number of kills (default 50).
#include "base/env.h"
#include "cluster_fixtures/cluster_e2e.h"

#include <chrono>
#include <csignal>
#include <iostream>
#include <map>
#include <random>
#include <thread>

namespace omnigraph::testing::cluster_e2e {
namespace {

constexpr uint64_t kDefaultSeed = 20261206;
constexpr int kGraphs = 12;
constexpr int kBatchRows = 1500;

const char* kSchema = "node Person {\n    name: String @key\n    age: I32?\n}\n";
const char* kQueries = "query find_person($name: String) {\n    match { $p: Person { name: $name } "
                       "}\n    return { $p.name, $p.age }\n}\n";

uint64_t base_seed() {
    return base::env_uint_or("OMNIGRAPH_KILL_SEED", kDefaultSeed, 0, UINT64_MAX);
}
int rounds() {
    return static_cast<int>(base::env_uint_or("OMNIGRAPH_KILL_ROUNDS", 50, 1, 10000));
}

using Clock = std::chrono::steady_clock;

// Runs `argv` to the end and returns its result and how long it took.
std::pair<ProcessResult, Clock::duration> timed_run(const std::vector<std::string>& argv,
                                                    const Env& env) {
    auto start = Clock::now();
    Child child(argv, env);
    ProcessResult r = child.wait();
    return {r, Clock::now() - start};
}

// Starts `argv`, SIGKILLs it after `delay` (a no-op when it exited already) and reaps it.
ProcessResult run_and_kill(const std::vector<std::string>& argv, const Env& env,
                           Clock::duration delay) {
    Child child(argv, env);
    std::this_thread::sleep_for(delay);
    child.signal(SIGKILL);
    return child.wait();
}

std::string summary(const std::map<std::string, int>& phases) {
    std::string out;
    for (const auto& [phase, count] : phases)
        out += (out.empty() ? "" : ", ") + phase + ": " + std::to_string(count);
    return out;
}

class RandomKill : public ::testing::TestWithParam<bool> {
  protected:
    void SetUp() override {
        home_ = dir_.path() + "/home";
        fs::create_directories(home_);
        env_ = {{"OMNIGRAPH_HOME", home_}, {"HOME", home_}};
        if (s3()) {
            auto& server = S3TestServer::instance();
            ASSERT_TRUE(server.ok()) << server.error();
            for (const auto& kv : server.environment())
                env_.push_back(kv);
        }
        // One seed per test and store kind, all derived from the one printed.
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        seed_ = base_seed();
        for (char c : std::string(info->name()))
            seed_ = seed_ * 31 + static_cast<unsigned char>(c);
        std::cout << "[ seed     ] " << info->name() << ": seed " << seed_
                  << " (OMNIGRAPH_KILL_SEED=" << base_seed() << ")" << std::endl;
        rng_.seed(seed_);
    }
    bool s3() const { return GetParam(); }

    // `omnigraph <args>` in the test directory.
    std::vector<std::string> argv(const std::vector<std::string>& args) const {
        std::vector<std::string> out = {"env", "-C", dir_.path(), omnigraph()};
        out.insert(out.end(), args.begin(), args.end());
        return out;
    }
    ProcessResult og(const std::vector<std::string>& args) const {
        return timed_run(argv(args), env_).first;
    }
    Json og_json(std::vector<std::string> args) const {
        args.push_back("--json");
        ProcessResult r = og(args);
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        return parse(r.out);
    }
    // A delay drawn uniformly from [0, duration].
    Clock::duration draw(Clock::duration duration) {
        std::uniform_int_distribution<int64_t> pick(0, duration.count());
        return Clock::duration(pick(rng_));
    }

    TempDir dir_;
    std::string home_;
    Env env_;
    uint64_t seed_ = 0;
    std::mt19937_64 rng_;
};

// --- cluster apply ------------------------------------------------------------------------------

class ApplyKill : public RandomKill {
  protected:
    void SetUp() override {
        RandomKill::SetUp();
        storage_ = s3() ? unique_s3_uri("random-kill") : dir_.path() + "/store";
        std::string yaml = "version: 1\nstorage: " + storage_ + "\ngraphs:\n";
        for (int i = 1; i <= kGraphs; ++i)
            yaml += "  g" + std::to_string(i) + ":\n    schema: people.pg\n    queries: queries/\n";
        write_file(cfg("people.pg"), kSchema);
        write_file(cfg("queries/people.gq"), kQueries);
        write_file(cfg("cluster.yaml"), yaml);
        root_.emplace(storage_);
    }
    std::string cfg(const std::string& rel) const { return dir_.path() + "/cfg/" + rel; }
    std::vector<std::string> cluster(const std::string& command) const {
        return argv({"cluster", command, "--config", "cfg", "--json"});
    }
    // An empty storage root with an imported (empty) ledger.
    void start_over() {
        root_->remove_prefix("graphs/");
        root_->remove_prefix("__cluster/");
        ProcessResult r = timed_run(cluster("import"), env_).first;
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    }
    // What a killed apply left, as one phase name.
    std::string left_behind() const {
        int partial = 0;
        for (int i = 1; i <= kGraphs; ++i) {
            auto keys = root_->keys("graphs/g" + std::to_string(i) + ".omni/");
            bool claim = false, versions = false;
            for (const auto& k : keys) {
                claim = claim || k.ends_with("/__init_claim.json");
                versions = versions || k.find(".omni/_log/") != std::string::npos;
            }
            partial += claim && !versions;
        }
        // The lock is left by every kill between its create and its release.
        std::string lock = root_->exists("__cluster/lock.json") ? ", lock left" : ", no lock";
        if (partial > 0)
            return "killed in an init (root without genesis)" + lock;
        if (!root_->sidecars().empty())
            return "killed between a create and the ledger write" + lock;
        return "no graph operation pending" + lock;
    }

    std::string storage_;
    std::optional<Root> root_;
};

TEST_P(ApplyKill, ApplyKilledAtRandomMomentsConvergesWithNoHands) {
    start_over();
    auto [first, duration] = timed_run(cluster("apply"), env_);
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    std::cout << "[ duration ] an uninterrupted apply of " << kGraphs << " graphs took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(duration).count() << " ms"
              << std::endl;
    start_over();

    std::map<std::string, int> phases;
    for (int round = 0; round < rounds(); ++round) {
        ProcessResult r = run_and_kill(cluster("apply"), env_, draw(duration));
        if (r.exit_code == -1) {
            ++phases[left_behind()];
            continue;
        }
        // It finished before the kill: it recovered what the earlier kills left.
        ASSERT_EQ(r.exit_code, 0) << "round " << round << " (seed " << seed_ << ")\n"
                                  << r.out << r.err;
        Json applied = parse(r.out);
        ASSERT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
        ++phases["finished before the kill (converged)"];
        start_over();
    }
    std::cout << "[ phases   ] " << summary(phases) << std::endl;

    ProcessResult last = timed_run(cluster("apply"), env_).first;
    ASSERT_EQ(last.exit_code, 0) << "seed " << seed_ << "\n" << last.out << last.err;
    Json applied = parse(last.out);
    EXPECT_TRUE(applied["converged"].get<bool>()) << pretty(applied);
    EXPECT_TRUE(root_->sidecars().empty());
    EXPECT_FALSE(root_->exists("__cluster/lock.json"));
    for (int i = 1; i <= kGraphs; ++i) {
        std::string g = "g" + std::to_string(i);
        ProcessResult opened = og({"snapshot", root_->graph_root(g), "--json"});
        EXPECT_EQ(opened.exit_code, 0) << g << ": " << opened.out << opened.err;
        EXPECT_FALSE(root_->exists("graphs/" + g + ".omni/__init_claim.json"))
            << g << ": an init claim was left behind";
    }
    ProcessResult refreshed = timed_run(cluster("refresh"), env_).first;
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.out << refreshed.err;
    Json refresh = parse(refreshed.out);
    EXPECT_TRUE(diag_codes(refresh).empty()) << pretty(refresh);
    for (int i = 1; i <= kGraphs; ++i)
        for (const char* kind : {"graph.g", "schema.g"}) {
            std::string address = kind + std::to_string(i);
            EXPECT_EQ(refresh["resource_statuses"][address]["status"], "applied")
                << address << "\n"
                << pretty(refresh["resource_statuses"]);
        }
    ProcessResult planned = timed_run(cluster("plan"), env_).first;
    ASSERT_EQ(planned.exit_code, 0) << planned.out << planned.err;
    EXPECT_TRUE(parse(planned.out)["changes"].empty()) << planned.out;
}

INSTANTIATE_TEST_SUITE_P(Store, ApplyKill, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "S3" : "Local"; });

// --- load ---------------------------------------------------------------------------------------

class LoadKill : public RandomKill {
  protected:
    void SetUp() override {
        RandomKill::SetUp();
        graph_ = s3() ? unique_s3_uri("random-kill-load") : dir_.path() + "/graph.omni";
        write_file(dir_.path() + "/people.pg", kSchema);
        ProcessResult r = og({"init", "--schema", dir_.path() + "/people.pg", graph_});
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        graph_root_.emplace(graph_);
    }
    // Batch `b`: kBatchRows people named "b<b>-<i>", in a file of its own.
    std::string batch(int b) const {
        std::string path = dir_.path() + "/batch" + std::to_string(b) + ".jsonl";
        std::string text;
        for (int i = 0; i < kBatchRows; ++i)
            text += R"({"type":"Person","data":{"name":"b)" + std::to_string(b) + "-" +
                    std::to_string(i) + R"(","age":)" + std::to_string(i % 90) + "}}\n";
        write_file(path, text);
        return path;
    }
    std::vector<std::string> load(int b) const {
        return argv({"load", graph_, "--data", batch(b), "--mode", "append", "--quiet"});
    }
    // Rows per batch in the head of main, read by `export` (which also proves the graph opens).
    std::map<int, int> rows_per_batch() const {
        std::map<int, int> counts;
        ProcessResult r = og({"export", graph_});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        std::istringstream lines(r.out);
        std::string line;
        const std::string tag = "\"name\":\"b";
        while (std::getline(lines, line))
            if (auto at = line.find(tag); at != std::string::npos)
                ++counts[std::atoi(line.c_str() + at + tag.size())];
        return counts;
    }

    std::string graph_;
    std::optional<Root> graph_root_;
};

TEST_P(LoadKill, LoadKilledAtRandomMomentsIsAllOrNothing) {
    auto [first, duration] = timed_run(load(0), env_);
    ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
    std::cout << "[ duration ] an uninterrupted load of " << kBatchRows << " rows took "
              << std::chrono::duration_cast<std::chrono::milliseconds>(duration).count() << " ms"
              << std::endl;
    std::map<int, int> expected = {{0, kBatchRows}};
    std::map<std::string, int> phases;
    int b = 1;
    for (int round = 0; round < rounds(); ++round, ++b) {
        ProcessResult r = run_and_kill(load(b), env_, draw(duration));
        std::map<int, int> counts = rows_per_batch();
        int landed = counts.contains(b) ? counts.at(b) : 0;
        ASSERT_TRUE(landed == 0 || landed == kBatchRows)
            << "round " << round << " (seed " << seed_ << "): " << landed << " of " << kBatchRows
            << " rows of the killed load are visible";
        if (landed > 0)
            expected[b] = kBatchRows;
        counts.erase(b);
        std::map<int, int> before = expected;
        before.erase(b);
        ASSERT_EQ(counts, before) << "round " << round << ": earlier batches changed";
        bool record_after = !graph_root_->keys("_pending/").empty();
        if (r.exit_code != -1) {
            ASSERT_EQ(r.exit_code, 0) << "round " << round << " (seed " << seed_ << ")\n"
                                      << r.out << r.err;
            ASSERT_EQ(landed, kBatchRows);
            ++phases["finished before the kill"];
        } else if (landed == 0) {
            ++phases[record_after ? "killed writing (rolled back by the next load)"
                                  : "killed before its pending record"];
        } else {
            ++phases[record_after ? "killed after the commit, before the record was deleted"
                                  : "killed after the load completed"];
        }
    }
    std::cout << "[ phases   ] " << summary(phases) << std::endl;

    ProcessResult last = timed_run(load(b), env_).first;
    ASSERT_EQ(last.exit_code, 0) << "seed " << seed_ << "\n" << last.out << last.err;
    expected[b] = kBatchRows;
    EXPECT_EQ(rows_per_batch(), expected);
    EXPECT_TRUE(graph_root_->keys("_pending/").empty())
        << "the last load settled every record the kills left";
}

INSTANTIATE_TEST_SUITE_P(Store, LoadKill, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "S3" : "Local"; });

} // namespace
} // namespace omnigraph::testing::cluster_e2e
