// Environment knobs: the one place the process environment is read. Every variable the programs
// read is listed in docs/environment.md.
//
// One rule for every knob: a variable that is absent, or empty or blank after trimming, is
// unset and its default applies. A set value is trimmed; then
//   - env_flag: `1`, `true`, `yes`, `on` are true and `0`, `false`, `no`, `off` are false
//     (case-insensitive); anything else is an error the caller reports;
//   - env_uint: decimal digits only, within [min, max]; anything else is an error;
//   - env_string: the value as set (not trimmed: secrets and paths are taken verbatim).
// Errors are invalid_argument and name the variable, its value and what was expected. The *_or
// variants are for knobs documented as "ignored when invalid": they log the error as a warn
// event `config.ignored` (variable, value, reason) and return the fallback.
//
// Reads getenv(3) on every call (no caching); thread-safe as long as nothing calls setenv.
#pragma once

#include "base/error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace omnigraph::base {

// The value of `name`, or nullopt when it is unset (absent, empty or blank).
std::optional<std::string> env_string(std::string_view name);

Result<bool> env_flag(std::string_view name, bool fallback = false);
Result<uint64_t> env_uint(std::string_view name, uint64_t fallback, uint64_t min, uint64_t max);

bool env_flag_or(std::string_view name, bool fallback);
uint64_t env_uint_or(std::string_view name, uint64_t fallback, uint64_t min, uint64_t max);

} // namespace omnigraph::base
