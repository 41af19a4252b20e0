// Sealed JSON records: a JSON object stored by a graph root (manifest, commit, branch and
// pending-operation records) whose last member is the checksum of the bytes before it, so a
// reader tells a damaged record from a good one before believing a single field:
//
//   {"format":"omnigraph-manifest",...,"tables":[...],"checksum":"xxh3-64:0123456789abcdef"}
//
// The checksum is XXH3-64 (base/checksum.h) of the record's bytes before the `,"checksum":`
// that opens its last member: the canonical text of the record without the checksum, minus
// its closing brace. Records stay one human-readable JSON object; records written before the
// checksum existed have no such member: a graph of storage format 1 reads them unverified, a
// graph of format 2 refuses them (Seal says which the reader's graph is).
// Pure functions, thread-safe.
#pragma once

#include "base/error.h"
#include "base/strict_record.h"

#include <string>
#include <string_view>

namespace omnigraph::base {

inline constexpr std::string_view kChecksumField = "checksum";

// Whether a record without a seal is acceptable. Only in a graph of storage format 1: this
// build seals what it writes into any graph, so a format-1 graph mixes sealed and unsealed
// records until `storage upgrade` rewrites them and stamps format 2; in a format-2 graph every
// record is sealed, and a missing seal is damage (or a record some other writer replaced).
enum class Seal { kOptional, kRequired };

// Appends the checksum member to the canonical compact text of a JSON object.
std::string seal_record(std::string object_text);

// Whether `text` ends with a well-formed checksum member, verified. A mismatch is an Error with
// `code`, worded "<name>: bytes [0, n) fail their checksum (stored …, computed …)". False when
// the text has no checksum member at its end (a record of storage format 1, or one whose seal
// is damaged: check_unsealed() tells those apart once the record is parsed).
Result<bool> verify_record_seal(std::string_view text, std::string_view code,
                                std::string_view name);

// For a record that verify_record_seal() found unsealed: refuses it when it has a `checksum`
// member anyway, or ends with the seal's `xxh3-64` tag (its seal was damaged), naming the bytes
// from that member to the end; and refuses any unsealed record when `seal` is kRequired.
Status check_unsealed(const StrictRecord& record, std::string_view text, Seal seal);

} // namespace omnigraph::base
