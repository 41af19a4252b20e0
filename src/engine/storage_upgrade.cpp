#include "engine/storage_upgrade.h"

#include "base/json.h"
#include "engine/branch.h"
#include "engine/graph.h"
#include "engine/pending.h"
#include "format/deletion_vector.h"
#include "format/manifest.h"
#include "format/segment.h"

#include <map>
#include <nlohmann/json.hpp>

namespace omnigraph::engine {

namespace {

using Sizes = std::map<std::string, uint64_t, std::less<>>;

// Seals every record under `prefix`: parse (which verifies a sealed record and, the graph being
// format 1 until the end of the run, accepts an unsealed one), write back the current text
// when it differs. `rewrite` maps a record's text to its current text.
template <class Rewrite>
Status reseal(store::ObjectStore& store, std::string_view prefix, StorageUpgradeReport& report,
              Rewrite rewrite) {
    for (const auto& meta : OG_TRY(store.list_all(prefix))) {
        if (!meta.key.ends_with(".json"))
            continue;
        auto text = OG_TRY(store.read(meta.key));
        std::string current = OG_TRY(rewrite(text, store.uri_of(meta.key)));
        if (current == text) {
            ++report.records_current;
            continue;
        }
        OG_CHECK(store.put(meta.key, current));
        ++report.records_rewritten;
    }
    return ok();
}

} // namespace

Result<StorageUpgradeReport> upgrade_storage(store::ObjectStore& store) {
    auto graph = OG_TRY(Graph::open(store)); // a graph this build reads, or its error
    (void)graph;
    auto stamp = OG_TRY(base::parse_json(OG_TRY(store.read(kFormatKey)), store.uri_of(kFormatKey)));
    StorageUpgradeReport report;
    report.from_version = stamp["version"].get<int>();

    // Segments first: the manifests below record their new sizes.
    Sizes sizes;
    for (const auto& meta : OG_TRY(store.list_all("tables/"))) {
        if (meta.key.ends_with(".dv")) {
            auto bytes = OG_TRY(store.read(meta.key));
            OG_CHECK(format::parse_deletion_vector(bytes, store.uri_of(meta.key)));
            ++report.deletion_vectors_checked;
            continue;
        }
        if (!meta.key.ends_with(".seg"))
            continue;
        auto bytes = OG_TRY(store.read(meta.key));
        auto upgraded = format::upgrade_segment(bytes);
        if (!upgraded)
            return std::move(upgraded).error().prepend(store.uri_of(meta.key));
        const std::optional<std::string>& rewritten = *upgraded; // nullopt: already current
        if (!rewritten) {
            sizes[meta.key] = bytes.size();
            ++report.segments_current;
            continue;
        }
        OG_CHECK(store.put(meta.key, *rewritten));
        sizes[meta.key] = rewritten->size();
        ++report.segments_rewritten;
    }

    OG_CHECK(reseal(store, "_log/", report,
                    [&](std::string_view text, const std::string& where) -> Result<std::string> {
                        auto m = OG_TRY(format::parse_manifest(text, where, base::Seal::kOptional));
                        for (auto& table : m.tables)
                            for (auto& seg : table.segments)
                                if (auto it = sizes.find(seg.segment); it != sizes.end())
                                    seg.bytes = it->second;
                        return format::manifest_text(m);
                    }));
    OG_CHECK(reseal(store, "_commits/", report,
                    [](std::string_view text, const std::string& where) -> Result<std::string> {
                        return format::commit_text(
                            OG_TRY(format::parse_commit(text, where, base::Seal::kOptional)));
                    }));
    OG_CHECK(reseal(store, "_branches/", report,
                    [](std::string_view text, const std::string& where) -> Result<std::string> {
                        return branch_record_text(
                            OG_TRY(parse_branch_record(text, where, base::Seal::kOptional)));
                    }));
    OG_CHECK(reseal(store, kPendingPrefix, report,
                    [](std::string_view text, const std::string& where) -> Result<std::string> {
                        return pending_text(
                            OG_TRY(parse_pending(text, where, base::Seal::kOptional)));
                    }));

    // Last: the stamp promises every object above is checksummed.
    if (report.from_version != kStorageFormatVersion) {
        stamp["version"] = kStorageFormatVersion;
        OG_CHECK(store.put(kFormatKey, base::to_pretty_json(stamp)));
    }
    return report;
}

} // namespace omnigraph::engine
