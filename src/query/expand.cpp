#include "query/expand.h"

#include <algorithm>
#include <unordered_map>

namespace omnigraph::query {

Frame expand(const ExecContext& ctx, const Frame& f, const Clause& t, const std::string& from,
             const std::string& to, bool forward, bool reverse,
             const std::optional<std::vector<uint8_t>>* to_pass, bool count_only) {
    const auto* edge = ctx.catalog.find_edge(t.edge);
    if (!edge)
        runtime_fail("schema " + ctx.snap.schema->hash + " declares no edge type " + t.edge);
    auto adj = unwrap(ctx.cache.adjacency(ctx.snap, edge->name));
    // Which adjacency leads from `from` to `to`: the clause direction, flipped by `reverse`
    // and by expanding from the clause's dst.
    bool use_out = (forward != reverse);
    std::vector<const Adjacency*> lists;
    if (t.undirected)
        lists = {&adj->out, &adj->in};
    else
        lists = {use_out ? &adj->out : &adj->in};
    bool same_type = edge->from_type == edge->to_type;
    uint64_t max_hops = same_type ? t.max_hops.value_or(1) : 1;
    uint64_t min_hops = t.min_hops;
    int from_col = f.index_of(from);
    int to_col = f.index_of(to);

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
        const auto& edge_ids = ctx.var(t.edge_var).table->data.ids;
        const auto& node_ids = ctx.var(to).table->data.ids;
        for (size_t r = 0; r < f.rows; ++r) {
            uint32_t s = f.cols[from_col][r];
            std::vector<std::pair<uint32_t, uint32_t>> hits; // (edge row, node row)
            for (const Adjacency* a : lists)
                for (uint32_t i = a->offsets[s]; i < a->offsets[s + 1]; ++i)
                    hits.emplace_back(a->edge_rows[i], a->neighbours[i]);
            std::sort(hits.begin(), hits.end(), [&](auto x, auto y) {
                if (x.first != y.first) {
                    auto c = edge_ids[x.first].compare(edge_ids[y.first]);
                    if (c != 0)
                        return c < 0;
                }
                return node_ids[x.second] < node_ids[y.second];
            });
            hits.erase(std::unique(hits.begin(), hits.end()), hits.end()); // self-loops
            size_t before = out.rows;
            for (auto [e, n] : hits) {
                if (to_col >= 0 ? f.cols[to_col][r] != n : (*to_pass && !(**to_pass)[n]))
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
    std::vector<uint32_t> visited_mark; // per node row: the BFS epoch that visited it
    std::vector<uint32_t> emitted_mark;
    uint32_t epoch = 0;
    size_t node_count = ctx.var(to).table->data.size();
    auto search = [&](uint32_t source) -> const std::vector<uint32_t>& {
        auto [it, fresh] = reached_from.try_emplace(source);
        if (!fresh)
            return it->second;
        std::vector<uint32_t>& emitted = it->second;
        if (visited_mark.size() < node_count) {
            search_bytes.charge(2 * node_count * sizeof(uint32_t));
            visited_mark.assign(node_count, 0);
            emitted_mark.assign(node_count, 0);
        }
        ++epoch;
        std::vector<uint32_t> frontier{source};
        if (same_type)
            visited_mark[source] = epoch;
        for (uint64_t hop = 1; hop <= max_hops && !frontier.empty(); ++hop) {
            std::vector<uint32_t> next;
            for (uint32_t node : frontier) {
                ctx.budget.tick();
                for (const Adjacency* a : lists)
                    for (uint32_t i = a->offsets[node]; i < a->offsets[node + 1]; ++i) {
                        uint32_t nb = a->neighbours[i];
                        if (same_type && nb == node) { // a self-loop
                            if (hop >= min_hops && emitted_mark[nb] != epoch) {
                                emitted_mark[nb] = epoch;
                                emitted.push_back(nb);
                            }
                            continue;
                        }
                        if (!same_type || visited_mark[nb] != epoch) {
                            if (same_type)
                                visited_mark[nb] = epoch;
                            next.push_back(nb);
                            if (hop >= min_hops && emitted_mark[nb] != epoch) {
                                emitted_mark[nb] = epoch;
                                emitted.push_back(nb);
                            }
                        }
                    }
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
            if (!*to_pass || (**to_pass)[n]) {
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
