#include "query/table_cache.h"

#include "engine/reclaimed.h"
#include "query/runtime_failure.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <numeric>
#include <shared_mutex>

namespace omnigraph::query {

namespace {

// The cache key of one table version under one schema.
std::string table_version_key(const engine::Snapshot& snap, std::string_view table_key) {
    const format::TableEntry* e = snap.manifest.find(table_key);
    std::string key;
    if (!e) {
        key = std::string(table_key) + "@empty";
    } else {
        key = e->table_key + "@" + e->path + "#" + std::to_string(e->table_version) + "/" +
              e->table_branch;
        for (const auto& s : e->segments)
            key += "|" + s.segment + (s.deletion_vector ? "+" + *s.deletion_vector : "");
    }
    return key + "$" + snap.manifest.schema_ir_hash;
}

// CSR adjacency of `edges` between the rows of `from` and `to`. Dangling edges (never written
// by a checked load) are left out.
std::shared_ptr<const EdgeAdjacency>
build_adjacency(const LoadedTable& edges, const LoadedTable& from, const LoadedTable& to) {
    auto adj = std::make_shared<EdgeAdjacency>();
    const base::StringList& srcs = edges.srcs();
    const base::StringList& dsts = edges.dsts();
    const auto& from_rows = from.id_index();
    const auto& to_rows = to.id_index();
    size_t n = edges.size();
    std::vector<uint32_t> src(n), dst(n);
    std::vector<bool> live(n, true);
    for (size_t i = 0; i < n; ++i) {
        auto s = from_rows.find(srcs[i]);
        auto d = to_rows.find(dsts[i]);
        if (s == from_rows.end() || d == to_rows.end()) {
            live[i] = false;
            continue;
        }
        src[i] = s->second;
        dst[i] = d->second;
    }
    auto build = [&](Adjacency& a, const std::vector<uint32_t>& key_rows,
                     const std::vector<uint32_t>& other_rows, size_t nodes) {
        a.offsets.assign(nodes + 1, 0);
        for (size_t i = 0; i < n; ++i)
            if (live[i])
                ++a.offsets[key_rows[i] + 1];
        std::partial_sum(a.offsets.begin(), a.offsets.end(), a.offsets.begin());
        a.edge_rows.resize(a.offsets.back());
        a.neighbours.resize(a.offsets.back());
        std::vector<uint32_t> fill(a.offsets.begin(), a.offsets.end() - 1);
        for (size_t i = 0; i < n; ++i) {
            if (!live[i])
                continue;
            uint32_t at = fill[key_rows[i]]++;
            a.edge_rows[at] = static_cast<uint32_t>(i);
            a.neighbours[at] = other_rows[i];
        }
    };
    build(adj->out, src, dst, from.size());
    build(adj->in, dst, src, to.size());
    return adj;
}

template <class T> using Loaded = Result<std::shared_ptr<const T>>;

} // namespace

struct TableCache::State {
    explicit State(store::ObjectStore& s) : store(s) {}

    struct TableSlot {
        TableSlot(std::string name, std::shared_ptr<const LoadedTable> t, uint64_t used)
            : table_key(std::move(name)), table(std::move(t)), last_used(used) {}
        std::string table_key;
        std::shared_ptr<const LoadedTable> table;
        mutable std::atomic<uint64_t> last_used; // bumped by readers under the shared lock
    };
    struct AdjacencySlot {
        std::shared_ptr<const EdgeAdjacency> adjacency;
        std::shared_ptr<const LoadedTable> built_from[3];
    };

    store::ObjectStore& store;
    mutable std::shared_mutex mu; // lookups share it (many server workers read at once)
    std::map<std::string, TableSlot, std::less<>> tables;
    std::map<std::string, AdjacencySlot, std::less<>> adjacency;
    // Loads in flight: a concurrent miss of the same key waits for the first loader.
    std::map<std::string, std::shared_future<Loaded<LoadedTable>>, std::less<>> loading_tables;
    std::map<std::string, std::shared_future<Loaded<EdgeAdjacency>>, std::less<>> loading_adjacency;
    std::atomic<uint64_t> tick{0}, hits{0}, misses{0};

    // Looks `key` up in `cached` (through `get`), else waits for a load in flight, else runs
    // `load` and hands its result to `store` (both under the exclusive lock). One load per key
    // at a time; a failed load is not cached.
    template <class T, class Cached, class Get, class Load, class Store>
    Loaded<T> load_once(const std::string& key, Cached& cached,
                        std::map<std::string, std::shared_future<Loaded<T>>, std::less<>>& loading,
                        Get get, Load load, Store store_result) {
        {
            std::shared_lock lock(mu);
            if (auto it = cached.find(key); it != cached.end()) {
                hits.fetch_add(1, std::memory_order_relaxed);
                return get(it->second);
            }
        }
        std::promise<Loaded<T>> promise;
        {
            std::unique_lock lock(mu);
            if (auto it = cached.find(key); it != cached.end()) {
                hits.fetch_add(1, std::memory_order_relaxed);
                return get(it->second);
            }
            if (auto it = loading.find(key); it != loading.end()) {
                auto pending = it->second;
                lock.unlock();
                hits.fetch_add(1, std::memory_order_relaxed);
                return pending.get();
            }
            loading.emplace(key, promise.get_future().share());
        }
        misses.fetch_add(1, std::memory_order_relaxed);
        Loaded<T> result = Error(codes::kInternal, "table cache load did not finish");
        try {
            result = load();
        } catch (const RuntimeFailure& e) { // a lazily read table met a damaged object
            result = e.error();
        } catch (const std::exception& e) { // out of memory while reading: waiters must wake
            result = Error(codes::kInternal, std::string("loading ") + key + ": " + e.what());
        }
        {
            std::unique_lock lock(mu);
            loading.erase(key);
            if (result)
                store_result(*result);
        }
        promise.set_value(result);
        return result;
    }

