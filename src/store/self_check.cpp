#include "store/self_check.h"

#include "base/ulid.h"

#include <chrono>
#include <functional>

namespace omnigraph::store {

bool SelfCheckReport::passed() const {
    if (steps.empty())
        return false;
    for (const auto& s : steps)
        if (!s.passed)
            return false;
    return true;
}

SelfCheckReport run_self_check(ObjectStore& store) {
    SelfCheckReport report;
    report.root = store.root().to_string();
    report.scratch_prefix = "_selfcheck/" + base::new_ulid() + "/";
    const std::string p = report.scratch_prefix;
    const std::string payload = "omnigraph self-check 0123456789";
    std::string version;

    // Each step returns "" on success or what went wrong.
    auto step = [&](std::string name, const std::function<std::string()>& body) {
        if (!report.steps.empty() && !report.steps.back().passed)
            return;
        auto start = std::chrono::steady_clock::now();
        std::string problem = body();
        double ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        report.steps.push_back({std::move(name), problem.empty(), std::move(problem), ms});
    };
    auto describe = [](const Error& e) { return e.code + ": " + e.message; };

    step("put_if_absent creates a new object", [&]() -> std::string {
        auto r = store.put_if_absent(p + "object", payload);
        if (!r)
            return describe(r.error());
        version = r->version;
        return {};
    });
    step("put_if_absent refuses an existing key", [&]() -> std::string {
        auto r = store.put_if_absent(p + "object", "other");
        if (r)
            return "the second create-only write succeeded";
        return r.error().is(codes::kPreconditionFailed) ? "" : describe(r.error());
    });
    step("get returns the whole object", [&]() -> std::string {
        auto r = store.get(p + "object");
        if (!r)
            return describe(r.error());
        return r->data == payload ? "" : "read back different bytes";
    });
    step("ranged get returns exactly the bytes asked", [&]() -> std::string {
        auto r = store.get(p + "object", ByteRange{21, 5});
        if (!r)
            return describe(r.error());
        if (r->data != payload.substr(21, 5))
            return "got '" + r->data + "'";
        return r->meta.size == payload.size() ? "" : "wrong total size";
    });
    step("head reports size and version", [&]() -> std::string {
        auto r = store.head(p + "object");
        if (!r)
            return describe(r.error());
        if (!*r)
            return "object missing";
        if ((*r)->size != payload.size())
            return "wrong size";
        return (*r)->version == version ? "" : "version differs from the one put returned";
    });
    std::string current;
    step("put_if_match replaces with the current version", [&]() -> std::string {
        auto r = store.put_if_match(p + "object", payload + "!", version);
        if (!r)
            return describe(r.error());
        current = r->version;
        return {};
    });
    step("put_if_match refuses a stale version", [&]() -> std::string {
        auto r = store.put_if_match(p + "object", "lost update", version);
        if (r)
            return "a stale compare-and-swap succeeded";
        return r.error().is(codes::kPreconditionFailed) ? "" : describe(r.error());
    });
    // A server that ignores If-Match on DELETE deletes here: the cluster lock's release relies
    // on this refusal to never delete another holder's lock.
    step("remove_if_match refuses a stale version", [&]() -> std::string {
        auto r = store.remove_if_match(p + "object", version);
        if (r) {
            auto still = store.exists(p + "object");
            if (still && !*still)
                return "a delete with a stale version deleted the object (the server ignores "
                       "If-Match on DELETE)";
            return "a delete with a stale version succeeded";
        }
        return r.error().is(codes::kPreconditionFailed) ? "" : describe(r.error());
    });
    step("remove_if_match deletes the current version", [&]() -> std::string {
        if (auto r = store.remove_if_match(p + "object", current); !r)
            return describe(r.error());
        auto gone = store.exists(p + "object");
        if (!gone)
            return describe(gone.error());
        return *gone ? "the object is still there" : "";
    });
    step("list pages in key order", [&]() -> std::string {
        for (const char* k : {"list/b", "list/a", "list/c"})
            if (auto r = store.put(p + k, k); !r)
                return describe(r.error());
        ListOptions options;
        options.prefix = p + "list/";
        options.limit = 2;
        auto first = store.list(options);
        if (!first)
            return describe(first.error());
        if (first->objects.size() != 2 || first->objects[0].key != p + "list/a" ||
            first->objects[1].key != p + "list/b" || !first->next_token)
            return "first page is wrong";
        options.continuation_token = *first->next_token;
        auto second = store.list(options);
        if (!second)
            return describe(second.error());
        if (second->objects.size() != 1 || second->objects[0].key != p + "list/c" ||
            second->next_token)
            return "second page is wrong";
        return {};
    });
    step("remove_prefix deletes everything under the prefix", [&]() -> std::string {
        auto r = store.remove_prefix(p);
        if (!r)
            return describe(r.error());
        auto left = store.list_all(p);
        if (!left)
            return describe(left.error());
        return left->empty() ? "" : std::to_string(left->size()) + " objects left behind";
    });
    step("get of a missing object is not_found", [&]() -> std::string {
        auto r = store.get(p + "object");
        if (r)
            return "the deleted object is still readable";
        return r.error().is(codes::kNotFound) ? "" : describe(r.error());
    });
    if (!report.passed()) {
        // Best effort: a failed run should not leave its scratch objects behind either.
        ignore_error(store.remove_prefix(p),
                     "cleaning up after a failed self-check (the report names the failure)");
    }
    return report;
}

} // namespace omnigraph::store
