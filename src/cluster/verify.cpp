#include "cluster/verify.h"

#include "base/text.h"
#include "cluster/cluster_store.h"
#include "cluster/context.h"
#include "cluster/digests.h"
#include "cluster/ledger.h"
#include "cluster/plan.h"
#include "cluster/records.h"
#include "cluster/serving_snapshot.h"
#include "store/counting_store.h"

#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::cluster {

namespace {

constexpr std::string_view kClusterRoot = "cluster root";
constexpr std::string_view kResourcesPrefix = "__cluster/resources/";
constexpr std::string_view kGraphsPrefix = "graphs/";

// The digest a catalog key carries: `resources/query/<g>/<name>/<digest>.gq` or
// `resources/policy/<name>/<digest>.yaml`; nullopt for any other shape.
std::optional<std::string> catalog_digest(std::string_view key) {
    key.remove_prefix(kResourcesPrefix.size());
    size_t depth = 0;
    std::string_view extension;
    if (key.starts_with("query/")) {
        depth = 3;
        extension = ".gq";
    } else if (key.starts_with("policy/")) {
        depth = 2;
        extension = ".yaml";
    } else {
        return std::nullopt;
    }
    key.remove_prefix(key.find('/') + 1);
    if (static_cast<size_t>(std::count(key.begin(), key.end(), '/')) != depth - 1 ||
        !key.ends_with(extension))
        return std::nullopt;
    std::string_view file = key.substr(key.rfind('/') + 1);
    file.remove_suffix(extension.size());
    return std::string(file);
}

class ClusterVerifier {
  public:
    ClusterVerifier(ClusterStore& store, ClusterVerifyReport& out)
        : store_(store), objects_(store.objects()), out_(out), report_(out.report) {}

    Status run(const std::string& only_graph) {
        for (auto name : kClusterCounters)
            report_.counts.emplace(name, 0);
        for (const auto& meta : OG_TRY(objects_.list_all("__cluster/")))
            listing_.emplace(meta.key, meta.size);
        std::optional<Ledger> ledger = OG_TRY(check_ledger());
        OG_CHECK(check_catalog(ledger));
        OG_CHECK(check_records());
        OG_CHECK(check_graphs(ledger, only_graph));
        for (const auto& [key, bytes] : listing_)
            if (!referenced_.contains(key))
                report_.unreferenced.push_back({key, bytes});
        report_.bytes_read += objects_.bytes_read();
        return ok();
    }

  private:
    void checked(std::string_view kind) {
        ++report_.objects_checked;
        ++report_.counts[std::string(kind)];
    }
    void corrupt(std::string key, std::string_view code, std::string message) {
        report_.corrupt.push_back({std::move(key), std::string(code), std::move(message)});
    }
    Result<std::optional<std::string>> read(const std::string& key) {
        referenced_.insert(key);
        if (!listing_.contains(key))
            return std::optional<std::string>();
        auto text = objects_.read(key);
        if (!text && text.error().is(codes::kNotFound))
            return std::optional<std::string>();
        if (!text)
            return std::move(text).error();
        return std::optional<std::string>(std::move(*text));
    }

    Result<std::optional<Ledger>> check_ledger() {
        std::string key(kStateKey);
        auto text = OG_TRY(read(key));
        if (!text) {
            report_.missing.push_back({key, std::string(kClusterRoot)});
            return std::optional<Ledger>();
        }
        checked("ledger");
        auto ledger = parse_ledger(*text);
        if (!ledger) {
            corrupt(key, ledger.error().code, ledger.error().message);
            return std::optional<Ledger>();
        }
        out_.state_revision = ledger->state_revision;
        Diagnostics gate;
        check_integrity(*ledger, gate);
        for (const auto& d : gate.items())
            corrupt(key, d.code, d.message);
        return std::optional<Ledger>(std::move(*ledger));
    }

