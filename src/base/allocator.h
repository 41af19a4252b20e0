// Process-wide allocator settings for OmniGraph's programs.
#pragma once

namespace omnigraph::base {

// Bounds what the allocator keeps after a large query. With jemalloc (the release programs)
// its settings are compiled in (allocator.cpp's malloc_conf) and this does nothing; on glibc it
// bounds the arenas and the retained heap top. Call once, early in main(), before threads start.
void tune_allocator();

} // namespace omnigraph::base
