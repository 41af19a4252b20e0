// LocalStore: an ObjectStore over a directory of the local filesystem.
//
// Writes are atomic and durable: data goes to a temp file (".og-tmp-<ulid>" beside the target),
// is fsynced, then becomes visible by rename(2) (put, put_if_match) or link(2) (put_if_absent:
// link fails with EEXIST when the key exists, which is the create-only test), and the directory
// is fsynced. Writers in several processes are serialized per key by flock(2) on one of 256
// stripe files under "<root>/.og-locks/", so put_if_match's compare and replace happen under one
// lock. Version tokens are the SHA-256 of the content (head reads the object to compute it).
// Readers take no lock: an open file keeps its content even when it is replaced.
//
// Limits: a key cannot be both an object and a directory prefix of another key ("a" and "a/b");
// flock is not reliable on some network filesystems; link(2) must be supported (not on FAT).
#pragma once

#include "store/object_store.h"

#include <memory>

namespace omnigraph::store {

class LocalStore final : public ObjectStore {
  public:
    // `uri` must be a local URI. The directory need not exist yet: the first write creates it.
    static Result<std::unique_ptr<LocalStore>> open(const base::StorageUri& uri);

    const base::StorageUri& root() const override { return root_; }

  protected:
    Result<GetResult> do_get(std::string_view key, std::optional<ByteRange> range) override;
    Result<std::optional<ObjectMeta>> do_head(std::string_view key) override;
    Result<ObjectMeta> do_put(std::string_view key, std::string_view data) override;
    Result<ObjectMeta> do_put_if_absent(std::string_view key, std::string_view data) override;
    Result<ObjectMeta> do_put_if_match(std::string_view key, std::string_view data,
                                       std::string_view expected_version) override;
    Result<ListPage> do_list(const ListOptions& options) override;
    Status do_remove(std::string_view key) override;
    Status do_remove_if_match(std::string_view key, std::string_view expected_version) override;
    Result<uint64_t> do_remove_prefix(std::string_view prefix) override;

  private:
    explicit LocalStore(base::StorageUri root) : root_(std::move(root)) {}

    std::string path_of(std::string_view key) const;
    // Writes `data` to a fresh fsynced temp file in the key's directory; returns its path.
    Result<std::string> write_temp(std::string_view key, std::string_view data);
    Status sync_parent(const std::string& path);
    void prune_empty_dirs(std::string_view key);

    base::StorageUri root_;
};

} // namespace omnigraph::store
