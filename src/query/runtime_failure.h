// How the operators of a running read query report a failure: they throw RuntimeFailure, and
// execute_read turns it into an Error at the layer's boundary, so nothing thrown here leaves
// the query layer. Tables read lazily (LoadedTable) report storage errors the same way.
#pragma once

#include "base/error.h"

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omnigraph::query {

struct RuntimeFailure : std::runtime_error {
    RuntimeFailure(std::string_view c, const std::string& message)
        : std::runtime_error(message), code(c) {}
    explicit RuntimeFailure(Error e)
        : std::runtime_error(e.message), code(e.code), details(std::move(e.details)) {}
    std::string code;
    std::vector<std::pair<std::string, std::string>> details; // e.g. a resource limit's
    Error error() const {
        Error e(code, what());
        e.details = details;
        return e;
    }
};

template <class T> T unwrap(Result<T> r) {
    if (!r)
        throw RuntimeFailure(r.error().code, r.error().message);
    return std::move(*r);
}

} // namespace omnigraph::query
