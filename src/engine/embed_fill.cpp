#include "engine/embed_fill.h"

#include "embed/errors.h"

#include <map>

namespace omnigraph::engine {

namespace {

// The rows of one target property to fill: row in the table's batch -> its text.
struct Target {
    std::vector<size_t> rows;
    std::vector<std::string> texts;
};

Error located(Error e, const LoadBatch& batch, const TableBatch& table, size_t row,
              std::string_view file) {
    if (!e.location && row < table.origins.size())
        e.location = batch.locate(table.origins[row], file);
    return e;
}

} // namespace

Status fill_embeddings(LoadBatch& batch, const schema::Catalog& catalog, embed::Embedder* embedder,
                       std::string_view file) {
    if (batch.embeds.empty())
        return ok();
    std::map<std::pair<std::string, std::string>, Target> targets; // (table, property)
    for (auto& e : batch.embeds) {
        Target& t = targets[{e.table_key, e.property}];
        t.rows.push_back(e.row);
        t.texts.push_back(std::move(e.text));
    }
    batch.embeds.clear();
    for (auto& [at, target] : targets) {
        const auto& [key, property] = at;
        TableSchema s = table_schema(catalog, key);
        TableBatch& table = batch.tables.at(key);
        const schema::PropType& type = s.properties->at(property);
        const schema::EmbedSource& source = s.node->embed_sources.at(property);
        std::string what = s.name + "." + property;
        if (!embedder) {
            if (type.nullable)
                continue; // no provider: a nullable target stays null
            return located(
                Error(embed::kProviderMissing,
                      what + " is @embed(\"" + source.property +
                          "\") and was not given, but no embedding provider is configured (the "
                          "graph's embedding_provider in cluster.yaml, or "
                          "OMNIGRAPH_EMBED_PROVIDER); supply the vector or configure a provider"),
                batch, table, target.rows.front(), file);
        }
        if (auto st = embed::check_model(*embedder, source.model, what); !st)
            return located(std::move(st).error(), batch, table, target.rows.front(), file);
        auto vectors = embedder->embed(target.texts, type.vector_dim, embed::Purpose::kDocument);
        if (!vectors)
            return located(std::move(vectors).error().prepend("embedding " + what), batch, table,
                           target.rows.front(), file);
        // Rebuild the column with the vectors in place of the staged nulls.
        format::Column& old = table.columns.at(s.property_ids->at(property));
        format::Column filled(old.type());
        size_t next = 0; // target.rows is ascending: rows were staged in order
        for (size_t r = 0; r < old.size(); ++r) {
            if (next < target.rows.size() && target.rows[next] == r)
                filled.append_fixed((*vectors)[next++].data());
            else
                filled.append_row(old, r);
        }
        old = std::move(filled);
    }
    return ok();
}

} // namespace omnigraph::engine
