#include "store/fault_injecting_store.h"

#include <chrono>
#include <thread>

namespace omnigraph::store {

void FaultInjectingStore::add_rule(FaultRule rule) {
    std::lock_guard lock(mu_);
    rule.seen = 0;
    rules_.push_back(std::move(rule));
}

void FaultInjectingStore::clear_rules() {
    std::lock_guard lock(mu_);
    rules_.clear();
}

uint64_t FaultInjectingStore::fired() const {
    std::lock_guard lock(mu_);
    return fired_;
}

std::optional<FaultRule> FaultInjectingStore::match(StoreOp op, std::string_view key) {
    std::lock_guard lock(mu_);
    std::optional<FaultRule> firing;
    for (auto& rule : rules_) {
        if ((rule.ops & static_cast<unsigned>(op)) == 0 || !key.starts_with(rule.key_prefix))
            continue;
        ++rule.seen;
        bool fires = rule.seen == rule.nth || (rule.repeat && rule.seen > rule.nth);
        if (fires && !firing)
            firing = rule;
    }
    if (firing)
        ++fired_;
    return firing;
}

template <class T, class Fn>
Result<T> FaultInjectingStore::run(StoreOp op, std::string_view key, Fn&& call, T dropped) {
    auto rule = match(op, key);
    if (!rule)
        return call();
    switch (rule->action) {
    case FaultRule::Action::kFail:
        return rule->error;
    case FaultRule::Action::kFailAfter: {
        ignore_error(call(), "kFailAfter: the injected error replaces the call's answer");
        return rule->error;
    }
    case FaultRule::Action::kDelay:
        std::this_thread::sleep_for(std::chrono::milliseconds(rule->delay_ms));
        return call();
    case FaultRule::Action::kDrop:
        if ((static_cast<unsigned>(op) & kAnyWrite) == 0)
            return call();
        return dropped;
    }
    return call();
}

Result<GetResult> FaultInjectingStore::do_get(std::string_view key,
                                              std::optional<ByteRange> range) {
    return run<GetResult>(StoreOp::kGet, key, [&] { return inner_->get(key, range); }, {});
}

Result<std::optional<ObjectMeta>> FaultInjectingStore::do_head(std::string_view key) {
    return run<std::optional<ObjectMeta>>(
        StoreOp::kHead, key, [&] { return inner_->head(key); }, std::nullopt);
}

Result<ObjectMeta> FaultInjectingStore::do_put(std::string_view key, std::string_view data) {
    return run<ObjectMeta>(
        StoreOp::kPut, key, [&] { return inner_->put(key, data); },
        ObjectMeta{std::string(key), data.size(), "dropped"});
}

Result<ObjectMeta> FaultInjectingStore::do_put_if_absent(std::string_view key,
                                                         std::string_view data) {
    return run<ObjectMeta>(
        StoreOp::kPutIfAbsent, key, [&] { return inner_->put_if_absent(key, data); },
        ObjectMeta{std::string(key), data.size(), "dropped"});
}

Result<ObjectMeta> FaultInjectingStore::do_put_if_match(std::string_view key, std::string_view data,
                                                        std::string_view expected_version) {
    return run<ObjectMeta>(
        StoreOp::kPutIfMatch, key,
        [&] { return inner_->put_if_match(key, data, expected_version); },
        ObjectMeta{std::string(key), data.size(), "dropped"});
}

Result<ListPage> FaultInjectingStore::do_list(const ListOptions& options) {
    return run<ListPage>(StoreOp::kList, options.prefix, [&] { return inner_->list(options); }, {});
}

// Removals return Status, which run() cannot build a dropped value of.
template <class Fn>
Status FaultInjectingStore::run_removal(StoreOp op, std::string_view key, Fn&& call) {
    auto rule = match(op, key);
    if (rule) {
        switch (rule->action) {
        case FaultRule::Action::kFail:
            return rule->error;
        case FaultRule::Action::kFailAfter: {
            ignore_error(call(), "kFailAfter: the injected error replaces the call's answer");
            return rule->error;
        }
        case FaultRule::Action::kDelay:
            std::this_thread::sleep_for(std::chrono::milliseconds(rule->delay_ms));
            break;
        case FaultRule::Action::kDrop:
            return ok();
        }
    }
    return call();
}

Status FaultInjectingStore::do_remove(std::string_view key) {
    return run_removal(StoreOp::kRemove, key, [&] { return inner_->remove(key); });
}

Status FaultInjectingStore::do_remove_if_match(std::string_view key,
                                               std::string_view expected_version) {
    return run_removal(StoreOp::kRemoveIfMatch, key,
                       [&] { return inner_->remove_if_match(key, expected_version); });
}

Result<uint64_t> FaultInjectingStore::do_remove_prefix(std::string_view prefix) {
    return run<uint64_t>(
        StoreOp::kRemovePrefix, prefix,
        [&] { return prefix.empty() ? inner_->remove_root() : inner_->remove_prefix(prefix); }, 0);
}

} // namespace omnigraph::store
