#include "engine/repair.h"

#include "base/text.h"
#include "engine/graph.h"
#include "engine/pending.h"
#include "engine/verify.h"
#include "format/manifest.h"

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

namespace omnigraph::engine {

bool RepairResult::refused() const {
    return std::any_of(findings.begin(), findings.end(),
                       [](const auto& f) { return f.action == "refused"; });
}

namespace {

class Repairer {
  public:
    Repairer(store::ObjectStore& store, const RepairOptions& options)
        : store_(store), options_(options) {}

    Result<RepairResult> run() {
        result_.uri = store_.root().to_string();
        result_.options = options_;
        seal_ = seal_for_storage_format(OG_TRY(read_storage_format(store_)));
        OG_CHECK(pending_records());
        OG_CHECK(root_schema_files());
        OG_CHECK(objects());
        auto head = format::read_latest_manifest(store_, "main", seal_);
        if (head && head->has_value()) {
            // NOLINTNEXTLINE(bugprone-unchecked-optional-access): checked just above
            const format::Manifest& m = head->value();
            result_.graph_manifest_version = m.version;
            for (const auto& t : m.tables)
                result_.tables.push_back({t.table_key, t.table_version});
        }
        return std::move(result_);
    }

  private:
    // The action for drift of `classification` that `heal` would fix; runs it when allowed.
    void act(RepairFinding& f, bool needs_force, const std::function<Status()>& heal) {
        if (!options_.confirm) {
            f.action = "preview";
        } else if (needs_force && !options_.force) {
            f.action = "refused";
            f.error = "suspicious drift is healed only with --confirm --force";
        } else if (auto done = heal(); !done) {
            f.action = "refused";
            f.error = done.error().message;
        } else {
            f.action = needs_force ? "forced" : "healed";
        }
        result_.findings.push_back(std::move(f));
    }

    Status pending_records() {
        for (const auto& meta : OG_TRY(store_.list_all(kPendingPrefix))) {
            auto text = OG_TRY(store_.read_if_exists(meta.key));
            if (!text)
                continue; // settled meanwhile
            RepairFinding f;
            f.subject = meta.key;
            auto op = parse_pending(*text, store_.uri_of(meta.key), seal_);
            if (!op) {
                f.kind = "unreadable_pending_record";
                f.classification = "suspicious";
                std::string aside = "_quarantine/" + meta.key;
                f.operations = {op.error().message, "move the record aside to " + aside +
                                                        " (what it created stays unreferenced)"};
                std::string bytes = *text;
                act(f, true, [&, key = meta.key]() -> Status {
                    OG_CHECK(store_.put(aside, bytes));
                    return store_.remove(key);
                });
                continue;
            }
            f.kind = "pending_operation";
            std::string what = base::concat(op->kind, " on branch '", op->branch, "' by ", op->host,
                                            " pid ", std::to_string(op->pid));
            if (pending_owner_alive(*op)) {
                f.classification = "unverifiable";
                f.action = "no_op";
                f.operations = {what + " is still running: left alone"};
                result_.findings.push_back(std::move(f));
                continue;
            }
            auto committed = pending_committed(store_, *op, seal_);
            if (!committed) {
                f.classification = "unverifiable";
                f.operations = {what + ": cannot tell whether it committed"};
                act(f, false, [&]() -> Status { return std::move(committed).error(); });
                continue;
            }
            f.classification = "verified_maintenance";
            f.operations = {base::concat(
                what,
                *committed ? " committed: roll forward, removing "
                           : " never committed: "
                             "roll back, removing ",
                std::to_string(*committed ? op->remove_after.size() : op->created.size()),
                " objects, then the record")};
            act(f, false, [&, key = meta.key, o = *op]() -> Status {
                auto settled = settle_record(store_, key, o, seal_);
                if (!settled)
                    return std::move(settled).error();
                return ok();
            });
        }
        return ok();
    }

    Status root_schema_files() {
        auto head = OG_TRY(format::read_latest_manifest(store_, "main", seal_));
        if (!head)
            return ok(); // no genesis: nothing to compare (an unfinished init, see recovery.md)
        auto opened = Graph::open(store_);
        if (opened && !opened->root_schema_stale())
            return ok();
        if (!opened && !opened.error().is(kGraphInvalid))
            return std::move(opened).error();
        RepairFinding f;
        f.kind = "root_schema_files";
        f.subject = base::concat(kSchemaSourceKey, ", ", kSchemaIrKey, ", ", kSchemaStateKey);
        auto state = OG_TRY(store_.read_if_exists(kSchemaStateKey));
        bool names_head =
            state && state->find(head->schema_ir_hash) != std::string::npos; // the hash is unique
        // Behind main's head: an apply stopped after its commit. Anything else was edited.
        f.classification = opened || (state && !names_head) ? "verified_maintenance" : "suspicious";
        f.operations = {opened ? std::string("main's head names schema " + head->schema_ir_hash +
                                             "; the root files are behind it")
                               : opened.error().message,
                        "rewrite the root schema files from " +
                            schema_history_key(head->schema_ir_hash, ".{pg,ir.json}")};
        std::string hash = head->schema_ir_hash;
        act(f, f.classification == "suspicious", [&]() -> Status {
            auto schema = OG_TRY(read_schema_history(store_, hash));
            return write_root_schema(store_, *schema);
        });
        return ok();
    }

