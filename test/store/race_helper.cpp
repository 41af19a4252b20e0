// A child process for the cross-process race tests. Waits until a shared start time, then:
//   claim URI KEY NAME START_MS      put_if_absent(KEY, NAME); exit 0 won, 3 lost, 1 error
//   increment URI KEY N START_MS     N successful compare-and-swap increments of a counter
// The S3 backend is configured from the AWS_* environment, as in production.
#include "base/uri.h"
#include "store/object_store.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

using namespace omnigraph;

namespace {

void wait_until(long long start_ms) {
    auto target = std::chrono::system_clock::time_point(std::chrono::milliseconds(start_ms));
    std::this_thread::sleep_until(target);
}

int fail(const Error& e) {
    std::fprintf(stderr, "%s\n", e.to_string().c_str());
    return 1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr, "usage: race_helper claim|increment URI KEY ARG START_MS\n");
        return 2;
    }
    std::string op = argv[1], key = argv[3], arg = argv[4];
    auto uri = base::parse_storage_uri(argv[2]);
    if (!uri)
        return fail(uri.error());
    auto store = store::open_store(*uri);
    if (!store)
        return fail(store.error());
    wait_until(std::atoll(argv[5]));

    if (op == "claim") {
        auto r = (*store)->put_if_absent(key, arg);
        if (r)
            return 0;
        return r.error().is(codes::kPreconditionFailed) ? 3 : fail(r.error());
    }
    if (op == "increment") {
        int wanted = std::atoi(arg.c_str());
        for (int done = 0; done < wanted;) {
            auto current = (*store)->get(key);
            if (!current)
                return fail(current.error());
            long long value = std::atoll(current->data.c_str());
            auto r = (*store)->put_if_match(key, std::to_string(value + 1), current->meta.version);
            if (r) {
                ++done;
            } else if (!r.error().is(codes::kPreconditionFailed)) {
                return fail(r.error());
            }
        }
        return 0;
    }
    std::fprintf(stderr, "unknown op %s\n", op.c_str());
    return 2;
}