    // Called with mu held exclusively, after a version of `table_key` was added.
    void evict_older_versions(const std::string& table_key) {
        std::vector<decltype(tables)::iterator> versions;
        for (auto it = tables.begin(); it != tables.end(); ++it)
            if (it->second.table_key == table_key)
                versions.push_back(it);
        if (versions.size() <= kVersionsPerTable)
            return;
        std::sort(versions.begin(), versions.end(), [](auto a, auto b) {
            return a->second.last_used.load() > b->second.last_used.load();
        });
        for (size_t i = kVersionsPerTable; i < versions.size(); ++i) {
            const LoadedTable* gone = versions[i]->second.table.get();
            std::erase_if(adjacency, [gone](const auto& kv) {
                return std::any_of(std::begin(kv.second.built_from), std::end(kv.second.built_from),
                                   [gone](const auto& t) { return t.get() == gone; });
            });
            tables.erase(versions[i]);
        }
    }

    // Whether `table` is still the cached table under `key` (mu held).
    bool still_cached(const std::string& key, const LoadedTable* table) const {
        auto it = tables.find(key);
        return it != tables.end() && it->second.table.get() == table;
    }
};

TableCache::TableCache(store::ObjectStore& store) : state_(std::make_unique<State>(store)) {}
TableCache::~TableCache() = default;

Result<std::shared_ptr<const LoadedTable>> TableCache::table(const engine::Snapshot& snap,
                                                             std::string_view table_key) {
    State& s = *state_;
    std::string key = table_version_key(snap, table_key);
    return s.load_once<LoadedTable>(
        key, s.tables, s.loading_tables,
        [&s](const State::TableSlot& slot) {
            slot.last_used.store(++s.tick, std::memory_order_relaxed);
            return Loaded<LoadedTable>(slot.table);
        },
        [&] { return LoadedTable::open(s.store, snap, table_key); },
        [&](const std::shared_ptr<const LoadedTable>& loaded) {
            auto [it, inserted] =
                s.tables.try_emplace(key, std::string(table_key), loaded, ++s.tick);
            if (inserted)
                s.evict_older_versions(std::string(table_key));
        });
}

Result<std::shared_ptr<const EdgeAdjacency>> TableCache::adjacency(const engine::Snapshot& snap,
                                                                   std::string_view edge_name) {
    const schema::EdgeCatalog* edge = snap.schema->catalog.find_edge(edge_name);
    if (!edge)
        return Error(codes::kInvalidArgument, "schema " + snap.schema->hash +
                                                  " declares no edge type " +
                                                  std::string(edge_name));
    std::string keys[3] = {table_version_key(snap, "edge:" + edge->name),
                           table_version_key(snap, "node:" + edge->from_type),
                           table_version_key(snap, "node:" + edge->to_type)};
    std::shared_ptr<const LoadedTable> parts[3] = {OG_TRY(table(snap, "edge:" + edge->name)),
                                                   OG_TRY(table(snap, "node:" + edge->from_type)),
                                                   OG_TRY(table(snap, "node:" + edge->to_type))};
    State& s = *state_;
    std::string key = keys[0] + "\n" + keys[1] + "\n" + keys[2];
    return s.load_once<EdgeAdjacency>(
        key, s.adjacency, s.loading_adjacency,
        [](const State::AdjacencySlot& slot) { return Loaded<EdgeAdjacency>(slot.adjacency); },
        [&] { return Loaded<EdgeAdjacency>(build_adjacency(*parts[0], *parts[1], *parts[2])); },
        [&](const std::shared_ptr<const EdgeAdjacency>& built) {
            // Tables evicted while it was built would never evict it: it stays uncached then.
            for (int i = 0; i < 3; ++i)
                if (!s.still_cached(keys[i], parts[i].get()))
                    return;
            s.adjacency.try_emplace(key,
                                    State::AdjacencySlot{built, {parts[0], parts[1], parts[2]}});
        });
}

std::shared_ptr<const EdgeAdjacency>
TableCache::cached_adjacency(const engine::Snapshot& snap, std::string_view edge_name) const {
    const schema::EdgeCatalog* edge = snap.schema->catalog.find_edge(edge_name);
    if (!edge)
        return nullptr;
    std::string key = table_version_key(snap, "edge:" + edge->name) + "\n" +
                      table_version_key(snap, "node:" + edge->from_type) + "\n" +
                      table_version_key(snap, "node:" + edge->to_type);
    std::shared_lock lock(state_->mu);
    auto it = state_->adjacency.find(key);
    return it == state_->adjacency.end() ? nullptr : it->second.adjacency;
}

CacheStats TableCache::stats() const {
    std::shared_lock lock(state_->mu);
    return {state_->hits.load(), state_->misses.load(),
            state_->tables.size() + state_->adjacency.size()};
}

std::shared_ptr<TableCache> make_table_cache(store::ObjectStore& store) {
    return std::make_shared<TableCache>(store);
}

CacheStats cache_stats(const TableCache& cache) {
    return cache.stats();
}

} // namespace omnigraph::query
