// The schema compiler's working state (declarations as they stand during validation) and the
// Compiler class whose phases (spec schema-language §2) live in compiler_*.cpp, one file per
// phase group. Internal to the schema layer; the entry points are in compiler.h.
#pragma once

#include "base/error.h"
#include "schema/compiler.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omnigraph::schema::detail {

struct DecodedAnnotation {
    AnnotationValue value;
    Span span;
    bool has_parens = false;
};

// A property as it stands during validation: decoded, with its annotations in source order.
struct WorkProp {
    std::string name;
    PropType type;
    std::vector<DecodedAnnotation> annotations;
    Span span;
    bool declared_directly = true;
    std::vector<InterfacePropertyRef> satisfies;
    const WorkProp* source = nullptr; // the interface property an injected property copies
    std::string source_interface;

    std::vector<PropertyConstraint> property_constraints() const {
        std::set<PropertyConstraint> set;
        for (const auto& a : annotations) {
            if (a.value.name == "key")
                set.insert(PropertyConstraint::kKey);
            else if (a.value.name == "unique")
                set.insert(PropertyConstraint::kUnique);
            else if (a.value.name == "index")
                set.insert(PropertyConstraint::kIndex);
        }
        return {set.begin(), set.end()};
    }
    const DecodedAnnotation* find(std::string_view name) const {
        for (const auto& a : annotations)
            if (a.value.name == name)
                return &a;
        return nullptr;
    }
};

struct WorkConstraint {
    Constraint constraint;
    Span span;
    bool from_property = false; // desugared from a property-level @key/@unique/@index
};

struct WorkType {
    enum class Kind { kInterface, kNode, kEdge } kind;
    const Declaration* decl = nullptr;
    std::string name;
    Span span;
    std::vector<DecodedAnnotation> annotations;
    std::vector<WorkProp> properties;
    std::vector<WorkConstraint> constraints; // body constraints, decoded
    std::vector<std::pair<std::string, Span>> implements;
    // edges
    std::string from_type, to_type;
    Span from_span, to_span;
    uint32_t card_min = 0;
    std::optional<uint32_t> card_max;

    const char* kind_name() const {
        return kind == Kind::kInterface ? "interface" : kind == Kind::kNode ? "node" : "edge";
    }
    WorkProp* find_property(std::string_view n) {
        for (auto& p : properties)
            if (p.name == n)
                return &p;
        return nullptr;
    }
};

class Compiler {
  public:
    Compiler(const SchemaAst& ast, std::string_view file, CompileOptions options)
        : ast_(ast), file_(file), options_(options) {}

    Result<Schema> run(); // compiler.cpp: the phases in order

    // Phase 2 for one written type; also what resolve_type() runs on its own.
    Result<PropType> decode_type(const TypeRef& t) const;

  private:
    Error err(std::string_view code, std::string message, Span span) const {
        return Error(code, std::move(message), SourceLocation{file_, span.line, span.column});
    }
    void warn(std::string code, std::string message, Span span) {
        warnings_.push_back(Diagnostic{std::move(code), Severity::kWarning, std::move(message),
                                       SourceLocation{file_, span.line, span.column}});
    }

    // ---- phase 2: declaration construction (compiler_declarations.cpp) ----------------
    Result<std::string> decode_string(const std::string& raw, Span span) const;
    Result<std::string> literal_text(const Literal& lit) const;
    Result<DecodedAnnotation> decode(const Annotation& a) const;
    Result<WorkProp> construct_property(const Property& p, const std::string& owner) const;
    Result<uint32_t> parse_card(const std::string& digits, const char* which, Span span) const;
    Result<std::optional<Bound>> parse_bound(const std::optional<std::string>& text,
                                             Span span) const;
    Result<WorkConstraint> construct_constraint(const BodyConstraint& bc,
                                                const std::string& owner) const;
    Result<WorkType> construct(const Declaration& decl) const;

    // ---- phase 3: interfaces (compiler_interfaces.cpp) --------------------------------
    WorkType* find_type(WorkType::Kind kind, std::string_view name);
    Status resolve_interfaces(WorkType& node);

    // ---- phase 4: annotations (compiler_annotations.cpp) ------------------------------
    Status check_rename(const std::vector<DecodedAnnotation>& anns,
                        const std::string& target) const;
    Status check_metadata(const std::vector<DecodedAnnotation>& anns, std::string_view name,
                          const std::string& target) const;
    Status validate_property(WorkType& owner, WorkProp& p) const;
    Status check_embed(WorkType& owner, const WorkProp& p, const DecodedAnnotation& a) const;
    Status validate_annotations(WorkType& t);

    // ---- phase 5: constraints (compiler_constraints.cpp) ------------------------------
    std::vector<WorkConstraint> all_constraints(const WorkType& t) const;
    Status validate_constraints(WorkType& t);

    // ---- phases 6-8: shape, node properties, catalog (compiler_shape_checks.cpp) ------
    Status check_shape();
    Status check_node_properties();
    Status check_catalog();

    // ---- canonical model (compiler_canonical.cpp) -------------------------------------
    static std::vector<AnnotationValue> opaque(const std::vector<DecodedAnnotation>& anns);
    static std::vector<AnnotationValue> opaque(const WorkProp& p);
    static std::optional<EmbedSource> embed_of(const WorkProp& p);
    static std::optional<std::string> rename_of(const std::vector<DecodedAnnotation>& anns);
    static PropertyDef to_def(const WorkProp& p);
    static std::vector<PropertyDef> to_defs(const std::vector<WorkProp>& props);
    std::vector<Constraint> canonical_constraints(const WorkType& t) const;
    Schema build();

    const SchemaAst& ast_;
    std::string file_;
    CompileOptions options_;
    std::vector<WorkType> types_; // complete after phase 2; never resized later
    std::map<std::pair<int, std::string>, WorkType*> type_index_;
    std::vector<Diagnostic> warnings_;
};

} // namespace omnigraph::schema::detail
