// Where the JSONL text of a load comes from, handed out in runs of whole lines so a load never
// holds its whole input (spec engine-cli §3; docs/architecture.md "Loading"). A run ends at a
// line break: about `max_bytes` of text, more only when one line is longer (a line of up to the
// 32 MiB line limit is legal, so it is handed out whole; a longer one is refused by the parser
// with its length).
#pragma once

#include "base/error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace omnigraph::engine {

class LoadSource {
  public:
    virtual ~LoadSource() = default;
    // The next run of whole lines (the last may lack its line break), empty at the end. It stays
    // valid until the next call.
    virtual Result<std::string_view> next(size_t max_bytes) = 0;
    // The input's size when known (progress), else 0.
    virtual uint64_t total_bytes() const = 0;
};

// Text already in memory (a request body): runs are views into it, and the pages of runs
// already handed out are returned to the system as the load advances.
std::unique_ptr<LoadSource> text_source(std::string text);

// A file read as the load goes (io_error "cannot read '<path>': <reason>").
Result<std::unique_ptr<LoadSource>> file_source(const std::string& path);

} // namespace omnigraph::engine
