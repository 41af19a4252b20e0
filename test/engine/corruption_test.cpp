// The corruption matrix (issue 16): a small graph written by the engine, then every region of
// its segments (magic, footer length, footer checksum, footer, chunk flags, validity bitmap,
// values, string offsets and bytes, a zstd-compressed chunk) and of its records (manifest,
// commit, branch and pending records, deletion vector) flipped, zeroed and truncated, one at a
// time, on local disk and on the S3 test server. Every read must answer a clean error with the
// family's code naming the damaged object; never data, never a crash. `storage verify`
// (engine::verify_graph) reports every one of them as corrupt with the same code.
#include "base/ulid.h"
#include "engine/export.h"
#include "engine/pending.h"
#include "engine/verify.h"
#include "engine_fixture.h"
#include "format/manifest.h"
#include "format/segment.h"

#include <algorithm>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace omnigraph::testing {
namespace {

struct Region {
    std::string name;
    uint64_t offset = 0;
    uint64_t length = 0;
};

enum class Mutation { kFlip, kZero, kTruncate };

const char* mutation_name(Mutation m) {
    return m == Mutation::kFlip ? "flip" : m == Mutation::kZero ? "zero" : "truncate";
}

// The object with `region` damaged: one byte in its middle inverted, up to 16 bytes from its
// middle zeroed, or the object cut where the region starts. nullopt when zeroing changes nothing.
std::optional<std::string> damaged(const std::string& bytes, const Region& r, Mutation m) {
    std::string out = bytes;
    uint64_t middle = r.offset + r.length / 2;
    switch (m) {
    case Mutation::kFlip:
        out[middle] = static_cast<char>(out[middle] ^ 0xFF);
        break;
    case Mutation::kZero: {
        uint64_t from = std::max(r.offset, middle >= 8 ? middle - 8 : 0);
        uint64_t to = std::min(r.offset + r.length, from + 16);
        std::fill(out.begin() + static_cast<std::ptrdiff_t>(from),
                  out.begin() + static_cast<std::ptrdiff_t>(to), '\0');
        break;
    }
    case Mutation::kTruncate:
        out.resize(r.offset);
        break;
    }
    if (out == bytes)
        return std::nullopt;
    return out;
}

// The regions of a format-2 segment: its trailer and footer, and inside each uncompressed chunk
// its flags byte, validity bitmap (when it has nulls) and values; a compressed chunk is one
// region.
std::vector<Region> segment_regions(const std::string& bytes, const std::string& label) {
    std::vector<Region> regions;
    auto footer = format::parse_segment_footer(bytes, bytes.size());
    EXPECT_TRUE(footer) << footer.error().to_string();
    if (!footer)
        return regions;
    uint64_t size = bytes.size();
    uint64_t len = 0;
    for (int i = 3; i >= 0; --i)
        len = (len << 8) | static_cast<unsigned char>(bytes[size - 16 + i]);
    regions.push_back({label + " magic", size - 4, 4});
    regions.push_back({label + " footer checksum", size - 12, 8});
    regions.push_back({label + " footer length", size - 16, 4});
    regions.push_back({label + " footer", size - 16 - len, len});
    for (const auto& c : footer->columns) {
        std::string name = label + " column " + c.name;
        if (c.compressed) {
            regions.push_back({name + " zstd chunk", c.offset, c.length});
            continue;
        }
        regions.push_back({name + " flags", c.offset, 1});
        uint64_t at = c.offset + 1;
        if (c.null_count > 0) {
            uint64_t bitmap = (footer->row_count + 7) / 8;
            regions.push_back({name + " validity", at, bitmap});
            at += bitmap;
        }
        if (c.type.is_variable()) {
            uint64_t offsets = 8 * (footer->row_count + 1);
            regions.push_back({name + " offsets", at, offsets});
            at += offsets;
        }
        regions.push_back({name + " values", at, c.offset + c.length - at});
    }
    return regions;
}

struct Target {
    std::string key;
    std::string code;
    std::vector<Region> regions;
};

class Corruption : public EngineTest {
  protected:
    void SetUp() override {
        EngineTest::SetUp();
        // Person: five raw chunks with a null age (flags, validity, values, string offsets);
        // Company: 100 names, a zstd-compressed chunk.
        std::string people;
        for (int i = 0; i < 5; ++i)
            people += i == 3 ? "{\"type\":\"Person\",\"data\":{\"name\":\"p" + std::to_string(i) +
                                   "\"}}\n"
                             : person("p" + std::to_string(i), 20 + i);
        for (int i = 0; i < 100; ++i)
            people += "{\"type\":\"Company\",\"data\":{\"name\":\"company-" + std::to_string(i) +
                      "\"}}\n";
        auto appended = load(people, engine::LoadMode::kAppend);
        ASSERT_TRUE(appended) << appended.error().to_string();
        reopen();
        // A merge that replaces p1 leaves a deletion vector on the segment appended above.
        auto merged = load(person("p1", 99), engine::LoadMode::kMerge);
        ASSERT_TRUE(merged) << merged.error().to_string();
        reopen();
        ASSERT_TRUE(graph_->create_branch("feature", "main", std::nullopt));
        // A pending record of a live writer on another host: heal() reads it and leaves it.
        auto op = engine::new_pending_op("load", "main", 99, base::new_ulid());
        op.host = "another-host";
        ASSERT_TRUE(store_->put(std::string(engine::kPendingPrefix) + op.op_id + ".json",
                                engine::pending_text(op)));
        pending_key_ = std::string(engine::kPendingPrefix) + op.op_id + ".json";
        ASSERT_TRUE(read_everything()) << read_everything().error().to_string();
        ASSERT_TRUE(graph_->heal());
    }

