// `omnigraph load` in bounded memory (issue 17 part 5), driven as an operator would: a
// generated JSONL input four times the memory budget is loaded under an address-space limit
// (RLIMIT_AS, as `prlimit --as=` sets it) with the peak RSS measured by wait4(2); the loaded
// rows are counted with `omnigraph query` and the root checked by `omnigraph storage verify`.
// Append and merge are loaded with the smallest budget so that they write many segments.
//
// The bound asserted: peak RSS <= budget + kFixedOverheadMiB (the binary, its libraries and
// allocator slack: 19-33 MiB measured; 256 MiB of input under 64 MiB peaked at 93-97 MiB).
// Under AddressSanitizer (shadow memory, quarantine) neither the limit nor the bound means
// anything: those builds load a smaller input (still four times an 8 MiB budget) and check
// only the rows.
#include "test_support.h"

#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace omnigraph::testing {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kFixedOverheadMiB = 48;
// Address space beyond the budget: libraries, thread stacks and glibc's per-thread arena
// reservations (64 MiB each) are address space, not memory.
constexpr uint64_t kAddressSlackMiB = 768;

std::string omnigraph() {
    return binary_dir() + "/src/cli/omnigraph";
}

struct Measured {
    int exit_code = -1;
    uint64_t peak_rss_kib = 0;
    std::string out, err;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs `argv` with RLIMIT_AS = `address_limit` (0: none); its peak RSS from wait4.
Measured run_measured(const std::vector<std::string>& argv, uint64_t address_limit,
                      const std::string& scratch) {
    std::string out = scratch + "/out.txt", err = scratch + "/err.txt";
    pid_t pid = fork();
    if (pid == 0) {
        if (address_limit) {
            rlimit limit{address_limit, address_limit};
            setrlimit(RLIMIT_AS, &limit);
        }
        int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(o, 1);
        dup2(e, 2);
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    Measured m;
    int status = 0;
    rusage usage{};
    if (wait4(pid, &status, 0, &usage) == pid && WIFEXITED(status))
        m.exit_code = WEXITSTATUS(status);
    m.peak_rss_kib = static_cast<uint64_t>(usage.ru_maxrss);
    m.out = slurp(out);
    m.err = slurp(err);
    return m;
}

// People p<first>..p<first+n-1> with a bio, and edges between them, until the file holds
// `bytes`; returns (people, edges).
std::pair<uint64_t, uint64_t> generate(const std::string& path, uint64_t first, uint64_t people,
                                       uint64_t bytes, int age) {
    std::ofstream out(path, std::ios::binary);
    std::string bio(80, 'b');
    uint64_t written = 0, edges = 0;
    for (uint64_t i = 0; i < people; ++i) {
        std::string line = "{\"type\":\"Person\",\"data\":{\"name\":\"p" +
                           std::to_string(first + i) + "\",\"age\":" + std::to_string(age) +
                           ",\"bio\":\"" + bio + std::to_string(i) + "\"}}\n";
        written += line.size();
        out << line;
    }
    for (uint64_t i = 0; written < bytes; ++i, ++edges) {
        // Distinct (from, to) pairs within a file and, through `age`, across the files of a
        // test, so that counting matched pairs counts edges.
        uint64_t from = first + i % people,
                 to = first + (i % people + 1 + i / people + 5 * uint64_t(age)) % people;
        std::string line = "{\"edge\":\"Knows\",\"from\":\"p" + std::to_string(from) +
                           "\",\"to\":\"p" + std::to_string(to) +
                           "\",\"data\":{\"note\":\"met at event " + std::to_string(i) + "\"}}\n";
        written += line.size();
        out << line;
    }
    return {people, edges};
}

class CliLoadMemory : public ::testing::Test {
  protected:
    void SetUp() override {
        uri_ = dir_.path() + "/g.omni";
        std::string schema = dir_.path() + "/s.pg";
        std::ofstream(schema) << "node Person { name: String @key age: I32? bio: String? }\n"
                                 "edge Knows: Person -> Person { note: String? }\n";
        auto r = run_process({omnigraph(), "init", "--schema", schema, uri_});
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    Measured load(const std::string& data, const std::string& mode, uint64_t budget_mib) {
        uint64_t limit = kSanitized ? 0 : (budget_mib + kAddressSlackMiB) * kMiB;
        return run_measured({omnigraph(), "load", "--quiet", "--json", "--mode", mode,
                             "--memory-budget-mb", std::to_string(budget_mib), "--data", data,
                             uri_},
                            limit, dir_.path());
    }
    uint64_t count(const std::string& type) {
        std::string query = "query q() { match { $x: " + type + " } return { count($x) as n } }";
        if (type == "Knows")
            query = "query q() { match { $a: Person $a knows $b } return { count($b) as n } }";
        auto r =
            run_process({omnigraph(), "query", "-e", query, "--format", "csv", "--store", uri_});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        auto line = r.out.find('\n');
        return line == std::string::npos ? 0 : std::stoull(r.out.substr(line + 1));
    }
    void verify_clean() {
        auto r = run_process({omnigraph(), "storage", "verify", uri_});
        EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_NE(r.out.find(": ok: "), std::string::npos) << r.out;
    }
    uint64_t segments() {
        uint64_t n = 0;
        auto r = run_process({"/usr/bin/find", uri_, "-name", "*.seg"});
        for (char c : r.out)
            n += c == '\n';
        return n;
    }
    void expect_bounded(const Measured& m, uint64_t budget_mib) {
        ASSERT_EQ(m.exit_code, 0) << m.out << m.err;
        std::cout << "peak RSS " << m.peak_rss_kib / 1024 << " MiB with a budget of " << budget_mib
                  << " MiB\n";
        if (!kSanitized)
            EXPECT_LE(m.peak_rss_kib, (budget_mib + kFixedOverheadMiB) * 1024)
                << "peak RSS over budget + overhead";
    }
    TempDir dir_;
    std::string uri_;
};

// The acceptance case: an overwrite of an input four times the budget.
TEST_F(CliLoadMemory, OverwriteOfFourTimesTheBudgetStaysUnderIt) {
    uint64_t budget = kSanitized ? 8 : 64; // sanitized: 32 MiB of input, still four times

    uint64_t bytes = kSanitized ? 32 * kMiB : 4 * budget * kMiB;
    std::string data = dir_.path() + "/big.jsonl";
    auto [people, edges] = generate(data, 0, kSanitized ? 50000 : 400000, bytes, 30);
    auto m = load(data, "overwrite", budget);
    expect_bounded(m, budget);
    EXPECT_NE(m.out.find("\"total_entities\": " + std::to_string(people + edges)),
              std::string::npos)
        << m.out;
    EXPECT_GT(segments(), 8u);
    EXPECT_EQ(count("Person"), people);
    EXPECT_EQ(count("Knows"), edges);
    verify_clean();
}

// Append and merge with the smallest budget (8 MiB): several segments each, repeated and
// existing ids across them.
TEST_F(CliLoadMemory, AppendAndMergeCrossSegmentsUnderTheBudget) {
    uint64_t budget = 8;
    std::string first = dir_.path() + "/first.jsonl", more = dir_.path() + "/more.jsonl",
                update = dir_.path() + "/update.jsonl";
    auto [p1, e1] = generate(first, 0, 40000, 12 * kMiB, 1);
    expect_bounded(load(first, "overwrite", budget), budget);
    uint64_t before = segments();
    auto [p2, e2] = generate(more, 40000, 40000, 12 * kMiB, 2);
    expect_bounded(load(more, "append", budget), budget);
    EXPECT_GT(segments(), before + 4);
    // Appending the same rows again: every id exists.
    auto again = load(more, "append", budget);
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_NE(again.out.find("key_conflict"), std::string::npos) << again.out;
    // A merge of people 20000..59999 (in segments of both loads) with new ages and edges.
    auto [p3, e3] = generate(update, 20000, 40000, 12 * kMiB, 3);
    expect_bounded(load(update, "merge", budget), budget);
    EXPECT_EQ(count("Person"), 80000u);
    EXPECT_EQ(count("Knows"), e1 + e2 + e3); // edges have no ids: every one is new
    auto r = run_process({omnigraph(), "query", "-e",
                          "query q() { match { $p: Person { age: 3 } } return { count($p) as n } }",
                          "--format", "csv", "--store", uri_});
    EXPECT_EQ(r.out, "n\n40000\n") << r.err;
    verify_clean();
}

} // namespace
} // namespace omnigraph::testing
