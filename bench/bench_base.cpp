// Micro-benchmarks of the base and store layers (not timed tests): run
// build/release/bench/bench_base.
#include "base/digest.h"
#include "base/ulid.h"
#include "base/uri.h"
#include "store/local_store.h"

#include <benchmark/benchmark.h>
#include <filesystem>

using namespace omnigraph;

static void BM_Sha256_4KiB(benchmark::State& state) {
    std::string data(4096, 'x');
    for (auto _ : state)
        benchmark::DoNotOptimize(base::sha256_hex(data));
    state.SetBytesProcessed(int64_t(state.iterations()) * 4096);
}
BENCHMARK(BM_Sha256_4KiB);

static void BM_NewUlid(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(base::new_ulid());
}
BENCHMARK(BM_NewUlid);

static void BM_LocalPutIfAbsent(benchmark::State& state) {
    auto dir = std::filesystem::temp_directory_path() / ("og-bench-" + base::new_ulid());
    auto store = *store::LocalStore::open(*base::parse_storage_uri(dir.string()));
    std::string data(static_cast<size_t>(state.range(0)), 'x');
    for (auto _ : state) {
        auto r = store->put_if_absent("k/" + base::new_ulid(), data);
        benchmark::DoNotOptimize(r);
    }
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LocalPutIfAbsent)->Arg(1024)->Arg(1 << 20);

BENCHMARK_MAIN();
