#include "engine/load_source.h"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace omnigraph::engine {

namespace {

// Releases the whole pages of [begin, end) (memory the load owns and will not read again).
void release_pages(const char* begin, const char* end) {
    static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t at = reinterpret_cast<uintptr_t>(begin);
    uintptr_t from = (at + page - 1) & ~(page - 1);
    uintptr_t to = reinterpret_cast<uintptr_t>(end) & ~(page - 1);
    if (to > from) // the address `from` as a pointer into the range, not one made from an integer
        madvise(const_cast<char*>(begin) + (from - at), to - from, MADV_DONTNEED);
}

// Where a run of at most about `max_bytes` of `text` ends: after the last line break within
// `max_bytes`, else after the first one (a long line), else at the end. `whole`: `text` is all
// that is left of the input (else its end may be in the middle of a line).
size_t run_end(std::string_view text, size_t max_bytes, bool whole) {
    if (whole && text.size() <= max_bytes)
        return text.size();
    size_t cut = text.rfind('\n', std::min(max_bytes, text.size()) - 1);
    if (cut != std::string_view::npos)
        return cut + 1;
    cut = text.find('\n', max_bytes);
    return cut == std::string_view::npos ? text.size() : cut + 1;
}

class TextSource final : public LoadSource {
  public:
    explicit TextSource(std::string text) : text_(std::move(text)) {}
    Result<std::string_view> next(size_t max_bytes) override {
        release_pages(text_.data() + released_, text_.data() + at_);
        released_ = at_;
        std::string_view rest = std::string_view(text_).substr(at_);
        size_t n = run_end(rest, std::max<size_t>(max_bytes, 1), true);
        at_ += n;
        return rest.substr(0, n);
    }
    uint64_t total_bytes() const override { return text_.size(); }

  private:
    std::string text_;
    size_t at_ = 0, released_ = 0;
};

class FileSource final : public LoadSource {
  public:
    FileSource(std::string path, int fd, uint64_t size)
        : path_(std::move(path)), fd_(fd), size_(size) {}
    ~FileSource() override { ::close(fd_); }
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;

    Result<std::string_view> next(size_t max_bytes) override {
        max_bytes = std::max<size_t>(max_bytes, 1);
        buffer_.erase(0, handed_); // the previous run is done with
        handed_ = 0;
        // Read until the buffer holds max_bytes, or a line break past it, or the end.
        while (!eof_ && (buffer_.size() < max_bytes || buffer_.find('\n') == std::string::npos)) {
            size_t have = buffer_.size();
            size_t want = std::max<size_t>(max_bytes - std::min(have, max_bytes), 1 << 20);
            buffer_.resize_and_overwrite(have + want, [](char*, size_t n) { return n; });
            ssize_t n = ::read(fd_, buffer_.data() + have, want);
            if (n < 0 && errno == EINTR) {
                buffer_.resize(have);
                continue;
            }
            if (n < 0) {
                buffer_.resize(have);
                return Error("io_error", "cannot read '" + path_ +
                                             "': " + std::generic_category().message(errno));
            }
            buffer_.resize(have + size_t(n));
            eof_ = n == 0;
        }
        handed_ = buffer_.empty() ? 0 : run_end(buffer_, max_bytes, eof_);
        return std::string_view(buffer_).substr(0, handed_);
    }
    uint64_t total_bytes() const override { return size_; }

  private:
    std::string path_;
    int fd_;
    uint64_t size_;
    std::string buffer_;
    size_t handed_ = 0;
    bool eof_ = false;
};

} // namespace

std::unique_ptr<LoadSource> text_source(std::string text) {
    return std::make_unique<TextSource>(std::move(text));
}

Result<std::unique_ptr<LoadSource>> file_source(const std::string& path) {
    auto failed = [&](int err) {
        return Error("io_error",
                     "cannot read '" + path + "': " + std::generic_category().message(err));
    };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return failed(errno);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
        ::close(fd);
        return failed(err);
    }
    uint64_t size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
    return std::unique_ptr<LoadSource>(std::make_unique<FileSource>(path, fd, size));
}

} // namespace omnigraph::engine
