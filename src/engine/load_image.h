// The post-load image of a load (internal to engine/load*.cpp), described rather than held: per
// touched table, the committed rows it keeps (its segments minus the rows a merge replaces or
// deletes) plus the rows the load staged (engine/load_stage.h). Built and validated once per
// attempt against that attempt's head: repeated ids, append conflicts, @range/@check,
// @key/@unique, edge endpoints against the post-load node tables, @card per touched source.
// Rows are visited one segment at a time and what must be remembered across segments (node
// ids, @unique tuples, sources of @card) goes to a StringIndex, so memory stays bounded by the
// largest segment plus 24 bytes per remembered string. Nothing here writes.
#pragma once

#include "engine/load.h"
#include "engine/load_stage.h"
#include "engine/table_data.h"

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace omnigraph::engine {

struct LoadImage {
    LoadImage(store::ObjectStore& store, const schema::Catalog& catalog,
              const format::Manifest& head, StagedLoad& staged, LoadMode mode,
              const LoadOptions& options)
        : store(store), catalog(catalog), head(head), staged(staged), mode(mode), options(options) {
    }

    store::ObjectStore& store;
    const schema::Catalog& catalog;
    const format::Manifest& head;
    StagedLoad& staged;
    LoadMode mode;
    const LoadOptions& options;

    // Every table the load changes: the staged ones, and those only LoadOptions::deletes
    // touches.
    std::set<std::string> touched;
    // Committed rows a merge replaces (or deletes), per table and segment index (ascending).
    std::map<std::string, std::map<uint32_t, std::vector<uint64_t>>> replaced;

    // Finds the rows a merge replaces (key_conflict on repeated or, for append, existing ids;
    // constraint_violation on a repeated @key).
    Status build();
    // Checks the post-load image (constraint_violation, located at the offending row's origin).
    Status validate();
    // Committed rows of `key` kept (the entry's live rows minus the replaced ones).
    uint64_t kept_rows(const std::string& key) const;
    // Whether the post-load rows of `key` include its committed rows.
    bool keeps_committed(const std::string& key) const;

  private:
    // A post-load row's tag: committed rows count from 0 in segment order; a staged row is
    // kStaged | its staged row.
    static constexpr uint64_t kStaged = uint64_t(1) << 63;
    struct Visit {
        bool ends = false;                // read src/dst
        std::vector<uint64_t> properties; // property ids to read
    };
    using RowFn = std::function<Result<bool>(const TableData& part, size_t row, uint64_t tag)>;
    // Calls `f` for every post-load row of `key`, one segment at a time; `f` returns false to
    // stop.
    Status for_each_row(const std::string& key, const Visit& what, const RowFn& f);
    Status for_each_committed_id(
        const std::string& key,
        const std::function<Result<bool>(std::string_view id, uint32_t seg, uint64_t row)>& f);
    // Whether `id` is a post-load id of node table `key`.
    Result<bool> has_node(const std::string& key, std::string_view id);
    uint64_t origin_of(const std::string& key, uint64_t tag) const;
    Result<std::string> id_at(const std::string& key, uint64_t tag);

    Status check_values(const std::string& key);
    Status check_unique(const std::string& key);
    Status check_endpoints(const std::string& edge_key);
    Status check_cardinality(const std::string& edge_key);

    // The committed ids a node table keeps, built on first use.
    std::map<std::string, std::unique_ptr<StringIndex>> committed_ids_;
};

} // namespace omnigraph::engine
