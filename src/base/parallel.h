// Running independent pieces of one task on the machine's cores: reading and decoding the
// segments of a column, where one thread leaves the other cores idle while a cold scan waits
// on decompression.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace omnigraph::base {

// Calls work(i) for every i in [0, n), each once, on up to `threads` threads (the caller's
// among them; 0: the hardware's concurrency, at most 8), in no particular order. When calls throw,
// the rest still stop cleanly and the first exception is rethrown in the caller.
template <class Work> void parallel_for(size_t n, Work&& work, size_t threads = 0) {
    if (threads == 0)
        threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
    threads = std::min(threads, n);
    if (threads <= 1) {
        for (size_t i = 0; i < n; ++i)
            work(i);
        return;
    }
    std::atomic<size_t> next{0};
    std::exception_ptr failure;
    std::mutex failure_mu;
    auto run = [&] {
        for (size_t i; (i = next.fetch_add(1)) < n;) {
            try {
                work(i);
            } catch (...) {
                std::lock_guard lock(failure_mu);
                if (!failure)
                    failure = std::current_exception();
                next.store(n); // no new pieces start
            }
        }
    };
    std::vector<std::thread> helpers;
    helpers.reserve(threads - 1);
    for (size_t t = 1; t < threads; ++t) {
        try {
            helpers.emplace_back(run);
        } catch (const std::system_error&) { // no thread to be had: fewer do the work
            break;
        }
    }
    run();
    for (auto& h : helpers)
        h.join();
    if (failure)
        std::rethrow_exception(failure);
}

} // namespace omnigraph::base
