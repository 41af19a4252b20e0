#include "base/allocator.h"

#include <malloc.h>

namespace omnigraph::base {

void tune_allocator() {
    struct Setting {
        int parameter;
        int value;
    };
    static constexpr Setting kSettings[] = {
        {M_TRIM_THRESHOLD, 1 << 30}, // keep up to 1 GiB of freed heap top
        {M_MMAP_THRESHOLD, 1 << 30}, // large blocks from the heap, reusable after free
        {M_TOP_PAD, 64 << 20},       // grow the heap in 64 MiB steps
    };
    for (const Setting& s : kSettings) {
        // NOLINTNEXTLINE(concurrency-mt-unsafe): glibc's mallopt locks the arena; before threads
        mallopt(s.parameter, s.value);
    }
}

} // namespace omnigraph::base
