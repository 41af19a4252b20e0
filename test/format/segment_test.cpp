#include "base/json.h"
#include "format/segment.h"
#include "store/fault_injecting_store.h"
#include "store/local_store.h"
#include "test_support.h"

#include <cmath>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace omnigraph::format {
namespace {

Column ints(std::vector<std::optional<int32_t>> values) {
    Column c(ColumnType{PhysicalKind::kI32});
    for (auto v : values)
        v ? c.append_fixed(&*v) : c.append_null();
    return c;
}

Column strings(std::vector<std::optional<std::string>> values) {
    Column c(ColumnType{PhysicalKind::kString});
    for (const auto& v : values)
        v ? c.append_bytes(*v) : c.append_null();
    return c;
}

std::vector<NamedColumn> sample() {
    std::vector<NamedColumn> cols;
    cols.push_back({"id", strings({"a", "b", "c", "d"})});
    cols.push_back({"p:5", ints({7, std::nullopt, -3, 40})});
    Column f(ColumnType{PhysicalKind::kF64});
    for (double d : {0.5, 2.25, -1.0, 1e300})
        f.append_fixed(&d);
    cols.push_back({"p:6", f});
    Column b(ColumnType{PhysicalKind::kBool});
    for (uint8_t v : {1, 0, 1, 1})
        b.append_fixed(&v);
    cols.push_back({"p:7", b});
    Column vec(ColumnType{PhysicalKind::kVector, 3});
    for (int r = 0; r < 4; ++r) {
        float xyz[3] = {float(r), float(r) / 2, -float(r)};
        r == 2 ? vec.append_null() : vec.append_fixed(xyz);
    }
    cols.push_back({"p:8", vec});
    Column tags(list_of(ColumnType{PhysicalKind::kString}));
    for (int r = 0; r < 4; ++r) {
        if (r == 1) {
            tags.append_null();
            continue;
        }
        Column& items = tags.begin_list();
        for (int i = 0; i < r; ++i)
            items.append_bytes("tag" + std::to_string(i));
        tags.end_list(size_t(r));
    }
    cols.push_back({"p:9", tags});
    Column blob(ColumnType{PhysicalKind::kBlob});
    blob.append_bytes(std::string("\0\1\2", 3));
    blob.append_bytes("");
    blob.append_null();
    blob.append_bytes(std::string(5000, 'z')); // compresses
    cols.push_back({"p:10", blob});
    return cols;
}

TEST(Segment, RoundTripsEveryKindWithNulls) {
    auto cols = sample();
    auto bytes = write_segment(cols);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    EXPECT_TRUE(bytes->ends_with("OGS3"));
    EXPECT_EQ(parse_segment_footer(*bytes, bytes->size())->version, 3);
    auto footer = parse_segment_footer(*bytes, bytes->size());
    ASSERT_TRUE(footer) << footer.error().to_string();
    EXPECT_EQ(footer->row_count, 4u);
    ASSERT_EQ(footer->columns.size(), cols.size());
    for (const auto& [name, column] : cols) {
        const SegmentColumnInfo* info = footer->find(name);
        ASSERT_NE(info, nullptr) << name;
        EXPECT_EQ(info->type, column.type()) << name;
        EXPECT_EQ(info->null_count, column.null_count()) << name;
        auto decoded =
            decode_chunk(*info, std::string_view(*bytes).substr(info->offset, info->length), 4);
        ASSERT_TRUE(decoded) << decoded.error().to_string();
        EXPECT_TRUE(*decoded == column) << name;
    }
    EXPECT_TRUE(footer->find("p:10")->compressed);
}

// External Blob references (engine/external_blob.h) are marked in the chunk (flags bit 1 and
// a bitmap), survive every column operation that copies rows, and a chunk that marks them on a
// non-Blob column or on a null row is corruption.
TEST(Segment, ExternalBlobReferencesRoundTripAndAreCarriedByColumnCopies) {
    Column blob(ColumnType{PhysicalKind::kBlob});
    blob.append_bytes("managed");
    blob.append_external(R"({"uri":"s3://b/k","size":3})");
    blob.append_null();
    blob.append_bytes(R"({"uri":"s3://b/k","size":3})"); // the same bytes, managed
    EXPECT_FALSE(blob.is_external(0));
    EXPECT_TRUE(blob.is_external(1));
    EXPECT_FALSE(blob.is_external(3));
    EXPECT_FALSE(blob.slice(1, 2) == blob.slice(3, 4)); // equal bytes, not equal cells
    Column copy(ColumnType{PhysicalKind::kBlob});
    copy.append_row(blob, 1);
    copy.append_column(blob.slice(2, 4));
    EXPECT_TRUE(copy.is_external(0));
    EXPECT_FALSE(copy.is_external(2));
    EXPECT_TRUE(Column::concat(blob.type(), {blob.slice(0, 2), blob.slice(2, 4)}) == blob);

    SegmentOptions paged;
    paged.page_rows = 2; // the reference in the first page, the look-alike in the second
    auto bytes = write_segment({{"id", strings({"a", "b", "c", "d"})}, {"p:1", blob}}, paged);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    testing::TempDir dir;
    auto store = *store::LocalStore::open(*base::parse_storage_uri(dir.path()));
    ASSERT_TRUE(store->put("s.seg", *bytes));
    auto reader = SegmentReader::open(*store, "s.seg");
    ASSERT_TRUE(reader) << reader.error().to_string();
    auto whole = reader->read_column("p:1");
    ASSERT_TRUE(whole) << whole.error().to_string();
    EXPECT_TRUE(*whole == blob);
    EXPECT_TRUE(whole->is_external(1));
    EXPECT_FALSE(whole->is_external(3));

    // A segment without references is byte for byte what it was before references existed.
    Column plain(ColumnType{PhysicalKind::kBlob});
    plain.append_bytes("x");
    auto one = write_segment({{"id", strings({"a"})}, {"p:1", plain}});
    ASSERT_TRUE(one);
    auto footer = parse_segment_footer(*one, one->size());
    ASSERT_TRUE(footer);
    const SegmentColumnInfo* info = footer->find("p:1");
    EXPECT_EQ((*one)[info->offset], '\0'); // flags: no bitmap of either kind

    // Damage: the external flag on a String chunk, or an external bit on a null row.
    ColumnType string_type{PhysicalKind::kString};
    std::string on_string = std::string("\x02\x01", 2) + std::string(16, '\0');
    SegmentColumnInfo fake;
    fake.type = string_type;
    fake.length = on_string.size();
    fake.raw_length = on_string.size();
    auto refused = decode_chunk(fake, on_string, 1);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, kSegmentCorrupt);
    std::string null_marked = std::string("\x03\x00\x01", 3) + std::string(16, '\0');
    fake.type = ColumnType{PhysicalKind::kBlob};
    fake.length = null_marked.size();
    fake.raw_length = null_marked.size();
    auto null_external = decode_chunk(fake, null_marked, 1);
    ASSERT_FALSE(null_external);
    EXPECT_NE(null_external.error().message.find("marked external"), std::string::npos)
        << null_external.error().message;
}

TEST(Segment, FooterStatsCoverValidRowsOnly) {
    auto bytes = write_segment(sample());
    ASSERT_TRUE(bytes);
    auto footer = parse_segment_footer(*bytes, bytes->size());
    ASSERT_TRUE(footer);
    const auto* i32 = footer->find("p:5");
    ASSERT_TRUE(i32->min && i32->max);
    EXPECT_EQ(std::get<int64_t>(*i32->min), -3);
    EXPECT_EQ(std::get<int64_t>(*i32->max), 40);
    const auto* id = footer->find("id");
    EXPECT_EQ(std::get<std::string>(*id->min), "a");
    EXPECT_EQ(std::get<std::string>(*id->max), "d");
    EXPECT_FALSE(footer->find("p:8")->min); // no stats for vectors
}

TEST(Segment, EmptyAndUnevenInputs) {
    auto empty = write_segment({{"id", strings({})}});
    ASSERT_TRUE(empty);
    auto footer = parse_segment_footer(*empty, empty->size());
    ASSERT_TRUE(footer);
    EXPECT_EQ(footer->row_count, 0u);
    EXPECT_FALSE(write_segment({}));
    EXPECT_FALSE(write_segment({{"id", strings({"a"})}, {"p:1", ints({})}}));
}

TEST(Segment, DamageIsATypedErrorNeverACrash) {
    auto bytes = write_segment(sample());
    ASSERT_TRUE(bytes);
    // Truncations of every length, and one flipped byte at every position of the file.
    for (size_t cut = 0; cut < bytes->size(); cut += 7) {
        std::string truncated = bytes->substr(0, cut);
        auto footer = parse_segment_footer(truncated, truncated.size());
        if (footer)
            ADD_FAILURE() << "a truncated segment parsed at " << cut;
        else
            EXPECT_EQ(footer.error().code, kSegmentCorrupt);
    }
    // With checksums, no damaged byte goes unnoticed: the footer or one chunk refuses it.
    for (size_t pos = 0; pos < bytes->size(); ++pos) {
        std::string damaged = *bytes;
        damaged[pos] = static_cast<char>(damaged[pos] ^ 0x5A);
        auto footer = parse_segment_footer(damaged, damaged.size());
        if (!footer) {
            EXPECT_EQ(footer.error().code, kSegmentCorrupt);
            continue;
        }
        bool refused = false;
        for (const auto& info : footer->columns) {
            auto column =
                decode_chunk(info, std::string_view(damaged).substr(info.offset, info.length),
                             footer->row_count);
            if (!column) {
                EXPECT_EQ(column.error().code, kSegmentCorrupt);
                refused = true;
            }
        }
        EXPECT_TRUE(refused) << "a segment with byte " << pos << " damaged read back";
    }
}

// A format-1 segment (no checksums): the bytes write_segment produced before format 2, made
// here from a format-2 segment by dropping the checksums, as the format-1 writer laid them out.
std::string as_format_1(const std::string& v2) {
    auto footer = parse_segment_footer(v2, v2.size());
    EXPECT_TRUE(footer);
    size_t len = 0;
    for (int i = 3; i >= 0; --i)
        len = (len << 8) | static_cast<unsigned char>(v2[v2.size() - 16 + i]);
    size_t footer_at = v2.size() - 16 - len;
    auto json = base::parse_json(std::string_view(v2).substr(footer_at, len));
    EXPECT_TRUE(json);
    (*json)["version"] = 1;
    for (auto& c : (*json)["columns"])
        c.erase("checksum");
    std::string text = base::to_canonical_json(*json);
    std::string out = v2.substr(0, footer_at) + text;
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xFF));
    return out + "OGS1";
}

