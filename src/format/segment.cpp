#include "format/segment.h"

#include "base/checksum.h"
#include "base/json.h"
#include "format/little_endian.h"
#include "format/text_tokenizer.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <zstd.h>

namespace omnigraph::format {

using base::Json;

namespace {

// Formats 2 and 3 (checksummed): footer, u32 footer length, u64 xxh3-64 of the footer and its
// length bytes, "OGS2" / "OGS3" (3 adds pages and key indexes). Format 1 (written before
// checksums; read unverified): footer, u32, "OGS1".
constexpr std::string_view kMagic = "OGS3";
constexpr std::string_view kMagicV2 = "OGS2";
constexpr std::string_view kMagicV1 = "OGS1";
constexpr size_t kTrailer = 16;  // u32 footer length + u64 footer checksum + magic
constexpr size_t kTrailerV1 = 8; // u32 footer length + magic
constexpr uint64_t kTailGuess = uint64_t{32} * 1024; // holds the footer of ~1M rows
constexpr size_t kMaxStatString = 64;

Error corrupt(const std::string& why) {
    return Error(kSegmentCorrupt, "corrupt segment: " + why);
}

std::string byte_range(uint64_t from, uint64_t length) {
    return "bytes [" + std::to_string(from) + ", " + std::to_string(from + length) + ")";
}

std::string checksum_text(uint64_t sum) {
    return "xxh3-64:" + base::hex64(sum);
}

std::optional<uint64_t> parse_checksum_text(std::string_view text) {
    if (!text.starts_with("xxh3-64:"))
        return std::nullopt;
    return base::parse_hex64(text.substr(8));
}

} // namespace

// Raw chunk encoding (before compression), see docs/format/segment.md:
//   u8 flags (bit 0: validity bitmap follows; bit 1: external bitmap follows) [bitmaps] values
// where values are fixed-width bytes, or u64 offsets + bytes, or u64 list offsets + child chunk.
class ColumnCodec {
  public:
    static constexpr uint8_t kHasValidity = 1; // a validity bitmap follows
    static constexpr uint8_t kHasExternal = 2; // Blob: a bitmap of external references follows

    static void encode(const Column& c, std::string& out) {
        bool has_nulls = c.null_count() > 0;
        bool has_external =
            std::find(c.valid_.begin(), c.valid_.end(), Column::kExternal) != c.valid_.end();
        out.push_back(
            static_cast<char>((has_nulls ? kHasValidity : 0) | (has_external ? kHasExternal : 0)));
        auto bitmap = [&](auto selected) {
            std::string bits((c.size() + 7) / 8, '\0');
            for (size_t i = 0; i < c.size(); ++i)
                if (selected(c.valid_[i]))
                    bits[i / 8] = static_cast<char>(bits[i / 8] | (1 << (i % 8)));
            out += bits;
        };
        if (has_nulls)
            bitmap([](uint8_t v) { return v != 0; });
        if (has_external)
            bitmap([](uint8_t v) { return v == Column::kExternal; });
        const ColumnType& t = c.type();
        if (t.kind == PhysicalKind::kList) {
            for (uint64_t o : c.offsets_)
                put_le<uint64_t>(out, o);
            encode(*c.child_, out);
        } else if (t.is_variable()) {
            for (uint64_t o : c.offsets_)
                put_le<uint64_t>(out, o);
            out += c.bytes_;
        } else {
            out += c.fixed_;
        }
    }

