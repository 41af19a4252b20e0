// The post-load image of a load (internal to engine/load*.cpp): for every table the batch
// touches, or whose rows LoadOptions::deletes removes, the rows the table holds once the load
// commits (committed rows kept, minus the replaced and deleted ones, plus the loaded rows), and
// the validation of that image against the schema: @range, @check, @key/@unique, edge
// endpoints against the post-load node tables, @card per touched source node. Nothing here
// writes; the loader writes the image only when validate() passes.
#pragma once

#include "engine/load.h"
#include "engine/load_input.h"
#include "engine/table_data.h"

#include <map>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

namespace omnigraph::engine {

struct LoadImage {
    store::ObjectStore& store;
    const schema::Catalog& catalog;
    const format::Manifest& head;
    const LoadBatch& batch;
    LoadMode mode;
    const LoadOptions& options;
    base::Seal seal; // the graph's (Graph::seal()): its records are read with it

    // The post-load image of every touched table: either the batch's own rows (an overwrite
    // without repeats needs no copy) or a table assembled here.
    std::map<std::string, const TableData*> images;
    std::map<std::string, TableData> assembled;
    std::map<std::string, TableData> committed;            // committed rows read for checks
    std::map<std::string, std::vector<RowOrigin>> origins; // of committed rows
    std::map<std::string, std::vector<size_t>> replaced;   // committed rows a merge replaces
    // Per touched table: the batch rows it takes (the last `loaded` rows of its image) and
    // their origins.
    struct Loaded {
        const TableBatch* batch = nullptr;
        std::vector<size_t> rows; // batch row of each loaded row, in image order
    };
    std::map<std::string, Loaded> loaded;
    // Node ids per node table, built once for the endpoint checks.
    std::map<std::string, std::unordered_set<std::string_view>> id_sets;

    // Builds the image of every touched table (key_conflict on repeated or, for append,
    // existing ids; constraint_violation on a repeated @key).
    Status build();
    // Checks the built images (constraint_violation, located at the offending row's origin).
    Status validate();

    // How many rows of a table's image the batch loaded (its last ones).
    size_t loaded_count(const std::string& key) const;

  private:
    Result<const TableData*> committed_table(const std::string& key);
    Result<const TableData*> post_table(const std::string& key);
    const TableData& image_of(const std::string& key) const;
    Error violation(std::string message, uint64_t origin) const; // constraint_violation
    Status build_image(const std::string& key, const TableBatch& tb);
    Status build_deleted_image(const std::string& key, const std::set<std::string>& ids);
    uint64_t origin_of_row(const std::string& key, size_t row);
    Status check_values(const std::string& key);
    Status check_range(const std::string& key, const TableSchema& s, const TableData& t,
                       const schema::RangeConstraint& r);
    Status check_unique(const std::string& key);
    Status check_endpoints(const std::string& edge_key);
    Status check_cardinality(const std::string& edge_key);
};

} // namespace omnigraph::engine