TEST(Segment, Format1ReadsUnverifiedAndUpgrades) {
    auto cols = sample();
    auto v2 = write_segment(cols);
    ASSERT_TRUE(v2);
    std::string v1 = as_format_1(*v2);
    auto footer = parse_segment_footer(v1, v1.size());
    ASSERT_TRUE(footer) << footer.error().to_string();
    EXPECT_EQ(footer->version, 1);
    for (const auto& [name, column] : cols) {
        const SegmentColumnInfo* info = footer->find(name);
        ASSERT_NE(info, nullptr);
        EXPECT_FALSE(info->checksum);
        auto decoded = decode_chunk(*info, std::string_view(v1).substr(info->offset, info->length),
                                    footer->row_count);
        ASSERT_TRUE(decoded) << decoded.error().to_string();
        EXPECT_TRUE(*decoded == column) << name;
    }
    auto upgraded = upgrade_segment(v1);
    ASSERT_TRUE(upgraded) << upgraded.error().to_string();
    ASSERT_TRUE(*upgraded);
    // The same bytes a load writes: the columns, and the key index of a node segment.
    SegmentOptions indexed;
    indexed.indexed = key_index_columns(false);
    EXPECT_EQ(**upgraded, *write_segment(cols, indexed));
    auto current = parse_segment_footer(**upgraded, (*upgraded)->size());
    ASSERT_TRUE(current);
    EXPECT_TRUE(has_key_indexes(*current, false));
    EXPECT_FALSE(has_key_indexes(*footer, false)) << "format 1";
    EXPECT_FALSE(has_key_indexes(*parse_segment_footer(*v2, v2->size()), false)) << "no index";
    auto again = upgrade_segment(**upgraded);
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again); // already current
    // A format-1 segment whose chunk does not decode is not sealed (here: unknown chunk flags).
    const SegmentColumnInfo* ints = footer->find("p:5");
    std::string damaged = v1;
    damaged[ints->offset] ^= 0x5A;
    auto refused = upgrade_segment(damaged);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, kSegmentCorrupt);
}