    // Decodes from `in` (advancing it); every size is checked against what remains.
    static Result<Column> decode(const ColumnType& type, std::string_view& in, uint64_t rows) {
        Column c(type);
        if (in.empty())
            return corrupt("chunk of " + type.name() + " is empty");
        uint8_t flags = static_cast<uint8_t>(in[0]);
        in.remove_prefix(1);
        if ((flags & ~(kHasValidity | kHasExternal)) != 0)
            return corrupt("unknown chunk flags " + std::to_string(flags));
        if ((flags & kHasExternal) && type.kind != PhysicalKind::kBlob)
            return corrupt("chunk of " + type.name() + " marks external references");
        // Every row costs at least a byte of values or offsets: refuse row counts the remaining
        // input cannot hold before allocating anything for them.
        uint64_t per_row = (type.kind == PhysicalKind::kList || type.is_variable())
                               ? 8
                               : std::max<uint64_t>(type.width(), 1);
        if (rows > (uint64_t(1) << 40) || rows > in.size() / per_row + 1)
            return corrupt("row count " + std::to_string(rows) + " exceeds what the " +
                           type.name() + " chunk holds");
        c.valid_.assign(rows, 1);
        uint64_t bitmap_bytes = (rows + 7) / 8;
        auto bit = [&](uint64_t i) {
            return (static_cast<unsigned char>(in[i / 8]) >> (i % 8)) & 1;
        };
        if (flags & kHasValidity) {
            if (in.size() < bitmap_bytes)
                return corrupt("validity bitmap truncated");
            for (uint64_t i = 0; i < rows; ++i)
                c.valid_[i] = static_cast<uint8_t>(bit(i));
            in.remove_prefix(bitmap_bytes);
        }
        if (flags & kHasExternal) {
            if (in.size() < bitmap_bytes)
                return corrupt("external bitmap truncated");
            for (uint64_t i = 0; i < rows; ++i) {
                if (!bit(i))
                    continue;
                if (!c.valid_[i])
                    return corrupt("null row " + std::to_string(i) + " marked external");
                c.valid_[i] = Column::kExternal;
            }
            in.remove_prefix(bitmap_bytes);
        }
        if (type.kind == PhysicalKind::kList || type.is_variable()) {
            if (in.size() / 8 < rows + 1)
                return corrupt("offsets of " + type.name() + " truncated");
            c.offsets_.resize(rows + 1);
            for (uint64_t i = 0; i <= rows; ++i)
                c.offsets_[i] = get_le<uint64_t>(in.data() + 8 * i);
            in.remove_prefix(8 * (rows + 1));
            if (c.offsets_[0] != 0)
                return corrupt("offsets of " + type.name() + " do not start at 0");
            for (uint64_t i = 0; i < rows; ++i)
                if (c.offsets_[i + 1] < c.offsets_[i])
                    return corrupt("offsets of " + type.name() + " decrease");
            uint64_t total = c.offsets_[rows];
            if (type.kind == PhysicalKind::kList) {
                auto child = OG_TRY(decode(*type.item, in, total));
                c.child_ = std::make_unique<Column>(std::move(child));
            } else {
                if (in.size() < total)
                    return corrupt("bytes of " + type.name() + " truncated");
                c.bytes_ = std::string(in.substr(0, total));
                in.remove_prefix(total);
            }
            return c;
        }
        uint64_t width = type.width();
        if (width == 0 || in.size() / width < rows)
            return corrupt("values of " + type.name() + " truncated");
        c.fixed_ = std::string(in.substr(0, rows * width));
        in.remove_prefix(rows * width);
        return c;
    }
};

namespace {

// min/max over the valid rows of numeric and short string columns.
template <class Info> void compute_stats(const Column& c, Info& info) {
    const ColumnType& t = c.type();
    auto fold = [&](auto value_at) {
        for (size_t r = 0; r < c.size(); ++r) {
            if (c.is_null(r))
                continue;
            StatValue v = value_at(r);
            if (!info.min || v < *info.min)
                info.min = v;
            if (!info.max || *info.max < v)
                info.max = v;
        }
    };
    switch (t.kind) {
    case PhysicalKind::kI32:
    case PhysicalKind::kDate:
        fold([&](size_t r) { return StatValue(int64_t(c.fixed_at<int32_t>(r))); });
        break;
    case PhysicalKind::kI64:
    case PhysicalKind::kDateTime:
        fold([&](size_t r) { return StatValue(c.fixed_at<int64_t>(r)); });
        break;
    case PhysicalKind::kU32:
        fold([&](size_t r) { return StatValue(uint64_t(c.fixed_at<uint32_t>(r))); });
        break;
    case PhysicalKind::kU64:
        fold([&](size_t r) { return StatValue(c.fixed_at<uint64_t>(r)); });
        break;
    case PhysicalKind::kF32:
    case PhysicalKind::kF64: {
        bool has_nan = false;
        fold([&](size_t r) {
            double d =
                t.kind == PhysicalKind::kF32 ? double(c.fixed_at<float>(r)) : c.fixed_at<double>(r);
            has_nan |= d != d;
            return StatValue(d);
        });
        if (has_nan) { // NaN defeats ordering; no stats rather than wrong ones
            info.min.reset();
            info.max.reset();
        }
        break;
    }
    case PhysicalKind::kString: {
        bool too_long = false;
        fold([&](size_t r) {
            too_long |= c.bytes_at(r).size() > kMaxStatString;
            return StatValue(std::string(c.bytes_at(r)));
        });
        if (too_long) {
            info.min.reset();
            info.max.reset();
        }
        break;
    }
    default:
        break;
    }
}

Json stat_json(const StatValue& v) {
    return std::visit([](const auto& x) { return Json(x); }, v);
}

std::optional<StatValue> stat_from(const Json& j, PhysicalKind kind) {
    if (j.is_null())
        return std::nullopt;
    switch (kind) {
    case PhysicalKind::kU32:
    case PhysicalKind::kU64:
        return StatValue(base::json_int<uint64_t>(j));
    case PhysicalKind::kF32:
    case PhysicalKind::kF64:
        return StatValue(j.get<double>());
    case PhysicalKind::kString:
        return StatValue(j.get<std::string>());
    default:
        return StatValue(base::json_int<int64_t>(j));
    }
}

} // namespace

const SegmentColumnInfo* SegmentFooter::find(std::string_view name) const {
    for (const auto& c : columns)
        if (c.name == name)
            return &c;
    return nullptr;
}

namespace {

Json page_stat(const std::optional<StatValue>& v) {
    return v ? stat_json(*v) : Json(nullptr);
}

// `raw` as stored: zstd (level 3) when that is smaller, else as it is (also under 64 bytes).
std::string stored_form(std::string raw, bool& compressed) {
    compressed = false;
    if (raw.size() < 64)
        return raw;
    std::string packed(ZSTD_compressBound(raw.size()), '\0');
    size_t n = ZSTD_compress(packed.data(), packed.size(), raw.data(), raw.size(), 3);
    if (ZSTD_isError(n) || n >= raw.size())
        return raw;
    packed.resize(n);
    compressed = true;
    return packed;
}

// Encodes `c` as one stored chunk, filling the chunk's sizes and stats.
std::string encode_chunk(const Column& c, PageInfo& page) {
    page.rows = c.size();
    page.null_count = c.null_count();
    compute_stats(c, page);
    std::string raw;
    ColumnCodec::encode(c, raw);
    page.raw_length = raw.size();
    return stored_form(std::move(raw), page.compressed);
}

// Appends the footer (with every column's, page's and block's checksum) and the trailer to the
// data in `out`.
Result<std::string> finish_segment(std::string out, uint64_t rows, uint64_t page_rows,
                                   const std::vector<SegmentColumnInfo>& infos,
                                   const std::vector<SegmentIndex>& indexes,
                                   const std::vector<SegmentTextIndex>& text_indexes = {},
                                   const std::vector<SegmentVectorIndex>& vector_indexes = {}) {
    auto sum_of = [&](uint64_t offset, uint64_t length) {
        return checksum_text(base::xxh3_64(std::string_view(out).substr(offset, length)));
    };
    Json cols = Json::array();
    for (const auto& info : infos) {
        Json c;
        c["name"] = info.name;
        c["type"] = info.type.name();
        c["offset"] = info.offset;
        c["length"] = info.length;
        c["raw_length"] = info.raw_length;
        c["compression"] = !info.pages.empty() ? "paged" : info.compressed ? "zstd" : "none";
        c["null_count"] = info.null_count;
        c["min"] = page_stat(info.min);
        c["max"] = page_stat(info.max);
        c["checksum"] = sum_of(info.offset, info.length);
        if (!info.pages.empty()) {
            // [offset, length, raw_length, compressed, null_count, min, max, checksum]
            Json pages = Json::array();
            for (const auto& p : info.pages)
                pages.push_back(Json::array({p.offset, p.length, p.raw_length, p.compressed ? 1 : 0,
                                             p.null_count, page_stat(p.min), page_stat(p.max),
                                             sum_of(p.offset, p.length)}));
            c["pages"] = std::move(pages);
        }
        cols.push_back(c);
    }
    Json footer;
    footer["format"] = "omnigraph-segment";
    footer["version"] = kSegmentFormatVersion;
    footer["row_count"] = rows;
    footer["page_rows"] = page_rows;
    footer["columns"] = cols;
    Json idx = Json::array();
    for (const auto& index : indexes) {
        // [offset, length, raw_length, compressed, entries, first, last, checksum]
        Json blocks = Json::array();
        for (const auto& b : index.blocks)
            blocks.push_back(Json::array({b.offset, b.length, b.raw_length, b.compressed ? 1 : 0,
                                          b.entries, b.first, b.last, sum_of(b.offset, b.length)}));
        idx.push_back(Json{{"column", index.column}, {"blocks", std::move(blocks)}});
    }
    footer["indexes"] = std::move(idx);
    if (!text_indexes.empty()) {
        Json text = Json::array();
        for (const auto& t : text_indexes)
            text.push_back(Json{{"column", t.column},
                                {"analyzer", t.analyzer},
                                {"offset", t.offset},
                                {"length", t.length},
                                {"raw_length", t.raw_length},
                                {"compression", t.compressed ? "zstd" : "none"},
                                {"terms", t.terms},
                                {"checksum", sum_of(t.offset, t.length)}});
        footer["text_indexes"] = std::move(text);
    }
    if (!vector_indexes.empty()) {
        Json vectors = Json::array();
        for (const auto& v : vector_indexes)
            vectors.push_back(Json{{"column", v.column},
                                   {"kind", v.kind},
                                   {"metric", v.metric},
                                   {"dim", v.dim},
                                   {"lists", v.lists},
                                   {"rows", v.rows},
                                   {"offset", v.offset},
                                   {"length", v.length},
                                   {"checksum", sum_of(v.offset, v.length)}});
        footer["vector_indexes"] = std::move(vectors);
    }
    std::string text = base::to_canonical_json(footer);
    if (text.size() > std::numeric_limits<uint32_t>::max())
        return Error(codes::kInvalidArgument, "segment footer too large");
    size_t footer_at = out.size();
    out += text;
    uint32_t len = static_cast<uint32_t>(text.size());
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
    put_le<uint64_t>(out, base::xxh3_64(std::string_view(out).substr(footer_at)));
    out += kMagic;
    return out;
}

// The key index of string column `c`: its (value, row) pairs sorted, in blocks.
Result<SegmentIndex> write_index(const std::string& name, const Column& c, uint64_t block_entries,
                                 std::string& out) {
    if (c.type().kind != PhysicalKind::kString || c.null_count() != 0)
        return Error(codes::kInvalidArgument,
                     "segment index on '" + name + "' needs a string column without nulls");
    if (c.size() > std::numeric_limits<uint32_t>::max())
        return Error(codes::kInvalidArgument, "segment too large to index");
    // Sorted by key, then row: mostly on the keys' first 8 bytes as one big-endian integer.
    struct Entry {
        uint64_t prefix;
        uint32_t row;
    };
    std::vector<Entry> entries(c.size());
    for (size_t i = 0; i < entries.size(); ++i) {
        std::string_view k = c.bytes_at(i);
        uint64_t prefix = 0;
        for (size_t b = 0; b < 8; ++b)
            prefix = (prefix << 8) | (b < k.size() ? static_cast<unsigned char>(k[b]) : 0);
        entries[i] = {prefix, static_cast<uint32_t>(i)};
    }
    std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
        if (a.prefix != b.prefix)
            return a.prefix < b.prefix;
        auto ka = c.bytes_at(a.row), kb = c.bytes_at(b.row);
        return ka != kb ? ka < kb : a.row < b.row;
    });
    std::vector<uint32_t> order(entries.size());
    for (size_t i = 0; i < entries.size(); ++i)
        order[i] = entries[i].row;
    entries = {};
    SegmentIndex index{name, {}};
    for (size_t from = 0; from < order.size(); from += block_entries) {
        size_t to = std::min<size_t>(order.size(), from + block_entries);
        Column keys(ColumnType{PhysicalKind::kString});
        Column rows(ColumnType{PhysicalKind::kU32});
        for (size_t i = from; i < to; ++i) {
            keys.append_bytes(c.bytes_at(order[i]));
            rows.append_fixed(&order[i]);
        }
        std::string raw;
        ColumnCodec::encode(keys, raw);
        ColumnCodec::encode(rows, raw);
        IndexBlock block;
        block.entries = to - from;
        block.first = std::string(c.bytes_at(order[from]));
        block.last = std::string(c.bytes_at(order[to - 1]));
        block.raw_length = raw.size();
        std::string stored = stored_form(std::move(raw), block.compressed);
        block.offset = out.size();
        block.length = stored.size();
        out += stored;
        index.blocks.push_back(std::move(block));
    }
    return index;
}

