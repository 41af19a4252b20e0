// What every operator of a running read query shares (internal to the query layer): the
// snapshot and its table cache, the checked query, the bound parameters, now(), and the
// variables in scope — each with the table it ranges over. Expressions are evaluated here.
//
// Operators report a failure by throwing RuntimeFailure; execute_read turns it into an Error
// at the layer's boundary, so nothing thrown here leaves the query layer.
#pragma once

#include "query/budget.h"
#include "query/executor.h"
#include "query/frame.h"
#include "query/query_embedder.h"
#include "query/runtime_failure.h"
#include "query/search_functions.h"
#include "query/table_cache.h"
#include "query/value.h"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace omnigraph::query {

[[noreturn]] void runtime_fail(const std::string& message,
                               std::string_view code = kQueryRuntimeError);

// What a variable stands for: its type and the table version it ranges over.
struct VarInfo {
    bool is_edge = false;
    std::string type;
    std::shared_ptr<const LoadedTable> table;
    const std::map<std::string, schema::PropType>* properties = nullptr;
    const std::map<std::string, uint64_t>* property_ids = nullptr;

    // Property `name` of the variable's type: its column id and type; nullopt when the type
    // does not declare it.
    struct Property {
        uint64_t id = 0;
        const schema::PropType* type = nullptr;
    };
    std::optional<Property> property(const std::string& name) const {
        auto type = properties->find(name);
        auto id = property_ids->find(name);
        if (type == properties->end() || id == property_ids->end())
            return std::nullopt;
        return Property{id->second, &type->second};
    }
};
using Scope = std::map<std::string, VarInfo, std::less<>>;

class ExecContext {
    QueryBudget unlimited_; // `budget` when none is given (declared first: built first)

  public:
    // `budget` (not owned) bounds the run; nullptr: unlimited.
    ExecContext(TableCache& cache, const engine::Snapshot& snap, const CheckedQuery& checked,
                const Params& params, int64_t now_ms, QueryBudget* budget = nullptr);

    TableCache& cache;
    const engine::Snapshot& snap;
    const schema::Catalog& catalog;
    const CheckedQuery& checked;
    const Query& q;
    const Params& params;
    const Value now;
    QueryBudget& budget; // charged by the operators as their frames grow (budget.h)
    // Embeds nearest()'s String queries (not owned); null: no provider is configured.
    const QueryEmbedder* embedder = nullptr;

    // The ranking search functions (nearest, bm25) of this run, bound at first use.
    SearchFunctions& search() const { return search_; }

    // A variable of a block: its table from the cache, its declared properties.
    VarInfo make_var(bool is_edge, const std::string& type) const;

    // Scopes: a block's variables are visible while it (and the blocks inside it) run.
    void push_scope(const Scope& scope) { scopes_.push_back(&scope); }
    void pop_scope() { scopes_.pop_back(); }
    const VarInfo* find_var(std::string_view name) const;
    const VarInfo& var(std::string_view name) const; // runtime failure when unknown

    // The value of `e` in row `row` of `f`.
    Value eval(const Expr& e, const Frame& f, size_t row) const;
    // Property `prop` of the row `row` of variable `var`'s table.
    Value property(std::string_view var_name, const std::string& prop, uint32_t row) const;
    const format::Column& column(const VarInfo& v, const std::string& prop) const;
    // The variables `e` reads (parameters excluded).
    void vars_of(const Expr& e, std::set<std::string>& out) const;
    // A literal, a parameter or now(): the same value for every row.
    bool is_constant(const Expr& e) const;

  private:
    std::vector<const Scope*> scopes_; // innermost last
    mutable SearchFunctions search_{*this};
};

// The bound ids of a frame's rows, the key every order ends with (equal rows by their ids):
// per variable of the frame (not the `#` internal ones), in name order, its column and table.
struct BoundIds {
    std::vector<int> cols;
    std::vector<const LoadedTable*> tables;

    size_t size() const { return cols.size(); }
    // Row `r`'s id under the `i`th variable.
    std::string_view id(const Frame& f, size_t i, size_t r) const {
        return tables[i]->id(f.cols[cols[i]][r]);
    }
};
BoundIds bound_ids(const ExecContext& ctx, const Frame& f);

} // namespace omnigraph::query
