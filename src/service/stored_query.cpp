#include "service/stored_query.h"

#include "query/parser.h"
#include "service/errors.h"

#include <algorithm>

namespace omnigraph::service {

Result<std::unique_ptr<StoredQuery>> StoredQuery::parse(std::string name, std::string_view source,
                                                        std::string file) {
    auto parsed = OG_TRY(query::parse_query_file(source, file));
    std::unique_ptr<StoredQuery> q(new StoredQuery());
    q->parsed_ = std::make_shared<const query::QueryFile>(std::move(parsed));
    q->query_ = q->parsed_->find(name);
    if (!q->query_)
        return Error(kQueryNotFound, "stored query '" + name + "' is not declared in " + file);
    q->name_ = std::move(name);
    q->file_ = std::move(file);
    q->source_size_ = source.size();
    return q;
}

Result<std::shared_ptr<const query::CheckedQuery>>
StoredQuery::checked_at(const engine::SchemaVersion& schema) const {
    {
        std::lock_guard lock(mu_);
        auto it = std::find_if(checks_.begin(), checks_.end(),
                               [&](const auto& c) { return c.first == schema.hash; });
        if (it != checks_.end())
            return it->second;
    }
    Check check = [&]() -> Check {
        auto checked = query::check_query(*query_, schema.catalog, file_);
        if (!checked) {
            Error e(
                kStoredQuerySchemaConflict,
                "stored query '" + name_ + "' does not type-check against schema " + schema.hash +
                    ": " +
                    (checked.error().location ? checked.error().location->to_string() + ": " : "") +
                    checked.error().message);
            e.with_detail("query", name_)
                .with_detail("schema_ir_hash", schema.hash)
                .with_detail("type_error_code", checked.error().code);
            return e;
        }
        // The checked query points into the parsed file: the pointer keeps the file alive.
        struct Holder {
            std::shared_ptr<const query::QueryFile> file;
            query::CheckedQuery checked;
        };
        auto holder = std::make_shared<const Holder>(Holder{parsed_, std::move(*checked)});
        return std::shared_ptr<const query::CheckedQuery>(holder, &holder->checked);
    }();
    std::lock_guard lock(mu_);
    if (std::none_of(checks_.begin(), checks_.end(),
                     [&](const auto& c) { return c.first == schema.hash; })) {
        checks_.emplace_back(schema.hash, check);
        if (checks_.size() > kSchemasKept)
            checks_.pop_front();
    }
    return check;
}

} // namespace omnigraph::service
