#include "store/local_store.h"

#include "base/digest.h"
#include "base/ulid.h"

#include <algorithm>
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace omnigraph::store {
namespace {

constexpr std::string_view kReservedPrefix = ".og-";
constexpr std::string_view kLockDir = ".og-locks";
constexpr std::string_view kTempPrefix = ".og-tmp-";

// Maps an errno from an operation on `uri` to a typed Error.
Error errno_error(int err, std::string_view action, const std::string& uri) {
    std::string message =
        std::string(action) + " " + uri + ": " + std::generic_category().message(err);
    switch (err) {
    case ENOENT:
        return Error(codes::kNotFound, "object not found: " + uri);
    case EACCES:
    case EPERM:
    case EROFS:
        return Error(codes::kStoragePermissionDenied, "permission denied: " + message);
    case ENOTDIR:
    case EISDIR:
        return Error(codes::kStorageIo,
                     message + " (on local disk a key cannot be both an object and a directory)");
    default:
        return Error(codes::kStorageIo, message);
    }
}

// RAII file descriptor.
class Fd {
  public:
    explicit Fd(int fd = -1) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }

  private:
    int fd_;
};

Status write_all(int fd, std::string_view data, const std::string& uri) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno_error(errno, "writing", uri);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return ok();
}

Result<std::string> read_range(int fd, uint64_t offset, uint64_t length, const std::string& uri) {
    std::string out;
    out.resize(length);
    uint64_t done = 0;
    while (done < length) {
        ssize_t n =
            ::pread(fd, out.data() + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno_error(errno, "reading", uri);
        }
        if (n == 0)
            break;
        done += static_cast<uint64_t>(n);
    }
    out.resize(done);
    return out;
}

Result<std::string> hash_file(int fd, uint64_t size, const std::string& uri) {
    base::Sha256 sha;
    constexpr uint64_t kChunk = 1 << 20;
    for (uint64_t off = 0; off < size; off += kChunk) {
        auto chunk = OG_TRY(read_range(fd, off, std::min(kChunk, size - off), uri));
        sha.update(chunk);
        if (chunk.empty())
            break;
    }
    return sha.finish_hex();
}

Status make_dirs(const std::string& dir, const std::string& uri) {
    // Walk down from the longest existing ancestor.
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return ok();
        return errno_error(ENOTDIR, "creating directory for", uri);
    }
    auto slash = dir.rfind('/');
    if (slash != std::string::npos && slash > 0)
        OG_CHECK(make_dirs(dir.substr(0, slash), uri));
    if (::mkdir(dir.c_str(), 0755) != 0) {
        if (errno == EEXIST)
            return ok();
        return errno_error(errno, "creating directory for", uri);
    }
    // Durability: a new directory exists only once its parent's entry is on disk.
    std::string parent = slash != std::string::npos && slash > 0 ? dir.substr(0, slash) : "/";
    int pfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd >= 0) {
        int rc = ::fsync(pfd);
        ::close(pfd);
        if (rc != 0)
            return errno_error(errno, "syncing the directory of", uri);
    }
    return ok();
}

