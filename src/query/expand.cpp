#include "query/expand.h"

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <unordered_set>

namespace omnigraph::query {

namespace {

// Where a node's edges come from: the CSR adjacency of the table cache, or — while the frame
// has few sources and the adjacency is not built yet — the edge segments' src/dst key
// indexes, so that a cold one-hop from a point lookup reads a few index blocks and pages
// instead of every edge and every id. Both give a node's edges in edge-row order and leave out
// edges whose other end is not a node, so results do not depend on which is used.
class Neighbours {
  public:
    static constexpr size_t kProbeSources = 64;  // distinct sources a frame may probe from
    static constexpr size_t kProbeNodes = 4096;  // nodes probed before the CSR pays off
    static constexpr uint32_t kProbeQueries = 4; // probing queries before a warm table builds it

    Neighbours(const ExecContext& ctx, const schema::EdgeCatalog& edge, bool undirected,
               bool use_out, size_t sources)
        : ctx_(ctx), edge_(edge) {
        if (undirected)
            outs_ = {true, false};
        else
            outs_ = {use_out};
        adj_ = ctx.cache.cached_adjacency(ctx.snap, edge.name);
        if (!adj_ && sources <= kProbeSources) {
            edges_ = unwrap(ctx.cache.table(ctx.snap, "edge:" + edge.name));
            if (edges_->indexed() && edges_->note_probing_query() < kProbeQueries) {
                from_ = unwrap(ctx.cache.table(ctx.snap, "node:" + edge.from_type));
                to_ = unwrap(ctx.cache.table(ctx.snap, "node:" + edge.to_type));
                return;
            }
        }
        use_csr();
    }

    // Calls fn(edge row, neighbour row) for every edge of `node` in the followed direction(s).
    template <class F> void each(uint32_t node, F&& fn) {
        if (!adj_ && ++probed_ > kProbeNodes)
            use_csr();
        for (bool out : outs_) {
            if (adj_) {
                const Adjacency& a = out ? adj_->out : adj_->in;
                for (uint32_t i = a.offsets[node]; i < a.offsets[node + 1]; ++i)
                    fn(a.edge_rows[i], a.neighbours[i]);
                continue;
            }
            for (auto [e, n] : probe(node, out))
                fn(e, n);
        }
    }

  private:
    void use_csr() {
        if (!adj_)
            adj_ = unwrap(ctx_.cache.adjacency(ctx_.snap, edge_.name));
    }

    const std::vector<std::pair<uint32_t, uint32_t>>& probe(uint32_t node, bool out) {
        auto [it, fresh] = memo_.try_emplace((uint64_t(node) << 1) | (out ? 1 : 0));
        if (!fresh)
            return it->second;
        const LoadedTable& here = out ? *from_ : *to_;
        const LoadedTable& there = out ? *to_ : *from_;
        for (uint32_t e : edges_->rows_with(out ? "src" : "dst", here.id(node)))
            if (auto n = there.find_id(out ? edges_->dst(e) : edges_->src(e)))
                it->second.emplace_back(e, *n);
        return it->second;
    }

    const ExecContext& ctx_;
    const schema::EdgeCatalog& edge_;
    std::vector<bool> outs_;
    std::shared_ptr<const EdgeAdjacency> adj_;
    std::shared_ptr<const LoadedTable> edges_, from_, to_;
    std::unordered_map<uint64_t, std::vector<std::pair<uint32_t, uint32_t>>> memo_;
    size_t probed_ = 0;
};

// The nodes a search has marked in its current epoch (one epoch per source). A few searches
// over a large table mark a handful of nodes: a hash set, so a one-hop from a point lookup on
// a 10M-node table does not clear two 40 MB arrays. Once the marks made across epochs pass
// 1/128 of the table, arrays indexed by node row (stamped with the epoch) pay off.
class EpochMarks {
  public:
    EpochMarks(size_t nodes, std::function<void(uint64_t)> charge)
        : nodes_(nodes), charge_(std::move(charge)) {}

