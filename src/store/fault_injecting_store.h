// FaultInjectingStore: wraps any ObjectStore and makes chosen calls fail, stall or lie, for the
// crash and I/O-error tests of every layer above (RocksDB's FaultInjectionFileSystem idea).
//
// A rule matches calls by operation and key prefix and fires on the Nth matching call (1-based)
// and, if `repeat`, on every later one. Actions:
//   kFail       return `error` without touching the inner store;
//   kFailAfter  perform the call, then return `error` (a write that landed but whose answer was
//               lost: the ambiguous outcome callers must survive);
//   kDelay      sleep `delay_ms`, then perform the call;
//   kDrop       report success without performing the call (a lost write; reads pass through).
// Thread-safe. Rules and counters can be changed while the store is in use.
#pragma once

#include "store/object_store.h"

#include <memory>
#include <mutex>
#include <vector>

namespace omnigraph::store {

enum class StoreOp : unsigned {
    kGet = 1u << 0,
    kHead = 1u << 1,
    kPut = 1u << 2,
    kPutIfAbsent = 1u << 3,
    kPutIfMatch = 1u << 4,
    kList = 1u << 5,
    kRemove = 1u << 6,
    kRemovePrefix = 1u << 7, // also remove_root, whose prefix is ""
    kRemoveIfMatch = 1u << 8,
};
inline constexpr unsigned kAnyRead = 0x23;   // get, head, list
inline constexpr unsigned kAnyWrite = 0x1DC; // put*, remove*
inline constexpr unsigned kAnyOp = 0x1FF;

struct FaultRule {
    enum class Action { kFail, kFailAfter, kDelay, kDrop };
    unsigned ops = kAnyOp; // bit set of StoreOp
    std::string key_prefix;
    uint64_t nth = 1;
    bool repeat = false;
    Action action = Action::kFail;
    Error error{codes::kStorageIo, "injected fault"};
    int delay_ms = 0;
    uint64_t seen = 0; // matching calls so far (maintained by the store)
};

class FaultInjectingStore final : public ObjectStore {
  public:
    explicit FaultInjectingStore(std::unique_ptr<ObjectStore> inner) : inner_(std::move(inner)) {}

    void add_rule(FaultRule rule);
    void clear_rules();
    uint64_t fired() const; // how many faults fired so far
    ObjectStore& inner() { return *inner_; }

    const base::StorageUri& root() const override { return inner_->root(); }

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
    // The rule that fires for this call, if any (counts the call against every matching rule).
    std::optional<FaultRule> match(StoreOp op, std::string_view key);
    template <class T, class Fn>
    Result<T> run(StoreOp op, std::string_view key, Fn&& call, T dropped);
    template <class Fn> Status run_removal(StoreOp op, std::string_view key, Fn&& call);

    std::unique_ptr<ObjectStore> inner_;
    mutable std::mutex mu_;
    std::vector<FaultRule> rules_;
    uint64_t fired_ = 0;
};

} // namespace omnigraph::store
