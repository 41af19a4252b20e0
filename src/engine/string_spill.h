// Strings a load must remember for its whole run (node ids, endpoints, @unique tuples) without
// holding them all in memory: StringSpill keeps the first `memory_bytes` of them in memory and the
// rest in an unlinked temporary file (under $TMPDIR, else /tmp); StringIndex is a multiset of
// such strings over it, 24 bytes per entry in memory (hash, where the text is, a caller's tag),
// sorted by hash so equal strings meet and lookups are a binary search. Equality is always
// decided on the text itself, never on the hash alone.
//
// Internal to the loader; not thread-safe.
#pragma once

#include "base/error.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::engine {

class StringSpill {
  public:
    explicit StringSpill(size_t memory_bytes) : memory_limit_(memory_bytes) {}
    ~StringSpill();
    StringSpill(const StringSpill&) = delete;
    StringSpill& operator=(const StringSpill&) = delete;

    // Stores `s`; the handle names it from now on.
    Result<uint64_t> add(std::string_view s);
    Result<std::string> get(uint64_t handle) const;
    Result<bool> equals(uint64_t handle, std::string_view s) const;
    // Bytes held in memory (the in-memory part and the write buffer).
    size_t memory_bytes() const { return memory_.capacity() + buffer_.capacity(); }

  private:
    Result<std::string> read(uint64_t handle, size_t limit) const;
    Status flush_buffer();

    size_t memory_limit_;
    std::string memory_;     // [0, memory_.size()) of the handle space
    int fd_ = -1;            // the file holds [file_base_, file_base_ + file_size_)
    uint64_t file_base_ = 0; // handle of the file's first byte
    uint64_t file_size_ = 0; // bytes written to the file
    std::string buffer_;     // bytes after the file's, not yet written
};

class StringIndex {
  public:
    struct Entry {
        uint64_t hash;
        uint64_t handle; // in the spill
        uint64_t tag;    // the caller's (a row number)
    };
    // One distinct value and the tags it was added with (ascending).
    struct Group {
        uint64_t handle; // of one of its entries: the value's text
        std::vector<uint64_t> tags;
    };

    explicit StringIndex(StringSpill& spill) : spill_(&spill) {}

    Status add(std::string_view s, uint64_t tag);
    // Sorts the entries; lookups and groups need it, and add() must not follow.
    void seal();
    size_t size() const { return entries_.size(); }
    size_t memory_bytes() const {
        return entries_.capacity() * sizeof(Entry) + buckets_.capacity() * sizeof(uint32_t);
    }
    const StringSpill& spill() const { return *spill_; }

    // Whether `s` was added (sealed index).
    Result<bool> contains(std::string_view s) const;
    // Every distinct value in hash order; `f` returns false to stop (sealed index).
    Status for_each_group(const std::function<Result<bool>(const Group&)>& f) const;

  private:
    // The entries whose hash starts with bucket b are [buckets_[b], buckets_[b + 1]): a lookup
    // is one or two cache misses, not a binary search's many (about 2 bytes per entry).
    std::pair<size_t, size_t> bucket_of(uint64_t hash) const;

    StringSpill* spill_;
    std::vector<Entry> entries_;
    std::vector<uint32_t> buckets_;
    int bucket_bits_ = 0;
    bool sealed_ = false;
};

} // namespace omnigraph::engine
