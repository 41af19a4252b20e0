// ObjectStore: the one door to stored state (graph roots, cluster state). Every layer above
// reads and writes objects through it, so a local directory and an S3 prefix behave the same.
//
// Keys are '/'-separated paths relative to the store's root: no leading '/', no empty, '.' or
// '..' segments, no segment starting with ".og-" (reserved for the local backend's temp and lock
// files). Objects are immutable blobs that are replaced whole; there are no directories: a key
// exists once an object was put under it and "a/b" may coexist with "a".
//
// Guarantees on both backends:
// - a reader sees either the old or the new object, never a mix (atomic visibility);
// - put_if_absent creates only when nothing is there, put_if_match replaces and
//   remove_if_match deletes only when the object's version token still matches, even with
//   writers in several processes;
// - list returns keys in lexicographic (byte) order;
// - a conditional write whose reply was lost and whose retry finds exactly its own bytes is a
//   success (see s3_store.h), so conditional payloads must be unique to their writer.
// Failures are Errors with codes::kNotFound, kPreconditionFailed, kStorageUnavailable (transient,
// after the backend's own retries), kStorageConfiguration, kStoragePermissionDenied, kStorageIo;
// the message names the object's URI.
//
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include "base/error.h"
#include "base/uri.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::store {

struct ObjectMeta {
    std::string key;
    uint64_t size = 0;
    // Opaque token that changes whenever the object is replaced: the ETag on S3, the SHA-256 of
    // the content on local disk. Always set by head, put*, and whole-object get.
    std::string version;
};

struct ByteRange {
    uint64_t offset = 0;
    uint64_t length = 0; // bytes past the end of the object are simply not returned
};

struct GetResult {
    std::string data;
    ObjectMeta meta; // meta.size is the whole object's size, also for ranged reads;
                     // meta.version is empty for ranged reads on the local backend
};

struct ListOptions {
    std::string prefix;             // plain string prefix of the key, not a directory
    std::string start_after;        // only keys strictly greater than this
    std::string continuation_token; // from the previous page's next_token
    size_t limit = 1000;            // page size (1..1000)
};

struct ListPage {
    std::vector<ObjectMeta> objects; // sizes set; versions set where the listing is cheap (S3)
    std::optional<std::string> next_token;
};

class ObjectStore {
  public:
    virtual ~ObjectStore() = default;

    // The root this store serves, e.g. "/data/x.omni" or "s3://bucket/prefix".
    virtual const base::StorageUri& root() const = 0;

    // Keys are checked against the rules above before a backend sees them.
    Result<GetResult> get(std::string_view key, std::optional<ByteRange> range = std::nullopt);
    Result<std::optional<ObjectMeta>> head(std::string_view key);
    Result<ObjectMeta> put(std::string_view key, std::string_view data);
    // Creates `key` only if absent; kPreconditionFailed when something is already there.
    Result<ObjectMeta> put_if_absent(std::string_view key, std::string_view data);
    // Replaces `key` only if its current version is `expected_version`; kPreconditionFailed when
    // it changed or is absent.
    Result<ObjectMeta> put_if_match(std::string_view key, std::string_view data,
                                    std::string_view expected_version);
    Result<ListPage> list(const ListOptions& options);
    // Idempotent: deleting an absent key succeeds.
    Status remove(std::string_view key);
    // Deletes `key` only if its current version is `expected_version` (as returned by put*,
    // head or get); kPreconditionFailed, leaving the object, when another version is there.
    // Idempotent like remove: an absent key succeeds (nothing of that version is left, also when
    // a retried delete had landed). An empty `expected_version` is kInvalidArgument.
    Status remove_if_match(std::string_view key, std::string_view expected_version);
    // Deletes every key that starts with `prefix` (a non-empty string prefix: wiping a whole
    // root by accident is refused); returns how many. A prefix ending in '/' is a subtree: the
    // local backend also removes its directory with any backend files left in it.
    Result<uint64_t> remove_prefix(std::string_view prefix);
    // Deletes every object of the root, and the root itself where the backend has one (the
    // local directory, with its lock and temp files); returns how many objects. The deliberate
    // way to wipe a whole root (engine::destroy_graph), so it has its own name. Not atomic, like
    // remove_prefix; idempotent.
    Result<uint64_t> remove_root();

    // Conveniences built on the primitives above.
    Result<std::string> read(std::string_view key); // whole object
    Result<std::optional<std::string>> read_if_exists(std::string_view key);
    Result<bool> exists(std::string_view key);
    Result<std::vector<ObjectMeta>> list_all(std::string_view prefix); // every page
    std::string uri_of(std::string_view key) const;                    // for messages

  protected:
    // What a backend implements; keys arrive already validated.
    virtual Result<GetResult> do_get(std::string_view key, std::optional<ByteRange> range) = 0;
    virtual Result<std::optional<ObjectMeta>> do_head(std::string_view key) = 0;
    virtual Result<ObjectMeta> do_put(std::string_view key, std::string_view data) = 0;
    virtual Result<ObjectMeta> do_put_if_absent(std::string_view key, std::string_view data) = 0;
    virtual Result<ObjectMeta> do_put_if_match(std::string_view key, std::string_view data,
                                               std::string_view expected_version) = 0;
    virtual Result<ListPage> do_list(const ListOptions& options) = 0;
    virtual Status do_remove(std::string_view key) = 0;
    virtual Status do_remove_if_match(std::string_view key, std::string_view expected_version) = 0;
    // `prefix` is empty only when called by remove_root: then it is the whole root.
    virtual Result<uint64_t> do_remove_prefix(std::string_view prefix) = 0;
};

// Checks the key rules above; the error names the key and the rule it breaks.
Status validate_key(std::string_view key);

// Opens the backend for `uri`: LocalStore for local paths, S3Store for s3:// (configured from
// the AWS_* environment). Opening does no I/O beyond what the backend needs to validate config.
Result<std::unique_ptr<ObjectStore>> open_store(const base::StorageUri& uri);

} // namespace omnigraph::store