    // Every read of the graph: open, export both branches, the commit history, the branch
    // records; and heal(), which reads the pending records.
    Status read_everything() {
        auto graph = OG_TRY(engine::Graph::open(*store_));
        for (const char* branch : {"main", "feature"}) {
            engine::ExportOptions options;
            options.snapshot.branch = branch;
            std::ostringstream out;
            OG_CHECK(engine::export_graph(*store_, graph, options, out));
        }
        OG_CHECK(graph.commits("main"));
        OG_CHECK(graph.branch_records());
        return graph.heal();
    }

    std::vector<Target> targets() {
        std::vector<Target> out;
        auto head = graph_->head("main");
        EXPECT_TRUE(head);
        const format::TableEntry* people = head->find("node:Person");
        const format::TableEntry* companies = head->find("node:Company");
        EXPECT_TRUE(people && companies);
        auto with_dv = std::find_if(people->segments.begin(), people->segments.end(),
                                    [](const auto& s) { return s.deletion_vector.has_value(); });
        EXPECT_NE(with_dv, people->segments.end());
        const format::SegmentRef& old_people = *with_dv;
        auto biggest =
            std::max_element(companies->segments.begin(), companies->segments.end(),
                             [](const auto& a, const auto& b) { return a.rows < b.rows; });
        for (auto [ref, label] :
             {std::pair{&old_people, "Person segment"}, std::pair{&*biggest, "Company segment"}}) {
            auto bytes = store_->read(ref->segment);
            EXPECT_TRUE(bytes);
            out.push_back({ref->segment, std::string(format::kSegmentCorrupt),
                           segment_regions(*bytes, label)});
        }
        auto record = [&](const std::string& key, std::string_view code, const std::string& label) {
            auto bytes = store_->read(key);
            EXPECT_TRUE(bytes) << key;
            uint64_t n = bytes ? bytes->size() : 0;
            out.push_back({key,
                           std::string(code),
                           {{label + " body", 0, n - 40}, {label + " seal", n - 38, 38}}});
        };
        record(format::manifest_key("main", head->version), format::kManifestCorrupt, "manifest");
        record(format::commit_key(head->commit_id), format::kManifestCorrupt, "commit record");
        record(engine::branch_record_key("feature"), format::kManifestCorrupt, "branch record");
        record(pending_key_, engine::kRecoveryRequired, "pending record");
        auto dv = store_->read(*old_people.deletion_vector);
        EXPECT_TRUE(dv);
        out.push_back({*old_people.deletion_vector,
                       std::string(format::kDeletionVectorCorrupt),
                       {{"deletion vector header", 0, 24},
                        {"deletion vector rows", 24, dv->size() - 24 - 32},
                        {"deletion vector checksum", dv->size() - 32, 32}}});
        return out;
    }

