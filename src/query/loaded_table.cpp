#include "query/loaded_table.h"

#include "base/parallel.h"
#include "engine/cell_visit.h"
#include "engine/reclaimed.h"
#include "format/text_tokenizer.h"
#include "query/runtime_failure.h"

#include <algorithm>

namespace omnigraph::query {

using format::Column;
using format::ColumnType;

namespace {

constexpr uint64_t kCellsBeforeWhole = format::kDefaultPageRows;

std::string property_column(uint64_t id) {
    return "p:" + std::to_string(id);
}

} // namespace

// Something loaded once and then read without a lock: `ready` points into `owned` once set.
struct LoadedTable::Slot {
    std::atomic<const void*> ready{nullptr};
    std::shared_ptr<const void> owned;
    // For a whole column: cells of it read through pages. Queries that read more cells of a
    // column than a page holds are scanning it: the rest is read in one request, as a whole.
    std::atomic<uint64_t> cells_read{0};
    // For a whole column: each segment's page slots and rows per page (0: one page), so that
    // reading a cell of a page already read is a few loads, no lookup by name.
    struct SegmentPages {
        Slot* pages = nullptr;
        uint64_t page_rows = 0;
        const format::SegmentColumnInfo* info = nullptr; // null: the segment lacks the column
    };
    std::vector<SegmentPages> segment_pages;

