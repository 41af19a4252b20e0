// Schema-language throughput (not a timed test): parse + validate + shape hash + IR hash of a
// generated 2,000-type schema. Target (issue 3): under 50 ms. Run build/release/bench/bench_schema.
#include "base/allocator.h"
#include "schema/compiler.h"
#include "schema/ir.h"
#include "schema/parser.h"
#include "schema/shape.h"

#include <benchmark/benchmark.h>
#include <string>

using namespace omnigraph;

namespace {

// 1,500 node types (6 properties, a key, an index, an enum) and 500 edge types between them.
std::string generated_schema(int nodes, int edges) {
    std::string s;
    s.reserve(static_cast<size_t>(nodes) * 220);
    for (int i = 0; i < nodes; ++i) {
        std::string n = std::to_string(i);
        s += "node Type" + n + " @description(\"generated type " + n +
             "\") {\n"
             "    slug: String @key\n    title: String @index\n    body: String?\n"
             "    score: F64?\n    created: DateTime?\n    status: enum(open, closed, blocked)\n"
             "    @range(score, 0.0..1.0)\n}\n";
    }
    for (int i = 0; i < edges; ++i) {
        std::string n = std::to_string(i);
        s += "edge Link" + n + ": Type" + std::to_string(i % nodes) + " -> Type" +
             std::to_string((i * 7 + 1) % nodes) + " @card(0..10) { weight: F32? }\n";
    }
    return s;
}

void BM_Parse_Validate_Hash_2000Types(benchmark::State& state) {
    std::string source = generated_schema(1500, 500);
    for (auto _ : state) {
        auto schema = schema::load_schema(source, "generated.pg");
        if (!schema) {
            state.SkipWithError(schema.error().to_string().c_str());
            return;
        }
        auto ir = schema::build_ir(*schema, nullptr, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
        benchmark::DoNotOptimize(schema::shape_hash(*schema));
        benchmark::DoNotOptimize(schema::ir_hash(ir->ir));
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(source.size()));
    state.counters["types"] = 2000;
}
BENCHMARK(BM_Parse_Validate_Hash_2000Types)->Unit(benchmark::kMillisecond);

// The stages on their own, to see where the time goes.
void BM_Stage(benchmark::State& state) {
    std::string source = generated_schema(1500, 500);
    auto ast = schema::parse_schema(source);
    auto compiled = schema::compile_schema(*ast);
    auto ir = schema::build_ir(*compiled, nullptr, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    for (auto _ : state) {
        switch (state.range(0)) {
        case 0:
            benchmark::DoNotOptimize(schema::parse_schema(source));
            break;
        case 1:
            benchmark::DoNotOptimize(schema::compile_schema(*ast));
            break;
        case 2:
            benchmark::DoNotOptimize(schema::shape_hash(*compiled));
            break;
        case 3:
            benchmark::DoNotOptimize(
                schema::build_ir(*compiled, nullptr, "01ARZ3NDEKTSV4RRFFQ69G5FAV"));
            break;
        case 4:
            benchmark::DoNotOptimize(schema::ir_hash(ir->ir));
            break;
        }
    }
}
BENCHMARK(BM_Stage)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

} // namespace

int main(int argc, char** argv) {
    omnigraph::base::tune_allocator(); // as the omnigraph programs do
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
