#include "engine/load.h"

#include "base/clock.h"
#include "base/env.h"
#include "base/failpoint.h"
#include "base/ulid.h"
#include "engine/cell_visit.h"
#include "engine/embed_fill.h"
#include "engine/load_image.h"
#include "engine/load_input.h"
#include "engine/load_stage.h"
#include "engine/pending.h"
#include "engine/table_data.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace omnigraph::engine {

const char* load_mode_name(LoadMode mode) {
    switch (mode) {
    case LoadMode::kOverwrite:
        return "overwrite";
    case LoadMode::kAppend:
        return "append";
    case LoadMode::kMerge:
        return "merge";
    }
    return "overwrite";
}

std::optional<LoadMode> parse_load_mode(std::string_view text) {
    if (text == "overwrite")
        return LoadMode::kOverwrite;
    if (text == "append")
        return LoadMode::kAppend;
    if (text == "merge")
        return LoadMode::kMerge;
    return std::nullopt;
}

namespace {

// A merge replaced some committed rows: give each segment holding them a new deletion vector
// (and drop segments with no live row left).
Status delete_replaced(const LoadImage& image, format::TableEntry& entry,
                       std::vector<std::pair<std::string, std::string>>& objects) {
    auto it = image.replaced.find(entry.table_key);
    if (it == image.replaced.end())
        return ok();
    for (const auto& [index, rows] : it->second) {
        if (rows.empty())
            continue;
        format::SegmentRef& seg = entry.segments[index];
        auto dv = OG_TRY(read_deletion_vector(image.store, entry, seg)).merged_with(rows);
        seg.deleted_rows = dv.rows.size();
        if (seg.deleted_rows == seg.rows)
            continue; // dropped below
        std::string key = entry.path + "/" + base::new_ulid() + ".dv";
        objects.emplace_back(key, format::write_deletion_vector(dv));
        seg.deletion_vector = key;
    }
    std::erase_if(entry.segments, [](const auto& s) { return s.deleted_rows == s.rows; });
    return ok();
}

// Commits the validated image: the staged segments join (append, merge) or replace
// (overwrite) each touched table's, the rows a merge replaced get deletion vectors, then the
// commit point. The pending-operation record already lists the staged segments; this
// attempt's deletion vectors and commit record are added before they are written.
Result<LoadSummary> write_image(const LoadImage& image, StagedLoad& staged) {
    store::ObjectStore& store = image.store;
    const format::Manifest& head = image.head;
    PendingOp& op = staged.op;
    format::Manifest next = head;
    next.version = head.version + 1;
    LoadSummary summary;
    summary.branch = head.branch;
    summary.mode = image.mode;
    std::vector<std::pair<std::string, std::string>> objects; // deletion vectors: key, bytes
    std::vector<std::string> dropped; // staged segments no row of which is left
    for (auto& entry : next.tables) {
        const std::string& key = entry.table_key;
        if (!image.touched.count(key))
            continue;
        uint64_t kept = image.kept_rows(key);
        if (!image.keeps_committed(key))
            entry.segments.clear();
        else if (image.mode == LoadMode::kMerge)
            OG_CHECK(delete_replaced(image, entry, objects));
        uint64_t count = 0;
        if (auto t = staged.tables.find(key); t != staged.tables.end()) {
            for (const auto& seg : t->second.segments) {
                if (seg.deleted_rows == seg.rows)
                    dropped.push_back(seg.segment);
                else
                    entry.segments.push_back(seg);
            }
            count = t->second.live_rows();
        }
        entry.row_count = kept + count;
        entry.table_version += 1;
        entry.table_branch = head.branch;
        auto colon = key.find(':');
        (key.starts_with("edge:") ? summary.edges : summary.nodes)[key.substr(colon + 1)] = count;
        summary.total_entities += count;
    }
    format::CommitRecord commit = new_commit(head, next, image.options.actor);

    // Recorded before the objects are written, so a crash is undone by the next writer.
    op.branch = head.branch;
    op.base_version = head.version;
    op.commit_id = commit.graph_commit_id;
    std::vector<std::string> attempt; // this attempt's objects
    attempt.reserve(objects.size() + 1);
    for (const auto& [key, bytes] : objects)
        attempt.push_back(key);
    attempt.push_back(format::commit_key(commit.graph_commit_id));
    op.created.insert(op.created.end(), attempt.begin(), attempt.end());
    std::vector<std::string> remove_before = op.remove_after;
    op.remove_after.insert(op.remove_after.end(), dropped.begin(), dropped.end());
    if (staged.begun) {
        OG_CHECK(rewrite_pending(store, op));
    } else {
        OG_CHECK(begin_pending(store, op));
        staged.begun = true;
    }
    Status written = [&]() -> Status {
        for (const auto& [key, bytes] : objects)
            OG_CHECK(store.put_if_absent(key, bytes));
        OG_CHECK(base::failpoint("load.before_publish"));
        return format::publish(store, commit, next);
    }();
    if (!written && written.error().is(format::kManifestConflict)) {
        // Lost the race: what this attempt wrote is garbage once a later attempt commits.
        op.remove_after = std::move(remove_before);
        op.remove_after.insert(op.remove_after.end(), attempt.begin(), attempt.end());
        return std::move(written).error();
    }
    if (!written) {
        // The commit may have landed although its answer was lost: look before undoing.
        auto landed = pending_committed(store, op, staged.seal);
        if (landed && *landed)
            written = ok();
    }
    if (!written) {
        finish_pending_failed(store, op, staged.seal);
        staged.settled = true;
        return std::move(written).error();
    }
    finish_pending_committed(store, op);
    staged.settled = true;
    summary.commit = commit;
    return summary;
}

// The attempts of committing a staged load: each reads the head, builds and validates the
// image against it and commits; a lost race for the next version starts over.
Result<LoadSummary> commit_staged(const Graph& graph, const SchemaVersion& schema,
                                  StagedLoad& staged) {
    const LoadOptions& options = staged.options;
    for (int attempt = 1; attempt <= kLoadAttempts; ++attempt) {
        auto head = OG_TRY(graph.head(options.branch));
        if (options.expected_head && head.commit_id != options.expected_head->commit_id)
            return Error(options.expected_head->code,
                         "branch '" + options.branch + "' moved to commit " + head.commit_id +
                             " (expected " + options.expected_head->commit_id +
                             "); nothing written");
        if (head.schema_ir_hash != schema.hash)
            return Error(codes::kPreconditionFailed,
                         "the schema of branch '" + options.branch +
                             "' changed while loading; run the load again")
                .with_detail(std::string(kSchemaChangedDetail), head.schema_ir_hash);
        if (!options.mode)
            for (const auto& t : head.tables)
                if (t.row_count > 0)
                    return Error(codes::kInvalidArgument,
                                 "branch '" + options.branch +
                                     "' already holds data: pass --mode overwrite, "
                                     "--mode append or --mode merge");
        LoadImage image(staged.store, schema.catalog, head, staged, staged.mode, options);
        OG_CHECK(image.build());
        OG_CHECK(image.validate());
        if (options.progress)
            options.progress({"writing", staged.rows, 0, 0});
        auto result = write_image(image, staged);
        if (!result && result.error().is(format::kManifestConflict))
            continue; // another writer committed first: redo against the new head
        return result;
    }
    return Error(format::kManifestConflict, "load gave up after " + std::to_string(kLoadAttempts) +
                                                " attempts: other writers kept committing first");
}

// One load made for `schema`: the rows of `typed`, else those parsed from `source`, staged as
// bounded segments, then committed. Whatever fails removes what the load wrote.
Result<LoadSummary> stage_and_commit(store::ObjectStore& store, const Graph& graph,
                                     const SchemaVersion& schema, const format::Manifest& head,
                                     LoadSource* source, LoadBatch* typed,
                                     const LoadOptions& options) {
    LoadBudget budget{OG_TRY(load_memory_budget(options))};
    LoadMode mode = options.mode.value_or(LoadMode::kOverwrite);
    PendingOp op = new_pending_op("load", head.branch, head.version, base::new_ulid());
    StagedLoad staged(store, schema.catalog, head, mode, options, budget, op, graph.seal());
    auto result = [&]() -> Result<LoadSummary> {
        if (typed) {
            OG_CHECK(staged.add(std::move(*typed), 0));
        } else {
            uint64_t line = 1, consumed = 0, total = source->total_bytes();
            while (true) {
                std::string_view run = OG_TRY(source->next(budget.run_bytes()));
                if (run.empty())
                    break;
                auto batch = OG_TRY(parse_load_lines(run, line, schema.catalog, options.source_name,
                                                     options.external_blobs));
                OG_CHECK(
                    fill_embeddings(batch, schema.catalog, options.embedder, options.source_name));
                line += static_cast<uint64_t>(std::count(run.begin(), run.end(), '\n'));
                consumed += run.size();
                OG_CHECK(staged.add(std::move(batch), run.size()));
                if (options.progress)
                    options.progress({"parsing", staged.rows, consumed, std::max(total, consumed)});
            }
            if (options.progress)
                options.progress({"checking", staged.rows, consumed, std::max(total, consumed)});
        }
        OG_CHECK(staged.finish());
        return commit_staged(graph, schema, staged);
    }();
    if (!result && staged.begun && !staged.settled)
        finish_pending_failed(store, op, graph.seal());
    return result;
}

// The values of one property column that parsing would have refused: nulls of a non-nullable
// property, strings outside an enum, non-finite floats and vector elements. One visit per column.
std::optional<std::string> unstorable(const format::Column& col, const schema::PropType& type) {
    if (!type.nullable && col.null_count() > 0)
        return "a null in a non-nullable property";
    const format::Column& cells = type.list ? col.child() : col;
    return visit_scalar(type.scalar, [&](auto tag) -> std::optional<std::string> {
        using Tag = decltype(tag);
        for (size_t i = 0; i < cells.size(); ++i) {
            if (cells.is_null(i))
                continue;
            if constexpr (Tag::scalar == schema::ScalarType::kString) {
                if (type.enum_values &&
                    !std::binary_search(type.enum_values->begin(), type.enum_values->end(),
                                        cells.bytes_at(i)))
                    return "a value outside its enum";
            } else if constexpr (Tag::is_float) {
                if (!std::isfinite(cell_at<Tag>(cells, i)))
                    return "a non-finite float";
            } else if constexpr (Tag::is_vector) {
                const char* row = cells.fixed_row(i);
                for (uint32_t d = 0; d < type.vector_dim; ++d) {
                    float f;
                    std::memcpy(&f, row + d * sizeof f, sizeof f);
                    if (!std::isfinite(f))
                        return "a non-finite vector element";
                }
            }
        }
        return std::nullopt;
    });
}

// A typed batch must have the shape parse_load_input gives: known tables, one column per
// declared property of its declared type holding only storable values, equal lengths, origins
// that resolve, canonical @key ids. A mismatch is the caller's bug (invalid_argument), never
// stored.
Status check_typed_batch(const schema::Catalog& catalog, const LoadBatch& batch) {
    auto bad = [](const std::string& key, const std::string& why) {
        return Error(codes::kInvalidArgument, "typed load batch: table " + key + " " + why);
    };
    uint64_t rows = 0;
    for (const auto& [key, t] : batch.tables) {
        TableSchema s = table_schema(catalog, key);
        if (!s.properties || t.table_key != key || t.is_edge != s.is_edge)
            return bad(key, "is not a table of the schema");
        size_t n = t.ids.size();
        rows += n;
        if (t.origins.size() != n || t.explicit_ids.size() != n ||
            (s.is_edge && (t.src.size() != n || t.dst.size() != n)))
            return bad(key, "has columns of different lengths");
        if (t.columns.size() != s.properties->size())
            return bad(key, "does not have one column per declared property");
        for (const auto& [name, type] : *s.properties) {
            auto column = t.columns.find(s.property_ids->at(name));
            if (column == t.columns.end() || !(column->second.type() == column_type_of(type)) ||
                column->second.size() != n)
                return bad(key, "has no column of the declared type and length for '" + name + "'");
            if (auto why = unstorable(column->second, type))
                return bad(key, "holds " + *why + " in '" + name + "'");
        }
        for (uint64_t origin : t.origins)
            if (!batch.positions.empty() && origin > batch.positions.size())
                return bad(key, "has a row origin beyond its positions");
        if (!s.is_edge && s.node->key) {
            std::vector<std::string> parts(s.node->key->size());
            for (size_t row = 0; row < n; ++row) {
                for (size_t k = 0; k < parts.size(); ++k) {
                    const std::string& prop = (*s.node->key)[k];
                    const format::Column& c = t.columns.at(s.node->property_ids.at(prop));
                    if (c.is_null(row))
                        return bad(key, "has a null @key value");
                    parts[k] = key_spelling(c, row, s.node->properties.at(prop));
                }
                if (key_id(parts) != t.ids[row])
                    return bad(key, "has id '" + std::string(t.ids[row]) +
                                        "', not its canonical @key id '" + key_id(parts) + "'");
            }
        }
    }
    if (rows != batch.rows)
        return Error(codes::kInvalidArgument, "typed load batch: rows does not count its rows");
    return ok();
}

// What every load does around its work: the write check, healing, creating a missing branch
// from `options.from` (and deleting it again when the load fails).
template <class Load>
Result<LoadSummary> on_branch(const Graph& graph, const LoadOptions& options, Load&& load) {
    OG_CHECK(graph.authorize_write({WriteAction::kChange, options.branch, {}, options.actor}));
    OG_CHECK(graph.heal());
    std::optional<BranchRecord> created;
    auto first_head = graph.head(options.branch);
    if (!first_head && first_head.error().is(codes::kNotFound) && options.branch != "main") {
        if (!options.from)
            return Error(codes::kNotFound, "branch '" + options.branch +
                                               "' not found (pass --from BASE to create it)");
        created = OG_TRY(graph.create_branch(options.branch, *options.from, options.actor));
        first_head = graph.head(options.branch);
    }
    if (!first_head)
        return std::move(first_head).error();
    Result<LoadSummary> result = load(*first_head);
    if (created) {
        if (result) {
            result->created_from = created->from_branch;
        } else if (auto undone = graph.delete_branch(created->name); !undone) {
            // A failed load changes nothing: when the branch it created cannot be removed
            // again, the error says so rather than leaving it silently.
            result.error().message +=
                "; the branch '" + created->name +
                "' this load created could not be removed: " + undone.error().message;
        }
    }
    return result;
}

} // namespace