// The full-text index of string column `c`, appended to `out` as one chunk.
Result<SegmentTextIndex> write_text_index(const std::string& name, const Column& c,
                                          std::string& out) {
    SegmentTextIndex entry;
    entry.column = name;
    entry.analyzer = std::string(kTextAnalyzer);
    auto index = build_text_index(c);
    if (!index)
        return std::move(index).error().prepend("full-text index on '" + name + "'");
    entry.terms = index->terms.size();
    std::string raw = encode_text_index(*index);
    entry.raw_length = raw.size();
    std::string stored = stored_form(std::move(raw), entry.compressed);
    entry.offset = out.size();
    entry.length = stored.size();
    out += stored;
    return entry;
}

// Column `name` of `columns`, which an index option names.
Result<const Column*> column_to_index(const std::vector<NamedColumn>& columns,
                                      const std::string& name) {
    for (const auto& c : columns)
        if (c.name == name)
            return &c.column;
    return Error(codes::kInvalidArgument, "no column '" + name + "' to index");
}

// The vector index of vector column `c`, appended to `out` (its lists, then its header);
// nullopt when the column has too few vectors to be worth one.
Result<std::optional<SegmentVectorIndex>>
write_vector_index(const std::string& name, const Column& c, uint64_t min_rows, std::string& out) {
    auto built = build_vector_index(c, min_rows);
    if (!built)
        return std::move(built).error().prepend("vector index on '" + name + "'");
    const std::optional<VectorIndex>& made = *built;
    if (!made)
        return std::optional<SegmentVectorIndex>();
    const VectorIndex& index = *made;
    SegmentVectorIndex entry{name, "ivf_sq8", "l2", index.dim,
                             static_cast<uint32_t>(index.lists.size())};
    VectorIndexHeader header{index.dim, index.low, index.step, index.centroids, {}};
    for (const auto& list : index.lists) {
        std::string codes = encode_vector_codes(list);
        VectorListRef ref{out.size(), codes.size(), static_cast<uint32_t>(list.rows.size()),
                          base::xxh3_64(codes), 0};
        out += codes;
        ref.vectors_offset = out.size();
        out += encode_vector_values(list);
        header.lists.push_back(ref);
        entry.rows += list.rows.size();
    }
    std::string raw = encode_vector_header(header);
    entry.offset = out.size();
    entry.length = raw.size();
    out += raw;
    return std::optional<SegmentVectorIndex>(std::move(entry));
}

} // namespace

