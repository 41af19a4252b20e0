// The one exception of the load-input parser (internal to engine/load_*.cpp): thrown deep in
// line, record and value parsing with the spec's message, caught per line in load_input.cpp and
// turned into an Error with code invalid_load_input and the line's location. It never leaves
// the parser.
#pragma once

#include <stdexcept>

namespace omnigraph::engine {

struct LoadError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace omnigraph::engine
