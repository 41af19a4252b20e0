#include "engine/commit_graph.h"

#include <limits>
#include <map>
#include <optional>
#include <vector>

namespace omnigraph::engine {
namespace {

// One side's breadth-first walk: the distance of every commit seen so far, and the commits at
// the deepest level reached, whose parents are not read yet.
struct Walk {
    std::map<std::string, uint64_t> distance;
    std::vector<std::string> frontier;
    uint64_t depth = 0; // every commit at distance <= depth is in `distance`
    bool done() const { return frontier.empty(); }
};

} // namespace

Result<format::CommitRecord> merge_base(const Graph& graph, std::string_view a,
                                        std::string_view b) {
    std::map<std::string, format::CommitRecord> records;
    auto record = [&](const std::string& id) -> Result<const format::CommitRecord*> {
        auto it = records.find(id);
        if (it == records.end())
            it = records.emplace(id, OG_TRY(graph.commit(id))).first;
        return &it->second;
    };
    Walk walks[2];
    for (int side = 0; side < 2; ++side) {
        std::string start(side == 0 ? a : b);
        OG_CHECK(record(start));
        walks[side].distance[start] = 0;
        walks[side].frontier = {start};
    }
    constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
    uint64_t best_sum = kNone;
    std::optional<std::string> best;
    auto consider = [&](const std::string& id) -> Status {
        auto da = walks[0].distance.find(id), db = walks[1].distance.find(id);
        if (da == walks[0].distance.end() || db == walks[1].distance.end())
            return ok();
        uint64_t sum = da->second + db->second;
        if (sum < best_sum ||
            (sum == best_sum && OG_TRY(record(id))->graph_manifest_version >
                                    OG_TRY(record(*best))->graph_manifest_version)) {
            best_sum = sum;
            best = id;
        }
        return ok();
    };
    OG_CHECK(consider(std::string(a)));
    for (;;) {
        // An ancestor not yet seen on both sides is deeper than some finished level.
        uint64_t bound = kNone;
        for (const Walk& w : walks)
            if (!w.done())
                bound = std::min(bound, w.depth + 1);
        if (bound == kNone || bound > best_sum)
            break;
        int side = walks[0].done()                    ? 1
                   : walks[1].done()                  ? 0
                   : walks[0].depth <= walks[1].depth ? 0
                                                      : 1;
        Walk& w = walks[side];
        std::vector<std::string> next;
        for (const std::string& id : w.frontier) {
            const format::CommitRecord* c = OG_TRY(record(id));
            for (const auto& parent : {c->parent_commit_id, c->merged_parent_commit_id}) {
                if (!parent || w.distance.count(*parent))
                    continue;
                w.distance[*parent] = w.depth + 1;
                next.push_back(*parent);
            }
        }
        w.frontier = std::move(next);
        w.depth += 1;
        for (const std::string& id : w.frontier) {
            OG_CHECK(record(id));
            OG_CHECK(consider(id));
        }
    }
    if (!best)
        return Error(codes::kNotFound, "commits " + std::string(a) + " and " + std::string(b) +
                                           " have no common ancestor");
    return *OG_TRY(record(*best));
}

} // namespace omnigraph::engine
