#include "engine/schema_apply.h"

#include "base/clock.h"
#include "base/failpoint.h"
#include "base/log.h"
#include "base/ulid.h"
#include "engine/graph_lifecycle.h"
#include "engine/pending.h"
#include "engine/table_data.h"
#include "schema/compiler.h"
#include "schema/ir.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

namespace omnigraph::engine {

using base::Json;

namespace {

// The stable property ids of a table (empty when the catalog has no such type).
std::set<uint64_t> property_ids_of(const TableSchema& t) {
    std::set<uint64_t> ids;
    if (t.property_ids)
        for (const auto& [name, id] : *t.property_ids)
            ids.insert(id);
    return ids;
}

// What an apply writes: the next manifest, the segments of rewritten tables, and the tables
// whose old segments a hard drop removes after the commit.
struct ApplyEffects {
    format::Manifest next;
    std::vector<std::pair<std::string, std::string>> segments; // key, bytes
    std::vector<std::string> hard_dropped_paths;               // table paths to garbage-collect
};

Result<ApplyEffects> plan_effects(store::ObjectStore& store, const format::Manifest& head,
                                  const SchemaVersion& accepted, const SchemaVersion& desired,
                                  bool hard) {
    ApplyEffects fx;
    fx.next = head;
    fx.next.version = head.version + 1;
    fx.next.schema_ir_hash = desired.hash;
    fx.next.tables.clear();
    std::set<std::string> kept_paths;
    auto place = [&](bool is_edge, const std::string& name, uint64_t type_id,
                     uint64_t incarnation) -> Status {
        std::string key = (is_edge ? "edge:" : "node:") + name;
        const format::TableEntry* old = nullptr;
        for (const auto& t : head.tables)
            if (t.type_id == type_id && t.incarnation == incarnation)
                old = &t;
        if (!old) { // a new type, or a drop + re-add (new incarnation): an empty table
            format::TableEntry e;
            e.table_key = key;
            e.type_id = type_id;
            e.incarnation = incarnation;
            e.path = format::table_path(type_id, incarnation);
            e.table_branch = head.branch;
            fx.next.tables.push_back(std::move(e));
            return ok();
        }
        format::TableEntry e = *old; // renames keep the table: same identity, same path
        e.table_key = key;
        kept_paths.insert(e.path);
        TableSchema after = table_schema(desired.catalog, key);
        std::set<uint64_t> old_ids =
            property_ids_of(table_schema(accepted.catalog, old->table_key));
        std::set<uint64_t> new_ids = property_ids_of(after);
        bool drops_column = std::any_of(old_ids.begin(), old_ids.end(),
                                        [&](uint64_t id) { return !new_ids.count(id); });
        if (hard && drops_column && old->row_count > 0) {
            // Rewrite without the dropped columns: only the desired properties are read.
            auto rows =
                OG_TRY(read_table(store, *old, is_edge, *after.properties, *after.property_ids));
            e.segments.clear();
            if (rows.size() > 0) {
                std::string bytes = OG_TRY(encode_table(rows, after));
                std::string seg = e.path + "/" + base::new_ulid() + ".seg";
                e.segments.push_back({seg, rows.size(), bytes.size(), std::nullopt, 0});
                fx.segments.emplace_back(std::move(seg), std::move(bytes));
            }
            e.table_version += 1;
            e.table_branch = head.branch;
            fx.hard_dropped_paths.push_back(e.path);
        }
        fx.next.tables.push_back(std::move(e));
        return ok();
    };
    for (const auto& n : desired.ir.nodes)
        OG_CHECK(place(false, n.name, n.type_id, n.table_incarnation_id));
    for (const auto& e : desired.ir.edges)
        OG_CHECK(place(true, e.name, e.type_id, e.table_incarnation_id));
    if (hard)
        for (const auto& t : head.tables)
            if (!kept_paths.count(t.path))
                fx.hard_dropped_paths.push_back(t.path); // a dropped type
    std::sort(fx.next.tables.begin(), fx.next.tables.end(),
              [](const auto& a, const auto& b) { return a.table_key < b.table_key; });
    return fx;
}

// The objects under the hard-dropped tables that nothing live still needs: not the new
// segments, and not a segment the head of another branch names.
Result<std::vector<std::string>> garbage_after_hard_drop(const Graph& graph,
                                                         const ApplyEffects& fx) {
    std::set<std::string> live;
    for (const auto& s : fx.segments)
        live.insert(s.first);
    for (const auto& name : OG_TRY(graph.branches())) {
        if (name == fx.next.branch)
            continue;
        auto head = graph.head(name);
        if (!head)
            continue; // deleted meanwhile
        for (const auto& t : head->tables)
            for (const auto& s : t.segments)
                live.insert(s.segment);
    }
    std::vector<std::string> garbage;
    for (const auto& path : fx.hard_dropped_paths)
        for (const auto& meta : OG_TRY(graph.store().list_all(path + "/")))
            if (!live.count(meta.key))
                garbage.push_back(meta.key);
    return garbage;
}

Error unsupported_error(const schema::MigrationPlan& plan) {
    for (const auto& s : plan.steps)
        if (s.kind == schema::MigrationStep::Kind::kUnsupported)
            return Error(s.code.empty() ? "unsupported_change" : s.code,
                         (s.code.empty() ? "" : "[" + s.code + "] ") + s.reason);
    return Error("unsupported_change", "the schema change is not supported");
}

// Takes the per-branch apply lock (the pending record), settling a dead owner's record once.
Status begin_apply(store::ObjectStore& store, const PendingOp& op, base::Seal seal) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto begun = begin_pending(store, op);
        if (begun || !begun.error().is(codes::kPreconditionFailed))
            return begun;
        auto holder = OG_TRY(read_pending(store, op.op_id, seal));
        if (holder && pending_owner_alive(*holder))
            return Error(kSchemaApplyInProgress, "schema apply is already in progress on branch '" +
                                                     op.branch + "' (started by " + holder->host +
                                                     " pid " + std::to_string(holder->pid) + ")");
        OG_CHECK(settle_pending(store, seal));
    }
    return Error(kSchemaApplyInProgress,
                 "schema apply is already in progress on branch '" + op.branch + "'");
}

