#include "server/operations.h"

#include "base/env.h"

#include <array>
#include <sstream>

namespace omnigraph::server {

namespace {

constexpr std::array<double, 12> kBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,   0.25,   0.5,   1,    5};

// Invalid values are logged (config.ignored) and the default is used.
uint64_t env_u64(const char* name, uint64_t fallback, bool allow_zero = false) {
    return base::env_uint_or(name, fallback, allow_zero ? 0 : 1, UINT64_MAX);
}

void write_histogram(std::ostringstream& out, const std::string& name, const std::string& labels,
                     const std::array<uint64_t, 12>& buckets, uint64_t count, double sum) {
    std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < kBounds.size(); ++i)
        out << name << "_bucket{" << labels << sep << "le=\"" << kBounds[i] << "\"} " << buckets[i]
            << "\n";
    out << name << "_bucket{" << labels << sep << "le=\"+Inf\"} " << count << "\n";
    std::string braces = labels.empty() ? "" : "{" + labels + "}";
    out << name << "_sum" << braces << " " << sum << "\n";
    out << name << "_count" << braces << " " << count << "\n";
}

} // namespace

std::unique_ptr<Admission> Admission::from_environment() {
    return std::make_unique<Admission>(env_u64("OMNIGRAPH_PER_ACTOR_INFLIGHT_MAX", 16),
                                       env_u64("OMNIGRAPH_PER_ACTOR_BYTES_MAX", 4ull << 30));
}

std::unique_ptr<ExportSlots> ExportSlots::from_environment() {
    // 0 turns exports off (every export is 413).
    return std::make_unique<ExportSlots>(env_u64("OMNIGRAPH_SERVER_EXPORT_SLOTS", 4, true));
}

std::unique_ptr<ExportSlots::Slot> ExportSlots::try_take() {
    size_t busy = busy_.load();
    do {
        if (busy >= slots_)
            return nullptr;
    } while (!busy_.compare_exchange_weak(busy, busy + 1));
    return std::make_unique<Slot>(this);
}

Admission::Ticket::~Ticket() {
    if (!owner_)
        return;
    std::lock_guard lock(owner_->mutex_);
    Usage& u = owner_->usage_[key_];
    u.inflight -= 1;
    u.bytes -= bytes_;
}

Result<Admission::Ticket> Admission::admit(const std::optional<std::string>& actor,
                                           uint64_t estimated_bytes) {
    std::string key = actor.value_or("anonymous");
    std::lock_guard lock(mutex_);
    Usage& u = usage_[key];
    if (u.inflight + 1 > max_inflight_)
        return Error("too_many_requests",
                     "actor in-flight count cap " + std::to_string(max_inflight_) + " exceeded");
    if (u.bytes + estimated_bytes > max_bytes_)
        return Error("too_many_requests", "actor byte budget exceeded: would use " +
                                              std::to_string(u.bytes + estimated_bytes) +
                                              " bytes against cap " + std::to_string(max_bytes_));
    u.inflight += 1;
    u.bytes += estimated_bytes;
    Ticket t;
    t.owner_ = this;
    t.key_ = std::move(key);
    t.bytes_ = estimated_bytes;
    return t;
}

void Metrics::Histogram::observe(double seconds) {
    for (size_t i = 0; i < kBounds.size(); ++i)
        if (seconds <= kBounds[i])
            ++buckets[i];
    ++count;
    sum += seconds;
}

void Metrics::Histogram::merge(const Histogram& o) {
    for (size_t i = 0; i < buckets.size(); ++i)
        buckets[i] += o.buckets[i];
    count += o.count;
    sum += o.sum;
}

Metrics::Shard& Metrics::shard() {
    thread_local const Metrics* owner = nullptr;
    thread_local Shard* mine = nullptr;
    if (owner != this) {
        std::lock_guard lock(shards_mutex_);
        shards_.push_back(std::make_unique<Shard>());
        mine = shards_.back().get();
        owner = this;
    }
    return *mine;
}

void Metrics::record_request(const std::string& route, int status, double seconds) {
    Shard& s = shard();
    std::lock_guard lock(s.mutex);
    ++s.requests[{route, status}];
    s.latency[route].observe(seconds);
}

void Metrics::record_query(double seconds) {
    Shard& s = shard();
    std::lock_guard lock(s.mutex);
    s.query.observe(seconds);
}

std::string Metrics::prometheus_text() const {
    std::map<std::pair<std::string, int>, uint64_t> requests_;
    std::map<std::string, Histogram> latency_;
    Histogram query_;
    {
        std::lock_guard registry(shards_mutex_);
        for (const auto& s : shards_) {
            std::lock_guard lock(s->mutex);
            for (const auto& [k, n] : s->requests)
                requests_[k] += n;
            for (const auto& [k, h] : s->latency)
                latency_[k].merge(h);
            query_.merge(s->query);
        }
    }
    std::ostringstream out;
    out << "# HELP omnigraph_http_requests_total HTTP requests by route and status.\n"
        << "# TYPE omnigraph_http_requests_total counter\n";
    for (const auto& [key, n] : requests_)
        out << "omnigraph_http_requests_total{route=\"" << key.first << "\",status=\"" << key.second
            << "\"} " << n << "\n";
    out << "# HELP omnigraph_http_request_duration_seconds Request latency by route.\n"
        << "# TYPE omnigraph_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : latency_)
        write_histogram(out, "omnigraph_http_request_duration_seconds", "route=\"" + route + "\"",
                        h.buckets, h.count, h.sum);
    out << "# HELP omnigraph_query_execution_seconds Query execution time (reads and writes).\n"
        << "# TYPE omnigraph_query_execution_seconds histogram\n";
    write_histogram(out, "omnigraph_query_execution_seconds", "", query_.buckets, query_.count,
                    query_.sum);
    out << "# HELP omnigraph_internal_errors_total Requests answered 500: bugs and storage "
           "failures (each is logged at error level with its message).\n"
        << "# TYPE omnigraph_internal_errors_total counter\n"
        << "omnigraph_internal_errors_total " << internal_errors_.load() << "\n";
    return out.str();
}

} // namespace omnigraph::server
