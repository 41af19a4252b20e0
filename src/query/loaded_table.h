// One table version of a snapshot as read queries see it: its live rows numbered 0..size()-1
// across the segments of one manifest entry (deleted rows skipped), read lazily.
//
// Opening reads only the segments' footers and deletion vectors. After that, each access reads
// what it needs and keeps it: a cell reads the page that holds it; a whole column (for a scan)
// reads that column of every segment; a lookup by id, or of the edges with a given src/dst,
// reads the blocks of the segments' key indexes whose key range holds the key. So a cold point
// lookup or one-hop expansion reads a few small objects instead of whole tables, and a scan
// reads only the columns the query names (docs/format/segment.md, "What a query reads").
//
// Failures (a damaged or missing object) are thrown as RuntimeFailure with the storage error's
// code, like every failure inside a running query.
//
// Thread-safety: every member is safe to call from any number of threads; what is loaded is
// published once and never changes, so readers take no lock on the paths already loaded.
#pragma once

#include "base/string_list.h"
#include "engine/graph.h"
#include "engine/table_data.h"
#include "format/segment.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace omnigraph::query {

class LoadedTable {
  public:
    // Reads the footers and deletion vectors of `table_key` in `snap`; an empty table when the
    // manifest has none. invalid_argument when the snapshot's schema does not declare it.
    static Result<std::shared_ptr<const LoadedTable>>
    open(store::ObjectStore& store, const engine::Snapshot& snap, std::string_view table_key);
    ~LoadedTable();
    LoadedTable(const LoadedTable&) = delete;
    LoadedTable& operator=(const LoadedTable&) = delete;

    bool is_edge() const { return is_edge_; }
    size_t size() const { return size_; }

    // Row `row`'s id / src / dst (edges), from the page that holds it.
    std::string_view id(uint32_t row) const { return text_cell("id", ids_, row); }
    std::string_view src(uint32_t row) const { return text_cell("src", src_, row); }
    std::string_view dst(uint32_t row) const { return text_cell("dst", dst_, row); }

    // The cell of property `property_id` in row `row`: a column (a page, or the whole column
    // when it is loaded) and the row within it.
    std::pair<const format::Column*, size_t> cell(uint64_t property_id, uint32_t row) const;
    // The statistics of the page holding row `row` of property `property_id`, from the footer
    // (no data is read); nullopt when the segment lacks the column. min/max are null when the
    // page has none (NaN, long strings, other kinds).
    struct PageStats {
        const format::StatValue* min = nullptr;
        const format::StatValue* max = nullptr;
        uint64_t null_count = 0;
    };
    std::optional<PageStats> page_stats(uint64_t property_id, uint32_t row) const;
    // The whole column of property `property_id` over the live rows, read once.
    const format::Column& column(uint64_t property_id) const;
    // That column when it is already read, else null.
    const format::Column* loaded_column(uint64_t property_id) const;
    // Every id (src, dst), read once.
    const base::StringList& ids() const { return whole_text("id", ids_); }
    const base::StringList& srcs() const { return whole_text("src", src_); }
    const base::StringList& dsts() const { return whole_text("dst", dst_); }
    // id → row over every row (node tables), built once from ids().
    const std::unordered_map<std::string_view, uint32_t>& id_index() const;

    // The row whose id is `id`: through the segments' key indexes (or the id index when it is
    // built, or the segment has none).
    std::optional<uint32_t> find_id(std::string_view id) const;
    // The rows (ascending) whose `column` ("src" or "dst") is `key`, through the key indexes.
    std::vector<uint32_t> rows_with(std::string_view column, std::string_view key) const;

    // Whether every segment has key indexes on its id (nodes) or src and dst (edges), so that
    // find_id and rows_with read a few index blocks (else they read whole columns).
    bool indexed() const { return indexed_; }
    // Counts a query that expanded over this (edge) table through its indexes; returns the
    // count before it. A table probed often is worth a CSR adjacency (query/expand.cpp).
    uint32_t note_probing_query() const {
        return probing_queries_.fetch_add(1, std::memory_order_relaxed);
    }

    // Scans that skip pages by their footer statistics walk the segments' pages themselves.
    struct PageView {
        std::optional<format::PageInfo> info; // nullopt: the segment lacks the column (all null)
        uint64_t first_file_row = 0, rows = 0;
    };
    size_t segment_count() const { return segments_.size(); }
    std::vector<PageView> pages(size_t segment, uint64_t property_id) const;
    // Page `page` of the property in segment `segment` (rows are that page's file rows).
    const format::Column& page(size_t segment, uint64_t property_id, size_t page) const;
    // The table row of file row 0 of segment `segment` when the segment has no deletions (its
    // file rows are then one run of table rows), else nullopt.
    std::optional<uint32_t> contiguous_base(size_t segment) const;
    // The table row of file row `file_row` of segment `segment`, nullopt when it is deleted.
    std::optional<uint32_t> row_of(size_t segment, uint64_t file_row) const;