// An exclusive flock(2) on one of 256 stripe files, held for the object's lifetime.
class StripeLock {
  public:
    static Result<StripeLock> acquire(const std::string& root, std::string_view key,
                                      const std::string& uri) {
        std::string dir = root + "/" + std::string(kLockDir);
        OG_CHECK(make_dirs(dir, uri));
        std::string stripe = base::sha256_hex(key).substr(0, 2);
        std::string path = dir + "/" + stripe;
        int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return errno_error(errno, "opening lock for", uri);
        while (::flock(fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                int err = errno;
                ::close(fd);
                return errno_error(err, "locking", uri);
            }
        }
        return StripeLock(fd);
    }
    StripeLock(StripeLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    StripeLock& operator=(StripeLock&&) = delete;
    ~StripeLock() {
        if (fd_ >= 0)
            ::close(fd_); // closing releases the flock
    }

  private:
    explicit StripeLock(int fd) : fd_(fd) {}
    int fd_;
};

struct DirEntry {
    std::string name;
    bool is_dir = false;
    uint64_t size = 0;
    std::string sort_key; // name, plus '/' for directories, so siblings sort as full keys do
};

// Entries of `dir` sorted in key order; reserved names skipped. A missing dir is empty.
Result<std::vector<DirEntry>> sorted_entries(const std::string& dir, const std::string& uri) {
    std::vector<DirEntry> entries;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) {
        if (errno == ENOENT || errno == ENOTDIR)
            return entries;
        return errno_error(errno, "listing", uri);
    }
    // NOLINTNEXTLINE(concurrency-mt-unsafe): safe on a stream no other thread uses (this one)
    while (dirent* e = ::readdir(d)) {
        std::string_view name = e->d_name;
        if (name == "." || name == ".." || name.starts_with(kReservedPrefix))
            continue;
        struct stat st {};
        std::string path = dir + "/" + std::string(name);
        if (::stat(path.c_str(), &st) != 0)
            continue; // removed while we listed
        DirEntry entry;
        entry.name = std::string(name);
        entry.is_dir = S_ISDIR(st.st_mode);
        if (!entry.is_dir && !S_ISREG(st.st_mode))
            continue;
        entry.size = static_cast<uint64_t>(st.st_size);
        entry.sort_key = entry.is_dir ? entry.name + "/" : entry.name;
        entries.push_back(std::move(entry));
    }
    ::closedir(d);
    std::sort(entries.begin(), entries.end(),
              [](const DirEntry& a, const DirEntry& b) { return a.sort_key < b.sort_key; });
    return entries;
}

// Depth-first walk in key order that skips subtrees outside the prefix or before `after`, and
// stops once `out` holds `want` keys.
Status walk(const std::string& root, const std::string& rel, const std::string& prefix,
            const std::string& after, size_t want, std::vector<ObjectMeta>& out,
            const std::string& uri) {
    std::string dir = rel.empty() ? root : root + "/" + rel;
    auto entries = OG_TRY(sorted_entries(dir, uri));
    for (const auto& e : entries) {
        if (out.size() >= want)
            return ok();
        std::string key = rel.empty() ? e.name : rel + "/" + e.name;
        if (e.is_dir) {
            std::string sub = key + "/";
            bool overlaps_prefix = sub.starts_with(prefix) || prefix.starts_with(sub);
            bool entirely_before = !after.empty() && sub < after && !after.starts_with(sub);
            if (overlaps_prefix && !entirely_before)
                OG_CHECK(walk(root, key, prefix, after, want, out, uri));
            continue;
        }
        if (!key.starts_with(prefix) || (!after.empty() && key <= after))
            continue;
        out.push_back(ObjectMeta{key, e.size, {}});
    }
    return ok();
}

} // namespace

Result<std::unique_ptr<LocalStore>> LocalStore::open(const base::StorageUri& uri) {
    if (uri.is_s3())
        return Error(codes::kInvalidArgument, "LocalStore cannot open " + uri.to_string());
    return std::unique_ptr<LocalStore>(new LocalStore(uri));
}

std::string LocalStore::path_of(std::string_view key) const {
    return root_.path + "/" + std::string(key);
}

