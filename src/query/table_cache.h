// The tables and adjacency lists that read queries run on, kept in memory between queries of
// one open graph.
//
// What it holds: table versions (`LoadedTable`: the live rows of every segment of one manifest
// entry, under one schema, read lazily as queries touch them), and per edge type the CSR
// adjacency (forward and reverse) built from three table versions: the edges and their two
// endpoint node tables.
//
// Keys: a table version is named by its manifest entry (path, version, branch, segment and
// deletion-vector list) plus the schema IR hash (the same segments under another schema may
// project other columns); an adjacency by the three tables it was built from.
//
// Eviction: a long-running server sees a new version of a table with every write, so only the
// kVersionsPerTable most recently used versions of each table are kept; evicting a table also
// evicts every adjacency built from it. An adjacency is inserted only while the three tables
// it was built from are still cached, so none outlives its tables.
//
// Lifetimes: lookups return shared_ptrs; a query keeps what it uses alive until it finishes,
// even when the cache has evicted it meanwhile.
//
// Thread-safety: every member is safe to call from any number of threads. Lookups share a
// reader lock; a miss is loaded once: concurrent misses of the same key wait for the first
// loader's result instead of reading the same objects again.
#pragma once

#include "base/error.h"
#include "engine/graph.h"
#include "engine/table_data.h"
#include "query/loaded_table.h"

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace omnigraph::query {

// Edges of one edge table grouped by endpoint row: for node row n, entries
// [offsets[n], offsets[n+1]) hold (edge row, neighbour node row).
struct Adjacency {
    std::vector<uint32_t> offsets;
    std::vector<uint32_t> edge_rows;
    std::vector<uint32_t> neighbours;
};

struct EdgeAdjacency {
    Adjacency out, in; // out: by source row; in: by target row
};

// Lookups answered from the cache vs loaded from storage (tables and adjacency), and entries held.
struct CacheStats {
    uint64_t hits = 0;
    uint64_t misses = 0;
    size_t entries = 0;
};

class TableCache {
  public:
    static constexpr size_t kVersionsPerTable = 2;

    explicit TableCache(store::ObjectStore& store);
    ~TableCache();
    TableCache(const TableCache&) = delete;
    TableCache& operator=(const TableCache&) = delete;

    // Table `table_key` ("node:Person") of `snap`; an empty table when the manifest has none.
    // The catalog of `snap` must declare the type (invalid_argument otherwise).
    Result<std::shared_ptr<const LoadedTable>> table(const engine::Snapshot& snap,
                                                     std::string_view table_key);
    // The adjacency of edge type `edge_name` in `snap`.
    Result<std::shared_ptr<const EdgeAdjacency>> adjacency(const engine::Snapshot& snap,
                                                           std::string_view edge_name);
    // The adjacency when it is already built and cached, else null (nothing is read).
    std::shared_ptr<const EdgeAdjacency> cached_adjacency(const engine::Snapshot& snap,
                                                          std::string_view edge_name) const;
    CacheStats stats() const;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

std::shared_ptr<TableCache> make_table_cache(store::ObjectStore& store);
CacheStats cache_stats(const TableCache& cache);

} // namespace omnigraph::query
