// Strict JSON for one line of a JSONL graph batch (spec query-language §4.1): parsed with
// simdjson, duplicate keys refused at any depth. Lines simdjson refuses go through nlohmann's
// parser, which gives the error message users have always seen, or reads what simdjson cannot
// (integers beyond 64 bits become doubles) and hands its rendering back to simdjson.
//
// Internal to the load-input parser. One JsonLineParser per thread; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace simdjson::dom {
class element;
} // namespace simdjson::dom

namespace omnigraph::engine {

class JsonLineParser {
  public:
    JsonLineParser();
    ~JsonLineParser();
    JsonLineParser(const JsonLineParser&) = delete;
    JsonLineParser& operator=(const JsonLineParser&) = delete;

    // The document of `line` (input line `number`, for messages). Throws LoadError. The element
    // lives until the next call.
    simdjson::dom::element parse(std::string_view line, uint64_t number);

  private:
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace omnigraph::engine
