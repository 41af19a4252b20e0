// An ostream buffer over a chunked HTTP response, for the routes that stream (export, the change
// baseline): rows are written as the client reads them, never all held at once.
#pragma once

#include <array>
#include <httplib.h>
#include <streambuf>

namespace omnigraph::server {

// An ostream buffer that hands 64 KiB chunks to a chunked HTTP response; a write the client
// no longer reads fails the stream.
class SinkStreamBuf : public std::streambuf {
  public:
    explicit SinkStreamBuf(httplib::DataSink& sink) : sink_(sink) {
        setp(buffer_.data(), buffer_.data() + buffer_.size());
    }

  protected:
    int overflow(int ch) override {
        if (!drain())
            return traits_type::eof();
        if (ch != traits_type::eof()) {
            *pptr() = static_cast<char>(ch);
            pbump(1);
        }
        return ch == traits_type::eof() ? 0 : ch;
    }
    int sync() override { return drain() ? 0 : -1; }

  private:
    bool drain() {
        size_t n = static_cast<size_t>(pptr() - pbase());
        setp(buffer_.data(), buffer_.data() + buffer_.size());
        return n == 0 || sink_.write(buffer_.data(), n);
    }
    httplib::DataSink& sink_;
    std::array<char, size_t{64} * 1024> buffer_;
};

} // namespace omnigraph::server
