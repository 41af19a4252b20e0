#include "service/query_text.h"

#include "query/parser.h"
#include "service/errors.h"

#include <nlohmann/json.hpp>

namespace omnigraph::service {

Result<PickedQuery> parse_and_pick(const QueryText& source,
                                   const std::optional<std::string>& name) {
    auto parsed = OG_TRY(query::parse_query_file(source.text, source.file));
    PickedQuery out;
    out.file = std::make_shared<const query::QueryFile>(std::move(parsed));
    if (name) {
        out.query = out.file->find(*name);
        if (!out.query)
            return Error(kQueryNotFound, "query '" + *name + "' not found in " + source.file);
        return out;
    }
    if (out.file->queries.size() != 1)
        return Error(kQueryNotFound,
                     out.file->queries.empty()
                         ? source.file + " declares no query"
                         : "query source contains multiple queries; name the one to run");
    out.query = &out.file->queries.front();
    return out;
}

Status require_kind(const query::Query& q, bool mutation) {
    if (q.is_mutation() == mutation)
        return ok();
    if (mutation)
        return Error(kWrongQueryKind, "query '" + q.name +
                                          "' is a read query; run it as a read (`omnigraph "
                                          "query`, POST /query)");
    return Error(kWrongQueryKind, "query '" + q.name +
                                      "' is a mutation; run it as a mutation (`omnigraph mutate`, "
                                      "POST /mutate)");
}

Result<query::Params> bind(const query::Query& q, const base::Json* params) {
    if (!params)
        return query::bind_params(q, base::Json(nullptr));
    return query::bind_params(q, *params);
}

Result<query::CheckedQuery> check_at(const query::Query& q, const engine::Snapshot& snapshot,
                                     std::string_view file) {
    return query::check_query(q, snapshot.schema->catalog, file);
}

} // namespace omnigraph::service
