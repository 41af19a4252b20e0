// Fuzz target: the whole offline schema pipeline — parse, validate, shape hash, IR build, and a
// migration plan from the schema to itself (which must be empty and supported).
#include "schema/compiler.h"
#include "schema/diagnostic.h"
#include "schema/ir.h"
#include "schema/plan.h"
#include "schema/shape.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

using namespace omnigraph::schema;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view source(reinterpret_cast<const char*>(data), size);
    auto schema = load_schema(source, "fuzz.pg");
    if (!schema) {
        Diagnostic d = Diagnostic::from_error(schema.error());
        (void)render_diagnostic(d, source);
        return 0;
    }
    (void)shape_hash(*schema);
    auto built = build_ir(*schema, nullptr, "01ARZ3NDEKTSV4RRFFQ69G5FAV");
    if (!built)
        return 0;
    if (shape_hash(project_schema(built->ir)) != shape_hash(*schema))
        std::abort(); // the IR must stand for exactly the source's shape
    auto again = build_ir(*schema, &built->ir, "");
    if (!again)
        std::abort(); // re-resolving a schema against its own IR cannot fail
    auto plan = plan_migration(built->ir, again->ir);
    if (!plan || !plan->supported || !plan->steps.empty())
        std::abort();
    return 0;
}
