#include "engine/reclaimed.h"

#include "base/json.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace omnigraph::engine {

using base::Json;

bool ReclaimedVersions::contains(uint64_t version) const {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), version,
                               [](uint64_t v, const auto& r) { return v < r.first; });
    return it != ranges.begin() && std::prev(it)->second >= version;
}

uint64_t ReclaimedVersions::next_unreclaimed(uint64_t version) const {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), version,
                               [](uint64_t v, const auto& r) { return v < r.first; });
    if (it != ranges.begin() && std::prev(it)->second >= version)
        return std::prev(it)->second + 1; // ranges are disjoint and not adjacent once merged
    return version;
}

void ReclaimedVersions::add(const std::vector<uint64_t>& versions) {
    for (uint64_t v : versions)
        ranges.emplace_back(v, v);
    std::sort(ranges.begin(), ranges.end());
    std::vector<std::pair<uint64_t, uint64_t>> merged;
    for (const auto& r : ranges) {
        if (!merged.empty() && r.first <= merged.back().second + 1)
            merged.back().second = std::max(merged.back().second, r.second);
        else
            merged.push_back(r);
    }
    ranges = std::move(merged);
}

std::string reclaimed_key(std::string_view branch) {
    return std::string(kReclaimedPrefix) + format::encode_branch(branch) + ".json";
}

namespace {

std::string reclaimed_text(const ReclaimedVersions& r) {
    Json j;
    j["format"] = "omnigraph-reclaimed";
    j["branch"] = r.branch;
    j["versions"] = Json::array();
    for (const auto& [from, to] : r.ranges)
        j["versions"].push_back(Json::array({from, to}));
    return base::seal_record(base::to_canonical_json(j));
}

Result<ReclaimedVersions> parse_reclaimed(std::string_view text, const std::string& where,
                                          base::Seal seal) {
    auto bad = [&](const std::string& why) {
        return Error(format::kManifestCorrupt, where + ": " + why);
    };
    bool sealed = OG_TRY(base::verify_record_seal(text, format::kManifestCorrupt, where));
    if (!sealed && seal == base::Seal::kRequired)
        return bad("has no checksum; storage format 2 records are sealed");
    auto j = base::parse_json(text);
    if (!j || !j->is_object() || !j->contains("format") || (*j)["format"] != "omnigraph-reclaimed")
        return bad("is not a reclaimed-versions record");
    ReclaimedVersions r;
    if (!(*j)["branch"].is_string() || !(*j)["versions"].is_array())
        return bad("needs a string `branch` and an array `versions`");
    r.branch = (*j)["branch"].get<std::string>();
    uint64_t last = 0;
    for (const auto& pair : (*j)["versions"]) {
        if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned() ||
            !pair[1].is_number_unsigned())
            return bad("`versions` holds something other than [from, to] pairs");
        uint64_t from = pair[0].get<uint64_t>(), to = pair[1].get<uint64_t>();
        if (from == 0 || from > to || (!r.ranges.empty() && from <= last))
            return bad("`versions` is not sorted, disjoint ranges of versions");
        r.ranges.emplace_back(from, to);
        last = to;
    }
    return r;
}

} // namespace

Result<ReclaimedVersions> read_reclaimed(store::ObjectStore& store, std::string_view branch,
                                         base::Seal seal) {
    std::string key = reclaimed_key(branch);
    auto text = OG_TRY(store.read_if_exists(key));
    if (!text)
        return ReclaimedVersions{std::string(branch), {}};
    return parse_reclaimed(*text, store.uri_of(key), seal);
}

Status record_reclaimed(store::ObjectStore& store, std::string_view branch,
                        const std::vector<uint64_t>& versions, base::Seal seal) {
    if (versions.empty())
        return ok();
    std::string key = reclaimed_key(branch);
    for (int attempt = 0; attempt < 16; ++attempt) {
        auto got = store.get(key);
        if (!got && !got.error().is(codes::kNotFound))
            return std::move(got).error();
        ReclaimedVersions r{std::string(branch), {}};
        if (got)
            r = OG_TRY(parse_reclaimed(got->data, store.uri_of(key), seal));
        r.add(versions);
        auto written = got ? store.put_if_match(key, reclaimed_text(r), got->meta.version)
                           : store.put_if_absent(key, reclaimed_text(r));
        if (written)
            return ok();
        if (!written.error().is(codes::kPreconditionFailed))
            return std::move(written).error();
    }
    return Error(format::kManifestConflict,
                 store.uri_of(key) + " kept changing while cleanup recorded its removals");
}

Error version_reclaimed(std::string_view branch, uint64_t version) {
    return Error(kVersionReclaimed, "version " + std::to_string(version) + " of branch '" +
                                        std::string(branch) +
                                        "' was removed by cleanup (historical version "
                                        "reclaimed); read a newer version");
}

Error explain_read_failure(store::ObjectStore& store, const format::Manifest& manifest,
                           Error failure) {
    bool missing = std::any_of(failure.details.begin(), failure.details.end(),
                               [](const auto& d) { return d.first == kMissingObjectDetail; });
    if (!missing)
        return failure;
    // The manifest may be another branch's (a lazy branch reads its source's versions): its
    // commit says which log holds it. Commit records are never removed by cleanup.
    auto commit = format::read_commit(store, manifest.commit_id, base::Seal::kOptional);
    if (!commit)
        return failure;
    auto there =
        store.exists(format::manifest_key(commit->graph_branch, commit->graph_manifest_version));
    if (!there || *there)
        return failure; // the version is still published: its object is really gone
    return version_reclaimed(manifest.branch, manifest.version);
}

} // namespace omnigraph::engine
