// The rows of a load staged as segments (internal to engine/load*.cpp): the input arrives in
// bounded batches (runs of parsed lines, or one typed batch); their rows are appended to a
// pending part per table, and a part is encoded (engine::encode_table) and written as a new
// segment as soon as the pending parts together reach the budget's share, so memory stays
// bounded whatever the input size. The segments are written under the load's pending-operation
// record (engine/pending.h) before any commit point, so a crash or a refused load leaves
// nothing behind. What validation needs later is kept compactly: per table the ids of its rows
// (a StringIndex: 24 bytes per row plus the spilled text), the input line of every row (a
// varint per row), and the @range/@check violations found. Nothing here reads the committed
// graph: that is LoadImage (engine/load_image.h), once per attempt.
#pragma once

#include "engine/load.h"
#include "engine/load_input.h"
#include "engine/pending.h"
#include "engine/string_spill.h"
#include "engine/table_data.h"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace omnigraph::engine {

// How a load's memory budget is shared out (see docs/architecture.md "Loading"). The budget is
// a ceiling, not a target: beyond a size where larger parts stop paying (parse runs of 16 MiB
// keep both parser threads busy; 64 MiB of pending rows make segments of tens of MB) a larger
// budget buys nothing, so the shares are capped there.
struct LoadBudget {
    static constexpr uint64_t kKiB = 1024, kMiB = kKiB << 10;
    uint64_t bytes = kDefaultLoadMemoryBytes;
    // Input text parsed at a time (the parsed rows take about as much again).
    uint64_t run_bytes() const { return std::clamp(bytes / 16, 16 * kKiB, 16 * kMiB); }
    // Rows not yet written, all tables together (encoding one takes about as much again).
    uint64_t pending_bytes() const { return std::min(bytes / 8, 64 * kMiB); }
    // Remembered strings (ids, tuples) kept in memory before they go to a scratch file.
    uint64_t spill_memory() const { return std::min(bytes / 8, 64 * kMiB); }
};

// One table's rows this load staged.
struct StagedTable {
    std::string key;
    TableSchema schema;
    std::vector<format::SegmentRef> segments; // written, in input order
    std::vector<uint64_t> first_rows;         // the staged row each segment starts with
    std::vector<std::string> origins;         // per segment: its rows' origins, varint deltas
    uint64_t rows = 0;                        // rows staged (written and pending)
    // Ids of the staged rows (tag: staged row); edges only with the ids their lines gave.
    StringIndex ids;
    // Merge: staged rows a later line with the same id replaced (ascending). Set by finish().
    std::vector<uint64_t> superseded;
    // The first repeated id refused (by the later line), when the mode refuses repeats.
    std::optional<Error> repeat_error;
    // @range/@check violations of staged rows: (constraint index in range-then-check order,
    // staged row) -> error. Without merge only the first per constraint is kept.
    std::map<std::pair<size_t, uint64_t>, Error> violations;

    // Not yet written.
    TableData pending;
    std::vector<uint64_t> pending_origins;
    uint64_t pending_bytes = 0;
    std::vector<std::optional<std::regex>> checks; // compiled @check patterns

    explicit StagedTable(StringSpill& spill) : ids(spill) {}
    uint64_t live_rows() const { return rows - superseded.size(); }
    bool is_superseded(uint64_t row) const;
    // The origin of staged row `row` (LoadBatch::locate).
    uint64_t origin_of(uint64_t row) const;
};

class StagedLoad {
  public:
    // `head` names where each table's objects go (TableEntry::path).
    StagedLoad(store::ObjectStore& store, const schema::Catalog& catalog,
               const format::Manifest& head, LoadMode mode, const LoadOptions& options,
               LoadBudget budget, PendingOp& op, base::Seal seal);

    // Appends the rows of `batch` (parsed from `input_bytes` of text; 0 for typed rows) and
    // writes segments as the pending rows reach the budget.
    Status add(LoadBatch&& batch, uint64_t input_bytes);
    // Writes what is pending and settles repeated ids (finds the merge's superseded rows).
    Status finish();

    std::map<std::string, StagedTable> tables;
    std::vector<SourceLocation> positions; // of a typed batch (LoadBatch::positions)
    StringSpill spill;
    uint64_t rows = 0; // input rows, for progress
    // Whether the pending-operation record exists (begin_pending ran), and whether the commit
    // settled it (committed, or rolled back after a failed publish).
    bool begun = false;
    bool settled = false;

    Error violation(std::string message, uint64_t origin) const; // constraint_violation
    std::string origin_text(uint64_t origin) const;

    store::ObjectStore& store;
    const schema::Catalog& catalog;
    LoadMode mode;
    const LoadOptions& options;
    LoadBudget budget;
    PendingOp& op;
    base::Seal seal; // the graph's (Graph::seal())

  private:
    std::map<std::string, std::string> paths_; // table key -> TableEntry::path
    StagedTable& table(const std::string& key);
    Result<std::string> path_of(const std::string& key) const;
    void check_values(StagedTable& t, const TableBatch& tb);
    Status flush(StagedTable& t);
    Status settle_repeats(StagedTable& t);
};

// Records `key` as created by `op` before it is written (begin_pending the first time).
Status record_created(store::ObjectStore& store, PendingOp& op, bool& begun,
                      const std::string& key);

} // namespace omnigraph::engine