PageInfo SegmentColumnInfo::page(size_t i) const {
    if (!pages.empty())
        return pages[i];
    return PageInfo{offset, length, raw_length, compressed, 0, null_count, min, max, checksum};
}

Result<std::string> write_segment(const std::vector<NamedColumn>& columns,
                                  const SegmentOptions& options) {
    if (columns.empty())
        return Error(codes::kInvalidArgument, "a segment needs at least one column");
    uint64_t page_rows = std::max<uint64_t>(options.page_rows, 1);
    uint64_t rows = columns.front().column.size();
    std::string out;
    std::vector<SegmentColumnInfo> infos;
    for (const auto& [name, column] : columns) {
        if (column.size() != rows)
            return Error(codes::kInvalidArgument, "segment column '" + name + "' has " +
                                                      std::to_string(column.size()) +
                                                      " rows, not " + std::to_string(rows));
        SegmentColumnInfo info;
        info.name = name;
        info.type = column.type();
        info.null_count = column.null_count();
        compute_stats(column, info);
        info.offset = out.size();
        if (rows <= page_rows) {
            PageInfo whole;
            out += encode_chunk(column, whole);
            info.raw_length = whole.raw_length;
            info.compressed = whole.compressed;
        } else {
            for (uint64_t from = 0; from < rows; from += page_rows) {
                PageInfo page;
                std::string stored =
                    encode_chunk(column.slice(from, std::min(rows, from + page_rows)), page);
                page.offset = out.size();
                page.length = stored.size();
                out += stored;
                info.raw_length += page.raw_length;
                info.pages.push_back(std::move(page));
            }
        }
        info.length = out.size() - info.offset;
        infos.push_back(std::move(info));
    }
    std::vector<SegmentIndex> indexes;
    for (const auto& name : options.indexed) {
        const Column* column = OG_TRY(column_to_index(columns, name));
        indexes.push_back(OG_TRY(
            write_index(name, *column, std::max<uint64_t>(options.index_block_entries, 1), out)));
    }
    std::vector<SegmentTextIndex> text_indexes;
    for (const auto& name : options.text_indexed) {
        const Column* column = OG_TRY(column_to_index(columns, name));
        text_indexes.push_back(OG_TRY(write_text_index(name, *column, out)));
    }
    std::vector<SegmentVectorIndex> vector_indexes;
    for (const auto& name : options.vector_indexed) {
        const Column* column = OG_TRY(column_to_index(columns, name));
        if (auto entry =
                OG_TRY(write_vector_index(name, *column, options.vector_index_min_rows, out)))
            vector_indexes.push_back(std::move(*entry));
    }
    return finish_segment(std::move(out), rows, page_rows, infos, indexes, text_indexes,
                          vector_indexes);
}

std::vector<std::string> key_index_columns(bool is_edge) {
    return is_edge ? std::vector<std::string>{"src", "dst"} : std::vector<std::string>{"id"};
}

bool has_key_indexes(const SegmentFooter& footer, bool is_edge) {
    if (footer.version < 3)
        return false;
    for (const auto& column : key_index_columns(is_edge))
        if (!footer.find_index(column))
            return false;
    return true;
}

Result<std::optional<std::string>> upgrade_segment(std::string_view bytes) {
    auto footer = OG_TRY(parse_segment_footer(bytes, bytes.size()));
    if (footer.version >= 2)
        return std::optional<std::string>();
    // Seal only what reads back: every chunk decodes before the new checksums vouch for it.
    std::vector<NamedColumn> columns;
    columns.reserve(footer.columns.size());
    for (const auto& info : footer.columns)
        columns.push_back(
            {info.name,
             OG_TRY(decode_chunk(info, bytes.substr(info.offset, info.length), footer.row_count))});
    SegmentOptions options;
    options.indexed = key_index_columns(footer.find("src") != nullptr);
    auto written = write_segment(columns, options);
    if (!written) // a key column with nulls, say: damage, not a bad argument
        return corrupt(written.error().message);
    return std::optional<std::string>(std::move(*written));
}

