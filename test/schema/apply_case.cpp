#include "apply_case.h"

#include "engine/load.h"
#include "engine/table_data.h"
#include "schema/catalog.h"
#include "store/local_store.h"

#include <algorithm>
#include <gtest/gtest.h>

namespace omnigraph::testing {

using Plain = nlohmann::json;

namespace {

Result<engine::Graph> reopen(store::ObjectStore& store) {
    return engine::Graph::open(store);
}

// "node:Person.age" -> {"node", "Person", "age"}
struct Target {
    std::string kind, type, property;
};
Target parse_target(const std::string& arg) {
    Target t;
    auto colon = arg.find(':');
    t.kind = arg.substr(0, colon);
    std::string rest = arg.substr(colon + 1);
    auto dot = rest.find('.');
    t.type = rest.substr(0, dot);
    if (dot != std::string::npos)
        t.property = rest.substr(dot + 1);
    return t;
}

} // namespace

ApplyCase::ApplyCase(const SchemaCase& c) {
    auto opened = store::LocalStore::open(*base::parse_storage_uri(dir_.path() + "/g.omni"));
    if (!opened) {
        ADD_FAILURE() << opened.error().to_string();
        return;
    }
    store_ = std::move(*opened);
    const CaseSection* init = c.section("init");
    if (!init) {
        ADD_FAILURE() << "apply case without --- init";
        return;
    }
    if (auto r = engine::init_graph(*store_, init->text); !r) {
        ADD_FAILURE() << "init: " << r.error().to_string();
        return;
    }
    auto g = reopen(*store_);
    if (!g) {
        ADD_FAILURE() << g.error().to_string();
        return;
    }
    graph_.emplace(std::move(*g));
    if (const CaseSection* data = c.section("data")) {
        engine::LoadOptions o;
        o.mode = engine::LoadMode::kOverwrite;
        if (auto r = engine::load_graph(*store_, *graph_, data->text, o); !r) {
            ADD_FAILURE() << "data: " << r.error().to_string();
            return;
        }
    }
    if (const CaseSection* branches = c.section("branches"))
        for (const auto& name : branches->lines)
            if (!name.empty())
                if (auto r = graph_->create_branch(name, "main", std::nullopt); !r)
                    ADD_FAILURE() << "branch " << name << ": " << r.error().to_string();
    if (const CaseSection* tamper = c.section("tamper"))
        if (auto r = store_->put(engine::kSchemaSourceKey, tamper->text); !r)
            ADD_FAILURE() << r.error().to_string();
    initial_ = state_at(std::nullopt);

    engine::SchemaApplyOptions options;
    if (const CaseSection* o = c.section("options"))
        for (const auto& l : o->lines)
            options.allow_data_loss |= l.find("allow_data_loss: true") != std::string::npos;
    std::vector<const CaseSection*> actions;
    for (const auto& s : c.sections)
        if (s.name == "apply" || s.name == "plan")
            actions.push_back(&s);
    for (size_t i = 0; i < actions.size(); ++i) {
        bool last = i + 1 == actions.size();
        bool apply = actions[i]->name == "apply";
        if (last)
            before_ = state_at(std::nullopt);
        // Every action opens the graph afresh, as a CLI call would (and sees tampering).
        auto g = reopen(*store_);
        Result<engine::SchemaApplyResult> r =
            !g      ? Result<engine::SchemaApplyResult>(g.error())
            : apply ? engine::apply_schema_change(*g, actions[i]->text, options)
                    : engine::plan_schema_change(*g, actions[i]->text, options);
        if (!last) {
            if (!r)
                ADD_FAILURE() << "setup action " << i << ": " << r.error().to_string();
            continue;
        }
        last_was_apply = apply;
        if (r)
            result = std::move(*r);
        else
            error = r.error();
    }
    if (auto g = reopen(*store_))
        graph_.emplace(std::move(*g));
}

ApplyCase::~ApplyCase() = default;

std::optional<ApplyCase::State> ApplyCase::state_at(std::optional<uint64_t> version) {
    auto g = reopen(*store_);
    if (!g)
        return std::nullopt;
    engine::SnapshotSpec spec;
    spec.version = version;
    auto snap = g->snapshot(spec);
    if (!snap)
        return std::nullopt;
    return State{std::move(*snap)};
}

std::optional<Plain> ApplyCase::state_value(const State& s, const std::string& call) {
    const format::Manifest& m = s.snap.manifest;
    if (call == "graph_manifest_version")
        return Plain(m.version);
    auto open = call.find('(');
    if (open == std::string::npos || call.back() != ')')
        return std::nullopt;
    std::string fn = call.substr(0, open);
    std::string arg = call.substr(open + 1, call.size() - open - 2);
    if (fn == "try_load_merge") {
        auto g = reopen(*store_);
        if (!g)
            return Plain("error");
        engine::LoadOptions o;
        o.mode = engine::LoadMode::kMerge;
        return Plain(engine::load_graph(*store_, *g, arg + "\n", o) ? "ok" : "error");
    }
    Target t = parse_target(arg);
    const schema::SchemaIr& ir = s.snap.schema->ir;
    const format::TableEntry* entry = m.find(t.kind + ":" + t.type);
    if (fn == "table_exists")
        return Plain(entry != nullptr);
    if (fn == "row_count" || fn == "table_version" || fn == "table_path") {
        if (!entry)
            return Plain(nullptr);
        if (fn == "row_count")
            return Plain(entry->row_count);
        if (fn == "table_version")
            return Plain(entry->table_version);
        return Plain(entry->path);
    }
    const std::vector<schema::IrProperty>* props = nullptr;
    std::optional<uint64_t> type_id, incarnation;
    if (t.kind == "node") {
        if (const auto* n = ir.find_node(t.type)) {
            props = &n->properties;
            type_id = n->type_id;
            incarnation = n->table_incarnation_id;
        }
    } else if (t.kind == "edge") {
        if (const auto* e = ir.find_edge(t.type)) {
            props = &e->properties;
            type_id = e->type_id;
            incarnation = e->table_incarnation_id;
        }
    } else {
        for (const auto& i : ir.interfaces)
            if (i.name == t.type) {
                props = &i.properties;
                type_id = i.type_id;
            }
    }
    if (fn == "type_id")
        return type_id ? Plain(*type_id) : Plain(nullptr);
    if (fn == "incarnation")
        return incarnation ? Plain(*incarnation) : Plain(nullptr);
    if (fn == "property_id" || fn == "column_exists") {
        const schema::IrProperty* p = nullptr;
        if (props)
            for (const auto& q : *props)
                if (q.name == t.property)
                    p = &q;
        if (fn == "column_exists")
            return Plain(p != nullptr);
        return p ? Plain(p->property_id) : Plain(nullptr);
    }
    if (fn == "table_opens" || fn == "ids") {
        if (!entry)
            return fn == "table_opens" ? Plain(false) : Plain(nullptr);
        engine::TableSchema ts =
            engine::table_schema(s.snap.schema->catalog, t.kind + ":" + t.type);
        if (!ts.properties)
            return Plain(nullptr);
        auto rows =
            engine::read_table(*store_, *entry, ts.is_edge, *ts.properties, *ts.property_ids);
        if (fn == "table_opens")
            return Plain(rows.has_value());
        if (!rows)
            return Plain(nullptr);
        std::vector<std::string> ids(rows->ids.begin(), rows->ids.end());
        std::sort(ids.begin(), ids.end());
        return Plain(ids);
    }
    return std::nullopt;
}

std::optional<Plain> ApplyCase::value(const std::string& root, const std::string& rest) {
    if (root == "version_delta") {
        auto now = state_at(std::nullopt);
        if (!now || !before_)
            return std::nullopt;
        return Plain(int64_t(now->snap.manifest.version) - int64_t(before_->snap.manifest.version));
    }
    if (root == "initial" && initial_)
        return state_value(*initial_, rest);
    if (root == "before" && before_)
        return state_value(*before_, rest);
    if (root == "now") {
        auto now = state_at(std::nullopt);
        return now ? state_value(*now, rest) : std::nullopt;
    }
    if (root == "reopened") {
        auto g = reopen(*store_); // a fresh handle, as after a restart
        if (!g)
            return std::nullopt;
        auto snap = g->snapshot();
        return snap ? state_value(State{std::move(*snap)}, rest) : std::nullopt;
    }
    if (root == "prev" && before_) {
        auto prev = state_at(before_->snap.manifest.version);
        return prev ? state_value(*prev, rest) : std::nullopt;
    }
    return std::nullopt;
}

} // namespace omnigraph::testing
