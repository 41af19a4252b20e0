// Fuzz target: strict JSONL graph batches (engine/load_input.h) against a schema with every
// property kind. Never crash; every failure is a typed error.
#include "engine/load_input.h"
#include "schema/catalog.h"
#include "schema/compiler.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace omnigraph;

static const schema::Catalog& catalog() {
    static const schema::Catalog c = [] {
        auto s = schema::load_schema("node Person { name: String @key age: I32? born: Date? seen: "
                                     "DateTime? score: F32? big: U64?\n"
                                     "  tags: [String]? nums: [I64]? mood: enum(happy, sad)? emb: "
                                     "Vector(2)? photo: Blob? ok: Bool? }\n"
                                     "node Pair { a: String b: I64 @key(b, a) }\n"
                                     "node Note { text: String }\n"
                                     "edge Knows: Person -> Person { since: Date? w: F64? }\n");
        auto ir = schema::build_ir(*s, nullptr, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
        return schema::project_catalog(ir->ir);
    }();
    return c;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto batch = engine::parse_load_input(text, catalog(), "fuzz.jsonl");
    if (!batch && batch.error().code != engine::kInvalidLoadInput)
        std::abort(); // every failure must be the typed load error
    if (batch)
        for (const auto& [key, t] : batch->tables)
            for (const auto& [id, column] : t.columns)
                if (column.size() != t.ids.size())
                    std::abort(); // every column has one value per row
    return 0;
}