    std::string pending_key_;
};

TEST_P(Corruption, EveryDamagedRegionIsACleanErrorNamingTheObject) {
    int cases = 0;
    for (const Target& target : targets()) {
        auto original = store_->read(target.key);
        ASSERT_TRUE(original);
        std::string uri = store_->uri_of(target.key);
        for (const Region& region : target.regions) {
            for (Mutation m : {Mutation::kFlip, Mutation::kZero, Mutation::kTruncate}) {
                auto bytes = damaged(*original, region, m);
                if (!bytes)
                    continue;
                SCOPED_TRACE(region.name + " " + mutation_name(m) + " (" + uri + ")");
                ASSERT_TRUE(store_->put(target.key, *bytes));
                auto read = read_everything();
                ++cases;
                if (read) {
                    ADD_FAILURE() << "the graph read back";
                } else {
                    EXPECT_EQ(read.error().code, target.code) << read.error().to_string();
                    EXPECT_NE(read.error().message.find(uri), std::string::npos)
                        << read.error().to_string();
                    // A checksum failure names its byte range (a truncated record, or one whose
                    // seal is damaged, is refused by its parser instead).
                    if (m != Mutation::kTruncate && region.name.find("seal") == std::string::npos)
                        EXPECT_NE(read.error().message.find("bytes ["), std::string::npos)
                            << read.error().to_string();
                }
                // `storage verify` finds it: the object is reported corrupt with the same code.
                auto report = engine::verify_graph(*store_);
                ASSERT_TRUE(report) << report.error().to_string();
                EXPECT_FALSE(report->ok());
                EXPECT_TRUE(std::any_of(report->corrupt.begin(), report->corrupt.end(),
                                        [&](const engine::CorruptObject& c) {
                                            return c.key == target.key && c.code == target.code;
                                        }))
                    << "verify did not report " << target.key << " as " << target.code;
                ASSERT_TRUE(store_->put(target.key, *original));
            }
        }
    }
    EXPECT_GE(cases, 60);
    EXPECT_TRUE(read_everything()); // every original restored: the graph reads again
    auto clean = engine::verify_graph(*store_);
    ASSERT_TRUE(clean) << clean.error().to_string();
    EXPECT_TRUE(clean->ok());
}

// A record whose seal member is gone (damage that removes it, or a record some other writer
// replaced) is refused by every reader of a format-2 graph, and storage verify reports it; the
// same records in a graph stamped format 1 (whose records may predate checksums) still read.
TEST_P(Corruption, UnsealedRecordsAreRefusedInAFormat2Graph) {
    int cases = 0;
    for (const Target& target : targets()) {
        if (target.code == format::kSegmentCorrupt || target.code == format::kDeletionVectorCorrupt)
            continue;
        auto original = store_->read(target.key);
        ASSERT_TRUE(original);
        size_t seal = original->rfind(R"(,"checksum":)");
        ASSERT_NE(seal, std::string::npos) << target.key;
        std::string unsealed = original->substr(0, seal) + "}";
        std::string uri = store_->uri_of(target.key);
        SCOPED_TRACE(uri);
        ASSERT_TRUE(store_->put(target.key, unsealed));
        ++cases;
        auto read = read_everything();
        ASSERT_FALSE(read) << "the graph read back";
        EXPECT_EQ(read.error().code, target.code) << read.error().to_string();
        EXPECT_NE(read.error().message.find(uri), std::string::npos) << read.error().to_string();
        EXPECT_NE(read.error().message.find("has no checksum; storage format 2 records are sealed"),
                  std::string::npos)
            << read.error().to_string();

        auto report = engine::verify_graph(*store_);
        ASSERT_TRUE(report) << report.error().to_string();
        ASSERT_EQ(report->corrupt.size(), 1u) << engine::verify_report_json(*report).dump();
        EXPECT_EQ(report->corrupt[0].key, target.key);
        EXPECT_EQ(report->corrupt[0].code, target.code);

        auto stamp = store_->read(engine::kFormatKey);
        ASSERT_TRUE(stamp);
        ASSERT_TRUE(store_->put(engine::kFormatKey, R"({"format":"omnigraph-cpp","version":1})"));
        auto format1 = read_everything();
        EXPECT_TRUE(format1) << format1.error().to_string();
        ASSERT_TRUE(store_->put(engine::kFormatKey, *stamp));
        ASSERT_TRUE(store_->put(target.key, *original));
    }
    EXPECT_EQ(cases, 4); // manifest, commit, branch and pending records
    EXPECT_TRUE(read_everything());
}

// A segment or deletion vector a manifest names that is gone is damage with the family's code,
// not the store's not_found (which a server would answer as if the request named something
// absent).
TEST_P(Corruption, AMissingReferencedObjectIsDamageNotNotFound) {
    int cases = 0;
    for (const Target& target : targets()) {
        if (target.code != format::kSegmentCorrupt && target.code != format::kDeletionVectorCorrupt)
            continue;
        auto original = store_->read(target.key);
        ASSERT_TRUE(original);
        std::string uri = store_->uri_of(target.key);
        SCOPED_TRACE(uri);
        ASSERT_TRUE(store_->remove(target.key));
        ++cases;
        auto read = read_everything();
        ASSERT_FALSE(read) << "the graph read back";
        EXPECT_EQ(read.error().code, target.code) << read.error().to_string();
        EXPECT_NE(read.error().message.find(uri + " is referenced by table node:"),
                  std::string::npos)
            << read.error().to_string();
        EXPECT_TRUE(read.error().message.ends_with("' but missing")) << read.error().to_string();
        ASSERT_TRUE(store_->put(target.key, *original));
    }
    EXPECT_EQ(cases, 3); // two segments and a deletion vector
    EXPECT_TRUE(read_everything());
}

INSTANTIATE_TEST_SUITE_P(Backends, Corruption, ::testing::Values(Backend::kLocal, Backend::kS3),
                         backend_name);

} // namespace
} // namespace omnigraph::testing