    void next_epoch() {
        ++epoch_;
        sparse_.clear();
    }
    // Marks `n`; false when it was marked already in this epoch.
    bool mark(uint32_t n) {
        if (!dense_.empty()) {
            if (dense_[n] == epoch_)
                return false;
            dense_[n] = epoch_;
            return true;
        }
        if (!sparse_.insert(n).second)
            return false;
        if (++made_ > nodes_ / 128) // a hash insert costs what clearing ~128 entries does
            go_dense();
        return true;
    }

  private:
    void go_dense() {
        charge_(nodes_ * sizeof(uint32_t));
        dense_.assign(nodes_, 0);
        for (uint32_t n : sparse_)
            dense_[n] = epoch_;
        sparse_ = {};
    }

    size_t nodes_;
    std::function<void(uint64_t)> charge_;
    uint32_t epoch_ = 1;
    uint64_t made_ = 0;
    std::unordered_set<uint32_t> sparse_;
    std::vector<uint32_t> dense_;
};

size_t distinct_sources(const Frame& f, int col, size_t cap) {
    std::unordered_set<uint32_t> seen;
    for (size_t r = 0; r < f.rows && seen.size() <= cap; ++r)
        seen.insert(f.cols[col][r]);
    return seen.size();
}

} // namespace

Frame expand(const ExecContext& ctx, const Frame& f, const Clause& t, const std::string& from,
             const std::string& to, bool forward, bool reverse,
             const std::optional<RowSet>* to_pass, bool count_only) {
    const auto* edge = ctx.catalog.find_edge(t.edge);
    if (!edge)
        runtime_fail("schema " + ctx.snap.schema->hash + " declares no edge type " + t.edge);
    // Which adjacency leads from `from` to `to`: the clause direction, flipped by `reverse`
    // and by expanding from the clause's dst.
    bool use_out = (forward != reverse);
    bool same_type = edge->from_type == edge->to_type;
    uint64_t max_hops = same_type ? t.max_hops.value_or(1) : 1;
    uint64_t min_hops = t.min_hops;
    int from_col = f.index_of(from);
    int to_col = f.index_of(to);
    Neighbours neighbours(ctx, *edge, t.undirected, use_out,
                          distinct_sources(f, from_col, Neighbours::kProbeSources));

    Frame out;
    out.vars = f.vars;
    if (to_col < 0)
        out.vars.push_back(to);
    if (!t.edge_var.empty())
        out.vars.push_back(t.edge_var);
    out.cols.resize(out.vars.size());
    auto emit = [&](size_t r, uint32_t node, std::optional<uint32_t> edge_row) {
        for (size_t c = 0; c < f.cols.size(); ++c)
            out.cols[c].push_back(f.cols[c][r]);
        size_t next = f.cols.size();
        if (to_col < 0)
            out.cols[next++].push_back(node);
        if (edge_row)
            out.cols[next].push_back(*edge_row);
        ++out.rows;
    };

    if (!t.edge_var.empty()) {
        // One row per matching edge row: sorted by edge id, then destination id.
        const LoadedTable& edge_table = *ctx.var(t.edge_var).table;
        const LoadedTable& node_table = *ctx.var(to).table;
        for (size_t r = 0; r < f.rows; ++r) {
            uint32_t s = f.cols[from_col][r];
            std::vector<std::pair<uint32_t, uint32_t>> hits; // (edge row, node row)
            neighbours.each(s, [&](uint32_t e, uint32_t n) { hits.emplace_back(e, n); });
            std::sort(hits.begin(), hits.end(), [&](auto x, auto y) {
                if (x.first != y.first) {
                    auto c = edge_table.id(x.first).compare(edge_table.id(y.first));
                    if (c != 0)
                        return c < 0;
                }
                return node_table.id(x.second) < node_table.id(y.second);
            });
            hits.erase(std::unique(hits.begin(), hits.end()), hits.end()); // self-loops
            size_t before = out.rows;
            for (auto [e, n] : hits) {
                if (to_col >= 0 ? f.cols[to_col][r] != n : (*to_pass && !(*to_pass)->contains(n)))
                    continue;
                emit(r, n, e);
            }
            ctx.budget.charge_rows(out.rows - before, out.vars.size());
        }
        return out;
    }

    // Reached destinations per source node, shared by rows with the same source. Their bytes
    // (and the search marks') count against the budget while this expansion runs.
    std::unordered_map<uint32_t, std::vector<uint32_t>> reached_from;
    struct SearchBytes {
        QueryBudget& budget;
        uint64_t held = 0;
        void charge(uint64_t bytes) {
            held += bytes;
            budget.charge_bytes(bytes);
        }
        ~SearchBytes() { budget.release_bytes(held); }
    } search_bytes{ctx.budget};
    size_t node_count = ctx.var(to).table->size();
    auto charge = [&](uint64_t bytes) { search_bytes.charge(bytes); };
    EpochMarks visited(node_count, charge), emitted_marks(node_count, charge);
    auto search = [&](uint32_t source) -> const std::vector<uint32_t>& {
        auto [it, fresh] = reached_from.try_emplace(source);
        if (!fresh)
            return it->second;
        std::vector<uint32_t>& emitted = it->second;
        visited.next_epoch();
        emitted_marks.next_epoch();
        std::vector<uint32_t> frontier{source};
        if (same_type)
            visited.mark(source);
        for (uint64_t hop = 1; hop <= max_hops && !frontier.empty(); ++hop) {
            std::vector<uint32_t> next;
            for (uint32_t node : frontier) {
                ctx.budget.tick();
                neighbours.each(node, [&](uint32_t, uint32_t nb) {
                    if (same_type && nb == node) { // a self-loop
                        if (hop >= min_hops && emitted_marks.mark(nb))
                            emitted.push_back(nb);
                        return;
                    }
                    if (!same_type || visited.mark(nb)) {
                        next.push_back(nb);
                        if (hop >= min_hops && emitted_marks.mark(nb))
                            emitted.push_back(nb);
                    }
                });
            }
            frontier = std::move(next);
        }
        search_bytes.charge(emitted.size() * sizeof(uint32_t));
        return emitted;
    };
    // How many destinations each row keeps (and which), then the output column by column.
    std::vector<uint32_t> kept(f.rows, 0);
    std::vector<uint32_t> destinations;
    for (size_t r = 0; r < f.rows; ++r) {
        const auto& reached = search(f.cols[from_col][r]);
        if (to_col >= 0) {
            kept[r] = std::find(reached.begin(), reached.end(), f.cols[to_col][r]) != reached.end();
            ctx.budget.charge_rows(kept[r], out.vars.size());
            continue;
        }
        for (uint32_t n : reached)
            if (!*to_pass || (*to_pass)->contains(n)) {
                if (!count_only)
                    destinations.push_back(n);
                ++kept[r];
            }
        // Counted rows hold no columns: they count as rows, not bytes.
        ctx.budget.charge_rows(kept[r], count_only ? 0 : out.vars.size());
    }
    size_t total = 0;
    for (uint32_t k : kept)
        total += k;
    if (count_only) { // only the number of rows is read from here on
        out.cols.assign(out.vars.size(), {});
        out.rows = total;
        return out;
    }
    for (size_t c = 0; c < f.cols.size(); ++c) {
        auto& column = out.cols[c];
        column.reserve(total);
        for (size_t r = 0; r < f.rows; ++r)
            column.insert(column.end(), kept[r], f.cols[c][r]);
    }
    if (to_col < 0)
        out.cols[f.cols.size()] = std::move(destinations);
    out.rows = total;
    return out;
}

} // namespace omnigraph::query
