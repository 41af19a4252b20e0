// CountingStore: a view of another ObjectStore that counts the requests made through it and the
// bytes its reads returned and its writes stored. `omnigraph storage verify` reads a graph through
// one, so its report says how much it read whatever reader (segment, manifest, deletion vector) did
// the reading. The inner store is borrowed and must outlive the view. Thread-safe (atomic
// counters).
#pragma once

#include "store/object_store.h"

#include <atomic>
#include <cstdint>

namespace omnigraph::store {

class CountingStore final : public ObjectStore {
  public:
    explicit CountingStore(ObjectStore& inner) : inner_(&inner) {}

    const base::StorageUri& root() const override { return inner_->root(); }
    uint64_t bytes_read() const { return bytes_read_.load(); }       // data returned by get
    uint64_t requests() const { return requests_.load(); }           // every call, of any kind
    uint64_t writes() const { return writes_.load(); }               // puts and removes
    uint64_t bytes_written() const { return bytes_written_.load(); } // data given to puts

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
    ObjectStore* inner_;
    std::atomic<uint64_t> bytes_read_{0};
    std::atomic<uint64_t> requests_{0};
    std::atomic<uint64_t> writes_{0};
    std::atomic<uint64_t> bytes_written_{0};
};

} // namespace omnigraph::store
