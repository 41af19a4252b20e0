// Error and Result: how every layer reports failure.
//
// Contract: an Error is a plain value (copyable, no ownership of anything external). `code` is
// the spec's snake_case code (see codes below and shared/spec/); `message` is the human text;
// `location` is set when the error points into a source file; `details` carries extra
// key/value facts in insertion order (rendered verbatim in --json output).
// Result<T> is std::expected<T, Error> marked [[nodiscard]]: ignoring one is a compile error in
// every preset (-Werror=unused-result). No exceptions cross a layer boundary. The one way to drop
// a Result on purpose is ignore_error(result, "why"), which logs an error it holds.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omnigraph {

// Codes shared by several layers. Layer-specific codes live with their layer.
namespace codes {
inline constexpr std::string_view kNotFound = "not_found";
inline constexpr std::string_view kPreconditionFailed = "precondition_failed";
inline constexpr std::string_view kInvalidArgument = "invalid_argument";
inline constexpr std::string_view kInvalidUri = "invalid_uri";
inline constexpr std::string_view kParseError = "parse_error";
inline constexpr std::string_view kInternal = "internal";
// Storage failures, classified as in spec engine-cli §5.1.
inline constexpr std::string_view kStorageUnavailable = "storage_unavailable"; // transient
inline constexpr std::string_view kStorageConfiguration = "storage_configuration";
inline constexpr std::string_view kStoragePermissionDenied = "storage_permission_denied";
inline constexpr std::string_view kStorageIo = "storage_io"; // permanent / unknown
} // namespace codes

struct SourceLocation {
    std::string file;
    int line = 0;   // 1-based
    int column = 0; // 1-based, in bytes

    std::string to_string() const; // "file:line:col"
};

struct Error {
    std::string code;
    std::string message;
    std::optional<SourceLocation> location;
    std::vector<std::pair<std::string, std::string>> details;

    Error() = default;
    Error(std::string_view code_, std::string message_)
        : code(code_), message(std::move(message_)) {}
    Error(std::string_view code_, std::string message_, SourceLocation where)
        : code(code_), message(std::move(message_)), location(std::move(where)) {}

    bool is(std::string_view c) const { return code == c; }
    Error& with_detail(std::string key, std::string value) {
        details.emplace_back(std::move(key), std::move(value));
        return *this;
    }
    // The value of detail `key`, or nullptr when the error has none.
    const std::string* detail(std::string_view key) const {
        for (const auto& [k, v] : details)
            if (k == key)
                return &v;
        return nullptr;
    }
    // Prefixes the message with context ("opening ledger: ..."), keeping code and location.
    Error& prepend(std::string_view context);

    // "file:line:col: error[code]: message" (location omitted when absent).
    std::string to_string() const;
};

template <class T> class [[nodiscard]] Result : public std::expected<T, Error> {
  public:
    using std::expected<T, Error>::expected;
    Result(Error e) : std::expected<T, Error>(std::unexpect, std::move(e)) {}
    Result(std::expected<T, Error> e) : std::expected<T, Error>(std::move(e)) {}
};

using Status = Result<void>;

inline Status ok() {
    return {};
}

// Logs a deliberately ignored error: a `warn` line `error.ignored` with `why`, the error's code
// and its message (base/log.h; visible at the default level, so a failing store shows up even
// where the code recovers from it). Called by ignore_error; defined in error.cpp.
void log_ignored_error(const Error& error, std::string_view why);

// Drops `result` on purpose: the caller does not need its value and survives its failure, for the
// reason `why` ("a leftover record is settled by the next writer"). An error in it is logged at
// warn level, never swallowed silently. The greppable replacement for `(void)result`; use it only
// when the failure really is harmless, and report it (an Error, a diagnostic) otherwise.
template <class T> void ignore_error(const Result<T>& result, std::string_view why) {
    if (!result)
        log_ignored_error(result.error(), why);
}

} // namespace omnigraph

// Propagation helpers (GNU statement expressions; g++ and clang both support them).
// OG_TRY(expr) evaluates a Result<T>, returns its Error from the enclosing function on failure,
// and otherwise yields the moved value. OG_CHECK does the same for Result<void>.
#define OG_TRY(expr)                                                                               \
    __extension__({                                                                                \
        auto og_try_result_ = (expr);                                                              \
        if (!og_try_result_)                                                                       \
            return std::move(og_try_result_).error();                                              \
        std::move(*og_try_result_);                                                                \
    })

#define OG_CHECK(expr)                                                                             \
    do {                                                                                           \
        auto og_check_result_ = (expr);                                                            \
        if (!og_check_result_)                                                                     \
            return std::move(og_check_result_).error();                                            \
    } while (0)
