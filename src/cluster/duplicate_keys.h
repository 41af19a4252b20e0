// The text-level duplicate-key scan of cluster.yaml (spec cluster §2.6 step 3): YAML parsers
// silently keep one of two equal keys, so the file is scanned line by line first. Block style
// only: comments are stripped outside quotes, indentation opens and closes mappings, sequence
// items start fresh mappings and add a `[]` path segment (`graphs.k.external_blobs.allow[].scope`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::cluster {

struct DuplicateKey {
    std::string path; // dotted path of the repeated key
    int line = 0;     // 1-based line of the repetition
};

std::vector<DuplicateKey> find_duplicate_keys(std::string_view yaml);

} // namespace omnigraph::cluster
