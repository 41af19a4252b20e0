// The one exception of the load-input parser (internal to engine/load_*.cpp): thrown deep in
// line, record and value parsing with the spec's message, caught per line in load_input.cpp and
// turned into an Error with code invalid_load_input and the line's location (and column). It never
// leaves the parser.
#pragma once

#include "base/error.h"

#include <optional>
#include <stdexcept>
#include <string>

namespace omnigraph::engine {

struct LoadError : std::runtime_error {
    explicit LoadError(const std::string& message, int column = 1)
        : std::runtime_error(message), column(column) {}
    // An error of another code raised while parsing (an external Blob reference refused or not
    // probed), kept whole; it gains the line's location.
    explicit LoadError(Error cause) : std::runtime_error(cause.message), cause(std::move(cause)) {}
    int column = 1; // the byte column on its line the error is at, when known (else 1)
    std::optional<Error> cause;
};

} // namespace omnigraph::engine
