#include "base/allocator.h"

#include <malloc.h>

namespace omnigraph::base {

void tune_allocator() {
    mallopt(M_TRIM_THRESHOLD, 1 << 30); // keep up to 1 GiB of freed heap top
    mallopt(M_MMAP_THRESHOLD, 1 << 30); // large blocks from the heap, reusable after free
    mallopt(M_TOP_PAD, 64 << 20);       // grow the heap in 64 MiB steps
}

} // namespace omnigraph::base
