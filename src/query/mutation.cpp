#include "query/mutation.h"

#include "base/clock.h"
#include "base/digest.h"
#include "base/json_writer.h"
#include "base/ulid.h"
#include "engine/cell_visit.h"
#include "engine/embed_fill.h"
#include "engine/load.h"
#include "engine/reclaimed.h"
#include "engine/table_data.h"
#include "query/stored_value.h"

#include <algorithm>
#include <map>
#include <set>

namespace omnigraph::query {

using schema::PropType;
using schema::ScalarType;

namespace {

// A failed statement: thrown inside the Mutator, returned as an Error located at the statement.
struct MutationFailure : std::runtime_error {
    MutationFailure(Error e) : std::runtime_error(e.message), error(std::move(e)) {}
    Error error;
};

// One row being written: its id, endpoints (edges), property values by name, and the statement
// that last staged it (where its errors point).
struct Row {
    std::string id, src, dst;
    std::map<std::string, Value> props;
    Pos pos;
    // @embed targets to compute from their source on write (engine/embed_fill.h).
    std::set<std::string> embed;
};

// A table as the mutation sees it: the committed rows, minus deletions, overlaid by the rows
// staged so far (by id).
struct TableState {
    engine::TableSchema schema;
    std::string key;             // "node:Person"
    engine::TableData committed; // read when the state is made (Mutator::table)
    std::map<std::string, Row> staged;
    std::set<std::string> deleted;               // ids removed (committed or staged)
    std::map<std::string, size_t> committed_row; // id -> committed row
};

class Mutator {
  public:
    Mutator(store::ObjectStore& store, const engine::Snapshot& snap, const CheckedQuery& checked,
            const Params& params, const MutationOptions& options)
        : store_(store), snap_(snap), q_(*checked.query), params_(params), options_(options) {}

    void run() {
        for (const auto& m : q_.mutations) {
            switch (m.kind) {
            case Mutation::Kind::kInsert:
                insert(m);
                break;
            case Mutation::Kind::kUpdate:
                update(m);
                break;
            case Mutation::Kind::kDelete:
                remove(m);
                break;
            }
        }
    }

    uint64_t affected_nodes = 0, affected_edges = 0;

    // The staged rows as typed rows for the loader, each located at the statement that staged
    // it; values are converted (and checked) as a load would.
    engine::LoadBatch batch() const {
        engine::LoadBatch out;
        for (const auto& [key, t] : tables_) {
            if (t.staged.empty())
                continue;
            engine::TableBatch& tb = out.tables[key];
            static_cast<engine::TableData&>(tb) = engine::TableData::empty(
                t.schema.is_edge, *t.schema.properties, *t.schema.property_ids);
            tb.table_key = key;
            for (const auto& [id, row] : t.staged) {
                out.positions.push_back(location(row.pos));
                tb.origins.push_back(out.positions.size());
                tb.explicit_ids.push_back(true);
                tb.ids.push_back(row.id);
                if (t.schema.is_edge) {
                    tb.src.push_back(row.src);
                    tb.dst.push_back(row.dst);
                }
                for (const auto& [name, type] : *t.schema.properties) {
                    auto value = row.props.find(name);
                    if (row.embed.count(name) && defer_embedding(out, tb, t, row, name))
                        continue;
                    check(append_stored(tb.columns.at(t.schema.property_ids->at(name)),
                                        value == row.props.end() ? Value::null() : value->second,
                                        type, name, options_.external_blobs),
                          row.pos);
                }
                ++out.rows;
            }
        }
        return out;
    }
    std::map<std::string, std::set<std::string>> deletes() const {
        std::map<std::string, std::set<std::string>> out;
        for (const auto& [key, t] : tables_)
            for (const auto& id : t.deleted)
                if (t.committed_row.count(id))
                    out[key].insert(id);
        return out;
    }

  private:
    // Stages target `name` of `row` null, to be embedded from its source's text; false when the
    // source holds no text (the target is then written as it is: null).
    static bool defer_embedding(engine::LoadBatch& out, engine::TableBatch& tb, const TableState& t,
                                const Row& row, const std::string& name) {
        const auto& source = t.schema.node->embed_sources.at(name).property;
        auto text = row.props.find(source);
        if (text == row.props.end() || text->second.kind != Value::Kind::kString)
            return false;
        format::Column& col = tb.columns.at(t.schema.property_ids->at(name));
        col.append_null();
        out.embeds.push_back({t.key, name, col.size() - 1, text->second.text});
        return true;
    }