// A plan made against one head of the branch, kept with that head and its schema.
struct PlanAtHead {
    format::Manifest head;
    SchemaRef accepted;
    SchemaApplyResult result;
};

Result<PlanAtHead> plan_at_head(const Graph& graph, std::string_view source,
                                const SchemaApplyOptions& options) {
    PlanAtHead p;
    p.head = OG_TRY(graph.head(options.branch));
    p.accepted = OG_TRY(graph.schema_version(p.head.schema_ir_hash));
    auto shape = OG_TRY(schema::load_schema(source, options.schema_file));
    auto built = OG_TRY(schema::build_ir(shape, &p.accepted->ir, ""));
    SchemaApplyResult& r = p.result;
    r.uri = graph.uri();
    r.plan = OG_TRY(schema::plan_migration(p.accepted->ir, built.ir, options.allow_data_loss));
    r.desired = make_schema_version(std::string(source), std::move(built.ir));
    r.graph_manifest_version = p.head.version;
    r.warnings = shape.warnings;
    for (auto& w : built.warnings)
        r.warnings.push_back(std::move(w));
    return p;
}

} // namespace

Result<SchemaApplyResult> plan_schema_change(const Graph& graph, std::string_view source,
                                             const SchemaApplyOptions& options) {
    return OG_TRY(plan_at_head(graph, source, options)).result;
}

namespace {

constexpr int kSchemaApplyAttempts = 8;

// One attempt: plan at the current head, write, publish (kManifestConflict when another
// writer committed first).
Result<SchemaApplyResult> apply_at_head(const Graph& graph, std::string_view source,
                                        const SchemaApplyOptions& options);

} // namespace

Result<SchemaApplyResult> apply_schema_change(const Graph& graph, std::string_view source,
                                              const SchemaApplyOptions& options) {
    store::ObjectStore& store = graph.store();
    if (!options.as_controller && OG_TRY(managed_by(store)))
        return Error(kGraphManaged, "the graph at " + graph.uri() +
                                        " is managed by a cluster; change its schema with "
                                        "`omnigraph cluster apply`");
    OG_CHECK(graph.authorize_write(
        {WriteAction::kSchemaApply, std::nullopt, options.branch, options.actor}));
    OG_CHECK(graph.heal());
    // Writers keep committing while a schema is applied to a live graph: a lost race for the
    // next version plans again at the new head (what the lost attempt wrote is removed).
    for (int attempt = 1;; ++attempt) {
        auto applied = apply_at_head(graph, source, options);
        if (applied || !applied.error().is(format::kManifestConflict) ||
            attempt == kSchemaApplyAttempts)
            return applied;
    }
}

