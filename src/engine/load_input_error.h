// The one exception of the load-input parser (internal to engine/load_*.cpp): thrown deep in
// line, record and value parsing with the spec's message, caught per line in load_input.cpp and
// turned into an Error with code invalid_load_input and the line's location (and column). It never
// leaves the parser.
#pragma once

#include <stdexcept>
#include <string>

namespace omnigraph::engine {

struct LoadError : std::runtime_error {
    explicit LoadError(const std::string& message, int column = 1)
        : std::runtime_error(message), column(column) {}
    int column; // the byte column on its line the error is at, when known (else 1)
};

} // namespace omnigraph::engine