    // The @embed targets a statement leaves to be computed: those whose source it assigns
    // and which it does not assign itself.
    static void mark_embeddings(const schema::NodeCatalog* node, const Mutation& m, Row& row) {
        if (!node)
            return;
        auto assigns = [&](const std::string& p) {
            return std::any_of(m.assignments.begin(), m.assignments.end(),
                               [&](const Assignment& a) { return a.property == p; });
        };
        for (const auto& [target, source] : node->embed_sources) {
            if (assigns(target)) {
                row.embed.erase(target);
            } else if (assigns(source.property)) {
                row.props.erase(target);
                row.embed.insert(target);
            }
        }
    }

    TableState& table(const std::string& type, bool is_edge) {
        std::string key = (is_edge ? "edge:" : "node:") + type;
        auto [it, fresh] = tables_.try_emplace(key);
        TableState& t = it->second;
        if (fresh) {
            t.key = key;
            t.schema = engine::table_schema(snap_.schema->catalog, key);
            if (const format::TableEntry* entry = snap_.manifest.find(key)) {
                auto data = engine::read_table(store_, *entry, t.schema.is_edge,
                                               *t.schema.properties, *t.schema.property_ids);
                if (!data)
                    throw MutationFailure(engine::explain_read_failure(store_, snap_.manifest,
                                                                       std::move(data).error()));
                t.committed = std::move(*data);
            } else {
                t.committed = engine::TableData::empty(t.schema.is_edge, *t.schema.properties,
                                                       *t.schema.property_ids);
            }
            for (size_t i = 0; i < t.committed.size(); ++i)
                t.committed_row.emplace(std::string(t.committed.ids[i]), i);
        }
        return t;
    }

    Value value_of(const Expr& e) const {
        switch (e.kind) {
        case ExprKind::kNow:
            return Value::of_datetime(options_.now_ms);
        case ExprKind::kVar:
            return params_.at(e.var);
        case ExprKind::kLiteral: {
            auto v = literal_to_value(e.literal);
            check(v, e.pos);
            return std::move(*v);
        }
        default:
            fail("unsupported value in a mutation", e.pos);
        }
    }

    // A value assigned to property `type`: a Vector literal list becomes a vector; everything
    // else is already in the load format's terms.
    static Value assigned(Value v, const PropType& type) {
        if (!type.list && type.scalar == ScalarType::kVector && v.kind == Value::Kind::kList) {
            Value out;
            out.kind = Value::Kind::kVector;
            for (const auto& item : v.items)
                out.vector.push_back(static_cast<float>(item.kind == Value::Kind::kFloat ? item.real
                                                        : item.kind == Value::Kind::kInt
                                                            ? static_cast<double>(item.integer)
                                                            : static_cast<double>(item.uinteger)));
            return out;
        }
        return v;
    }

    // A committed row as a Row (blobs re-encoded as "base64:" text for the loader; external
    // references keep their descriptor).
    Row materialize(const TableState& t, size_t r) const {
        Row row;
        const auto& data = t.committed;
        row.id = std::string(data.ids[r]);
        if (t.schema.is_edge) {
            row.src = std::string(data.src[r]);
            row.dst = std::string(data.dst[r]);
        }
        for (const auto& [name, type] : *t.schema.properties) {
            const auto& col = data.columns.at(t.schema.property_ids->at(name));
            Value v = value_at(col, r, type);
            if (type.scalar == ScalarType::kBlob && !v.is_null()) {
                bool external = col.is_external(r);
                v = Value::of_string(external ? std::move(v.text)
                                              : "base64:" + base::base64_encode(v.text));
                v.external = external;
            }
            row.props[name] = std::move(v);
        }
        return row;
    }

    // The live rows of `t` (staged rows shadow committed ones), as (id, row-or-committed index).
    template <class Fn> void for_each_live(TableState& t, Fn&& fn) {
        for (size_t i = 0; i < t.committed.size(); ++i) {
            std::string id(t.committed.ids[i]);
            if (t.deleted.count(id) || t.staged.count(id))
                continue;
            fn(id, std::optional<size_t>(i));
        }
        std::vector<std::string> staged_ids;
        staged_ids.reserve(t.staged.size());
        for (const auto& [id, row] : t.staged)
            staged_ids.push_back(id);
        for (const auto& id : staged_ids)
            fn(id, std::optional<size_t>());
    }