Result<GetResult> LocalStore::do_get(std::string_view key, std::optional<ByteRange> range) {
    std::string uri = uri_of(key);
    Fd fd(::open(path_of(key).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        // ENOTDIR: a parent is an object ("a" exists, "a/b" asked), so "a/b" does not exist.
        if (errno == ENOTDIR)
            return Error(codes::kNotFound, "object not found: " + uri);
        return errno_error(errno, "opening", uri);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return errno_error(errno, "reading", uri);
    if (!S_ISREG(st.st_mode))
        return Error(codes::kNotFound, "object not found: " + uri);
    GetResult result;
    result.meta.key = std::string(key);
    result.meta.size = static_cast<uint64_t>(st.st_size);
    if (range) {
        uint64_t size = result.meta.size;
        uint64_t offset = std::min(range->offset, size);
        uint64_t length = std::min(range->length, size - offset);
        result.data = OG_TRY(read_range(fd.get(), offset, length, uri));
        return result;
    }
    result.data = OG_TRY(read_range(fd.get(), 0, result.meta.size, uri));
    result.meta.size = result.data.size();
    result.meta.version = base::sha256_hex(result.data);
    return result;
}

Result<std::optional<ObjectMeta>> LocalStore::do_head(std::string_view key) {
    std::string uri = uri_of(key);
    Fd fd(::open(path_of(key).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        if (errno == ENOENT || errno == ENOTDIR)
            return std::optional<ObjectMeta>();
        return errno_error(errno, "opening", uri);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return errno_error(errno, "reading", uri);
    if (!S_ISREG(st.st_mode))
        return std::optional<ObjectMeta>();
    ObjectMeta meta{std::string(key), static_cast<uint64_t>(st.st_size), {}};
    meta.version = OG_TRY(hash_file(fd.get(), meta.size, uri));
    return std::optional<ObjectMeta>(std::move(meta));
}

Result<std::string> LocalStore::write_temp(std::string_view key, std::string_view data) {
    std::string uri = uri_of(key);
    std::string target = path_of(key);
    std::string dir = target.substr(0, target.rfind('/'));
    // A concurrent remove may prune the directory between mkdir and open: retry a few times.
    for (int attempt = 0;; ++attempt) {
        auto made = make_dirs(dir, uri);
        if (!made) {
            // A concurrent remove may prune a parent between our stat and mkdir: try again.
            if (made.error().is(codes::kNotFound) && attempt < 8)
                continue;
            if (made.error().is(codes::kNotFound))
                return Error(codes::kStorageIo,
                             "cannot create the directory of " + uri + ": it keeps disappearing");
            return std::move(made).error();
        }
        std::string temp = dir + "/" + std::string(kTempPrefix) + base::new_ulid();
        Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (!fd.valid()) {
            if (errno == ENOENT && attempt < 8)
                continue;
            return errno_error(errno, "creating temp file for", uri);
        }
        Status written = write_all(fd.get(), data, uri);
        if (written && ::fsync(fd.get()) != 0)
            written = errno_error(errno, "syncing", uri);
        if (!written) {
            ::unlink(temp.c_str());
            return std::move(written).error();
        }
        return temp;
    }
}

Status LocalStore::sync_parent(const std::string& path) {
    std::string dir = path.substr(0, path.rfind('/'));
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() || ::fsync(fd.get()) != 0)
        return errno_error(errno, "syncing directory of", dir);
    return ok();
}

Result<ObjectMeta> LocalStore::do_put(std::string_view key, std::string_view data) {
    std::string uri = uri_of(key);
    std::string temp = OG_TRY(write_temp(key, data));
    auto lock = StripeLock::acquire(root_.path, key, uri);
    if (!lock) {
        ::unlink(temp.c_str());
        return std::move(lock).error();
    }
    std::string target = path_of(key);
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        int err = errno;
        ::unlink(temp.c_str());
        return errno_error(err, "replacing", uri);
    }
    OG_CHECK(sync_parent(target));
    return ObjectMeta{std::string(key), data.size(), base::sha256_hex(data)};
}

Result<ObjectMeta> LocalStore::do_put_if_absent(std::string_view key, std::string_view data) {
    std::string uri = uri_of(key);
    std::string temp = OG_TRY(write_temp(key, data));
    std::string target = path_of(key);
    // link(2) is the atomic create-only step: it fails with EEXIST if anything is at `target`.
    int rc = ::link(temp.c_str(), target.c_str());
    int err = errno;
    ::unlink(temp.c_str());
    if (rc != 0) {
        if (err == EEXIST)
            return Error(codes::kPreconditionFailed, "object already exists: " + uri);
        if (err == EPERM || err == ENOTSUP || err == EOPNOTSUPP)
            return Error(codes::kStorageConfiguration,
                         "cannot create " + uri +
                             ": the filesystem does not support hard links, which OmniGraph "
                             "needs for atomic create-only writes");
        return errno_error(err, "creating", uri);
    }
    OG_CHECK(sync_parent(target));
    return ObjectMeta{std::string(key), data.size(), base::sha256_hex(data)};
}

Result<ObjectMeta> LocalStore::do_put_if_match(std::string_view key, std::string_view data,
                                               std::string_view expected_version) {
    std::string uri = uri_of(key);
    std::string temp = OG_TRY(write_temp(key, data));
    auto finish = [&]() -> Result<ObjectMeta> {
        auto lock = OG_TRY(StripeLock::acquire(root_.path, key, uri));
        // Compare and replace under one lock: no other writer of this key can run in between.
        auto current = OG_TRY(head(key));
        if (!current)
            return Error(codes::kPreconditionFailed,
                         "precondition failed for " + uri + ": the object does not exist")
                .with_detail("expected", std::string(expected_version));
        if (current->version != expected_version)
            return Error(codes::kPreconditionFailed,
                         "precondition failed for " + uri + ": version changed")
                .with_detail("expected", std::string(expected_version))
                .with_detail("actual", current->version);
        std::string target = path_of(key);
        if (::rename(temp.c_str(), target.c_str()) != 0)
            return errno_error(errno, "replacing", uri);
        OG_CHECK(sync_parent(target));
        return ObjectMeta{std::string(key), data.size(), base::sha256_hex(data)};
    };
    auto result = finish();
    if (!result)
        ::unlink(temp.c_str());
    return result;
}

Result<ListPage> LocalStore::do_list(const ListOptions& options) {
    std::string after = std::max(options.start_after, options.continuation_token);
    ListPage page;
    OG_CHECK(walk(root_.path, "", options.prefix, after, options.limit + 1, page.objects,
                  root_.to_string()));
    if (page.objects.size() > options.limit) {
        page.objects.resize(options.limit);
        page.next_token = page.objects.back().key;
    }
    return page;
}

void LocalStore::prune_empty_dirs(std::string_view key) {
    std::string rel(key);
    while (true) {
        auto slash = rel.rfind('/');
        if (slash == std::string::npos)
            return;
        rel.resize(slash);
        // rmdir fails on a non-empty directory, so a concurrent writer's temp file keeps it.
        if (::rmdir((root_.path + "/" + rel).c_str()) != 0)
            return;
    }
}

Status LocalStore::do_remove(std::string_view key) {
    std::string uri = uri_of(key);
    std::string target = path_of(key);
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return ok(); // nothing there (or only a directory of other keys): already deleted
    auto lock = OG_TRY(StripeLock::acquire(root_.path, key, uri));
    if (::unlink(target.c_str()) != 0) {
        if (errno == ENOENT)
            return ok();
        return errno_error(errno, "deleting", uri);
    }
    OG_CHECK(sync_parent(target));
    prune_empty_dirs(key);
    return ok();
}

Status LocalStore::do_remove_if_match(std::string_view key, std::string_view expected_version) {
    std::string uri = uri_of(key);
    std::string target = path_of(key);
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return ok(); // as remove: nothing there, and no lock file created for it
    auto lock = OG_TRY(StripeLock::acquire(root_.path, key, uri));
    // Compare and delete under one lock, as put_if_match compares and replaces.
    auto current = OG_TRY(head(key));
    if (!current)
        return ok();
    if (current->version != expected_version)
        return Error(codes::kPreconditionFailed,
                     "precondition failed for " + uri + ": version changed")
            .with_detail("expected", std::string(expected_version))
            .with_detail("actual", current->version);
    if (::unlink(target.c_str()) != 0) {
        if (errno == ENOENT)
            return ok();
        return errno_error(errno, "deleting", uri);
    }
    OG_CHECK(sync_parent(target));
    prune_empty_dirs(key);
    return ok();
}

Result<uint64_t> LocalStore::do_remove_prefix(std::string_view prefix) {
    auto keys = OG_TRY(list_all(prefix));
    for (const auto& meta : keys)
        OG_CHECK(remove(meta.key));
    // A directory-shaped prefix ("graphs/x.omni/") goes whole, with the stripe lock files and
    // empty directories a store rooted there left behind; the empty prefix (remove_root) is the
    // root directory itself.
    if (prefix.empty() || prefix.ends_with('/')) {
        std::filesystem::path dir = std::filesystem::path(root_.path);
        if (!prefix.empty())
            dir /= prefix;
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        if (ec)
            return Error(codes::kStorageIo, "cannot remove " + dir.string() + ": " + ec.message());
    }
    return static_cast<uint64_t>(keys.size());
}

} // namespace omnigraph::store
