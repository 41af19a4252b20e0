// Checksums of stored bytes: the one every stored object carries (xxh3-64, see
// docs/format/segment.md "Checksums" for the measurement behind the choice) and CRC32C, the
// candidate it was measured against (bench_base), kept because S3 and most storage systems
// speak it. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omnigraph::base {

// XXH3 64-bit with seed 0 (libxxhash): the checksum of segment chunks and footers and of the
// JSON records of a graph root.
uint64_t xxh3_64(std::string_view data);

// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected, init and final xor 0xFFFFFFFF): SSE4.2's
// crc32 instruction when the CPU has it, else slice-by-8 tables. `crc` continues a previous
// call's result.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);
uint32_t crc32c_portable(std::string_view data, uint32_t crc = 0); // the table path, always

// Exactly 16 lower-case hex digits, the spelling stored checksums use; parse_hex64 accepts
// nothing else.
std::string hex64(uint64_t value);
std::optional<uint64_t> parse_hex64(std::string_view text);

} // namespace omnigraph::base
