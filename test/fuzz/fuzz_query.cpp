// Fuzz target: the .gq pipeline — parse, type-check against a schema with every property kind,
// and, for read queries that check, plan (the --explain text) and execute against a small graph
// on local disk (and render the result JSON). Mutations are checked but not run (they would grow
// the graph).
#include "engine/graph.h"
#include "engine/load.h"
#include "query/executor.h"
#include "query/explain.h"
#include "query/parser.h"
#include "query/typecheck.h"
#include "store/object_store.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unistd.h>

using namespace omnigraph;

namespace {

constexpr std::string_view kSchema = R"(
node Person { name: String @key  age: I32?  tags: [String]?  score: F64?  born: Date?
              seen: DateTime?  mood: enum(happy, sad)?  photo: Blob?  emb: Vector(2)? }
node Company { name: String @key  size: U64? }
edge Knows: Person -> Person { since: Date? }
edge WorksAt: Person -> Company { title: String? }
)";

constexpr std::string_view kData =
    R"({"type":"Person","data":{"name":"Alice","age":30,"tags":["a","b"],"score":1.5,"born":"1990-01-01","seen":"2024-01-01T00:00:00Z","mood":"happy","emb":[1,2]}}
{"type":"Person","data":{"name":"Bob","age":25}}
{"type":"Person","data":{"name":"Carol"}}
{"type":"Company","data":{"name":"Acme","size":10}}
{"edge":"Knows","from":"Alice","to":"Bob","data":{"since":"2020-01-01"}}
{"edge":"Knows","from":"Bob","to":"Carol"}
{"edge":"Knows","from":"Carol","to":"Alice"}
{"edge":"Knows","from":"Alice","to":"Alice"}
{"edge":"WorksAt","from":"Alice","to":"Acme"}
)";

struct Fixture {
    std::unique_ptr<store::ObjectStore> store;
    std::optional<engine::Graph> graph;
    std::optional<engine::Snapshot> snapshot;
    std::shared_ptr<query::TableCache> cache;
};

Fixture& fixture() {
    static Fixture* f = [] {
        auto* out = new Fixture;
        std::string dir = std::filesystem::temp_directory_path() /
                          ("omnigraph-fuzz-query-" + std::to_string(getpid()));
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        out->store = std::move(*store::open_store(*base::parse_storage_uri(dir)));
        if (!engine::init_graph(*out->store, kSchema))
            std::abort();
        out->graph.emplace(std::move(*engine::Graph::open(*out->store)));
        engine::LoadOptions o;
        o.mode = engine::LoadMode::kOverwrite;
        if (!engine::load_graph(*out->store, *out->graph, std::string(kData), o))
            std::abort();
        out->graph.emplace(std::move(*engine::Graph::open(*out->store)));
        out->snapshot.emplace(std::move(*out->graph->snapshot({})));
        out->cache = query::make_table_cache(*out->store);
        return out;
    }();
    return *f;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view source(reinterpret_cast<const char*>(data), size);
    auto file = query::parse_query_file(source, "fuzz.gq");
    if (!file)
        return 0;
    Fixture& f = fixture();
    for (const auto& q : file->queries) {
        auto checked = query::check_query(q, f.snapshot->schema->catalog, "fuzz.gq");
        if (!checked || q.is_mutation())
            continue;
        // Cross products of many bindings are legitimate but slow: keep inputs small.
        if (q.match.size() > 8)
            continue;
        auto params = query::bind_params(q, nlohmann::ordered_json());
        if (!params)
            continue;
        // The plan --explain prints: planning must not fail where execution succeeds, and a
        // plan always names its query.
        auto plan = query::explain_read(*f.cache, *f.snapshot, *checked, *params);
        auto result = query::execute_read(*f.cache, *f.snapshot, *checked, *params, 0);
        if (result && (!plan || !plan->starts_with("query " + q.name)))
            std::abort();
        if (result)
            (void)query::result_json(*result, q.name, "main", std::nullopt);
    }
    return 0;
}
