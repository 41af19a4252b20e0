// The ObjectStore contract (store/object_store.h), run against both backends.
#include "store_fixture.h"

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

namespace omnigraph::testing {
namespace {

using store::ByteRange;
using store::ListOptions;

class Conformance : public StoreTest {};

TEST_P(Conformance, PutGetRoundTripWithVersion) {
    auto put = store_->put("a/b/c.json", "{\"v\":1}");
    ASSERT_TRUE(put) << put.error().message;
    EXPECT_FALSE(put->version.empty());
    auto got = store_->get("a/b/c.json");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->data, "{\"v\":1}");
    EXPECT_EQ(got->meta.size, 7u);
    EXPECT_EQ(got->meta.version, put->version);

    auto replaced = store_->put("a/b/c.json", "{\"v\":2}");
    ASSERT_TRUE(replaced);
    EXPECT_NE(replaced->version, put->version);
    EXPECT_EQ(*store_->read("a/b/c.json"), "{\"v\":2}");
}

TEST_P(Conformance, BinaryAndEmptyObjects) {
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes.push_back(static_cast<char>(i));
    bytes += bytes;
    ASSERT_TRUE(store_->put("bin", bytes));
    EXPECT_EQ(*store_->read("bin"), bytes);
    ASSERT_TRUE(store_->put("empty", ""));
    auto empty = store_->get("empty");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->data, "");
    EXPECT_EQ(empty->meta.size, 0u);
}

TEST_P(Conformance, MissingObjectIsNotFoundWithUri) {
    auto got = store_->get("nope/x");
    ASSERT_FALSE(got);
    EXPECT_TRUE(got.error().is(codes::kNotFound)) << got.error().message;
    EXPECT_NE(got.error().message.find(store_->uri_of("nope/x")), std::string::npos);
    auto head = store_->head("nope/x");
    ASSERT_TRUE(head);
    EXPECT_FALSE(head->has_value());
    EXPECT_FALSE(*store_->exists("nope/x"));
    auto maybe = store_->read_if_exists("nope/x");
    ASSERT_TRUE(maybe);
    EXPECT_FALSE(maybe->has_value());
}

TEST_P(Conformance, HeadMatchesPut) {
    auto put = store_->put("h", "hello");
    ASSERT_TRUE(put);
    auto head = store_->head("h");
    ASSERT_TRUE(head && *head);
    EXPECT_EQ((*head)->size, 5u);
    EXPECT_EQ((*head)->version, put->version);
}

TEST_P(Conformance, RangedReadReturnsExactlyTheBytesAsked) {
    std::string data;
    for (int i = 0; i < 10000; ++i)
        data += static_cast<char>('a' + i % 26);
    ASSERT_TRUE(store_->put("seg", data));
    for (auto [offset, length] : std::vector<std::pair<uint64_t, uint64_t>>{
             {0, 1}, {0, 10000}, {1, 9998}, {4096, 4096}, {9999, 1}, {123, 0}}) {
        auto got = store_->get("seg", ByteRange{offset, length});
        ASSERT_TRUE(got) << got.error().message;
        EXPECT_EQ(got->data.size(), length) << offset << "+" << length;
        EXPECT_TRUE(got->data == data.substr(offset, length)) << offset << "+" << length;
        EXPECT_EQ(got->meta.size, 10000u);
    }
    auto tail = store_->get("seg", ByteRange{9990, 100}); // past the end: truncated
    ASSERT_TRUE(tail);
    EXPECT_EQ(tail->data, data.substr(9990));
    auto huge = store_->get("seg", ByteRange{2, UINT64_MAX}); // length must not wrap around
    ASSERT_TRUE(huge) << huge.error().message;
    EXPECT_EQ(huge->data.size(), 9998u);
    EXPECT_TRUE(huge->data == data.substr(2));
    auto beyond = store_->get("seg", ByteRange{20000, 10}); // starts past the end: empty
    ASSERT_TRUE(beyond) << beyond.error().message;
    EXPECT_EQ(beyond->data, "");
    auto missing = store_->get("nope", ByteRange{0, 10});
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(codes::kNotFound));
}