namespace {

// The pages of a paged column: consecutive, inside the column's bytes, `page_rows` rows each
// but the last, adding up to the segment's rows.
Status parse_pages(const Json& list, uint64_t row_count, uint64_t page_rows,
                   SegmentColumnInfo& info) {
    uint64_t at = info.offset, rows = 0, raw = 0, nulls = 0;
    for (const auto& j : list) {
        if (!j.is_array() || j.size() != 8)
            return corrupt("column '" + info.name + "' has a malformed page");
        PageInfo p;
        p.offset = base::json_int<uint64_t>(j[0]);
        p.length = base::json_int<uint64_t>(j[1]);
        p.raw_length = base::json_int<uint64_t>(j[2]);
        p.compressed = base::json_int<uint64_t>(j[3]) == 1;
        p.null_count = base::json_int<uint64_t>(j[4]);
        p.min = stat_from(j[5], info.type.kind);
        p.max = stat_from(j[6], info.type.kind);
        p.checksum = parse_checksum_text(j[7].get<std::string>());
        if (!p.checksum)
            return corrupt("a page of column '" + info.name + "' has no xxh3-64 checksum");
        p.rows = std::min(page_rows, row_count - std::min(row_count, rows));
        if (p.offset != at || p.length > info.offset + info.length - at || p.rows == 0)
            return corrupt("page " + std::to_string(info.pages.size()) + " of column '" +
                           info.name + "' lies outside the column");
        at += p.length;
        rows += p.rows;
        raw += p.raw_length;
        nulls += p.null_count;
        info.pages.push_back(std::move(p));
    }
    if (rows != row_count || at != info.offset + info.length || raw != info.raw_length ||
        nulls != info.null_count || info.pages.size() < 2)
        return corrupt("the pages of column '" + info.name + "' do not add up to the column");
    return ok();
}

// A key index: blocks inside the data area, sorted, covering every row once.
Result<SegmentIndex> parse_index(const Json& j, uint64_t row_count, uint64_t data_end,
                                 const SegmentFooter& footer) {
    SegmentIndex index;
    index.column = j.at("column").get<std::string>();
    const SegmentColumnInfo* col = footer.find(index.column);
    if (!col || col->type.kind != PhysicalKind::kString || footer.find_index(index.column))
        return corrupt("index on '" + index.column + "' names no string column, or twice");
    uint64_t entries = 0;
    for (const auto& b : j.at("blocks")) {
        if (!b.is_array() || b.size() != 8)
            return corrupt("index on '" + index.column + "' has a malformed block");
        IndexBlock block;
        block.offset = base::json_int<uint64_t>(b[0]);
        block.length = base::json_int<uint64_t>(b[1]);
        block.raw_length = base::json_int<uint64_t>(b[2]);
        block.compressed = base::json_int<uint64_t>(b[3]) == 1;
        block.entries = base::json_int<uint64_t>(b[4]);
        block.first = b[5].get<std::string>();
        block.last = b[6].get<std::string>();
        auto sum = parse_checksum_text(b[7].get<std::string>());
        if (!sum)
            return corrupt("a block of index '" + index.column + "' has no xxh3-64 checksum");
        block.checksum = *sum;
        if (block.offset > data_end || block.length > data_end - block.offset ||
            block.entries == 0 || block.last < block.first ||
            (!index.blocks.empty() && block.first < index.blocks.back().last))
            return corrupt("block " + std::to_string(index.blocks.size()) + " of index '" +
                           index.column + "' is out of place or order");
        entries += block.entries;
        index.blocks.push_back(std::move(block));
    }
    if (entries != row_count)
        return corrupt("index on '" + index.column + "' holds " + std::to_string(entries) +
                       " entries for " + std::to_string(row_count) + " rows");
    return index;
}

// A full-text index entry: one chunk inside the data area, over a string column, once.
Result<SegmentTextIndex> parse_text_index(const Json& j, uint64_t data_end,
                                          const SegmentFooter& footer) {
    SegmentTextIndex t;
    t.column = j.at("column").get<std::string>();
    t.analyzer = j.at("analyzer").get<std::string>();
    t.offset = base::json_int<uint64_t>(j.at("offset"));
    t.length = base::json_int<uint64_t>(j.at("length"));
    t.raw_length = base::json_int<uint64_t>(j.at("raw_length"));
    std::string compression = j.at("compression").get<std::string>();
    if (compression != "zstd" && compression != "none")
        return corrupt("full-text index on '" + t.column + "' has compression '" + compression +
                       "'");
    t.compressed = compression == "zstd";
    t.terms = base::json_int<uint64_t>(j.at("terms"));
    auto sum = parse_checksum_text(j.at("checksum").get<std::string>());
    if (!sum)
        return corrupt("full-text index on '" + t.column + "' has no xxh3-64 checksum");
    t.checksum = *sum;
    const SegmentColumnInfo* col = footer.find(t.column);
    if (!col || col->type.kind != PhysicalKind::kString || footer.find_text_index(t.column))
        return corrupt("full-text index on '" + t.column + "' names no string column, or twice");
    if (t.offset > data_end || t.length > data_end - t.offset)
        return corrupt("full-text index on '" + t.column + "' lies outside the data area");
    return t;
}

// A vector index entry: a header chunk inside the data area, over a vector column, once.
Result<SegmentVectorIndex> parse_vector_index(const Json& j, uint64_t data_end,
                                              const SegmentFooter& footer) {
    SegmentVectorIndex v;
    v.column = j.at("column").get<std::string>();
    v.kind = j.at("kind").get<std::string>();
    v.metric = j.at("metric").get<std::string>();
    v.dim = base::json_int<uint32_t>(j.at("dim"));
    v.lists = base::json_int<uint32_t>(j.at("lists"));
    v.rows = base::json_int<uint64_t>(j.at("rows"));
    v.offset = base::json_int<uint64_t>(j.at("offset"));
    v.length = base::json_int<uint64_t>(j.at("length"));
    std::string what = "vector index on '" + v.column + "'";
    auto sum = parse_checksum_text(j.at("checksum").get<std::string>());
    if (!sum)
        return corrupt(what + " has no xxh3-64 checksum");
    v.checksum = *sum;
    if (v.kind != "ivf_sq8" || v.metric != "l2")
        return corrupt(what + " is of kind '" + v.kind + "' with metric '" + v.metric +
                       "' (this build reads ivf_sq8 with l2)");
    const SegmentColumnInfo* col = footer.find(v.column);
    if (!col || col->type.kind != PhysicalKind::kVector || col->type.dim != v.dim ||
        footer.find_vector_index(v.column))
        return corrupt(what + " names no vector column of " + std::to_string(v.dim) +
                       " values, or twice");
    if (v.lists == 0 || v.rows > footer.row_count || v.lists > v.rows)
        return corrupt(what + " has " + std::to_string(v.lists) + " lists of " +
                       std::to_string(v.rows) + " rows in a segment of " +
                       std::to_string(footer.row_count));
    if (v.offset > data_end || v.length > data_end - v.offset)
        return corrupt(what + " lies outside the data area");
    return v;
}

} // namespace

const SegmentVectorIndex* SegmentFooter::find_vector_index(std::string_view column) const {
    for (const auto& v : vector_indexes)
        if (v.column == column)
            return &v;
    return nullptr;
}

const SegmentTextIndex* SegmentFooter::find_text_index(std::string_view column) const {
    for (const auto& t : text_indexes)
        if (t.column == column)
            return &t;
    return nullptr;
}

const SegmentIndex* SegmentFooter::find_index(std::string_view column) const {
    for (const auto& i : indexes)
        if (i.column == column)
            return &i;
    return nullptr;
}

