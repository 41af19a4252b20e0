// Branch names and branch records (docs/format/manifest.md, "Branches").
//
// `main` always exists and has no record. Any other branch exists exactly while its record
// `_branches/<encoded name>.json` exists: creating the record (create-if-absent) creates the
// branch, removing it deletes the branch. A new branch writes no manifest: until its first
// commit its head is its source's manifest at the recorded version (a lazy fork sharing every
// segment); its first write publishes version fork+1 under `_log/<branch>/`.
#pragma once

#include "base/error.h"
#include "base/record_seal.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omnigraph::engine {

inline constexpr std::string_view kConflict = "conflict"; // branch exists / still needed

struct BranchRecord {
    std::string name;
    std::string from_branch;    // the source branch
    uint64_t from_version = 0;  // the source's manifest version at creation
    std::string from_commit_id; // the commit of that version
    std::optional<std::string> actor_id;
    int64_t created_at = 0; // microseconds since the Unix epoch
};

// Trims surrounding whitespace and checks the name rules of spec engine-cli §2.1: non-empty,
// no leading/trailing '/', no "//", "..", or '\', each '/'-segment made of letters, digits
// (any Unicode letter or digit is accepted as UTF-8 bytes >= 0x80) and . - _, not ending in
// ".lock", and not starting with "__" (reserved for internal branches).
Result<std::string> normalize_branch_name(std::string_view name);

// `_branches/<name with bytes outside [A-Za-z0-9._-] as %XX>.json`
std::string branch_record_key(std::string_view name);
std::string branch_record_text(const BranchRecord& r); // sealed
// manifest_corrupt when the record is damaged, or unsealed and `seal` is kRequired.
Result<BranchRecord> parse_branch_record(std::string_view text, std::string_view where,
                                         base::Seal seal);

// True when one name is a '/'-path prefix of the other ("a" and "a/b"): they cannot coexist.
bool branch_paths_collide(std::string_view a, std::string_view b);

} // namespace omnigraph::engine