    // The value of column `prop` ("from"/"to" on edges) of a live row.
    Value column_value(const TableState& t, const std::string& id, std::optional<size_t> r,
                       const std::string& prop) const {
        if (t.schema.is_edge && (prop == "from" || prop == "to")) {
            if (r)
                return Value::of_string(
                    std::string(prop == "from" ? t.committed.src[*r] : t.committed.dst[*r]));
            const Row& row = t.staged.at(id);
            return Value::of_string(prop == "from" ? row.src : row.dst);
        }
        if (r) {
            const PropType& type = t.schema.properties->at(prop);
            return value_at(t.committed.columns.at(t.schema.property_ids->at(prop)), *r, type);
        }
        const Row& row = t.staged.at(id);
        auto it = row.props.find(prop);
        return it == row.props.end() ? Value::null() : it->second;
    }

    std::vector<std::string> matching(TableState& t, const Mutation& m) {
        Value want = value_of(m.where_value);
        std::vector<std::string> out;
        for_each_live(t, [&](const std::string& id, std::optional<size_t> r) {
            if (holds(column_value(t, id, r, m.where_property), m.where_op, want))
                out.push_back(id);
        });
        return out;
    }

    void insert(const Mutation& m) {
        const auto* node = snap_.schema->catalog.find_node(m.type);
        TableState& t = table(node ? node->name : snap_.schema->catalog.find_edge(m.type)->name,
                              node == nullptr);
        Row row;
        for (const auto& a : m.assignments) {
            Value v = value_of(a.value);
            if (t.schema.is_edge && (a.property == "from" || a.property == "to")) {
                if (v.kind != Value::Kind::kString)
                    fail("edge endpoint `" + a.property + "` must be a node id string", a.pos);
                (a.property == "from" ? row.src : row.dst) = v.text;
                continue;
            }
            row.props[a.property] = assigned(std::move(v), t.schema.properties->at(a.property));
        }
        if (node && node->key) {
            // The id the loader derives: each key value as stored, then spelled.
            std::vector<std::string> parts;
            for (const auto& k : *node->key) {
                auto it = row.props.find(k);
                if (it == row.props.end() || it->second.is_null())
                    fail("insert " + node->name + ": @key property '" + k + "' cannot contain null",
                         m.pos);
                const PropType& type = node->properties.at(k);
                format::Column cell(engine::column_type_of(type));
                check(append_stored(cell, it->second, type, k), m.pos);
                parts.push_back(engine::key_spelling(cell, 0, type));
            }
            row.id = engine::key_id(parts);
        } else {
            row.id = base::new_ulid();
        }
        row.pos = m.pos;
        mark_embeddings(node, m, row);
        t.deleted.erase(row.id);
        t.staged[row.id] = std::move(row);
        (t.schema.is_edge ? affected_edges : affected_nodes) += 1;
    }

    void update(const Mutation& m) {
        const auto* node = snap_.schema->catalog.find_node(m.type);
        TableState& t = table(node->name, false);
        for (const auto& id : matching(t, m)) {
            Row row;
            if (auto s = t.staged.find(id); s != t.staged.end())
                row = s->second;
            else
                row = materialize(t, t.committed_row.at(id));
            for (const auto& a : m.assignments)
                row.props[a.property] =
                    assigned(value_of(a.value), t.schema.properties->at(a.property));
            mark_embeddings(node, m, row);
            row.pos = m.pos;
            t.staged[id] = std::move(row);
            ++affected_nodes;
        }
    }

    void remove(const Mutation& m) {
        const auto* node = snap_.schema->catalog.find_node(m.type);
        if (!node) {
            TableState& t = table(snap_.schema->catalog.find_edge(m.type)->name, true);
            for (const auto& id : matching(t, m))
                drop(t, id);
            return;
        }
        TableState& t = table(node->name, false);
        std::set<std::string> gone;
        for (const auto& id : matching(t, m)) {
            drop(t, id);
            gone.insert(id);
        }
        if (gone.empty())
            return;
        // Cascade: every edge, of any edge type, with a deleted endpoint.
        for (const auto& e : snap_.schema->catalog.edges) {
            bool from = e.from_type == node->name, to = e.to_type == node->name;
            if (!from && !to)
                continue;
            TableState& edges = table(e.name, true);
            std::vector<std::string> doomed;
            for_each_live(edges, [&](const std::string& id, std::optional<size_t> r) {
                std::string src = column_value(edges, id, r, "from").text;
                std::string dst = column_value(edges, id, r, "to").text;
                if ((from && gone.count(src)) || (to && gone.count(dst)))
                    doomed.push_back(id);
            });
            for (const auto& id : doomed)
                drop(edges, id);
        }
    }

    void drop(TableState& t, const std::string& id) {
        t.staged.erase(id);
        if (t.deleted.insert(id).second)
            (t.schema.is_edge ? affected_edges : affected_nodes) += 1;
    }

