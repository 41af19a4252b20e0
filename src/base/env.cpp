// Typed readers of environment variables, with one truthiness rule.
#include "base/env.h"

#include "base/log.h"
#include "base/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace omnigraph::base {

namespace {

// The raw value (nullopt when absent), not trimmed.
std::optional<std::string> raw(std::string_view name) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the one place the environment is read; nothing sets it
    const char* v = std::getenv(std::string(name).c_str());
    if (!v)
        return std::nullopt;
    return std::string(v);
}

Error invalid(std::string_view name, std::string_view value, std::string_view expected) {
    return Error(codes::kInvalidArgument, "environment variable " + std::string(name) +
                                              " must be " + std::string(expected) + ", got '" +
                                              std::string(value) + "'");
}

void warn_ignored(std::string_view name, const Error& e) {
    std::string value = raw(name).value_or("");
    log(LogLevel::kWarn, "config.ignored",
        {{"variable", name}, {"value", value}, {"reason", e.message}});
}

} // namespace

std::optional<std::string> env_string(std::string_view name) {
    auto v = raw(name);
    if (!v || trim(*v).empty())
        return std::nullopt;
    return v;
}

Result<bool> env_flag(std::string_view name, bool fallback) {
    auto v = env_string(name);
    if (!v)
        return fallback;
    std::string s = trim(*v);
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (s == "1" || s == "true" || s == "yes" || s == "on")
        return true;
    if (s == "0" || s == "false" || s == "no" || s == "off")
        return false;
    return invalid(name, *v, "one of 1, true, yes, on, 0, false, no, off");
}

Result<uint64_t> env_uint(std::string_view name, uint64_t fallback, uint64_t min, uint64_t max) {
    auto v = env_string(name);
    if (!v)
        return fallback;
    std::string s = trim(*v);
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || n < min || n > max)
        return invalid(name, *v,
                       "an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return n;
}

bool env_flag_or(std::string_view name, bool fallback) {
    auto v = env_flag(name, fallback);
    if (!v) {
        warn_ignored(name, v.error());
        return fallback;
    }
    return *v;
}

uint64_t env_uint_or(std::string_view name, uint64_t fallback, uint64_t min, uint64_t max) {
    auto v = env_uint(name, fallback, min, max);
    if (!v) {
        warn_ignored(name, v.error());
        return fallback;
    }
    return *v;
}

} // namespace omnigraph::base
