#include "store/counting_store.h"

namespace omnigraph::store {

Result<GetResult> CountingStore::do_get(std::string_view key, std::optional<ByteRange> range) {
    ++requests_;
    auto got = inner_->get(key, range);
    if (got)
        bytes_read_ += got->data.size();
    return got;
}

Result<std::optional<ObjectMeta>> CountingStore::do_head(std::string_view key) {
    ++requests_;
    return inner_->head(key);
}

Result<ObjectMeta> CountingStore::do_put(std::string_view key, std::string_view data) {
    ++requests_;
    ++writes_;
    bytes_written_ += data.size();
    return inner_->put(key, data);
}

Result<ObjectMeta> CountingStore::do_put_if_absent(std::string_view key, std::string_view data) {
    ++requests_;
    ++writes_;
    bytes_written_ += data.size();
    return inner_->put_if_absent(key, data);
}

Result<ObjectMeta> CountingStore::do_put_if_match(std::string_view key, std::string_view data,
                                                  std::string_view expected_version) {
    ++requests_;
    ++writes_;
    bytes_written_ += data.size();
    return inner_->put_if_match(key, data, expected_version);
}

Result<ListPage> CountingStore::do_list(const ListOptions& options) {
    ++requests_;
    return inner_->list(options);
}

Status CountingStore::do_remove(std::string_view key) {
    ++requests_;
    ++writes_;
    return inner_->remove(key);
}

Status CountingStore::do_remove_if_match(std::string_view key, std::string_view expected_version) {
    ++requests_;
    ++writes_;
    return inner_->remove_if_match(key, expected_version);
}

Result<uint64_t> CountingStore::do_remove_prefix(std::string_view prefix) {
    ++requests_;
    ++writes_;
    return prefix.empty() ? inner_->remove_root() : inner_->remove_prefix(prefix);
}

} // namespace omnigraph::store