    SourceLocation location(Pos pos) const {
        return SourceLocation{options_.source_file, pos.line, pos.column};
    }
    [[noreturn]] void fail(const std::string& message, Pos pos) const {
        throw MutationFailure(Error(kQueryRuntimeError, message, location(pos)));
    }
    // Throws the error of `r`, located at `pos` unless it already points somewhere.
    template <class R> void check(const R& r, Pos pos) const {
        if (r)
            return;
        Error e = r.error();
        if (!e.location)
            e.location = location(pos);
        throw MutationFailure(std::move(e));
    }

    store::ObjectStore& store_;
    const engine::Snapshot& snap_;
    const Query& q_;
    const Params& params_;
    const MutationOptions& options_;
    std::map<std::string, TableState> tables_;
};

} // namespace

Result<MutationResult> execute_mutation(store::ObjectStore& store, const engine::Graph& graph,
                                        const CheckedQuery& checked, const Params& params,
                                        const MutationOptions& options) {
    if (!checked.query->is_mutation())
        return Error(kQueryRuntimeError, "query '" + checked.query->name +
                                             "' is a read query; run it with `omnigraph query`");
    engine::SnapshotSpec spec;
    spec.branch = options.branch;
    auto snap = OG_TRY(graph.snapshot(spec));
    if (options.if_commit && snap.manifest.commit_id != *options.if_commit)
        return Error(kPreconditionFailure, "branch '" + options.branch + "' is at commit " +
                                               snap.manifest.commit_id + ", not " +
                                               *options.if_commit);
    OG_CHECK(require_schema(checked, *snap.schema));
    MutationResult result;
    result.branch = options.branch;
    Mutator mutator(store, snap, checked, params, options);
    engine::LoadBatch batch;
    std::map<std::string, std::set<std::string>> deletes;
    try {
        mutator.run();
        batch = mutator.batch();
        deletes = mutator.deletes();
    } catch (const MutationFailure& f) {
        return f.error;
    }
    OG_CHECK(engine::fill_embeddings(batch, snap.schema->catalog, options.embedder,
                                     options.source_file));
    result.affected_nodes = mutator.affected_nodes;
    result.affected_edges = mutator.affected_edges;
    if (batch.rows == 0 && deletes.empty())
        return result; // nothing changed: no commit
    engine::LoadOptions load;
    load.mode = engine::LoadMode::kMerge;
    load.branch = options.branch;
    load.actor = options.actor;
    load.deletes = std::move(deletes);
    // What updates and deletes matched was read at this head: a concurrent commit invalidates
    // it (read_set_conflict). Inserts alone rebase onto a newer head, re-validated there.
    bool reads = std::any_of(checked.query->mutations.begin(), checked.query->mutations.end(),
                             [](const Mutation& m) { return m.kind != Mutation::Kind::kInsert; });
    if (options.if_commit)
        load.expected_head = {*options.if_commit, std::string(kPreconditionFailure)};
    else if (reads)
        load.expected_head = {snap.manifest.commit_id, std::string(kReadSetConflict)};
    load.source_name = options.source_file;
    auto loaded = OG_TRY(engine::load_rows(store, graph, snap.schema, std::move(batch), load));
    result.commit = loaded.commit;
    return result;
}

std::string mutation_json(const MutationResult& result, std::string_view query_name,
                          const std::optional<std::string>& actor) {
    base::JsonWriter w;
    w.begin_object();
    w.key("branch").string(result.branch);
    w.key("query_name").string(query_name);
    w.key("affected_nodes").unsigned_integer(result.affected_nodes);
    w.key("affected_edges").unsigned_integer(result.affected_edges);
    w.key("actor_id");
    actor ? w.string(*actor) : w.null();
    w.key("commit");
    if (!result.commit) {
        w.null();
    } else {
        const auto& c = *result.commit;
        auto optional = [&](const char* key, const std::optional<std::string>& v) {
            w.key(key);
            v ? w.string(*v) : w.null();
        };
        w.begin_object();
        w.key("graph_commit_id").string(c.graph_commit_id);
        w.key("graph_branch").string(c.graph_branch);
        w.key("graph_manifest_version").unsigned_integer(c.graph_manifest_version);
        optional("parent_commit_id", c.parent_commit_id);
        optional("merged_parent_commit_id", c.merged_parent_commit_id);
        optional("actor_id", c.actor_id);
        w.key("created_at").integer(c.created_at);
        w.end_object();
    }
    w.end_object();
    return w.take();
}

} // namespace omnigraph::query