TEST_P(Conformance, PutIfAbsentCreatesOnlyOnce) {
    auto first = store_->put_if_absent("_log/main/0001.json", "one");
    ASSERT_TRUE(first) << first.error().message;
    auto second = store_->put_if_absent("_log/main/0001.json", "two");
    ASSERT_FALSE(second);
    EXPECT_TRUE(second.error().is(codes::kPreconditionFailed)) << second.error().message;
    EXPECT_NE(second.error().message.find(store_->uri_of("_log/main/0001.json")),
              std::string::npos);
    EXPECT_EQ(*store_->read("_log/main/0001.json"), "one");
}

TEST_P(Conformance, PutIfMatchComparesVersions) {
    auto v1 = store_->put("state.json", "1");
    ASSERT_TRUE(v1);
    auto v2 = store_->put_if_match("state.json", "2", v1->version);
    ASSERT_TRUE(v2) << v2.error().message;
    auto stale = store_->put_if_match("state.json", "3", v1->version);
    ASSERT_FALSE(stale);
    EXPECT_TRUE(stale.error().is(codes::kPreconditionFailed));
    EXPECT_EQ(*store_->read("state.json"), "2");
    auto absent = store_->put_if_match("other.json", "x", v1->version);
    ASSERT_FALSE(absent);
    EXPECT_TRUE(absent.error().is(codes::kPreconditionFailed));
    EXPECT_FALSE(*store_->exists("other.json"));
    // The version returned by put_if_match is the one to use next.
    EXPECT_TRUE(store_->put_if_match("state.json", "4", v2->version));
}

TEST_P(Conformance, RemoveIfMatchDeletesOnlyTheMatchingVersion) {
    auto v1 = store_->put("lock.json", "holder 1");
    ASSERT_TRUE(v1);
    auto v2 = store_->put("lock.json", "holder 2");
    ASSERT_TRUE(v2);
    // A stale version leaves the object in place.
    auto stale = store_->remove_if_match("lock.json", v1->version);
    ASSERT_FALSE(stale);
    EXPECT_TRUE(stale.error().is(codes::kPreconditionFailed)) << stale.error().message;
    EXPECT_NE(stale.error().message.find(store_->uri_of("lock.json")), std::string::npos);
    EXPECT_EQ(*store_->read("lock.json"), "holder 2");
    // The current version deletes it.
    auto removed = store_->remove_if_match("lock.json", v2->version);
    ASSERT_TRUE(removed) << removed.error().message;
    EXPECT_FALSE(*store_->exists("lock.json"));
    // Absent: nothing of that version is left, so it succeeds (as remove), also in a directory
    // that never existed.
    EXPECT_TRUE(store_->remove_if_match("lock.json", v2->version));
    EXPECT_TRUE(store_->remove_if_match("never/was", v2->version));
    // The version from head works as well as the one from put.
    ASSERT_TRUE(store_->put("d/x", "1"));
    auto meta = store_->head("d/x");
    ASSERT_TRUE(meta && *meta);
    EXPECT_TRUE(store_->remove_if_match("d/x", (*meta)->version));
    EXPECT_TRUE(store_->list_all("d/")->empty());
    // Refused before the backend sees them.
    auto empty = store_->remove_if_match("k", "");
    ASSERT_FALSE(empty);
    EXPECT_TRUE(empty.error().is(codes::kInvalidArgument));
    auto bad = store_->remove_if_match("a//b", v1->version);
    ASSERT_FALSE(bad);
    EXPECT_TRUE(bad.error().is(codes::kInvalidArgument));
}

