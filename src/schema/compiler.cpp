// Schema compilation (compiler.h): the entry points and the order of the phases. Each phase group
// lives in its own compiler_*.cpp; the working state they share is in compiler_phases.h.
#include "schema/compiler.h"

#include "schema/compiler_phases.h"
#include "schema/parser.h"

namespace omnigraph::schema {

namespace detail {

Result<Schema> Compiler::run() {
    for (const auto& decl : ast_.declarations)
        types_.push_back(OG_TRY(construct(decl))); // phase 2
    for (auto& t : types_)
        if (t.kind == WorkType::Kind::kNode)
            OG_CHECK(resolve_interfaces(t)); // phase 3
    for (auto& t : types_)
        OG_CHECK(validate_annotations(t)); // phase 4
    for (auto& t : types_)
        if (t.kind != WorkType::Kind::kInterface)
            OG_CHECK(validate_constraints(t)); // phase 5
    if (options_.validation_only)
        return build();
    OG_CHECK(check_shape());           // phase 6
    OG_CHECK(check_node_properties()); // phase 7
    OG_CHECK(check_catalog());         // phase 8
    return build();
}

} // namespace detail

Result<Schema> compile_schema(const SchemaAst& ast, std::string_view file, CompileOptions options) {
    detail::Compiler compiler(ast, file, options);
    return compiler.run();
}

Result<PropType> resolve_type(const TypeRef& type, std::string_view file) {
    SchemaAst empty;
    detail::Compiler compiler(empty, file, {});
    return compiler.decode_type(type);
}

Result<Schema> load_schema(std::string_view source, std::string_view file) {
    auto ast = OG_TRY(parse_schema(source, file));
    return compile_schema(ast, file);
}

} // namespace omnigraph::schema