Result<SegmentFooter> parse_segment_footer(std::string_view tail, uint64_t file_size,
                                           uint64_t* needed) {
    if (tail.size() < kTrailerV1 || file_size < kTrailerV1 || tail.size() > file_size)
        return corrupt("file of " + std::to_string(file_size) + " bytes is too short");
    std::string_view magic = tail.substr(tail.size() - 4);
    if (magic != kMagic && magic != kMagicV2 && magic != kMagicV1)
        return corrupt("missing magic 'OGS3' at " + byte_range(file_size - 4, 4));
    int version = magic == kMagic ? 3 : magic == kMagicV2 ? 2 : 1;
    size_t trailer = version == 1 ? kTrailerV1 : kTrailer;
    if (tail.size() < trailer || file_size < trailer)
        return corrupt("file of " + std::to_string(file_size) + " bytes is too short");
    uint32_t len = 0;
    for (int i = 3; i >= 0; --i)
        len = (len << 8) | static_cast<unsigned char>(tail[tail.size() - trailer + i]);
    if (uint64_t(len) + trailer > file_size)
        return corrupt("footer length " + std::to_string(len) + " at " +
                       byte_range(file_size - trailer, 4) + " exceeds the file");
    if (uint64_t(len) + trailer > tail.size()) {
        if (needed)
            *needed = uint64_t(len) + trailer;
        return corrupt("footer not in the bytes read");
    }
    uint64_t data_end = file_size - trailer - len;
    std::string_view text = tail.substr(tail.size() - trailer - len, len);
    if (version != 1) {
        // The checksum covers the footer and its length: a damaged length fails it too.
        uint64_t stored = get_le<uint64_t>(tail.data() + tail.size() - 12);
        uint64_t computed = base::xxh3_64(tail.substr(tail.size() - trailer - len, len + 4));
        if (stored != computed)
            return corrupt("footer " + byte_range(data_end, uint64_t(len) + 4) +
                           " fail their checksum (stored xxh3-64 " + base::hex64(stored) +
                           ", computed " + base::hex64(computed) + ")");
    }
    auto json = base::parse_json(text);
    if (!json)
        return corrupt("footer is not JSON: " + json.error().message);
    SegmentFooter footer;
    footer.version = version;
    try {
        if (json->at("format") != "omnigraph-segment" || json->at("version") != version)
            return corrupt("unsupported segment format or version");
        footer.row_count = base::json_int<uint64_t>(json->at("row_count"));
        if (version >= 3) {
            footer.page_rows = base::json_int<uint64_t>(json->at("page_rows"));
            if (footer.page_rows == 0)
                return corrupt("page_rows is 0");
        }
        for (const auto& c : json->at("columns")) {
            SegmentColumnInfo info;
            info.name = c.at("name").get<std::string>();
            info.type = OG_TRY(ColumnType::parse(c.at("type").get<std::string>()));
            info.offset = base::json_int<uint64_t>(c.at("offset"));
            info.length = base::json_int<uint64_t>(c.at("length"));
            info.raw_length = base::json_int<uint64_t>(c.at("raw_length"));
            std::string compression = c.at("compression").get<std::string>();
            bool paged = version >= 3 && c.contains("pages");
            if (paged ? compression != "paged" : compression != "zstd" && compression != "none")
                return corrupt("column '" + info.name + "' has compression '" + compression + "'");
            info.compressed = compression == "zstd";
            info.null_count = base::json_int<uint64_t>(c.at("null_count"));
            info.min = stat_from(c.at("min"), info.type.kind);
            info.max = stat_from(c.at("max"), info.type.kind);
            if (version != 1) {
                info.checksum = parse_checksum_text(c.at("checksum").get<std::string>());
                if (!info.checksum)
                    return corrupt("column '" + info.name + "' has no xxh3-64 checksum");
            }
            if (info.offset > data_end || info.length > data_end - info.offset)
                return corrupt("column '" + info.name + "' lies outside the data area");
            if (paged)
                OG_CHECK(parse_pages(c.at("pages"), footer.row_count, footer.page_rows, info));
            if (footer.find(info.name))
                return corrupt("column '" + info.name + "' appears twice");
            footer.columns.push_back(std::move(info));
        }
        if (version >= 3)
            for (const auto& j : json->at("indexes"))
                footer.indexes.push_back(
                    OG_TRY(parse_index(j, footer.row_count, data_end, footer)));
        if (version >= 3 && json->contains("text_indexes"))
            for (const auto& j : json->at("text_indexes"))
                footer.text_indexes.push_back(OG_TRY(parse_text_index(j, data_end, footer)));
        if (version >= 3 && json->contains("vector_indexes"))
            for (const auto& j : json->at("vector_indexes"))
                footer.vector_indexes.push_back(OG_TRY(parse_vector_index(j, data_end, footer)));
    } catch (const std::exception& e) {
        return corrupt(std::string("bad footer: ") + e.what());
    }
    return footer;
}

namespace {

// Verifies `stored` (what `what` names, at `offset`) against its checksum and returns its raw
// bytes: decompressed into `buffer`, or `stored` itself.
Result<std::string_view> inflate(const std::string& what, uint64_t offset, std::string_view stored,
                                 std::optional<uint64_t> checksum, bool compressed,
                                 uint64_t raw_length, std::string& buffer) {
    if (checksum) {
        uint64_t computed = base::xxh3_64(stored);
        if (computed != *checksum)
            return corrupt(what + " " + byte_range(offset, stored.size()) +
                           " fail their checksum (stored xxh3-64 " + base::hex64(*checksum) +
                           ", computed " + base::hex64(computed) + ")");
    }
    if (!compressed)
        return stored;
    // The frame header states its content size; believe raw_length only when they agree.
    unsigned long long frame = ZSTD_getFrameContentSize(stored.data(), stored.size());
    if (frame == ZSTD_CONTENTSIZE_ERROR || frame == ZSTD_CONTENTSIZE_UNKNOWN ||
        frame != raw_length || raw_length > (uint64_t(1) << 34))
        return corrupt(what + " claims " + std::to_string(raw_length) +
                       " bytes that its zstd frame does not hold");
    // Stream in 1 MiB steps: memory grows with what the frame really produces, never with
    // what a damaged header claims.
    std::string& raw = buffer;
    raw.clear();
    std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
    ZSTD_inBuffer src{stored.data(), stored.size(), 0};
    size_t step = 1 << 20;
    while (true) {
        size_t before = raw.size();
        if (before >= raw_length && src.pos == src.size)
            break;
        raw.resize(std::min<uint64_t>(raw_length + 1, before + step));
        ZSTD_outBuffer dst{raw.data(), raw.size(), before};
        size_t rc = ZSTD_decompressStream(dctx.get(), &dst, &src);
        raw.resize(dst.pos);
        if (ZSTD_isError(rc) || raw.size() > raw_length)
            return corrupt(what + " does not decompress to its recorded size");
        if (rc == 0 && src.pos == src.size)
            break; // frame complete
        if (dst.pos == before && src.pos == src.size)
            return corrupt(what + " has a truncated zstd frame");
    }
    if (raw.size() != raw_length)
        return corrupt(what + " does not decompress to its recorded size");
    return std::string_view(raw);
}

Result<Column> decode_one(const SegmentColumnInfo& info, const PageInfo& page,
                          std::string_view stored, uint64_t rows, const std::string& what) {
    std::string buffer;
    std::string_view in = OG_TRY(inflate(what, page.offset, stored, page.checksum, page.compressed,
                                         page.raw_length, buffer));
    auto column = ColumnCodec::decode(info.type, in, rows);
    if (!column)
        return std::move(column).error().prepend(what);
    if (!in.empty())
        return corrupt(what + " has " + std::to_string(in.size()) + " trailing bytes");
    if (column->null_count() != page.null_count)
        return corrupt(what + " null count differs from its footer");
    return column;
}

std::string page_name(const SegmentColumnInfo& info, size_t page) {
    return "page " + std::to_string(page) + " of column '" + info.name + "'";
}

} // namespace

