#include "base/allocator.h"

#include <malloc.h>

// jemalloc's settings, read by jemalloc itself before main() (an executable's definition takes
// the place of the library's empty one; MALLOC_CONF in the environment still overrides each
// setting). Two arenas, so that what is kept for reuse is not multiplied by the number of worker
// threads (per-thread caches keep small allocations off the arena locks), and a background
// thread that returns freed pages to the OS a second after their last use, so RSS comes back
// down after a large query. An allocator other than jemalloc never reads this. Measured against
// glibc and mimalloc in docs/benchmarks.md ("Memory: the allocator").
// NOLINTNEXTLINE(readability-identifier-naming): the name is jemalloc's
extern "C" const char* const malloc_conf =
    "narenas:2,background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";

// Defined only when jemalloc is the process's allocator (linked, or preloaded).
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace omnigraph::base {

void tune_allocator() {
    if (mallctl != nullptr)
        return; // jemalloc: configured by malloc_conf above
    // glibc (sanitizer builds, or a program built without jemalloc): few arenas, so that what
    // each keeps is not multiplied by the number of threads a server runs (glibc's default is
    // 8 per core), and a trim threshold that lets a large query's memory go back to the OS.
    struct Setting {
        int parameter;
        int value;
    };
    static constexpr Setting kSettings[] = {
        {M_ARENA_MAX, 2},
        {M_TRIM_THRESHOLD, 64 << 20}, // return the heap top beyond 64 MiB
        {M_TOP_PAD, 64 << 20},        // grow the heap in 64 MiB steps
    };
    for (const Setting& s : kSettings) {
        // NOLINTNEXTLINE(concurrency-mt-unsafe): glibc's mallopt locks the arena; before threads
        mallopt(s.parameter, s.value);
    }
}

} // namespace omnigraph::base