    // The full-text index of property `property_id` in segment `segment` (one ranged read),
    // nullopt when the segment has none written by this build's analyzer (then its rows are
    // tokenized from the column). Not kept: callers keep what they derive from it.
    std::optional<format::TextIndex> segment_text_index(size_t segment, uint64_t property_id) const;

    // The vector index of property `property_id` in segment `segment` (its footer entry), null
    // when the segment has none.
    const format::SegmentVectorIndex* segment_vector_index(size_t segment,
                                                           uint64_t property_id) const;
    // That index's header, the codes of its list `list`, and the exact vector of row `j` of
    // that list (verified against `sum`, from the codes): one ranged read each, verified. Not
    // kept: query/vector_search.h keeps what it reads.
    format::VectorIndexHeader read_vector_header(size_t segment,
                                                 const format::SegmentVectorIndex& index) const;
    format::VectorCodes read_vector_codes(size_t segment, const format::SegmentVectorIndex& index,
                                          const format::VectorIndexHeader& header,
                                          uint32_t list) const;
    std::vector<float> read_vector_value(size_t segment, const format::SegmentVectorIndex& index,
                                         const format::VectorIndexHeader& header, uint32_t list,
                                         uint32_t j, uint64_t sum) const;
    // Whether reads go to an object store over the network (S3), where many small reads are
    // worth issuing at once.
    bool remote() const { return store_->root().is_s3(); }
    // The rows of segment `segment`'s file, deleted ones among them.
    uint64_t segment_file_rows(size_t segment) const;

    // Something derived from this table version and kept with it, built once by `build` under
    // `name` (e.g. the full-text postings of a property, query/text_search.h).
    std::shared_ptr<const void>
    derived(const std::string& name,
            const std::function<std::shared_ptr<const void>()>& build) const;

  private:
    struct Segment;
    struct Slot;
    LoadedTable() = default;

    std::string_view text_cell(std::string_view column, const std::unique_ptr<Slot>& whole,
                               uint32_t row) const;
    const base::StringList& whole_text(std::string_view column,
                                       const std::unique_ptr<Slot>& slot) const;
    std::pair<size_t, uint64_t> locate(uint32_t row) const; // (segment, file row)
    // Column `column` of every segment, read in parallel. With `type` (a property): checked
    // against it, and all null in a segment written before the property existed.
    std::vector<format::Column> read_segments(std::string_view column,
                                              const format::ColumnType* type = nullptr) const;
    const format::Column& page_of(const Segment& seg, const std::string& name,
                                  const format::ColumnType& type, size_t page) const;
    std::vector<uint32_t> probe(std::string_view column, std::string_view key) const;
    const format::ColumnType& type_of(uint64_t property_id) const;
    // Throws the failure of a read of object `key` (a vanished object is damage, or — when a
    // cleanup removed this snapshot meanwhile — historical_version_reclaimed).
    [[noreturn]] void fail(const std::string& key, Error e) const;
    // The value of a read of object `key`, or its failure thrown as fail() throws it.
    template <class T> T value_or_fail(const std::string& key, Result<T> read) const {
        if (!read)
            fail(key, std::move(read).error());
        return std::move(*read);
    }

    store::ObjectStore* store_ = nullptr;
    std::string table_key_;
    format::Manifest manifest_; // the snapshot's, to tell a cleaned snapshot from damage
    format::TableEntry entry_;
    bool is_edge_ = false;
    bool indexed_ = true;
    size_t size_ = 0;
    size_t page_count_ = 0; // the most pages of any column in any segment
    std::vector<std::unique_ptr<Segment>> segments_;
    std::vector<uint32_t> bases_;                            // first row of each segment
    std::unordered_map<uint64_t, format::ColumnType> types_; // by property id
    std::unordered_map<uint64_t, std::unique_ptr<Slot>> columns_;
    std::unique_ptr<Slot> ids_, src_, dst_, id_index_;
    mutable std::atomic<uint32_t> probing_queries_{0};
    mutable std::mutex load_mu_; // serializes loads; published results are read without it
    mutable std::mutex derived_mu_;
    mutable std::map<std::string, std::shared_ptr<const void>, std::less<>> derived_;
};

} // namespace omnigraph::query