    // Every blob must hash to its name; every blob the ledger names must be there.
    Status check_catalog(const std::optional<Ledger>& ledger) {
        std::set<std::string> named;
        if (ledger)
            for (const auto& [address, entry] : ledger->resources) {
                std::string kind = kind_of(address);
                if (kind == "query") {
                    std::string g = graph_of(address);
                    named.insert(ClusterStore::query_blob_key(g, address.substr(6 + g.size() + 1),
                                                              entry.digest));
                } else if (kind == "policy") {
                    named.insert(ClusterStore::policy_blob_key(address.substr(7), entry.digest));
                }
            }
        for (const auto& key : named)
            if (!listing_.contains(key))
                report_.missing.push_back({key, std::string(kStateKey)});
        for (auto it = listing_.lower_bound(std::string(kResourcesPrefix));
             it != listing_.end() && it->first.starts_with(kResourcesPrefix); ++it) {
            auto digest = catalog_digest(it->first);
            if (!digest)
                continue; // not a blob: unreferenced
            auto text = objects_.read(it->first);
            if (!text && engine::is_storage_failure(text.error()))
                return std::move(text).error();
            if (!text)
                continue; // vanished since the listing: like any unnamed key, unreferenced
            checked("catalog_objects");
            // Blobs the ledger does not name are inert old versions: checked, but unreferenced.
            if (named.contains(it->first))
                referenced_.insert(it->first);
            std::string actual = content_digest(*text);
            if (actual != *digest)
                corrupt(it->first, "catalog_payload_mismatch",
                        store_.display(it->first) + " holds bytes whose digest is " + actual +
                            ", not the digest its name carries");
        }
        return ok();
    }

    // The lock, recovery sidecars and approval artefacts: bookkeeping, but each must parse.
    Status check_records() {
        auto check = [&](const std::string& key, auto parse) -> Status {
            auto text = OG_TRY(read(key));
            if (!text)
                return ok();
            checked("cluster_records");
            if (auto parsed = parse(*text); !parsed)
                corrupt(key, parsed.error().code, parsed.error().message);
            return ok();
        };
        if (listing_.contains(std::string(kLockKey)))
            OG_CHECK(
                check(std::string(kLockKey), [](const std::string& t) { return parse_lock(t); }));
        for (const auto& [key, bytes] : listing_) {
            std::string_view rest;
            if (key.starts_with(kRecoveriesPrefix))
                rest = std::string_view(key).substr(kRecoveriesPrefix.size());
            else if (key.starts_with(kApprovalsPrefix))
                rest = std::string_view(key).substr(kApprovalsPrefix.size());
            else
                continue;
            if (rest.find('/') != std::string_view::npos || !rest.ends_with(".json"))
                continue; // not a record: unreferenced
            if (key.starts_with(kRecoveriesPrefix))
                OG_CHECK(check(key, [](const std::string& t) { return parse_sidecar(t); }));
            else
                OG_CHECK(check(key, [](const std::string& t) { return parse_approval(t); }));
        }
        return ok();
    }

    Status check_graphs(const std::optional<Ledger>& ledger, const std::string& only_graph) {
        // Graph roots present under graphs/, with their total size.
        std::map<std::string, uint64_t> roots;
        for (const auto& meta : OG_TRY(objects_.list_all(kGraphsPrefix))) {
            std::string_view rest = std::string_view(meta.key).substr(kGraphsPrefix.size());
            size_t slash = rest.find('/');
            std::string_view dir = rest.substr(0, slash);
            if (slash != std::string_view::npos && dir.ends_with(".omni"))
                roots[std::string(dir.substr(0, dir.size() - 5))] += meta.size;
            else
                report_.unreferenced.push_back({meta.key, meta.size});
        }
        std::set<std::string> applied;
        if (ledger) {
            for (const auto& [address, entry] : ledger->resources)
                if (kind_of(address) == "graph")
                    applied.insert(address.substr(6));
        } else {
            for (const auto& [g, bytes] : roots)
                applied.insert(g); // no ledger to say which: verify every root there is
        }
        if (!only_graph.empty()) {
            std::string g = OG_TRY(pick_graph(applied, only_graph));
            applied = {g};
        } else {
            for (const auto& [g, bytes] : roots)
                if (!applied.contains(g))
                    report_.unreferenced.push_back(
                        {std::string(kGraphsPrefix) + g + ".omni/", bytes});
        }
        for (const auto& g : applied)
            OG_CHECK(verify_one(g, roots.contains(g)));
        return ok();
    }

