// Fuzz target: the control plane's stored JSON — the ledger, the lock, recovery sidecars and
// approval artefacts. Whatever parses must serialize and parse back to the same value.
#include "cluster/ledger.h"
#include "cluster/records.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace omnigraph::cluster;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto ledger = parse_ledger(text)) {
        auto again = parse_ledger(serialize_ledger(*ledger));
        if (!again || !(*again == *ledger))
            std::abort();
    }
    if (auto lock = parse_lock(text)) {
        auto again = parse_lock(serialize_lock(*lock));
        if (!again || again->lock_id != lock->lock_id || again->pid != lock->pid)
            std::abort();
    }
    if (auto sidecar = parse_sidecar(text)) {
        auto again = parse_sidecar(serialize_sidecar(*sidecar));
        if (!again || serialize_sidecar(*again) != serialize_sidecar(*sidecar))
            std::abort();
    }
    if (auto approval = parse_approval(text)) {
        auto again = parse_approval(serialize_approval(*approval));
        if (!again || serialize_approval(*again) != serialize_approval(*approval))
            std::abort();
    }
    return 0;
}