TEST(Segment, Format1UpgradeIndexesEdgeSegmentsAndRefusesNullKeys) {
    std::vector<NamedColumn> edge{
        {"id", strings({"e1", "e2"})}, {"src", strings({"b", "a"})}, {"dst", strings({"c", "c"})}};
    auto upgraded = upgrade_segment(as_format_1(*write_segment(edge)));
    ASSERT_TRUE(upgraded && *upgraded) << upgraded.error().to_string();
    auto footer = parse_segment_footer(**upgraded, (*upgraded)->size());
    ASSERT_TRUE(footer);
    EXPECT_TRUE(has_key_indexes(*footer, true));
    EXPECT_EQ(footer->find_index("id"), nullptr) << "an edge segment indexes src and dst";
    // A node id that is null cannot be indexed: the old segment is damage, not upgraded.
    std::vector<NamedColumn> node{{"id", strings({"a", std::nullopt})}, {"p:5", ints({1, 2})}};
    auto refused = upgrade_segment(as_format_1(*write_segment(node)));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, kSegmentCorrupt) << refused.error().to_string();
}

TEST(Segment, ChecksumErrorsNameTheByteRange) {
    auto bytes = write_segment(sample());
    ASSERT_TRUE(bytes);
    auto footer = parse_segment_footer(*bytes, bytes->size());
    ASSERT_TRUE(footer);
    const SegmentColumnInfo* info = footer->find("p:5");
    std::string damaged = *bytes;
    damaged[info->offset] ^= 0x01;
    auto column = decode_chunk(*info, std::string_view(damaged).substr(info->offset, info->length),
                               footer->row_count);
    ASSERT_FALSE(column);
    EXPECT_EQ(column.error().code, kSegmentCorrupt);
    std::string range = "bytes [" + std::to_string(info->offset) + ", " +
                        std::to_string(info->offset + info->length) + ") fail their checksum";
    EXPECT_NE(column.error().message.find("column 'p:5' " + range), std::string::npos)
        << column.error().message;
    // The footer's checksum covers the footer and its length field.
    std::string bad_footer = *bytes;
    bad_footer[bytes->size() - 20] ^= 0x01; // the last byte of the footer text
    auto refused = parse_segment_footer(bad_footer, bad_footer.size());
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("footer bytes ["), std::string::npos)
        << refused.error().message;
    EXPECT_NE(refused.error().message.find("fail their checksum"), std::string::npos);
}