TEST_P(Conformance, ThreadsRacingRemoveIfMatchAgainstASwapNeverLoseTheNewVersion) {
    // Each round: one thread swaps the object, another deletes the old version. Either the delete
    // ran first (then the swap meets an absent object) or the swap did (then the delete must
    // refuse): the swapped-in bytes are never deleted.
    for (int round = 0; round < 8; ++round) {
        std::string key = "race/" + std::to_string(round);
        auto v1 = store_->put(key, "old " + std::to_string(round));
        ASSERT_TRUE(v1);
        Result<store::ObjectMeta> swapped = Error(codes::kInternal, "not run");
        Status removed = Error(codes::kInternal, "not run");
        std::thread swapper([&] {
            swapped = store_->put_if_match(key, "new " + std::to_string(round), v1->version);
        });
        std::thread remover([&] { removed = store_->remove_if_match(key, v1->version); });
        swapper.join();
        remover.join();
        auto now = store_->read_if_exists(key);
        ASSERT_TRUE(now);
        if (swapped) {
            EXPECT_FALSE(removed) << "deleted the swapped-in version";
            EXPECT_EQ(now->value_or("<absent>"), "new " + std::to_string(round));
        } else {
            EXPECT_TRUE(removed) << removed.error().message;
            EXPECT_FALSE(now->has_value());
        }
    }
}

TEST_P(Conformance, ListIsLexicographicAcrossSeparators) {
    // '-' (0x2D) < '.' (0x2E) < '/' (0x2F) < '0' (0x30): a directory walk must not reorder.
    for (const char* k : {"x/b0", "x/b/1", "x/b.txt", "x/b-1", "x/a", "x2/z", "w"})
        ASSERT_TRUE(store_->put(k, k));
    auto all = store_->list_all("x/");
    ASSERT_TRUE(all);
    std::vector<std::string> keys;
    for (auto& m : *all)
        keys.push_back(m.key);
    EXPECT_EQ(keys, (std::vector<std::string>{"x/a", "x/b-1", "x/b.txt", "x/b/1", "x/b0"}));
    EXPECT_EQ((*all)[1].size, 5u);

    ListOptions after;
    after.prefix = "x";
    after.start_after = "x/b.txt";
    auto page = store_->list(after);
    ASSERT_TRUE(page);
    keys.clear();
    for (auto& m : page->objects)
        keys.push_back(m.key);
    EXPECT_EQ(keys, (std::vector<std::string>{"x/b/1", "x/b0", "x2/z"}));

    auto everything = store_->list_all("");
    ASSERT_TRUE(everything);
    EXPECT_EQ(everything->size(), 7u);
    EXPECT_EQ(everything->front().key, "w");
}

TEST_P(Conformance, ListPagesOver2500Keys) {
    constexpr int kKeys = 2500;
    std::vector<std::thread> writers;
    std::atomic<int> failures{0};
    for (int t = 0; t < 8; ++t)
        writers.emplace_back([&, t] {
            for (int i = t; i < kKeys; i += 8) {
                char key[32];
                std::snprintf(key, sizeof key, "many/%05d", i);
                if (!store_->put(key, std::to_string(i)))
                    ++failures;
            }
        });
    for (auto& w : writers)
        w.join();
    ASSERT_EQ(failures.load(), 0);
    ASSERT_TRUE(store_->put("many0", "outside the prefix"));

    ListOptions options;
    options.prefix = "many/";
    options.limit = 1000;
    std::vector<std::string> keys;
    std::vector<size_t> page_sizes;
    while (true) {
        auto page = store_->list(options);
        ASSERT_TRUE(page) << page.error().message;
        page_sizes.push_back(page->objects.size());
        for (auto& m : page->objects)
            keys.push_back(m.key);
        if (!page->next_token)
            break;
        options.continuation_token = *page->next_token;
    }
    EXPECT_EQ(page_sizes, (std::vector<size_t>{1000, 1000, 500}));
    ASSERT_EQ(keys.size(), size_t(kKeys));
    for (int i = 0; i < kKeys; ++i) {
        char key[32];
        std::snprintf(key, sizeof key, "many/%05d", i);
        ASSERT_EQ(keys[i], key);
    }

    auto removed = store_->remove_prefix("many/");
    ASSERT_TRUE(removed) << removed.error().message;
    EXPECT_EQ(*removed, uint64_t(kKeys));
    EXPECT_TRUE(store_->list_all("many/")->empty());
    EXPECT_TRUE(*store_->exists("many0"));
}

