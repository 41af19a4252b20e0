// What a merge reads and writes against how many rows it changes (issue 19; upstream #384/#705,
// where merge cost grows with the whole target table). For each main size, on a fresh local
// root: load N Person rows (a wide row: text and a Vector(32)), fork `feature`, change 100 rows
// on it (50 updates, 50 inserts), change one other row on main, then merge feature into main
// through a counting store and print the bytes and requests of the merge alone, beside the size
// of the table it merged into.
//   merge_bench [N ...]      (default 10000 100000 1000000)
//   stdout: one line per N, then a JSON array of the figures
#include "base/clock.h"
#include "base/json.h"
#include "base/uri.h"
#include "engine/branch.h"
#include "engine/graph.h"
#include "engine/load.h"
#include "engine/merge.h"
#include "store/counting_store.h"
#include "store/object_store.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

using namespace omnigraph;

namespace {

[[noreturn]] void die(const std::string& what) {
    std::cerr << "merge_bench: " << what << "\n";
    std::exit(1);
}

template <class T> T must(Result<T> r, const std::string& what) {
    if (!r)
        die(what + ": " + r.error().to_string());
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}

constexpr const char* kSchema = R"(node Person {
    name: String @key
    age: I32?
    bio: String?
    embedding: Vector(32)?
}
)";

std::string person(uint64_t i, int age) {
    std::string row = "{\"type\":\"Person\",\"data\":{\"name\":\"p" + std::to_string(i) +
                      "\",\"age\":" + std::to_string(age) + ",\"bio\":\"person " +
                      std::to_string(i) +
                      " writes about graphs, storage engines and the odd merge\",\"embedding\":[";
    for (uint64_t d = 0; d < 32; ++d) { // splitmix64 of (row, dimension): does not compress
        uint64_t z = (i * 32 + d + 1) * 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        row += (d ? "," : "") + std::to_string(double((z ^ (z >> 31)) % 100000) / 100000.0);
    }
    return row + "]}}\n";
}

engine::LoadOptions load_options(engine::LoadMode mode, const std::string& branch) {
    engine::LoadOptions o;
    o.mode = mode;
    o.branch = branch;
    return o;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<uint64_t> sizes;
    for (int i = 1; i < argc; ++i)
        sizes.push_back(std::stoull(argv[i]));
    if (sizes.empty())
        sizes = {10000, 100000, 1000000};
    base::Json figures = base::Json::array();
    for (uint64_t n : sizes) {
        std::string dir = "/tmp/og-merge-bench-" + std::to_string(n);
        std::filesystem::remove_all(dir);
        auto store = must(store::open_store(must(base::parse_storage_uri(dir), "uri")), "store");
        must(engine::init_graph(*store, kSchema), "init");
        auto graph = must(engine::Graph::open(*store), "open");
        std::string rows;
        bool first = true;
        for (uint64_t i = 0; i < n; ++i) {
            rows += person(i, int(i % 90));
            if (rows.size() > (64u << 20) || i + 1 == n) { // load in parts of ~64 MB
                auto mode = first ? engine::LoadMode::kOverwrite : engine::LoadMode::kAppend;
                first = false;
                must(engine::load_graph(*store, graph, std::move(rows), load_options(mode, "main")),
                     "load");
                rows.clear();
            }
        }
        must(graph.create_branch("feature", "main", std::nullopt), "branch");
        std::string change;
        for (uint64_t k = 0; k < 50; ++k)
            change += person(k * (n / 50), 99); // updates spread over the table
        for (uint64_t k = 0; k < 50; ++k)
            change += person(n + k, 1); // inserts
        must(engine::load_graph(*store, graph, change,
                                load_options(engine::LoadMode::kMerge, "feature")),
             "change on feature");
        must(engine::load_graph(*store, graph, person(1, 7),
                                load_options(engine::LoadMode::kMerge, "main")),
             "change on main");
        auto head = must(graph.head("main"), "head");
        uint64_t table_bytes = 0;
        for (const auto& seg : head.find("node:Person")->segments)
            table_bytes += seg.bytes;

        store::CountingStore counting(*store);
        auto counted = must(engine::Graph::open(counting), "open counted");
        uint64_t read0 = counting.bytes_read(), req0 = counting.requests();
        auto start = std::chrono::steady_clock::now();
        engine::MergeOptions o;
        o.source = "feature";
        auto merged = must(engine::merge_branch(counting, counted, o), "merge");
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        uint64_t read = counting.bytes_read() - read0, requests = counting.requests() - req0;
        uint64_t written = counting.bytes_written();
        auto after = must(graph.head("main"), "head after");
        if (after.find("node:Person")->row_count != n + 50)
            die("merged main holds " + std::to_string(after.find("node:Person")->row_count) +
                " rows, not " + std::to_string(n + 50));
        std::printf("main %8llu rows (%7.1f MB table): merge %s of 100 changed rows read %8llu B, "
                    "wrote %6llu B in %4llu requests, %.1f ms\n",
                    (unsigned long long)n, table_bytes / 1e6,
                    engine::merge_outcome_name(merged.outcome), (unsigned long long)read,
                    (unsigned long long)written, (unsigned long long)requests, ms);
        figures.push_back({{"main_rows", n},
                           {"table_bytes", table_bytes},
                           {"changed_rows", 100},
                           {"outcome", engine::merge_outcome_name(merged.outcome)},
                           {"bytes_read", read},
                           {"bytes_written", written},
                           {"requests", requests},
                           {"ms", ms}});
        if (!std::getenv("MERGE_BENCH_KEEP"))
            std::filesystem::remove_all(dir);
    }
    std::cout << figures.dump() << "\n";
    return 0;
}
