#include "engine/string_spill.h"

#include "base/checksum.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <system_error>
#include <unistd.h>

namespace omnigraph::engine {

namespace {

constexpr size_t kBufferBytes = size_t(1) << 20;

Error io_error(const std::string& what) {
    return Error("io_error", "load scratch file: " + what + ": " +
                                 std::error_code(errno, std::generic_category()).message());
}

void put_length(std::string& out, uint32_t n) {
    char b[4];
    std::memcpy(b, &n, 4);
    out.append(b, 4);
}

} // namespace

StringSpill::~StringSpill() {
    if (fd_ >= 0)
        ::close(fd_);
}

Result<uint64_t> StringSpill::add(std::string_view s) {
    if (s.size() > UINT32_MAX)
        return Error(codes::kInvalidArgument, "a string of the load is larger than 4 GiB");
    if (fd_ < 0 && memory_.size() + 4 + s.size() <= memory_limit_) {
        uint64_t handle = memory_.size();
        put_length(memory_, uint32_t(s.size()));
        memory_.append(s);
        return handle;
    }
    if (fd_ < 0) { // the memory part is full: from here on, strings go to the file
        // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing in the programs calls setenv
        const char* dir = std::getenv("TMPDIR");
        std::string path = std::string(dir && *dir ? dir : "/tmp") + "/omnigraph-load-XXXXXX";
        fd_ = ::mkstemp(path.data());
        if (fd_ < 0)
            return io_error("cannot create one in " + path.substr(0, path.rfind('/')));
        ::unlink(path.c_str()); // gone with the process, whatever happens
        file_base_ = memory_.size();
    }
    uint64_t handle = file_base_ + file_size_ + buffer_.size();
    put_length(buffer_, uint32_t(s.size()));
    buffer_.append(s);
    if (buffer_.size() >= kBufferBytes)
        OG_CHECK(flush_buffer());
    return handle;
}

Status StringSpill::flush_buffer() {
    size_t done = 0;
    while (done < buffer_.size()) {
        ssize_t n = ::pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                             static_cast<off_t>(file_size_ + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return io_error("cannot write");
        done += size_t(n);
    }
    file_size_ += buffer_.size();
    buffer_.clear();
    return ok();
}

// The string at `handle`, or its first `limit` bytes when it is longer (enough to tell it from
// a string of `limit - 1` bytes).
Result<std::string> StringSpill::read(uint64_t handle, size_t limit) const {
    auto from_bytes = [&](std::string_view bytes) -> std::string {
        uint32_t n;
        std::memcpy(&n, bytes.data(), 4);
        return std::string(bytes.substr(4, std::min<size_t>(n, limit)));
    };
    if (fd_ < 0 || handle < file_base_)
        return from_bytes(std::string_view(memory_).substr(handle));
    uint64_t at = handle - file_base_;
    if (at >= file_size_)
        return from_bytes(std::string_view(buffer_).substr(at - file_size_));
    char head[4];
    if (::pread(fd_, head, 4, static_cast<off_t>(at)) != 4)
        return io_error("cannot read");
    uint32_t n;
    std::memcpy(&n, head, 4);
    std::string out(std::min<size_t>(n, limit), '\0');
    size_t done = 0;
    while (done < out.size()) {
        ssize_t r =
            ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(at + 4 + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return io_error("cannot read");
        done += size_t(r);
    }
    return out;
}

Result<std::string> StringSpill::get(uint64_t handle) const {
    return read(handle, UINT32_MAX);
}

Result<bool> StringSpill::equals(uint64_t handle, std::string_view s) const {
    if (fd_ < 0 || handle < file_base_) { // in memory: compare in place
        uint32_t n;
        std::memcpy(&n, memory_.data() + handle, 4);
        return std::string_view(memory_).substr(handle + 4, n) == s;
    }
    return OG_TRY(read(handle, s.size() + 1)) == s;
}

Status StringIndex::add(std::string_view s, uint64_t tag) {
    uint64_t handle = OG_TRY(spill_->add(s));
    entries_.push_back({base::xxh3_64(s), handle, tag});
    return ok();
}

void StringIndex::seal() {
    if (sealed_)
        return;
    std::sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.tag < b.tag;
    });
    entries_.shrink_to_fit();
    sealed_ = true;
    // About two entries per bucket; a directory of uint32 offsets (an index larger than 4G
    // entries falls back to the binary search).
    if (entries_.size() >= UINT32_MAX)
        return;
    bucket_bits_ = 1;
    while (bucket_bits_ < 62 && (size_t(1) << bucket_bits_) < entries_.size() / 2)
        ++bucket_bits_;
    buckets_.assign((size_t(1) << bucket_bits_) + 1, 0);
    for (const Entry& e : entries_)
        ++buckets_[(e.hash >> (64 - bucket_bits_)) + 1];
    for (size_t b = 1; b < buckets_.size(); ++b)
        buckets_[b] += buckets_[b - 1];
}

std::pair<size_t, size_t> StringIndex::bucket_of(uint64_t hash) const {
    if (buckets_.empty()) {
        auto it = std::lower_bound(entries_.begin(), entries_.end(), hash,
                                   [](const Entry& e, uint64_t h) { return e.hash < h; });
        return {size_t(it - entries_.begin()), entries_.size()};
    }
    size_t b = hash >> (64 - bucket_bits_);
    return {buckets_[b], buckets_[b + 1]};
}

Result<bool> StringIndex::contains(std::string_view s) const {
    uint64_t hash = base::xxh3_64(s);
    auto [begin, end] = bucket_of(hash);
    for (size_t i = begin; i < end && entries_[i].hash <= hash; ++i)
        if (entries_[i].hash == hash && OG_TRY(spill_->equals(entries_[i].handle, s)))
            return true;
    return false;
}

Status StringIndex::for_each_group(const std::function<Result<bool>(const Group&)>& f) const {
    Group group;
    for (size_t i = 0; i < entries_.size();) {
        size_t end = i + 1;
        while (end < entries_.size() && entries_[end].hash == entries_[i].hash)
            ++end;
        if (end == i + 1) { // the common case: a hash of its own, one value
            group.handle = entries_[i].handle;
            group.tags.assign(1, entries_[i].tag);
            if (!OG_TRY(f(group)))
                return ok();
        } else { // equal hashes: split by the text (tags stay ascending: entries are by tag)
            std::map<std::string, Group> by_value;
            for (size_t k = i; k < end; ++k) {
                auto [it, fresh] = by_value.try_emplace(OG_TRY(spill_->get(entries_[k].handle)));
                if (fresh)
                    it->second.handle = entries_[k].handle;
                it->second.tags.push_back(entries_[k].tag);
            }
            for (const auto& [value, g] : by_value)
                if (!OG_TRY(f(g)))
                    return ok();
        }
        i = end;
    }
    return ok();
}

} // namespace omnigraph::engine
