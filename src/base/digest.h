// Cryptographic digests (OpenSSL underneath; nothing of OpenSSL leaks into this header).
// All functions are pure and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace omnigraph::base {

// Lower-case hex SHA-256 of `data`: the digest format of every spec artefact.
std::string sha256_hex(std::string_view data);
// Raw 32-byte SHA-256.
std::string sha256_bytes(std::string_view data);
// Raw 32-byte HMAC-SHA256 (SigV4 signing).
std::string hmac_sha256(std::string_view key, std::string_view data);
// Lower-case hex MD5 (S3 ETags of single-part uploads) and base64 MD5 (Content-MD5 header).
std::string md5_hex(std::string_view data);
std::string md5_base64(std::string_view data);

std::string to_hex(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
// Standard alphabet with '=' padding; false (and `out` unspecified) on any malformed input.
bool base64_decode(std::string_view text, std::string& out);

// Incremental SHA-256 for data that arrives in pieces (files, streams). Not thread-safe.
class Sha256 {
  public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(std::string_view data);
    std::string finish_hex(); // the object is spent afterwards

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// Constant-time equality (bearer-token digests): time depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

} // namespace omnigraph::base
