// Micro-benchmarks of the base and store layers (not timed tests): run
// build/release/bench/bench_base.
#include "base/checksum.h"
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

// The checksum candidates of stored objects (docs/format/segment.md, "Checksums"): sizes from a
// small JSON record to a large column chunk.
namespace {
std::string pseudo_random_bytes(size_t n) {
    std::string data(n, '\0');
    uint64_t x = 0x9E3779B97F4A7C15;
    for (auto& c : data) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x);
    }
    return data;
}

template <class F> void checksum_bench(benchmark::State& state, F f) {
    std::string data = pseudo_random_bytes(static_cast<size_t>(state.range(0)));
    for (auto _ : state)
        benchmark::DoNotOptimize(f(data));
    state.SetBytesProcessed(int64_t(state.iterations()) * state.range(0));
}
} // namespace

static void BM_Xxh3_64(benchmark::State& state) {
    checksum_bench(state, [](std::string_view d) { return base::xxh3_64(d); });
}
BENCHMARK(BM_Xxh3_64)->Arg(256)->Arg(4096)->Arg(64 << 10)->Arg(1 << 20);

static void BM_Crc32c_Sse42(benchmark::State& state) {
    checksum_bench(state, [](std::string_view d) { return base::crc32c(d); });
}
BENCHMARK(BM_Crc32c_Sse42)->Arg(256)->Arg(4096)->Arg(64 << 10)->Arg(1 << 20);

static void BM_Crc32c_SliceBy8(benchmark::State& state) {
    checksum_bench(state, [](std::string_view d) { return base::crc32c_portable(d); });
}
BENCHMARK(BM_Crc32c_SliceBy8)->Arg(256)->Arg(4096)->Arg(64 << 10)->Arg(1 << 20);

static void BM_Sha256(benchmark::State& state) {
    checksum_bench(state, [](std::string_view d) { return base::sha256_bytes(d); });
}
BENCHMARK(BM_Sha256)->Arg(256)->Arg(4096)->Arg(64 << 10)->Arg(1 << 20);

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
