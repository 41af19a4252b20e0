// Storage URIs: where a graph root or a cluster's stored state lives.
//
//   /abs/path, rel/path, ./x      local directory (relative paths resolve against `base_dir`)
//   file:///abs/path              local directory
//   s3://bucket[/prefix]          S3 bucket plus key prefix (no leading/trailing '/')
//
// Any other "scheme://" (gs://, http://, ...) and malformed forms (s3://, s3:///x, file://rel)
// are refused with code invalid_uri: a typo must never become a local directory.
#pragma once

#include "base/error.h"

#include <string>
#include <string_view>

namespace omnigraph::base {

struct StorageUri {
    enum class Kind { kLocal, kS3 };
    Kind kind = Kind::kLocal;
    std::string path;   // kLocal: absolute, lexically normalized, no trailing '/'
    std::string bucket; // kS3
    std::string prefix; // kS3: "" or "a/b" (no leading or trailing '/')

    bool is_s3() const { return kind == Kind::kS3; }
    // The canonical text: "/abs/path" or "s3://bucket/prefix".
    std::string to_string() const;
    // A child location: join("graphs/x.omni").
    StorageUri join(std::string_view relative) const;

    friend bool operator==(const StorageUri&, const StorageUri&) = default;
};

// `base_dir` is used for relative local paths; empty means the process working directory.
Result<StorageUri> parse_storage_uri(std::string_view text, std::string_view base_dir = {});

// Lexically normalizes a '/'-separated path ("a/./b/../c" -> "a/c"); keeps a leading '/'.
std::string normalize_path(std::string_view path);

} // namespace omnigraph::base
