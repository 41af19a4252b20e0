// Our side of the peer query benchmark (bench/peer/query_bench.mjs): opens a graph root once,
// then runs each query of a JSON file warm — parse, type-check, bind, execute, through the
// engine API as a server would per request — and prints, per query, the median time, every
// counted run's time (for percentiles over many queries, bench/peer/search_bench.mjs) and the
// rows (for the scripts to compare with the peer's).
//   query_bench ROOT QUERIES.json RUNS
//   QUERIES.json: [{"name": "...", "gq": "query q(...) {...}", "params": {...}}, ...]
//   stdout: one JSON object
//     {"name": {"median_ms": M, "times_ms": [...], "warmup_ms": W, "rows": [[...], ...]}, ...}
//   warmup_ms is run 0's time: for the first query it includes loading the tables (and building
//   whatever the engine builds on first use).
#include "base/clock.h"
#include "base/json.h"
#include "base/json_writer.h"
#include "engine/graph.h"
#include "query/executor.h"
#include "query/parser.h"
#include "query/typecheck.h"
#include "store/object_store.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace omnigraph;

namespace {

[[noreturn]] void die(const std::string& what) {
    std::cerr << "query_bench: " << what << "\n";
    std::exit(1);
}

template <class T> T must(Result<T> r, const std::string& what) {
    if (!r)
        die(what + ": " + r.error().to_string());
    return std::move(*r);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 4)
        die("usage: query_bench ROOT QUERIES.json RUNS");
    auto store = must(store::open_store(must(base::parse_storage_uri(argv[1]), "root")), "store");
    auto graph = must(engine::Graph::open(*store), "open");
    auto snapshot = must(graph.snapshot({}), "snapshot");
    auto cache = query::make_table_cache(*store);
    std::ifstream in(argv[2]);
    std::stringstream text;
    text << in.rdbuf();
    auto queries = nlohmann::ordered_json::parse(text.str());
    int runs = std::max(1, std::atoi(argv[3]));

    base::JsonWriter out;
    out.begin_object();
    for (const auto& q : queries) {
        std::string name = q.at("name").get<std::string>();
        std::string source = q.at("gq").get<std::string>();
        base::Json params = q.contains("params") ? q.at("params") : base::Json();
        query::QueryResult result;
        std::vector<double> times;
        double warmup_ms = 0;
        for (int i = 0; i <= runs; ++i) { // run 0 warms the table cache and is not counted
            auto start = std::chrono::steady_clock::now();
            auto file = must(query::parse_query_file(source, name), name);
            const query::Query& parsed = file.queries.at(0);
            auto checked = must(query::check_query(parsed, snapshot.schema->catalog, name), name);
            auto bound = must(query::bind_params(parsed, params), name);
            result = must(query::execute_read(*cache, snapshot, checked, bound, 0), name);
            double ms =
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                    .count();
            if (i > 0)
                times.push_back(ms);
            else
                warmup_ms = ms;
        }
        out.key(name).begin_object();
        out.key("times_ms").begin_array();
        for (double t : times)
            out.real(t);
        out.end_array();
        std::sort(times.begin(), times.end());
        out.key("median_ms").real(times[times.size() / 2]);
        out.key("warmup_ms").real(warmup_ms);
        out.key("rows").begin_array();
        for (const auto& row : result.rows) {
            out.begin_array();
            for (const auto& v : row)
                query::write_value(v, out);
            out.end_array();
        }
        out.end_array();
        out.end_object();
    }
    out.end_object();
    std::cout << out.text() << "\n";
    return 0;
}
