#include "store/object_store.h"

#include "store/local_store.h"
#include "store/s3_store.h"

namespace omnigraph::store {

Status validate_key(std::string_view key) {
    auto bad = [&](std::string_view why) {
        return Error(codes::kInvalidArgument,
                     "invalid object key '" + std::string(key) + "': " + std::string(why));
    };
    if (key.empty())
        return bad("empty");
    if (key.size() > 1024)
        return bad("longer than 1024 bytes");
    if (key.front() == '/')
        return bad("must not start with '/'");
    size_t start = 0;
    while (start <= key.size()) {
        size_t end = key.find('/', start);
        if (end == std::string_view::npos)
            end = key.size();
        std::string_view seg = key.substr(start, end - start);
        if (seg.empty())
            return bad("empty path segment");
        if (seg == "." || seg == "..")
            return bad("'.' and '..' segments are not allowed");
        if (seg.starts_with(".og-"))
            return bad("segments starting with '.og-' are reserved");
        start = end + 1;
    }
    for (char c : key)
        if (c == '\0' || c == '\n' || c == '\r')
            return bad("control characters are not allowed");
    return ok();
}

Result<GetResult> ObjectStore::get(std::string_view key, std::optional<ByteRange> range) {
    OG_CHECK(validate_key(key));
    return do_get(key, range);
}

Result<std::optional<ObjectMeta>> ObjectStore::head(std::string_view key) {
    OG_CHECK(validate_key(key));
    return do_head(key);
}

Result<ObjectMeta> ObjectStore::put(std::string_view key, std::string_view data) {
    OG_CHECK(validate_key(key));
    return do_put(key, data);
}

Result<ObjectMeta> ObjectStore::put_if_absent(std::string_view key, std::string_view data) {
    OG_CHECK(validate_key(key));
    return do_put_if_absent(key, data);
}

Result<ObjectMeta> ObjectStore::put_if_match(std::string_view key, std::string_view data,
                                             std::string_view expected_version) {
    OG_CHECK(validate_key(key));
    return do_put_if_match(key, data, expected_version);
}

Result<ListPage> ObjectStore::list(const ListOptions& options) {
    if (options.limit == 0 || options.limit > 1000)
        return Error(codes::kInvalidArgument, "list limit must be between 1 and 1000");
    return do_list(options);
}

Status ObjectStore::remove(std::string_view key) {
    OG_CHECK(validate_key(key));
    return do_remove(key);
}

Status ObjectStore::remove_if_match(std::string_view key, std::string_view expected_version) {
    OG_CHECK(validate_key(key));
    if (expected_version.empty())
        return Error(codes::kInvalidArgument,
                     "remove_if_match on " + uri_of(key) + " needs a version token");
    return do_remove_if_match(key, expected_version);
}

Result<uint64_t> ObjectStore::remove_prefix(std::string_view prefix) {
    if (prefix.empty())
        return Error(codes::kInvalidArgument, "refusing to delete every object under " +
                                                  root().to_string() +
                                                  ": remove_prefix needs a non-empty prefix");
    return do_remove_prefix(prefix);
}

Result<uint64_t> ObjectStore::remove_root() {
    return do_remove_prefix("");
}

std::string ObjectStore::uri_of(std::string_view key) const {
    std::string base = root().to_string();
    if (key.empty())
        return base;
    return base + "/" + std::string(key);
}

Result<std::string> ObjectStore::read(std::string_view key) {
    auto got = OG_TRY(get(key));
    return std::move(got.data);
}

Result<std::optional<std::string>> ObjectStore::read_if_exists(std::string_view key) {
    auto got = get(key);
    if (!got) {
        if (got.error().is(codes::kNotFound))
            return std::optional<std::string>();
        return std::move(got).error();
    }
    return std::optional<std::string>(std::move(got->data));
}

Result<bool> ObjectStore::exists(std::string_view key) {
    auto meta = OG_TRY(head(key));
    return meta.has_value();
}

Result<std::vector<ObjectMeta>> ObjectStore::list_all(std::string_view prefix) {
    std::vector<ObjectMeta> all;
    ListOptions options;
    options.prefix = std::string(prefix);
    while (true) {
        auto page = OG_TRY(list(options));
        for (auto& o : page.objects)
            all.push_back(std::move(o));
        if (!page.next_token)
            break;
        options.continuation_token = std::move(*page.next_token);
    }
    return all;
}

Result<std::unique_ptr<ObjectStore>> open_store(const base::StorageUri& uri) {
    if (uri.is_s3()) {
        auto s3 = OG_TRY(S3Store::open(uri, S3Config::from_environment()));
        return std::unique_ptr<ObjectStore>(std::move(s3));
    }
    auto local = OG_TRY(LocalStore::open(uri));
    return std::unique_ptr<ObjectStore>(std::move(local));
}

} // namespace omnigraph::store
