// Old data for the re-indexing tests: strip_key_indexes() rewrites every segment of a graph root
// in place as format 3 without key indexes — what `storage upgrade` wrote before it built them,
// and what a format-2 segment reads like — and every manifest with the segments' new sizes.
// head_segments_indexed() checks, through each segment's footer, what `optimize` promises.
#pragma once

#include "engine/graph.h"
#include "format/manifest.h"
#include "format/segment.h"
#include "store/object_store.h"

#include <gtest/gtest.h>
#include <map>
#include <string>
#include <vector>

namespace omnigraph::testing {

inline void strip_key_indexes(store::ObjectStore& store) {
    std::map<std::string, uint64_t, std::less<>> sizes;
    auto segments = store.list_all("tables/");
    ASSERT_TRUE(segments) << segments.error().to_string();
    for (const auto& meta : *segments) {
        if (!meta.key.ends_with(".seg"))
            continue;
        auto reader = format::SegmentReader::open(store, meta.key);
        ASSERT_TRUE(reader) << reader.error().to_string();
        std::vector<format::NamedColumn> columns;
        for (const auto& info : reader->footer().columns) {
            auto column = reader->read_column(info.name);
            ASSERT_TRUE(column) << column.error().to_string();
            columns.push_back({info.name, std::move(*column)});
        }
        auto bytes = format::write_segment(columns); // no `indexed`: no key indexes
        ASSERT_TRUE(bytes) << bytes.error().to_string();
        ASSERT_TRUE(store.put(meta.key, *bytes));
        sizes[meta.key] = bytes->size();
    }
    auto manifests = store.list_all("_log/");
    ASSERT_TRUE(manifests) << manifests.error().to_string();
    for (const auto& meta : *manifests) {
        if (!meta.key.ends_with(".json"))
            continue;
        auto m = format::parse_manifest(*store.read(meta.key), meta.key, base::Seal::kRequired);
        ASSERT_TRUE(m) << m.error().to_string();
        for (auto& table : m->tables)
            for (auto& seg : table.segments)
                seg.bytes = sizes.at(seg.segment);
        ASSERT_TRUE(store.put(meta.key, format::manifest_text(*m)));
    }
}

// The segments of `branch`'s head, and whether each has the key indexes of its table kind.
inline std::map<std::string, bool> head_segments_indexed(store::ObjectStore& store,
                                                         const std::string& branch) {
    std::map<std::string, bool> out;
    auto graph = engine::Graph::open(store);
    EXPECT_TRUE(graph) << graph.error().to_string();
    if (!graph)
        return out;
    auto head = graph->head(branch);
    EXPECT_TRUE(head) << head.error().to_string();
    if (!head)
        return out;
    for (const auto& table : head->tables)
        for (const auto& seg : table.segments) {
            auto reader = format::SegmentReader::open(store, seg.segment, seg.bytes);
            EXPECT_TRUE(reader) << reader.error().to_string();
            out[seg.segment] =
                reader &&
                format::has_key_indexes(reader->footer(), table.table_key.starts_with("edge:"));
        }
    return out;
}

inline bool all_indexed(const std::map<std::string, bool>& segments) {
    for (const auto& [key, indexed] : segments)
        if (!indexed)
            return false;
    return !segments.empty();
}

} // namespace omnigraph::testing