Result<Column> decode_chunk(const SegmentColumnInfo& info, std::string_view stored, uint64_t rows) {
    std::string what = "column '" + info.name + "'";
    if (info.pages.empty())
        return decode_one(info, info.page(0), stored, rows, what);
    // The column's checksum covers all its pages; each page is then checked on its own too.
    std::string unused;
    OG_CHECK(inflate(what, info.offset, stored, info.checksum, false, 0, unused));
    std::vector<Column> pages;
    pages.reserve(info.pages.size());
    for (size_t i = 0; i < info.pages.size(); ++i) {
        const PageInfo& p = info.pages[i];
        pages.push_back(OG_TRY(decode_one(info, p, stored.substr(p.offset - info.offset, p.length),
                                          p.rows, page_name(info, i))));
    }
    return Column::concat(info.type, std::move(pages));
}

Result<Column> decode_page(const SegmentColumnInfo& info, const PageInfo& page,
                           std::string_view stored) {
    return decode_one(info, page, stored, page.rows, "page of column '" + info.name + "'");
}

Result<IndexEntries> decode_index_block(const SegmentIndex& index, const IndexBlock& block,
                                        std::string_view stored) {
    std::string what = "block of index '" + index.column + "'";
    std::string buffer;
    std::string_view in = OG_TRY(inflate(what, block.offset, stored, block.checksum,
                                         block.compressed, block.raw_length, buffer));
    IndexEntries out;
    out.keys = OG_TRY(ColumnCodec::decode(out.keys.type(), in, block.entries));
    out.rows = OG_TRY(ColumnCodec::decode(out.rows.type(), in, block.entries));
    if (!in.empty() || out.keys.null_count() != 0 || out.rows.null_count() != 0)
        return corrupt(what + " does not hold exactly its entries");
    if (out.keys.bytes_at(0) != block.first || out.keys.bytes_at(block.entries - 1) != block.last)
        return corrupt(what + " does not start and end with its footer's keys");
    for (size_t i = 1; i < block.entries; ++i)
        if (out.keys.bytes_at(i) < out.keys.bytes_at(i - 1))
            return corrupt(what + " is not sorted");
    return out;
}

Result<SegmentReader> SegmentReader::open(store::ObjectStore& store, std::string key,
                                          std::optional<uint64_t> size) {
    if (!size) {
        auto meta = OG_TRY(store.head(key));
        if (!meta)
            return Error(codes::kNotFound, "segment not found: " + store.uri_of(key));
        size = meta->size;
    }
    uint64_t tail_len = std::min(*size, kTailGuess);
    auto tail = OG_TRY(store.get(key, store::ByteRange{*size - tail_len, tail_len}));
    if (tail.data.size() != tail_len)
        return corrupt(store.uri_of(key) + ": truncated: bytes [" +
                       std::to_string(*size - tail_len) + ", " + std::to_string(*size) +
                       ") read back " + std::to_string(tail.data.size()) + " bytes");
    uint64_t needed = 0;
    auto footer = parse_segment_footer(tail.data, *size, &needed);
    if (!footer && needed > tail_len && needed <= *size) {
        tail = OG_TRY(store.get(key, store::ByteRange{*size - needed, needed}));
        footer = parse_segment_footer(tail.data, *size);
    }
    if (!footer)
        return std::move(footer).error().prepend(store.uri_of(key));
    return SegmentReader(store, std::move(key), std::move(*footer));
}

Result<Column> SegmentReader::read_column(std::string_view name) const {
    const SegmentColumnInfo* info = footer_.find(name);
    if (!info)
        return Error(codes::kNotFound, "segment " + store_->uri_of(key_) + " has no column '" +
                                           std::string(name) + "'");
    auto chunk = OG_TRY(store_->get(key_, store::ByteRange{info->offset, info->length}));
    if (chunk.data.size() != info->length)
        return corrupt(store_->uri_of(key_) + ": column '" + info->name + "' is truncated");
    auto column = decode_chunk(*info, chunk.data, footer_.row_count);
    if (!column)
        return std::move(column).error().prepend(store_->uri_of(key_));
    return column;
}

Result<Column> SegmentReader::read_page(const SegmentColumnInfo& column, size_t page) const {
    if (column.pages.empty())
        return read_column(column.name);
    const PageInfo& p = column.pages.at(page);
    auto chunk = OG_TRY(store_->get(key_, store::ByteRange{p.offset, p.length}));
    if (chunk.data.size() != p.length)
        return corrupt(store_->uri_of(key_) + ": " + page_name(column, page) + " is truncated");
    auto decoded = decode_page(column, p, chunk.data);
    if (!decoded)
        return std::move(decoded).error().prepend(store_->uri_of(key_));
    return decoded;
}

Result<IndexEntries> SegmentReader::read_index_block(const SegmentIndex& index, size_t b) const {
    const IndexBlock& block = index.blocks.at(b);
    auto chunk = OG_TRY(store_->get(key_, store::ByteRange{block.offset, block.length}));
    if (chunk.data.size() != block.length)
        return corrupt(store_->uri_of(key_) + ": block " + std::to_string(b) + " of index '" +
                       index.column + "' is truncated");
    auto entries = decode_index_block(index, block, chunk.data);
    if (!entries)
        return std::move(entries).error().prepend(store_->uri_of(key_));
    for (size_t i = 0; i < entries->rows.size(); ++i)
        if (entries->rows.fixed_at<uint32_t>(i) >= footer_.row_count)
            return corrupt(store_->uri_of(key_) + ": index '" + index.column + "' names row " +
                           std::to_string(entries->rows.fixed_at<uint32_t>(i)) + " of " +
                           std::to_string(footer_.row_count));
    return entries;
}

