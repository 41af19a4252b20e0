// Fuzz target: the small JSON control objects of a graph root — manifests, commit records,
// branch records and pending-operation records — from arbitrary bytes.
#include "engine/branch.h"
#include "engine/pending.h"
#include "format/manifest.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto m = omnigraph::format::parse_manifest(text, "fuzz"))
        (void)omnigraph::format::manifest_text(*m);
    if (auto c = omnigraph::format::parse_commit(text, "fuzz"))
        (void)omnigraph::format::commit_text(*c);
    if (auto b = omnigraph::engine::parse_branch_record(text, "fuzz"))
        (void)omnigraph::engine::branch_record_text(*b);
    if (auto p = omnigraph::engine::parse_pending(text, "fuzz"))
        (void)omnigraph::engine::pending_text(*p);
    return 0;
}
