// JsonWriter: streams canonical compact JSON (the bytes digests are taken over, see json.h)
// without building a document first. Used where the output is large or hashed (schema shape,
// IR); callers that need a document parse the text back with parse_json.
// Not thread-safe; one writer per document.
#pragma once

#include "base/digest.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::base {

class JsonWriter {
  public:
    JsonWriter() = default;
    // Streams into `digest` instead of keeping the text: memory stays small for big documents
    // whose bytes are only hashed. text()/take() then return only what is not yet flushed.
    explicit JsonWriter(Sha256* digest) : digest_(digest) {}
    // Hands any buffered bytes to the digest.
    void flush();

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name); // inside an object, before each value
    JsonWriter& string(std::string_view v);
    JsonWriter& integer(int64_t v);
    JsonWriter& unsigned_integer(uint64_t v);
    JsonWriter& real(double v); // format_shortest_float
    JsonWriter& boolean(bool v);
    JsonWriter& null();
    JsonWriter& raw(std::string_view canonical_json); // an already-canonical value

    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

  private:
    void separate(); // the comma before a value or key, when one is due
    void maybe_flush() {
        if (digest_ && out_.size() >= (64u << 10))
            flush();
    }
    Sha256* digest_ = nullptr;
    std::string out_;
    std::vector<char> first_; // per open container: nothing written yet (char: no bit packing)
    bool after_key_ = false;
};

// "sha256:<hex>" of the canonical JSON that `write(JsonWriter&)` produces, hashed while it is
// written (the text is never held whole): the digest format of schema shapes and IRs.
template <class WriteFn> std::string canonical_json_digest(WriteFn&& write) {
    Sha256 digest;
    JsonWriter w(&digest);
    write(w);
    w.flush();
    return "sha256:" + digest.finish_hex();
}

// Appends `s` as a JSON string literal with the canonical escapes.
void append_json_string(std::string_view s, std::string& out);

} // namespace omnigraph::base
