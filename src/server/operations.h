// Operating the server: per-actor admission control for writes (spec server-policy §2.5) and
// the Prometheus metrics behind GET /metrics. Both are process-wide and thread-safe.
#pragma once

#include "base/error.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace omnigraph::server {

// Caps concurrent writes per actor (count and estimated bytes). A rejected write is 429 with
// Retry-After; an admitted one holds its slot until the Ticket is destroyed.
class Admission {
  public:
    // OMNIGRAPH_PER_ACTOR_INFLIGHT_MAX (default 16), OMNIGRAPH_PER_ACTOR_BYTES_MAX (default 4 GiB).
    static std::unique_ptr<Admission> from_environment();
    Admission(uint64_t max_inflight, uint64_t max_bytes)
        : max_inflight_(max_inflight), max_bytes_(max_bytes) {}

    class Ticket {
      public:
        Ticket() = default;
        Ticket(Ticket&& o) noexcept : owner_(o.owner_), key_(std::move(o.key_)), bytes_(o.bytes_) {
            o.owner_ = nullptr;
        }
        Ticket& operator=(Ticket&&) = delete;
        ~Ticket();

      private:
        friend class Admission;
        Admission* owner_ = nullptr;
        std::string key_;
        uint64_t bytes_ = 0;
    };

    // code too_many_requests with the spec's messages when a cap would be exceeded.
    Result<Ticket> admit(const std::optional<std::string>& actor, uint64_t estimated_bytes);

  private:
    struct Usage {
        uint64_t inflight = 0, bytes = 0;
    };
    uint64_t max_inflight_, max_bytes_;
    std::mutex mutex_;
    std::map<std::string, Usage> usage_;
};

// Concurrent streamed exports (OMNIGRAPH_SERVER_EXPORT_SLOTS, default 4): each holds a worker
// and reads one table at a time for as long as its client reads, so their number is capped.
class ExportSlots {
  public:
    static std::unique_ptr<ExportSlots> from_environment();
    explicit ExportSlots(size_t slots) : slots_(slots) {}
    size_t capacity() const { return slots_; }

    // Held by a running export; frees its slot when destroyed.
    class Slot {
      public:
        explicit Slot(ExportSlots* owner) : owner_(owner) {}
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() { owner_->busy_.fetch_sub(1); }

      private:
        ExportSlots* owner_;
    };
    // nullptr when every slot is busy.
    std::unique_ptr<Slot> try_take();

  private:
    size_t slots_;
    std::atomic<size_t> busy_{0};
};

// Request counts and latency histograms by route and status, query execution time.
class Metrics {
  public:
    void record_request(const std::string& route, int status, double seconds);
    void record_query(double seconds);
    // A 500: a bug or a storage failure (omnigraph_internal_errors_total).
    void record_internal_error() { internal_errors_.fetch_add(1, std::memory_order_relaxed); }
    std::string prometheus_text() const; // text exposition format 0.0.4

  private:
    struct Histogram {
        std::array<uint64_t, 12> buckets{};
        uint64_t count = 0;
        double sum = 0;
        void observe(double seconds);
        void merge(const Histogram& o);
    };
    // One shard per worker thread, so recording never contends (a shared mutex made a lock
    // convoy of every request); the exposition merges them.
    struct Shard {
        std::mutex mutex; // uncontended except while /metrics reads it
        std::map<std::pair<std::string, int>, uint64_t> requests;
        std::map<std::string, Histogram> latency;
        Histogram query;
    };
    Shard& shard();
    std::atomic<uint64_t> internal_errors_{0};
    mutable std::mutex shards_mutex_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

} // namespace omnigraph::server