Result<uint64_t> load_memory_budget(const LoadOptions& options) {
    if (options.memory_budget_bytes)
        return *options.memory_budget_bytes;
    uint64_t mb = OG_TRY(base::env_uint("OMNIGRAPH_LOAD_MEMORY_MB", kDefaultLoadMemoryBytes >> 20,
                                        kMinLoadMemoryMb, uint64_t(1) << 30));
    return mb << 20;
}

Result<LoadSummary> load_graph(store::ObjectStore& store, const Graph& graph, std::string jsonl,
                               const LoadOptions& options) {
    auto source = text_source(std::move(jsonl));
    return load_graph(store, graph, *source, options);
}

Result<LoadSummary> load_graph(store::ObjectStore& store, const Graph& graph, LoadSource& source,
                               const LoadOptions& options) {
    return on_branch(
        graph, options, [&](const format::Manifest& first_head) -> Result<LoadSummary> {
            SchemaRef schema = OG_TRY(graph.schema_version(first_head.schema_ir_hash));
            return stage_and_commit(store, graph, *schema, first_head, &source, nullptr, options);
        });
}

Result<LoadSummary> load_rows(store::ObjectStore& store, const Graph& graph,
                              const SchemaRef& schema, LoadBatch batch,
                              const LoadOptions& options) {
    OG_CHECK(check_typed_batch(schema->catalog, batch));
    return on_branch(graph, options, [&](const format::Manifest& first_head) {
        return stage_and_commit(store, graph, *schema, first_head, nullptr, &batch, options);
    });
}

} // namespace omnigraph::engine