    // Damage and garbage, as `storage verify` finds them (after the healing above).
    Status objects() {
        auto report = OG_TRY(verify_graph(store_));
        if (!report.ok()) {
            RepairFinding f;
            f.kind = "damaged_objects";
            f.classification = "unverifiable";
            for (const auto& m : report.missing)
                f.operations.push_back("missing " + m.key + " (referenced by " + m.referenced_by +
                                       ")");
            for (const auto& c : report.corrupt)
                f.operations.push_back("corrupt " + c.key + ": " + c.code);
            f.subject = std::to_string(report.missing.size() + report.corrupt.size()) + " objects";
            act(f, false, []() -> Status {
                return Error(kGraphInvalid, "repair cannot recreate missing or corrupt data; "
                                            "restore the objects from a backup");
            });
        }
        if (!report.unreferenced.empty()) {
            uint64_t bytes = 0;
            for (const auto& u : report.unreferenced)
                bytes += u.bytes;
            result_.findings.push_back(
                {"unreferenced_objects",
                 std::to_string(report.unreferenced.size()) + " objects",
                 "verified_maintenance",
                 "no_op",
                 {base::concat(std::to_string(report.unreferenced.size()),
                               " objects no version references (", std::to_string(bytes),
                               " bytes): `omnigraph cleanup` reclaims them once older than its "
                               "grace period")},
                 std::nullopt});
        }
        return ok();
    }

    store::ObjectStore& store_;
    RepairOptions options_;
    base::Seal seal_ = base::Seal::kRequired;
    RepairResult result_;
};

} // namespace

Result<RepairResult> repair_graph(store::ObjectStore& store, const RepairOptions& options) {
    if (options.force && !options.confirm)
        return Error(codes::kInvalidArgument, "--force requires --confirm");
    return Repairer(store, options).run();
}

base::Json repair_json(const RepairResult& r) {
    base::Json out;
    out["uri"] = r.uri;
    out["confirm"] = r.options.confirm;
    out["force"] = r.options.force;
    out["graph_manifest_version"] =
        r.graph_manifest_version ? base::Json(*r.graph_manifest_version) : base::Json(nullptr);
    out["datasets"] = base::Json::array();
    for (const auto& t : r.tables)
        out["datasets"].push_back({{"type_key", t.table_key},
                                   {"published_dataset_version", t.table_version},
                                   {"lance_head_version", t.table_version},
                                   {"classification", "no_drift"},
                                   {"action", "no_op"},
                                   {"operations", base::Json::array()},
                                   {"error", nullptr}});
    out["findings"] = base::Json::array();
    for (const auto& f : r.findings)
        out["findings"].push_back(
            {{"kind", f.kind},
             {"subject", f.subject},
             {"classification", f.classification},
             {"action", f.action},
             {"operations", f.operations},
             {"error", f.error ? base::Json(*f.error) : base::Json(nullptr)}});
    return out;
}

std::vector<std::string> repair_lines(const RepairResult& r) {
    std::vector<std::string> lines{base::concat(
        "repair ", r.uri, " \u2014 ", std::to_string(r.tables.size()), " datasets, ",
        std::to_string(r.findings.size()), r.findings.size() == 1 ? " finding" : " findings")};
    for (const auto& t : r.tables) {
        std::string label = t.table_key;
        if (label.size() < 40)
            label.resize(40, ' ');
        lines.push_back(label + "no_drift");
    }
    for (const auto& f : r.findings) {
        lines.push_back(
            base::concat(f.kind, " ", f.subject, ": ", f.classification, " \u2192 ", f.action));
        for (const auto& op : f.operations)
            lines.push_back("  \u21b3 " + op);
        if (f.error)
            lines.push_back("  error: " + *f.error);
    }
    if (!r.options.confirm)
        lines.push_back("rerun with --confirm to publish verified maintenance drift");
    return lines;
}

} // namespace omnigraph::engine