TEST(SegmentReader, ReadsFooterAndOneColumnWithRangedReads) {
    testing::TempDir dir;
    auto local = *store::LocalStore::open(*base::parse_storage_uri(dir.path()));
    store::FaultInjectingStore counting(std::move(local));
    auto bytes = write_segment(sample());
    ASSERT_TRUE(bytes);
    ASSERT_TRUE(counting.put("tables/1/seg.seg", *bytes));
    store::FaultRule count_reads;
    count_reads.ops =
        static_cast<unsigned>(store::StoreOp::kGet) | static_cast<unsigned>(store::StoreOp::kHead);
    count_reads.action = store::FaultRule::Action::kDelay; // delay 0: counts calls only
    count_reads.repeat = true;
    counting.add_rule(count_reads);

    auto reader = SegmentReader::open(counting, "tables/1/seg.seg", bytes->size());
    ASSERT_TRUE(reader) << reader.error().to_string();
    EXPECT_EQ(counting.fired(), 1u); // one ranged GET of the tail
    auto column = reader->read_column("p:5");
    ASSERT_TRUE(column);
    EXPECT_EQ(counting.fired(), 2u); // and one ranged GET for the column
    EXPECT_EQ(column->fixed_at<int32_t>(3), 40);
    EXPECT_TRUE(column->is_null(1));
    auto missing = reader->read_column("p:99");
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().is(codes::kNotFound));

    auto without_size = SegmentReader::open(counting, "tables/1/seg.seg");
    ASSERT_TRUE(without_size);
    auto absent = SegmentReader::open(counting, "tables/1/none.seg");
    ASSERT_FALSE(absent);
    EXPECT_TRUE(absent.error().is(codes::kNotFound));
}