TEST_P(Conformance, RemoveIsIdempotent) {
    ASSERT_TRUE(store_->put("d/x", "1"));
    EXPECT_TRUE(store_->remove("d/x"));
    EXPECT_TRUE(store_->remove("d/x"));
    EXPECT_TRUE(store_->remove("never/was"));
    auto got = store_->get("d/x");
    ASSERT_FALSE(got);
    EXPECT_TRUE(got.error().is(codes::kNotFound));
    EXPECT_TRUE(store_->list_all("d/")->empty());
}

TEST_P(Conformance, RemovePrefixIsAStringPrefix) {
    for (const char* k : {"g/a.omni/1", "g/a.omni/2/3", "g/a.omni2/x", "g/b"})
        ASSERT_TRUE(store_->put(k, "x"));
    EXPECT_EQ(*store_->remove_prefix("g/a.omni/"), 2u);
    auto left = store_->list_all("g/");
    ASSERT_TRUE(left);
    ASSERT_EQ(left->size(), 2u);
    EXPECT_EQ((*left)[0].key, "g/a.omni2/x");
    EXPECT_EQ(*store_->remove_prefix("nothing/"), 0u);
    auto everything = store_->remove_prefix("");
    ASSERT_FALSE(everything);
    EXPECT_TRUE(everything.error().is(codes::kInvalidArgument));
    EXPECT_EQ(store_->list_all("")->size(), 2u);
}

TEST_P(Conformance, RemoveRootWipesTheWholeRoot) {
    for (const char* k : {"a", "b/c", "b/d/e"})
        ASSERT_TRUE(store_->put(k, "x"));
    ASSERT_TRUE(store_->remove("b/c")); // leaves the local backend's lock files behind
    auto removed = store_->remove_root();
    ASSERT_TRUE(removed) << removed.error().message;
    EXPECT_EQ(*removed, 2u);
    EXPECT_TRUE(store_->list_all("")->empty());
    if (GetParam() == Backend::kLocal)
        EXPECT_FALSE(std::filesystem::exists(uri_)) << "the directory and its lock files go too";
    EXPECT_EQ(*store_->remove_root(), 0u) << "idempotent";
    EXPECT_TRUE(store_->put("a", "again")) << "the root takes writes again";
}

TEST_P(Conformance, InvalidKeysAreRefused) {
    for (const char* bad : {"", "/abs", "a//b", "a/./b", "a/../b", ".og-lock", "a/.og-tmp-1"}) {
        auto r = store_->put(bad, "x");
        ASSERT_FALSE(r) << bad;
        EXPECT_TRUE(r.error().is(codes::kInvalidArgument)) << bad;
    }
}

TEST_P(Conformance, ThreadsRacingPutIfAbsentHaveOneWinner) {
    std::atomic<int> winners{0}, losers{0}, errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t)
        threads.emplace_back([&, t] {
            auto r = store_->put_if_absent("race/claim", "thread " + std::to_string(t));
            if (r)
                ++winners;
            else if (r.error().is(codes::kPreconditionFailed))
                ++losers;
            else
                ++errors;
        });
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(losers.load(), 15);
    EXPECT_EQ(errors.load(), 0);
}

TEST_P(Conformance, UnicodeAndSpacesInKeys) {
    const std::string key = "names/Ada Lovelace ü+%&=.json";
    ASSERT_TRUE(store_->put(key, "x")) << store_->put(key, "x").error().message;
    EXPECT_EQ(*store_->read(key), "x");
    auto listed = store_->list_all("names/");
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].key, key);
}

INSTANTIATE_TEST_SUITE_P(Backends, Conformance, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
