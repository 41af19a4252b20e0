#include "cli/source_file.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace omnigraph::cli {

Result<std::string> read_source_file(const std::string& path) {
    auto failed = [&](const std::string& what) {
        return Error("io_error", "cannot read '" + path + "': " + what);
    };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return failed(std::generic_category().message(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int err = S_ISDIR(st.st_mode) ? EISDIR : errno;
        ::close(fd);
        return failed(std::generic_category().message(err));
    }
    // One allocation of the file's size and large reads (data files reach hundreds of MB); keep
    // reading past that size in case the file grows or is not a regular file.
    std::string out;
    // resize_and_overwrite: no zero-filling of a buffer read() is about to fill anyway.
    auto grow = [&out](size_t size) {
        out.resize_and_overwrite(size, [](char*, size_t n) { return n; });
    };
    // One byte more than the file: the read that sees end-of-file must not grow the buffer
    // (a grown copy would briefly hold the file twice).
    grow(S_ISREG(st.st_mode) ? static_cast<size_t>(st.st_size) + 1 : 0);
    size_t have = 0;
    while (true) {
        if (have == out.size())
            grow(out.size() + (1 << 20));
        ssize_t n = ::read(fd, out.data() + have, out.size() - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return failed(std::generic_category().message(err));
        }
        if (n == 0)
            break;
        have += static_cast<size_t>(n);
    }
    ::close(fd);
    out.resize(have);
    return out;
}

} // namespace omnigraph::cli
