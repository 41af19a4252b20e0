// External Blob references (spec engine-cli §3.3, server-policy §1.5 "Blob", cluster §2.2): a
// Blob cell may name bytes stored elsewhere (`s3://bucket/key`) instead of holding them. The
// cell then holds a descriptor — the reference's normal-form URI and the size probed when it was
// admitted — and is marked external in its column (format/column.h), so it is never mistaken
// for managed bytes.
//
// A reference is admitted only under one of its graph's allowed bases (the cluster's
// `external_blobs.allow`, which the server narrows to its server-safe ones), and only once its
// source answers a probe: a URI outside every base is refused (kExternalBlobRefused, HTTP 400),
// a source that cannot be probed is kExternalBlobSource (HTTP 424 with the `uri` and `reason`
// details). Without a policy (the direct CLI) every reference is refused. Reading a reference is
// the client's business: the server answers it with a redirect and never dereferences it.
#pragma once

#include "base/error.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::engine {

inline constexpr std::string_view kExternalBlobRefused = "external_blob_refused";
inline constexpr std::string_view kExternalBlobSource = "external_blob_source";

// A URI split into its parts, the path percent-decoded. Errors are the reason alone ("must not
// name a port"); callers say what the URI was.
struct BlobUri {
    std::string scheme;                // lower-case: "s3" or "file"
    std::string authority;             // s3: the bucket, lower-case; file: empty
    std::vector<std::string> segments; // decoded path segments
    bool trailing_slash = false;

    // Scheme, authority and each segment re-encoded (bytes other than ASCII letters, digits and
    // -._~ as upper-case %XX), joined with '/'; a trailing '/' when `as_base`.
    std::string normal_form(bool as_base) const;
};
Result<BlobUri> parse_blob_uri(std::string_view uri);

struct ExternalBlob {
    std::string uri; // normal form
    uint64_t size = 0;

    std::string descriptor() const; // {"uri":…,"size":N}, what the cell holds
    static Result<ExternalBlob> from_descriptor(std::string_view descriptor);
};

// The bases one graph admits references under (normal forms, each ending in '/').
class ExternalBlobPolicy {
  public:
    explicit ExternalBlobPolicy(std::vector<std::string> bases) : bases_(std::move(bases)) {}
    const std::vector<std::string>& bases() const { return bases_; }

    // `uri` parsed, put in normal form, found under a base and probed (its size read from the
    // source's object store). `property` names the cell in messages.
    Result<ExternalBlob> admit(std::string_view uri, std::string_view property) const;

  private:
    std::vector<std::string> bases_;
};

} // namespace omnigraph::engine