TEST(SegmentReader, LargeFootersNeedASecondRead) {
    std::vector<NamedColumn> cols;
    for (int i = 0; i < 1500; ++i)
        cols.push_back({"p:" + std::to_string(i) + std::string(40, 'x'), ints({i})});
    auto bytes = write_segment(cols);
    ASSERT_TRUE(bytes);
    testing::TempDir dir;
    auto local = *store::LocalStore::open(*base::parse_storage_uri(dir.path()));
    ASSERT_TRUE(local->put("big.seg", *bytes));
    auto reader = SegmentReader::open(*local, "big.seg");
    ASSERT_TRUE(reader) << reader.error().to_string();
    EXPECT_EQ(reader->footer().columns.size(), 1500u);
    auto last = reader->read_column("p:1499" + std::string(40, 'x'));
    ASSERT_TRUE(last);
    EXPECT_EQ(last->fixed_at<int32_t>(0), 1499);
}

} // namespace
} // namespace omnigraph::format

namespace omnigraph::format {
namespace {

// Review findings: sizes from a damaged footer must never drive allocation or recursion.
TEST(SegmentHardening, HugeClaimsAreCorruptionNotCrashes) {
    SegmentColumnInfo info;
    info.name = "p:1";
    info.type = ColumnType{PhysicalKind::kI64};
    auto rows = decode_chunk(info, std::string("\0", 1), uint64_t(1) << 40);
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().code, kSegmentCorrupt);

    info.compressed = true;
    info.raw_length = uint64_t(16) << 30;
    auto packed = decode_chunk(info, "0123456789", 1);
    ASSERT_FALSE(packed);
    EXPECT_EQ(packed.error().code, kSegmentCorrupt);

    std::string nested;
    for (int i = 0; i < 20000; ++i)
        nested += "List<";
    nested += "I32";
    nested += std::string(20000, '>');
    auto type = ColumnType::parse(nested);
    ASSERT_FALSE(type);
    EXPECT_EQ(type.error().code, kSegmentCorrupt);
}

} // namespace
} // namespace omnigraph::format

