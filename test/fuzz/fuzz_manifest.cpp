// Fuzz target: the small JSON control objects of a graph root — manifests, commit records,
// branch records and pending-operation records — from arbitrary bytes. Each input is read as
// given (a sealed record's checksum refuses almost every mutation) and, when it carries a seal,
// once more re-sealed over its mutated bytes, so the parsers below the checksum stay fuzzed.
#include "base/record_seal.h"
#include "engine/branch.h"
#include "engine/pending.h"
#include "format/manifest.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

// Seals optional: the fuzzer's texts rarely carry a valid seal, and the parsers behind it are
// what is fuzzed.
void parse_all(std::string_view text) {
    constexpr auto kOptional = omnigraph::base::Seal::kOptional;
    if (auto m = omnigraph::format::parse_manifest(text, "fuzz", kOptional))
        (void)omnigraph::format::manifest_text(*m);
    if (auto c = omnigraph::format::parse_commit(text, "fuzz", kOptional))
        (void)omnigraph::format::commit_text(*c);
    if (auto b = omnigraph::engine::parse_branch_record(text, "fuzz", kOptional))
        (void)omnigraph::engine::branch_record_text(*b);
    if (auto p = omnigraph::engine::parse_pending(text, "fuzz", kOptional))
        (void)omnigraph::engine::pending_text(*p);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    parse_all(text);
    size_t seal = text.rfind(R"(,"checksum":"xxh3-64:)");
    if (seal != std::string_view::npos)
        parse_all(omnigraph::base::seal_record(std::string(text.substr(0, seal)) + "}"));
    return 0;
}