namespace {

Result<SchemaApplyResult> apply_at_head(const Graph& graph, std::string_view source,
                                        const SchemaApplyOptions& options) {
    store::ObjectStore& store = graph.store();
    auto planned = OG_TRY(plan_at_head(graph, source, options));
    SchemaApplyResult& r = planned.result;
    const format::Manifest& head = planned.head;
    if (!r.plan.supported)
        return unsupported_error(r.plan);
    if (r.plan.steps.empty())
        return std::move(r); // nothing to do: no commit
    auto fx =
        OG_TRY(plan_effects(store, head, *planned.accepted, *r.desired, options.allow_data_loss));

    format::CommitRecord commit = new_commit(head, fx.next, options.actor, "schema apply");

    PendingOp op =
        new_pending_op("schema_apply", head.branch, head.version, commit.graph_commit_id);
    op.op_id = "schema-apply-" + format::encode_branch(head.branch);
    for (const auto& s : fx.segments)
        op.created.push_back(s.first);
    op.created.push_back(format::commit_key(commit.graph_commit_id));
    OG_CHECK(base::failpoint("schema_apply.before_staging_write"));
    OG_CHECK(begin_apply(store, op, graph.seal()));
    Status done = [&]() -> Status {
        // Under the lock: the branch must still be where the plan was made.
        auto now = OG_TRY(graph.head(options.branch));
        if (now.version != head.version || now.commit_id != head.commit_id)
            return Error(format::kManifestConflict,
                         "branch '" + options.branch +
                             "' moved while the schema change was prepared; run it again");
        if (!fx.hard_dropped_paths.empty()) {
            // As late as possible, so branches created meanwhile keep their segments.
            op.remove_after = OG_TRY(garbage_after_hard_drop(graph, fx));
            OG_CHECK(rewrite_pending(store, op));
        }
        OG_CHECK(store_schema_version(store, r.desired->source, r.desired->ir));
        for (const auto& [key, bytes] : fx.segments)
            OG_CHECK(store.put_if_absent(key, bytes));
        return format::publish(store, commit, fx.next);
    }();
    OG_CHECK(settle_publish(store, op, graph.seal(), std::move(done)));
    // Committed; a failure here leaves what a crash would (heal() settles it).
    OG_CHECK(base::failpoint("schema_apply.after_manifest_commit"));
    if (head.branch == "main") {
        // Committed. A failure here is repaired by the next writer's heal().
        auto promoted = write_root_schema(store, *r.desired);
        if (!promoted)
            base::log(base::LogLevel::kWarn, "schema_apply.promote_failed",
                      {{"error", promoted.error().message}});
    }
    finish_pending_committed(store, op);
    r.applied = true;
    r.graph_manifest_version = fx.next.version;
    r.commit = commit;
    return r;
}

} // namespace

Json apply_result_json(const SchemaApplyResult& r) {
    Json j;
    j["uri"] = r.uri;
    j["supported"] = r.plan.supported;
    j["applied"] = r.applied;
    j["step_count"] = r.plan.steps.size();
    j["graph_manifest_version"] = r.graph_manifest_version;
    Json steps = Json::array();
    for (const auto& s : r.plan.steps)
        steps.push_back(schema::step_json(s));
    j["steps"] = steps;
    return j;
}

std::string render_apply_result(const SchemaApplyResult& r) {
    std::string out =
        "schema apply for " + r.uri + "\nsupported: " + (r.plan.supported ? "yes" : "no") +
        "\napplied: " + (r.applied ? "yes" : "no") +
        "\ngraph_manifest_version: " + std::to_string(r.graph_manifest_version) + "\n";
    if (r.plan.steps.empty())
        out += "no schema changes\n";
    for (const auto& s : r.plan.steps)
        out += "- " + schema::render_step(s) + "\n";
    return out;
}

} // namespace omnigraph::engine
