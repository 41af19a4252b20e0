#include "format/segment.h"

#include "base/checksum.h"
#include "base/json.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <zstd.h>

namespace omnigraph::format {

using base::Json;

namespace {

// Format 2 (checksummed): footer, u32 footer length, u64 xxh3-64 of the footer and its length
// bytes, "OGS2". Format 1 (written before checksums; read unverified): footer, u32, "OGS1".
constexpr std::string_view kMagic = "OGS2";
constexpr std::string_view kMagicV1 = "OGS1";
constexpr size_t kTrailer = 16;  // u32 footer length + u64 footer checksum + magic
constexpr size_t kTrailerV1 = 8; // u32 footer length + magic
constexpr uint64_t kTailGuess = uint64_t{64} * 1024;
constexpr size_t kMaxStatString = 64;

Error corrupt(const std::string& why) {
    return Error(kSegmentCorrupt, "corrupt segment: " + why);
}

void put_u64(std::string& out, uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t get_u64(const char* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
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
//   u8 flags (bit 0: validity bitmap follows) [bitmap] values
// where values are fixed-width bytes, or u64 offsets + bytes, or u64 list offsets + child chunk.
class ColumnCodec {
  public:
    static void encode(const Column& c, std::string& out) {
        bool has_nulls = c.null_count() > 0;
        out.push_back(static_cast<char>(has_nulls ? 1 : 0));
        if (has_nulls) {
            std::string bitmap((c.size() + 7) / 8, '\0');
            for (size_t i = 0; i < c.size(); ++i)
                if (c.valid_[i])
                    bitmap[i / 8] = static_cast<char>(bitmap[i / 8] | (1 << (i % 8)));
            out += bitmap;
        }
        const ColumnType& t = c.type();
        if (t.kind == PhysicalKind::kList) {
            for (uint64_t o : c.offsets_)
                put_u64(out, o);
            encode(*c.child_, out);
        } else if (t.is_variable()) {
            for (uint64_t o : c.offsets_)
                put_u64(out, o);
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
        if (flags > 1)
            return corrupt("unknown chunk flags " + std::to_string(flags));
        // Every row costs at least a byte of values or offsets: refuse row counts the remaining
        // input cannot hold before allocating anything for them.
        uint64_t per_row = (type.kind == PhysicalKind::kList || type.is_variable())
                               ? 8
                               : std::max<uint64_t>(type.width(), 1);
        if (rows > (uint64_t(1) << 40) || rows > in.size() / per_row + 1)
            return corrupt("row count " + std::to_string(rows) + " exceeds what the " +
                           type.name() + " chunk holds");
        c.valid_.assign(rows, 1);
        if (flags & 1) {
            uint64_t n = (rows + 7) / 8;
            if (in.size() < n)
                return corrupt("validity bitmap truncated");
            for (uint64_t i = 0; i < rows; ++i)
                c.valid_[i] = (static_cast<unsigned char>(in[i / 8]) >> (i % 8)) & 1;
            in.remove_prefix(n);
        }
        if (type.kind == PhysicalKind::kList || type.is_variable()) {
            if (in.size() / 8 < rows + 1)
                return corrupt("offsets of " + type.name() + " truncated");
            c.offsets_.resize(rows + 1);
            for (uint64_t i = 0; i <= rows; ++i)
                c.offsets_[i] = get_u64(in.data() + 8 * i);
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
void compute_stats(const Column& c, SegmentColumnInfo& info) {
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

// Appends the footer (with every column's checksum) and the trailer to the chunks in `out`.
Result<std::string> finish_segment(std::string out, uint64_t rows,
                                   const std::vector<SegmentColumnInfo>& infos) {
    Json cols = Json::array();
    for (const auto& info : infos) {
        Json c;
        c["name"] = info.name;
        c["type"] = info.type.name();
        c["offset"] = info.offset;
        c["length"] = info.length;
        c["raw_length"] = info.raw_length;
        c["compression"] = info.compressed ? "zstd" : "none";
        c["null_count"] = info.null_count;
        c["min"] = info.min ? stat_json(*info.min) : Json(nullptr);
        c["max"] = info.max ? stat_json(*info.max) : Json(nullptr);
        c["checksum"] =
            checksum_text(base::xxh3_64(std::string_view(out).substr(info.offset, info.length)));
        cols.push_back(c);
    }
    Json footer;
    footer["format"] = "omnigraph-segment";
    footer["version"] = kSegmentFormatVersion;
    footer["row_count"] = rows;
    footer["columns"] = cols;
    std::string text = base::to_canonical_json(footer);
    if (text.size() > std::numeric_limits<uint32_t>::max())
        return Error(codes::kInvalidArgument, "segment footer too large");
    size_t footer_at = out.size();
    out += text;
    uint32_t len = static_cast<uint32_t>(text.size());
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
    put_u64(out, base::xxh3_64(std::string_view(out).substr(footer_at)));
    out += kMagic;
    return out;
}

} // namespace

Result<std::string> write_segment(const std::vector<NamedColumn>& columns) {
    if (columns.empty())
        return Error(codes::kInvalidArgument, "a segment needs at least one column");
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
        std::string raw;
        ColumnCodec::encode(column, raw);
        info.raw_length = raw.size();
        std::string stored = raw;
        if (raw.size() >= 64) {
            std::string packed(ZSTD_compressBound(raw.size()), '\0');
            size_t n = ZSTD_compress(packed.data(), packed.size(), raw.data(), raw.size(), 3);
            if (!ZSTD_isError(n) && n < raw.size()) {
                packed.resize(n);
                stored = std::move(packed);
                info.compressed = true;
            }
        }
        info.offset = out.size();
        info.length = stored.size();
        out += stored;
        infos.push_back(std::move(info));
    }
    return finish_segment(std::move(out), rows, infos);
}

Result<std::optional<std::string>> upgrade_segment(std::string_view bytes) {
    auto footer = OG_TRY(parse_segment_footer(bytes, bytes.size()));
    if (footer.version == kSegmentFormatVersion)
        return std::optional<std::string>();
    // Seal only what reads back: every chunk decodes before its checksum vouches for it.
    uint64_t data_end = 0;
    for (const auto& info : footer.columns) {
        auto column = decode_chunk(info, bytes.substr(info.offset, info.length), footer.row_count);
        if (!column)
            return std::move(column).error();
        data_end = std::max(data_end, info.offset + info.length);
    }
    return std::optional<std::string>(OG_TRY(
        finish_segment(std::string(bytes.substr(0, data_end)), footer.row_count, footer.columns)));
}

Result<SegmentFooter> parse_segment_footer(std::string_view tail, uint64_t file_size,
                                           uint64_t* needed) {
    if (tail.size() < kTrailerV1 || file_size < kTrailerV1 || tail.size() > file_size)
        return corrupt("file of " + std::to_string(file_size) + " bytes is too short");
    std::string_view magic = tail.substr(tail.size() - 4);
    if (magic != kMagic && magic != kMagicV1)
        return corrupt("missing magic 'OGS2' at " + byte_range(file_size - 4, 4));
    int version = magic == kMagic ? kSegmentFormatVersion : 1;
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
        uint64_t stored = get_u64(tail.data() + tail.size() - 12);
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
        for (const auto& c : json->at("columns")) {
            SegmentColumnInfo info;
            info.name = c.at("name").get<std::string>();
            info.type = OG_TRY(ColumnType::parse(c.at("type").get<std::string>()));
            info.offset = base::json_int<uint64_t>(c.at("offset"));
            info.length = base::json_int<uint64_t>(c.at("length"));
            info.raw_length = base::json_int<uint64_t>(c.at("raw_length"));
            std::string compression = c.at("compression").get<std::string>();
            if (compression != "zstd" && compression != "none")
                return corrupt("unknown compression '" + compression + "'");
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
            if (footer.find(info.name))
                return corrupt("column '" + info.name + "' appears twice");
            footer.columns.push_back(std::move(info));
        }
    } catch (const std::exception& e) {
        return corrupt(std::string("bad footer: ") + e.what());
    }
    return footer;
}

Result<Column> decode_chunk(const SegmentColumnInfo& info, std::string_view stored, uint64_t rows) {
    if (info.checksum) {
        uint64_t computed = base::xxh3_64(stored);
        if (computed != *info.checksum)
            return corrupt("column '" + info.name + "' " + byte_range(info.offset, info.length) +
                           " fail their checksum (stored xxh3-64 " + base::hex64(*info.checksum) +
                           ", computed " + base::hex64(computed) + ")");
    }
    std::string raw;
    std::string_view in = stored;
    if (info.compressed) {
        // The frame header states its content size; believe raw_length only when they agree.
        unsigned long long frame = ZSTD_getFrameContentSize(stored.data(), stored.size());
        if (frame == ZSTD_CONTENTSIZE_ERROR || frame == ZSTD_CONTENTSIZE_UNKNOWN ||
            frame != info.raw_length || info.raw_length > (uint64_t(1) << 34))
            return corrupt("column '" + info.name + "' claims " + std::to_string(info.raw_length) +
                           " bytes that its zstd frame does not hold");
        // Stream in 1 MiB steps: memory grows with what the frame really produces, never with
        // what a damaged header claims.
        std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
        ZSTD_inBuffer src{stored.data(), stored.size(), 0};
        size_t step = 1 << 20;
        while (true) {
            size_t before = raw.size();
            if (before >= info.raw_length && src.pos == src.size)
                break;
            raw.resize(std::min<uint64_t>(info.raw_length + 1, before + step));
            ZSTD_outBuffer dst{raw.data(), raw.size(), before};
            size_t rc = ZSTD_decompressStream(dctx.get(), &dst, &src);
            raw.resize(dst.pos);
            if (ZSTD_isError(rc) || raw.size() > info.raw_length)
                return corrupt("column '" + info.name +
                               "' does not decompress to its recorded size");
            if (rc == 0 && src.pos == src.size)
                break; // frame complete
            if (dst.pos == before && src.pos == src.size)
                return corrupt("column '" + info.name + "' has a truncated zstd frame");
        }
        if (raw.size() != info.raw_length)
            return corrupt("column '" + info.name + "' does not decompress to its recorded size");
        in = raw;
    }
    auto column = ColumnCodec::decode(info.type, in, rows);
    if (!column)
        return std::move(column).error().prepend("column '" + info.name + "'");
    if (!in.empty())
        return corrupt("column '" + info.name + "' has " + std::to_string(in.size()) +
                       " trailing bytes");
    if (column->null_count() != info.null_count)
        return corrupt("column '" + info.name + "' null count differs from its footer");
    return column;
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

} // namespace omnigraph::format