Result<TextIndex> SegmentReader::read_text_index(const SegmentTextIndex& index) const {
    std::string what = store_->uri_of(key_) + ": full-text index on '" + index.column + "'";
    auto chunk = OG_TRY(store_->get(key_, store::ByteRange{index.offset, index.length}));
    if (chunk.data.size() != index.length)
        return corrupt(what + " is truncated");
    std::string buffer;
    std::string_view raw = OG_TRY(inflate(what, index.offset, chunk.data, index.checksum,
                                          index.compressed, index.raw_length, buffer));
    auto decoded = decode_text_index(raw, footer_.row_count);
    if (!decoded)
        return std::move(decoded).error().prepend(what);
    if (decoded->terms.size() != index.terms)
        return corrupt(what + " holds " + std::to_string(decoded->terms.size()) +
                       " terms, its footer says " + std::to_string(index.terms));
    return decoded;
}

Result<VectorIndexHeader> SegmentReader::read_vector_header(const SegmentVectorIndex& index) const {
    std::string what = store_->uri_of(key_) + ": vector index on '" + index.column + "'";
    auto chunk = OG_TRY(store_->get(key_, store::ByteRange{index.offset, index.length}));
    if (chunk.data.size() != index.length)
        return corrupt(what + " is truncated");
    std::string unused;
    OG_CHECK(inflate(what, index.offset, chunk.data, index.checksum, false, 0, unused));
    auto header = decode_vector_header(chunk.data, index.dim, index.lists, index.offset);
    if (!header)
        return std::move(header).error().prepend(what);
    uint64_t rows = 0;
    for (const auto& ref : header->lists)
        rows += ref.rows;
    if (rows != index.rows)
        return corrupt(what + " lists " + std::to_string(rows) + " rows, its footer says " +
                       std::to_string(index.rows));
    return header;
}

Result<VectorCodes> SegmentReader::read_vector_codes(const SegmentVectorIndex& index,
                                                     const VectorIndexHeader& header,
                                                     uint32_t list) const {
    const VectorListRef& ref = header.lists.at(list);
    std::string what = store_->uri_of(key_) + ": vector index on '" + index.column + "', list " +
                       std::to_string(list);
    auto chunk = OG_TRY(store_->get(key_, store::ByteRange{ref.codes_offset, ref.codes_length}));
    if (chunk.data.size() != ref.codes_length)
        return corrupt(what + " is truncated");
    std::string unused;
    OG_CHECK(inflate(what, ref.codes_offset, chunk.data, ref.codes_checksum, false, 0, unused));
    auto decoded = decode_vector_codes(chunk.data, index.dim, ref.rows, footer_.row_count);
    if (!decoded)
        return std::move(decoded).error().prepend(what);
    return decoded;
}

Result<std::vector<float>> SegmentReader::read_vector_value(const SegmentVectorIndex& index,
                                                            const VectorIndexHeader& header,
                                                            uint32_t list, uint32_t j,
                                                            uint64_t sum) const {
    const VectorListRef& ref = header.lists.at(list);
    uint64_t width = uint64_t(index.dim) * sizeof(float);
    std::string what = store_->uri_of(key_) + ": vector index on '" + index.column + "', list " +
                       std::to_string(list) + ", vector " + std::to_string(j);
    if (j >= ref.rows)
        return corrupt(what + " is beyond the list's " + std::to_string(ref.rows) + " rows");
    uint64_t at = ref.vectors_offset + j * width;
    auto chunk = OG_TRY(store_->get(key_, store::ByteRange{at, width}));
    if (chunk.data.size() != width)
        return corrupt(what + " is truncated");
    std::string unused;
    OG_CHECK(inflate(what, at, chunk.data, sum, false, 0, unused));
    std::vector<float> out(index.dim);
    std::memcpy(out.data(), chunk.data.data(), width);
    return out;
}

std::pair<size_t, size_t> index_blocks_for(const SegmentIndex& index, std::string_view key) {
    // Blocks are sorted and may share a boundary key: the first whose last >= key, onwards.
    auto first =
        std::lower_bound(index.blocks.begin(), index.blocks.end(), key,
                         [](const IndexBlock& b, std::string_view k) { return b.last < k; });
    auto last = first;
    while (last != index.blocks.end() && last->first <= key)
        ++last;
    return {size_t(first - index.blocks.begin()), size_t(last - index.blocks.begin())};
}

void rows_for_key(const IndexEntries& entries, std::string_view key, std::vector<uint32_t>& rows) {
    size_t lo = 0, hi = entries.keys.size();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (entries.keys.bytes_at(mid) < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < entries.keys.size() && entries.keys.bytes_at(i) == key; ++i)
        rows.push_back(entries.rows.fixed_at<uint32_t>(i));
}

Result<std::optional<std::vector<uint32_t>>> SegmentReader::lookup(std::string_view column,
                                                                   std::string_view key) const {
    const SegmentIndex* index = footer_.find_index(column);
    if (!index)
        return std::optional<std::vector<uint32_t>>();
    std::vector<uint32_t> rows;
    auto [first, last] = index_blocks_for(*index, key);
    for (size_t b = first; b < last; ++b)
        rows_for_key(OG_TRY(read_index_block(*index, b)), key, rows);
    std::sort(rows.begin(), rows.end());
    return std::optional<std::vector<uint32_t>>(std::move(rows));
}

Result<std::vector<std::vector<uint32_t>>>
SegmentReader::lookup_many(std::string_view column,
                           const std::vector<std::string_view>& keys) const {
    std::vector<std::vector<uint32_t>> rows(keys.size());
    const SegmentIndex* index = footer_.find_index(column);
    if (!index) {
        Column values = OG_TRY(read_column(column));
        if (values.type().kind != PhysicalKind::kString)
            return Error(kSegmentCorrupt,
                         key_ + ": column '" + std::string(column) + "' is not a String column");
        std::map<std::string_view, size_t> wanted;
        for (size_t k = 0; k < keys.size(); ++k)
            wanted.emplace(keys[k], k);
        for (size_t r = 0; r < values.size(); ++r)
            if (auto w = wanted.find(values.bytes_at(r)); w != wanted.end() && !values.is_null(r))
                rows[w->second].push_back(static_cast<uint32_t>(r));
        return rows;
    }
    std::map<size_t, std::vector<size_t>> by_block; // block -> the keys it may hold
    for (size_t k = 0; k < keys.size(); ++k) {
        auto [first, last] = index_blocks_for(*index, keys[k]);
        for (size_t b = first; b < last; ++b)
            by_block[b].push_back(k);
    }
    for (const auto& [b, wanted] : by_block) {
        IndexEntries entries = OG_TRY(read_index_block(*index, b));
        for (size_t k : wanted)
            rows_for_key(entries, keys[k], rows[k]);
    }
    for (auto& r : rows)
        std::sort(r.begin(), r.end());
    return rows;
}

} // namespace omnigraph::format