    Result<std::string> pick_graph(const std::set<std::string>& applied, const std::string& want) {
        if (applied.contains(want))
            return want;
        auto uri = base::parse_storage_uri(want);
        for (const auto& g : applied)
            if (uri && uri->to_string() == store_.graph_root(g).to_string())
                return g;
        std::string names;
        for (const auto& g : applied)
            names += (names.empty() ? "" : ", ") + g;
        return Error(codes::kInvalidArgument,
                     base::concat("'", want, "' is not a graph of the cluster at ",
                                  store_.root().to_string(),
                                  " (its graphs: ", names.empty() ? "none" : names, ")"));
    }

    Status verify_one(const std::string& g, bool present) {
        ++report_.counts["graphs"]; // its objects are counted by its own walk
        std::string prefix = std::string(kGraphsPrefix) + g + ".omni/";
        GraphVerdict verdict{g, store_.graph_root(g).to_string()};
        engine::VerifyReport part;
        if (present) {
            auto graph_store = OG_TRY(store_.open_graph_store(g));
            auto walked = engine::verify_graph(*graph_store);
            if (!walked && !walked.error().is(codes::kNotFound))
                return std::move(walked).error();
            if (walked)
                part = std::move(*walked);
            else
                present = false; // emptied since the listing
        }
        report_.absorb(part, prefix);
        if (!present)
            report_.missing.push_back({prefix, std::string(kStateKey)});
        verdict.ok = present && part.ok();
        verdict.missing = part.missing.size() + (present ? 0 : 1);
        verdict.corrupt = part.corrupt.size();
        verdict.unreferenced = part.unreferenced.size();
        out_.graphs.push_back(std::move(verdict));
        return ok();
    }

    ClusterStore& store_;
    store::CountingStore objects_;
    ClusterVerifyReport& out_;
    engine::VerifyReport& report_;
    std::map<std::string, uint64_t> listing_; // everything under __cluster/
    std::set<std::string> referenced_;
};

} // namespace

Result<ClusterVerifyReport> verify_cluster(const std::string& source,
                                           const std::string& only_graph) {
    auto root = resolve_cluster_root(source);
    if (!root)
        return std::move(root).error();
    auto store = OG_TRY(ClusterStore::open(*root));
    ClusterVerifyReport out;
    out.report.uri = root->to_string();
    ClusterVerifier verifier(store, out);
    OG_CHECK(verifier.run(only_graph));
    return out;
}

base::Json cluster_verify_json(const ClusterVerifyReport& report) {
    base::Json out = engine::verify_report_json(report.report);
    out["state_revision"] =
        report.state_revision ? base::Json(*report.state_revision) : base::Json(nullptr);
    out["graphs"] = base::Json::array();
    for (const auto& g : report.graphs)
        out["graphs"].push_back({{"graph_id", g.graph_id},
                                 {"uri", g.uri},
                                 {"ok", g.ok},
                                 {"missing", g.missing},
                                 {"corrupt", g.corrupt},
                                 {"unreferenced", g.unreferenced}});
    return out;
}

std::vector<std::string> cluster_verify_lines(const ClusterVerifyReport& report) {
    auto lines = engine::verify_report_lines(report.report);
    std::vector<std::string> graphs;
    graphs.reserve(report.graphs.size());
    for (const auto& g : report.graphs)
        graphs.push_back(base::concat("graph ", g.graph_id, ": ", g.ok ? "ok" : "DAMAGED", " (",
                                      std::to_string(g.missing), " missing, ",
                                      std::to_string(g.corrupt), " corrupt, ",
                                      std::to_string(g.unreferenced), " unreferenced)"));
    lines.insert(lines.end() - 1, graphs.begin(), graphs.end());
    return lines;
}

} // namespace omnigraph::cluster