namespace omnigraph::format {

// Pages and key indexes (format 3): a column longer than page_rows is stored as pages that
// read back one at a time, and a key index answers lookups with the rows in key order.
namespace {

std::vector<NamedColumn> keyed_rows(size_t n) {
    Column ids(ColumnType{PhysicalKind::kString});
    Column ages(ColumnType{PhysicalKind::kI32});
    for (size_t i = 0; i < n; ++i) {
        ids.append_bytes("u" + std::to_string((i * 7919) % n)); // not in key order
        if (i % 10 == 3) {
            ages.append_null();
        } else {
            int32_t age = static_cast<int32_t>(i);
            ages.append_fixed(&age);
        }
    }
    std::vector<NamedColumn> cols;
    cols.push_back({"id", std::move(ids)});
    cols.push_back({"p:1", std::move(ages)});
    return cols;
}

} // namespace

TEST(Segment, PagesReadOneAtATimeAndWholeColumnsStillRead) {
    auto cols = keyed_rows(1000);
    SegmentOptions options;
    options.page_rows = 128;
    options.index_block_entries = 100;
    options.indexed = {"id"};
    auto bytes = write_segment(cols, options);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    testing::TempDir dir;
    auto store_ptr = *store::LocalStore::open(*base::parse_storage_uri(dir.path()));
    store::ObjectStore& mem = *store_ptr;
    ASSERT_TRUE(mem.put("s.seg", *bytes));
    auto reader = SegmentReader::open(mem, "s.seg");
    ASSERT_TRUE(reader) << reader.error().to_string();
    const auto* ages = reader->footer().find("p:1");
    ASSERT_NE(ages, nullptr);
    EXPECT_EQ(ages->page_count(), 8u); // 7 x 128 + 104
    EXPECT_EQ(reader->footer().page_rows, 128u);
    auto whole = reader->read_column("p:1");
    ASSERT_TRUE(whole) << whole.error().to_string();
    EXPECT_EQ(*whole, cols[1].column);
    for (size_t p = 0; p < ages->page_count(); ++p) {
        auto page = reader->read_page(*ages, p);
        ASSERT_TRUE(page) << page.error().to_string();
        size_t first = reader->page_first_row(p);
        EXPECT_EQ(*page, cols[1].column.slice(first, std::min<size_t>(1000, first + 128)));
        EXPECT_EQ(ages->pages[p].null_count, page->null_count());
    }
    // Every id is found at its row; a missing one is not.
    for (size_t r : {0u, 1u, 499u, 999u}) {
        auto rows = reader->lookup("id", cols[0].column.bytes_at(r));
        ASSERT_TRUE(rows && *rows) << (rows ? "no index" : rows.error().to_string());
        EXPECT_EQ(**rows, std::vector<uint32_t>{static_cast<uint32_t>(r)});
    }
    auto none = reader->lookup("id", "nobody");
    ASSERT_TRUE(none && *none);
    EXPECT_TRUE((*none)->empty());
    EXPECT_FALSE(*reader->lookup("p:1", "x")) << "no index on p:1";
}

TEST(Segment, NonUniqueIndexKeysAcrossBlockBoundaries) {
    Column src(ColumnType{PhysicalKind::kString});
    for (int i = 0; i < 50; ++i)
        src.append_bytes(i % 2 ? "b" : "a"); // 25 x "a", 25 x "b"
    std::vector<NamedColumn> cols;
    cols.push_back({"src", std::move(src)});
    SegmentOptions options;
    options.index_block_entries = 10; // "a" spans three blocks
    options.indexed = {"src"};
    auto bytes = write_segment(cols, options);
    ASSERT_TRUE(bytes) << bytes.error().to_string();
    testing::TempDir dir;
    auto store_ptr = *store::LocalStore::open(*base::parse_storage_uri(dir.path()));
    store::ObjectStore& mem = *store_ptr;
    ASSERT_TRUE(mem.put("s.seg", *bytes));
    auto reader = SegmentReader::open(mem, "s.seg");
    ASSERT_TRUE(reader);
    auto a = reader->lookup("src", "a");
    ASSERT_TRUE(a && *a);
    ASSERT_EQ((*a)->size(), 25u);
    for (size_t i = 0; i < 25; ++i)
        EXPECT_EQ((**a)[i], 2 * i);
}

TEST(Segment, DamagedPageOrIndexBlockIsSegmentCorrupt) {
    auto cols = keyed_rows(600);
    SegmentOptions options;
    options.page_rows = 100;
    options.index_block_entries = 100;
    options.indexed = {"id"};
    auto bytes = write_segment(cols, options);
    ASSERT_TRUE(bytes);
    auto footer = parse_segment_footer(*bytes, bytes->size());
    ASSERT_TRUE(footer);
    const PageInfo& page = footer->find("p:1")->pages[2];
    const IndexBlock& block = footer->find_index("id")->blocks[3];
    for (uint64_t at : {page.offset + page.length / 2, block.offset + block.length / 2}) {
        std::string damaged = *bytes;
        damaged[at] = static_cast<char>(damaged[at] ^ 0x40);
        testing::TempDir dir;
        auto store_ptr = *store::LocalStore::open(*base::parse_storage_uri(dir.path()));
        store::ObjectStore& mem = *store_ptr;
        ASSERT_TRUE(mem.put("s.seg", damaged));
        auto reader = SegmentReader::open(mem, "s.seg");
        ASSERT_TRUE(reader) << "the footer is intact";
        auto p = reader->read_page(*reader->footer().find("p:1"), 2);
        auto l = reader->lookup("id", std::string(block.first));
        bool page_hit = at < page.offset + page.length && at >= page.offset;
        if (page_hit) {
            ASSERT_FALSE(p);
            EXPECT_EQ(p.error().code, kSegmentCorrupt) << p.error().to_string();
            EXPECT_NE(p.error().message.find("fail their checksum"), std::string::npos);
        } else {
            ASSERT_FALSE(l);
            EXPECT_EQ(l.error().code, kSegmentCorrupt) << l.error().to_string();
        }
        // The whole-column read checks the column's checksum and every page's.
        auto whole = reader->read_column("p:1");
        EXPECT_EQ(whole.has_value(), !page_hit);
    }
}

} // namespace omnigraph::format
