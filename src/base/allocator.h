// Process-wide allocator settings for OmniGraph's programs.
#pragma once

namespace omnigraph::base {

// Keeps freed memory in the process instead of returning it to the OS at every free (glibc
// trims the heap top and unmaps large blocks eagerly). Re-faulting that memory on the next
// query or load costs more than the memory itself, markedly so in VMs. Call once, early in
// main(), before threads start.
void tune_allocator();

} // namespace omnigraph::base