    template <class T> const T* get() const {
        return static_cast<const T*>(ready.load(std::memory_order_acquire));
    }
    // Loads with `make` under `mu` unless another thread already did.
    template <class T, class Make> const T& load(std::mutex& mu, Make make) {
        if (const T* p = get<T>())
            return *p;
        std::lock_guard lock(mu);
        if (const T* p = get<T>())
            return *p;
        auto made = std::make_shared<const T>(make());
        owned = made;
        ready.store(made.get(), std::memory_order_release);
        return *made;
    }
};

struct LoadedTable::Segment {
    explicit Segment(format::SegmentReader r) : reader(std::move(r)) {}
    format::SegmentReader reader;
    bool deletions = false;     // whether it has a deletion vector (then `live` lists the rest)
    std::vector<uint32_t> live; // the live file rows, when the segment has deletions
    uint64_t file_rows = 0;
    uint32_t live_rows = 0;
    // Per column name: one slot per page. Per index column: one slot per block.
    std::unordered_map<std::string, std::unique_ptr<Slot[]>> pages;
    std::unordered_map<std::string, std::unique_ptr<Slot[]>> blocks;
};

LoadedTable::~LoadedTable() = default;

void LoadedTable::fail(const std::string& key, Error e) const {
    // An object the manifest names is gone: damage, or the snapshot was cleaned up meanwhile.
    if (e.is(codes::kNotFound))
        e = engine::missing_object_error(format::kSegmentCorrupt, *store_, key, entry_);
    throw RuntimeFailure(engine::explain_read_failure(*store_, manifest_, std::move(e)));
}

Result<std::shared_ptr<const LoadedTable>> LoadedTable::open(store::ObjectStore& store,
                                                             const engine::Snapshot& snap,
                                                             std::string_view table_key) {
    engine::TableSchema ts = engine::table_schema(snap.schema->catalog, table_key);
    if (!ts.properties || !ts.property_ids)
        return Error(codes::kInvalidArgument,
                     "schema " + snap.schema->hash + " declares no " + std::string(table_key));
    std::shared_ptr<LoadedTable> t(new LoadedTable());
    t->store_ = &store;
    t->table_key_ = std::string(table_key);
    t->is_edge_ = ts.is_edge;
    for (const auto& [name, type] : *ts.properties) {
        uint64_t id = ts.property_ids->at(name);
        t->types_.emplace(id, engine::column_type_of(type));
        t->columns_.emplace(id, std::make_unique<Slot>());
    }
    t->ids_ = std::make_unique<Slot>();
    t->src_ = std::make_unique<Slot>();
    t->dst_ = std::make_unique<Slot>();
    t->id_index_ = std::make_unique<Slot>();
    const format::TableEntry* entry = snap.manifest.find(table_key);
    if (!entry)
        return std::shared_ptr<const LoadedTable>(std::move(t));
    t->manifest_ = snap.manifest;
    t->entry_ = *entry;
    auto reclaimed_or = [&](Error e) {
        return engine::explain_read_failure(store, snap.manifest, std::move(e));
    };
    std::vector<std::string> names = {"id"};
    if (ts.is_edge)
        names.insert(names.end(), {"src", "dst"});
    for (const auto& [id, type] : t->types_)
        names.push_back(property_column(id));
    uint64_t rows = 0;
    for (const format::SegmentRef& ref : entry->segments) {
        auto reader = engine::open_segment(store, *entry, ref);
        if (!reader)
            return reclaimed_or(std::move(reader).error());
        auto seg = std::make_unique<Segment>(std::move(*reader));
        const format::SegmentFooter& footer = seg->reader.footer();
        if (footer.row_count != ref.rows)
            return Error(format::kSegmentCorrupt,
                         store.uri_of(ref.segment) + " holds " + std::to_string(footer.row_count) +
                             " rows, the manifest says " + std::to_string(ref.rows));
        seg->file_rows = footer.row_count;
        if (ref.deletion_vector) {
            auto dv = engine::read_deletion_vector(store, *entry, ref);
            if (!dv)
                return reclaimed_or(std::move(dv).error());
            seg->deletions = true;
            for (uint64_t r = 0; r < seg->file_rows; ++r)
                if (!dv->contains(r))
                    seg->live.push_back(static_cast<uint32_t>(r));
            seg->live_rows = static_cast<uint32_t>(seg->live.size());
        } else {
            seg->live_rows = static_cast<uint32_t>(seg->file_rows);
        }
        for (const auto& name : names) {
            const format::SegmentColumnInfo* info = footer.find(name);
            size_t n = info ? info->page_count() : 1;
            seg->pages.emplace(name, std::make_unique<Slot[]>(n));
        }
        for (const auto& name :
             ts.is_edge ? std::vector<std::string>{"src", "dst"} : std::vector<std::string>{"id"}) {
            const format::SegmentIndex* index = footer.find_index(name);
            if (!index) {
                t->indexed_ = false;
                continue;
            }
            seg->blocks.emplace(name, std::make_unique<Slot[]>(index->blocks.size()));
        }
        for (const auto& c : footer.columns)
            t->page_count_ = std::max(t->page_count_, c.page_count());
        t->bases_.push_back(static_cast<uint32_t>(rows));
        rows += seg->live_rows;
        t->segments_.push_back(std::move(seg));
    }
    if (rows > std::numeric_limits<uint32_t>::max())
        return Error(codes::kInvalidArgument, std::string(table_key) + " has more than 2^32 rows");
    t->size_ = rows;
    auto index_pages = [&](Slot& slot, const std::string& name) {
        for (const auto& seg : t->segments_) {
            const format::SegmentColumnInfo* info = seg->reader.footer().find(name);
            uint64_t page_rows = info && !info->pages.empty() ? seg->reader.footer().page_rows : 0;
            slot.segment_pages.push_back({seg->pages.at(name).get(), page_rows, info});
        }
    };
    for (auto& [id, slot] : t->columns_)
        index_pages(*slot, property_column(id));
    index_pages(*t->ids_, "id");
    if (ts.is_edge) {
        index_pages(*t->src_, "src");
        index_pages(*t->dst_, "dst");
    }
    return std::shared_ptr<const LoadedTable>(std::move(t));
}

const ColumnType& LoadedTable::type_of(uint64_t property_id) const {
    auto it = types_.find(property_id);
    if (it == types_.end())
        throw RuntimeFailure(codes::kInvalidArgument, "table " + table_key_ + " has no property " +
                                                          std::to_string(property_id));
    return it->second;
}

std::pair<size_t, uint64_t> LoadedTable::locate(uint32_t row) const {
    size_t s = size_t(std::upper_bound(bases_.begin(), bases_.end(), row) - bases_.begin()) - 1;
    const Segment& seg = *segments_[s];
    uint32_t local = row - bases_[s];
    return {s, !seg.deletions ? local : seg.live[local]};
}

std::optional<uint32_t> LoadedTable::contiguous_base(size_t segment) const {
    if (segments_[segment]->deletions)
        return std::nullopt;
    return bases_[segment];
}

std::optional<uint32_t> LoadedTable::row_of(size_t segment, uint64_t file_row) const {
    const Segment& seg = *segments_[segment];
    if (!seg.deletions)
        return bases_[segment] + static_cast<uint32_t>(file_row);
    auto it = std::lower_bound(seg.live.begin(), seg.live.end(), file_row);
    if (it == seg.live.end() || *it != file_row)
        return std::nullopt;
    return bases_[segment] + static_cast<uint32_t>(it - seg.live.begin());
}

const Column& LoadedTable::page_of(const Segment& seg, const std::string& name,
                                   const ColumnType& type, size_t page) const {
    Slot& slot = seg.pages.at(name)[page];
    return slot.load<Column>(load_mu_, [&] {
        const format::SegmentColumnInfo* info = seg.reader.footer().find(name);
        if (!info) { // a property added after this segment was written: all null
            Column nulls(type);
            for (uint64_t i = 0; i < seg.file_rows; ++i)
                nulls.append_null();
            return nulls;
        }
        auto read = seg.reader.read_page(*info, page);
        if (!read)
            fail(seg.reader.key(), read.error());
        if (!(read->type() == type))
            throw RuntimeFailure(
                Error(format::kSegmentCorrupt, store_->uri_of(seg.reader.key()) + ": column " +
                                                   name + " has type " + read->type().name() +
                                                   ", not " + type.name()));
        return std::move(*read);
    });
}

std::pair<const Column*, size_t> LoadedTable::cell(uint64_t property_id, uint32_t row) const {
    auto slot = columns_.find(property_id);
    if (slot == columns_.end())
        type_of(property_id); // throws
    if (const Column* whole = slot->second->get<Column>())
        return {whole, row};
    auto [s, file_row] = locate(row);
    if (page_count_ > 1 &&
        slot->second->cells_read.fetch_add(1, std::memory_order_relaxed) >= kCellsBeforeWhole)
        return {&column(property_id), row};
    const Slot::SegmentPages& pages = slot->second->segment_pages[s];
    size_t page = pages.page_rows ? size_t(file_row / pages.page_rows) : 0;
    size_t at = file_row - page * pages.page_rows;
    if (const Column* read = pages.pages[page].get<Column>())
        return {read, at};
    return {&page_of(*segments_[s], property_column(property_id), type_of(property_id), page), at};
}

std::optional<LoadedTable::PageStats> LoadedTable::page_stats(uint64_t property_id,
                                                              uint32_t row) const {
    auto slot = columns_.find(property_id);
    if (slot == columns_.end())
        type_of(property_id); // throws
    auto [s, file_row] = locate(row);
    const Slot::SegmentPages& pages = slot->second->segment_pages[s];
    if (!pages.info)
        return std::nullopt;
    auto stats = [](const auto& from) {
        return PageStats{from.min ? &*from.min : nullptr, from.max ? &*from.max : nullptr,
                         from.null_count};
    };
    if (pages.info->pages.empty())
        return stats(*pages.info);
    return stats(pages.info->pages.at(size_t(file_row / pages.page_rows)));
}

std::string_view LoadedTable::text_cell(std::string_view column, const std::unique_ptr<Slot>& whole,
                                        uint32_t row) const {
    if (const auto* all = whole->get<base::StringList>())
        return (*all)[row];
    if (page_count_ > 1 &&
        whole->cells_read.fetch_add(1, std::memory_order_relaxed) >= kCellsBeforeWhole)
        return whole_text(column, whole)[row];
    auto [s, file_row] = locate(row);
    const Segment& seg = *segments_[s];
    const Slot::SegmentPages& pages = whole->segment_pages[s];
    size_t page = pages.page_rows ? size_t(file_row / pages.page_rows) : 0;
    size_t at = file_row - page * pages.page_rows;
    const Column* read = pages.pages[page].get<Column>();
    if (!read) {
        std::string name(column);
        if (!seg.reader.footer().find(name))
            throw RuntimeFailure(
                Error(format::kSegmentCorrupt,
                      store_->uri_of(seg.reader.key()) + " has no column '" + name + "'"));
        read = &page_of(seg, name, ColumnType{format::PhysicalKind::kString}, page);
    }
    const Column& c = *read;
    if (c.is_null(at))
        throw RuntimeFailure(Error(format::kSegmentCorrupt, store_->uri_of(seg.reader.key()) +
                                                                ": column '" + std::string(column) +
                                                                "' holds a null"));
    return c.bytes_at(at);
}

const base::StringList& LoadedTable::whole_text(std::string_view column,
                                                const std::unique_ptr<Slot>& slot) const {
    return slot->load<base::StringList>(load_mu_, [&] {
        base::StringList out;
        std::vector<Column> parts = read_segments(column);
        for (size_t s = 0; s < segments_.size(); ++s) {
            const auto& seg = segments_[s];
            const Column* read = &parts[s];
            if (read->type().kind != format::PhysicalKind::kString || read->null_count() != 0)
                throw RuntimeFailure(Error(format::kSegmentCorrupt,
                                           store_->uri_of(seg->reader.key()) + ": column '" +
                                               std::string(column) + "' is not a string column"));
            if (!seg->deletions)
                for (size_t i = 0; i < read->size(); ++i)
                    out.push_back(read->bytes_at(i));
            else
                for (uint32_t r : seg->live)
                    out.push_back(read->bytes_at(r));
        }
        return out;
    });
}

const Column& LoadedTable::column(uint64_t property_id) const {
    auto slot = columns_.find(property_id);
    const ColumnType& type = type_of(property_id);
    return slot->second->load<Column>(load_mu_, [&] {
        std::string name = property_column(property_id);
        std::vector<Column> parts = read_segments(name, &type);
        for (size_t s = 0; s < segments_.size(); ++s) {
            const Segment& seg = *segments_[s];
            if (!seg.deletions)
                continue;
            Column live(type);
            for (uint32_t r : seg.live)
                live.append_row(parts[s], r);
            parts[s] = std::move(live);
        }
        return Column::concat(type, std::move(parts));
    });
}

std::vector<Column> LoadedTable::read_segments(std::string_view column,
                                               const ColumnType* type) const {
    std::vector<Column> parts(segments_.size(), Column(type ? *type : ColumnType{}));
    // Each segment's column is its own object (or range): read and decoded side by side.
    base::parallel_for(segments_.size(), [&](size_t s) {
        const Segment& seg = *segments_[s];
        std::string name(column);
        if (type && !seg.reader.footer().find(name)) { // added after the segment: all null
            for (uint64_t i = 0; i < seg.file_rows; ++i)
                parts[s].append_null();
            return;
        }
        auto read = seg.reader.read_column(name);
        if (!read)
            fail(seg.reader.key(), read.error());
        if (type && !(read->type() == *type))
            throw RuntimeFailure(
                Error(format::kSegmentCorrupt, store_->uri_of(seg.reader.key()) + ": column " +
                                                   name + " has type " + read->type().name() +
                                                   ", not " + type->name()));
        parts[s] = std::move(*read);
    });
    return parts;
}

const Column* LoadedTable::loaded_column(uint64_t property_id) const {
    auto slot = columns_.find(property_id);
    return slot == columns_.end() ? nullptr : slot->second->get<Column>();
}

const std::unordered_map<std::string_view, uint32_t>& LoadedTable::id_index() const {
    const base::StringList& all = ids();
    return id_index_->load<std::unordered_map<std::string_view, uint32_t>>(load_mu_, [&] {
        std::unordered_map<std::string_view, uint32_t> index;
        index.reserve(all.size());
        for (size_t i = 0; i < all.size(); ++i)
            index.emplace(all[i], static_cast<uint32_t>(i));
        return index;
    });
}

std::vector<uint32_t> LoadedTable::probe(std::string_view column, std::string_view key) const {
    std::vector<uint32_t> out;
    std::string name(column);
    for (size_t s = 0; s < segments_.size(); ++s) {
        const Segment& seg = *segments_[s];
        const format::SegmentIndex* index = seg.reader.footer().find_index(name);
        auto [first, last] = format::index_blocks_for(*index, key);
        std::vector<uint32_t> file_rows;
        for (size_t b = first; b < last; ++b) {
            const auto& entries = seg.blocks.at(name)[b].load<format::IndexEntries>(load_mu_, [&] {
                auto read = seg.reader.read_index_block(*index, b);
                if (!read)
                    fail(seg.reader.key(), read.error());
                return std::move(*read);
            });
            format::rows_for_key(entries, key, file_rows);
        }
        std::sort(file_rows.begin(), file_rows.end());
        for (uint32_t r : file_rows)
            if (auto row = row_of(s, r))
                out.push_back(*row);
    }
    return out;
}

std::optional<uint32_t> LoadedTable::find_id(std::string_view id) const {
    if (!indexed_ || id_index_->get<std::unordered_map<std::string_view, uint32_t>>()) {
        const auto& index = id_index();
        auto it = index.find(id);
        return it == index.end() ? std::nullopt : std::optional<uint32_t>(it->second);
    }
    auto rows = probe("id", id);
    return rows.empty() ? std::nullopt : std::optional<uint32_t>(rows.front());
}

std::vector<uint32_t> LoadedTable::rows_with(std::string_view column, std::string_view key) const {
    if (indexed_)
        return probe(column, key);
    const base::StringList& all = column == "src" ? srcs() : dsts();
    std::vector<uint32_t> out;
    for (size_t i = 0; i < all.size(); ++i)
        if (all[i] == key)
            out.push_back(static_cast<uint32_t>(i));
    return out;
}

std::vector<LoadedTable::PageView> LoadedTable::pages(size_t segment, uint64_t property_id) const {
    const Segment& seg = *segments_[segment];
    const format::SegmentColumnInfo* info = seg.reader.footer().find(property_column(property_id));
    std::vector<PageView> out;
    if (!info) {
        out.push_back({std::nullopt, 0, seg.file_rows});
        return out;
    }
    uint64_t page_rows = info->pages.empty() ? seg.file_rows : seg.reader.footer().page_rows;
    for (size_t p = 0; p < info->page_count(); ++p) {
        uint64_t first = p * page_rows;
        out.push_back({info->page(p), first, std::min(page_rows, seg.file_rows - first)});
    }
    return out;
}

const Column& LoadedTable::page(size_t segment, uint64_t property_id, size_t page) const {
    return page_of(*segments_[segment], property_column(property_id), type_of(property_id), page);
}

std::optional<format::TextIndex> LoadedTable::segment_text_index(size_t segment,
                                                                 uint64_t property_id) const {
    const Segment& seg = *segments_.at(segment);
    const format::SegmentTextIndex* index =
        seg.reader.footer().find_text_index(property_column(property_id));
    if (!index || index->analyzer != format::kTextAnalyzer)
        return std::nullopt;
    return value_or_fail(seg.reader.key(), seg.reader.read_text_index(*index));
}

const format::SegmentVectorIndex* LoadedTable::segment_vector_index(size_t segment,
                                                                    uint64_t property_id) const {
    return segments_.at(segment)->reader.footer().find_vector_index(property_column(property_id));
}

format::VectorIndexHeader
LoadedTable::read_vector_header(size_t segment, const format::SegmentVectorIndex& index) const {
    const Segment& seg = *segments_.at(segment);
    return value_or_fail(seg.reader.key(), seg.reader.read_vector_header(index));
}

format::VectorCodes LoadedTable::read_vector_codes(size_t segment,
                                                   const format::SegmentVectorIndex& index,
                                                   const format::VectorIndexHeader& header,
                                                   uint32_t list) const {
    const Segment& seg = *segments_.at(segment);
    return value_or_fail(seg.reader.key(), seg.reader.read_vector_codes(index, header, list));
}

std::vector<float> LoadedTable::read_vector_value(size_t segment,
                                                  const format::SegmentVectorIndex& index,
                                                  const format::VectorIndexHeader& header,
                                                  uint32_t list, uint32_t j, uint64_t sum) const {
    const Segment& seg = *segments_.at(segment);
    return value_or_fail(seg.reader.key(),
                         seg.reader.read_vector_value(index, header, list, j, sum));
}

uint64_t LoadedTable::segment_file_rows(size_t segment) const {
    return segments_.at(segment)->file_rows;
}

std::shared_ptr<const void>
LoadedTable::derived(const std::string& name,
                     const std::function<std::shared_ptr<const void>()>& build) const {
    // One lock for the build too: two queries wanting the same postings build them once.
    std::lock_guard lock(derived_mu_);
    auto it = derived_.find(name);
    if (it != derived_.end())
        return it->second;
    auto made = build();
    derived_.emplace(name, made);
    return made;
}

} // namespace omnigraph::query
