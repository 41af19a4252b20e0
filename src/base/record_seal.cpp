#include "base/record_seal.h"

#include "base/checksum.h"

#include <algorithm>

namespace omnigraph::base {

namespace {

constexpr std::string_view kSealOpen = R"(,"checksum":"xxh3-64:)";
constexpr std::string_view kSealClose = R"("})";
constexpr size_t kSealLength = kSealOpen.size() + 16 + kSealClose.size();

std::string range(size_t from, size_t to) {
    return "bytes [" + std::to_string(from) + ", " + std::to_string(to) + ")";
}

} // namespace

std::string seal_record(std::string object_text) {
    // The canonical text of an object ends with its closing brace; the seal replaces it.
    if (!object_text.empty() && object_text.back() == '}')
        object_text.pop_back();
    uint64_t sum = xxh3_64(object_text);
    object_text += kSealOpen;
    object_text += hex64(sum);
    object_text += kSealClose;
    return object_text;
}

Result<bool> verify_record_seal(std::string_view text, std::string_view code,
                                std::string_view name) {
    if (text.size() < kSealLength + 1 || !text.ends_with(kSealClose))
        return false;
    size_t at = text.size() - kSealLength;
    if (text.substr(at, kSealOpen.size()) != kSealOpen)
        return false;
    auto stored = parse_hex64(text.substr(at + kSealOpen.size(), 16));
    if (!stored)
        return false;
    uint64_t computed = xxh3_64(text.substr(0, at));
    if (computed != *stored)
        return Error(code, (name.empty() ? "" : std::string(name) + ": ") + range(0, at) +
                               " fail their checksum (stored xxh3-64 " + hex64(*stored) +
                               ", computed " + hex64(computed) + ")");
    return true;
}

Status check_unsealed(const StrictRecord& record, std::string_view text, Seal seal) {
    // A damaged seal still shows: either its member name or its algorithm tag survives a
    // single damaged byte, and no field of a format-1 record ends the record with that tag.
    std::string_view tail = text.substr(text.size() - std::min(text.size(), kSealLength + 8));
    if (!record.find(kChecksumField) && tail.find("xxh3-64") == std::string_view::npos) {
        if (seal == Seal::kRequired)
            return record.error("has no checksum; storage format 2 records are sealed");
        return ok();
    }
    size_t at = text.rfind(kSealOpen.substr(0, 11)); // `,"checksum"`
    if (at == std::string_view::npos)
        at = text.size() - tail.size();
    return record.error(range(at, text.size()) +
                        " hold a damaged checksum member (expected `\"checksum\":\"xxh3-64:` and "
                        "16 lower-case hex digits closing the record)");
}

} // namespace omnigraph::base
