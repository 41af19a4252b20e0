// A stored query of a served graph (spec server-policy §1.3 rows 12-14): its source, parsed
// once, and its type-check per schema. A query applied with the cluster was checked against the
// schema of that apply; the snapshot it is later invoked on may have another (a branch with its
// own migration, a commit from before a change, main after a later apply). Each invocation is
// checked against the target's schema: the check is cached per schema IR hash, and a query that
// no longer type-checks there is refused with kStoredQuerySchemaConflict, naming the query, the
// schema hash and the type error.
//
// Thread-safety: const members may be called from any number of threads.
#pragma once

#include "base/error.h"
#include "engine/graph.h"
#include "query/ast.h"
#include "query/typecheck.h"

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace omnigraph::service {

class StoredQuery {
  public:
    // Parses `source` and finds the query `name` in it (`file` names it in errors).
    static Result<std::unique_ptr<StoredQuery>> parse(std::string name, std::string_view source,
                                                      std::string file);

    const std::string& name() const { return name_; }
    const query::Query& query() const { return *query_; }
    size_t source_size() const { return source_size_; }
    const std::string& file() const { return file_; } // names the source in errors

    // The query checked against `schema` (cached per schema IR hash, errors included).
    Result<std::shared_ptr<const query::CheckedQuery>>
    checked_at(const engine::SchemaVersion& schema) const;

  private:
    StoredQuery() = default;
    // Schemas remembered per query: a served graph sees few (main's, a few branches').
    static constexpr size_t kSchemasKept = 8;
    using Check = Result<std::shared_ptr<const query::CheckedQuery>>;

    std::string name_, file_;
    size_t source_size_ = 0;
    std::shared_ptr<const query::QueryFile> parsed_; // owns query_
    const query::Query* query_ = nullptr;
    mutable std::mutex mu_;
    mutable std::deque<std::pair<std::string, Check>> checks_; // newest last
};

} // namespace omnigraph::service
