// The `.pg` syntax tree: declarations in source order, exactly as written (no desugaring).
// Produced by parse_schema (parser.h); consumed by the validator, which builds the resolved
// model. Plain values; no ownership beyond std containers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace omnigraph::schema {

struct Span {
    int line = 0;   // 1-based
    int column = 0; // 1-based, bytes
};

enum class ScalarType {
    kString,
    kBool,
    kI32,
    kI64,
    kU32,
    kU64,
    kF32,
    kF64,
    kDate,
    kDateTime,
    kBlob,
    kVector
};

// A type as written. Enum values and the Vector dimension are raw source text until validated.
struct TypeRef {
    ScalarType scalar = ScalarType::kString;
    bool list = false;
    bool nullable = false;
    std::string vector_dim;                              // digits, for kVector
    std::optional<std::vector<std::string>> enum_values; // as written, for enum(...)
    Span span;
};

struct Literal {
    enum class Kind { kString, kInt, kFloat, kBool, kIdent };
    Kind kind = Kind::kString;
    std::string text; // strings: the raw text between the quotes (escapes not yet decoded)
    Span span;
};

struct Annotation {
    std::string name;
    bool has_parens = false;
    std::optional<Literal> value;
    std::vector<std::pair<std::string, Literal>> kwargs;
    Span span; // of the '@'
};

// A signed number in a body-constraint argument, kept as text ("-5", "0.5").
struct RangeBound {
    std::optional<std::string> low;
    std::optional<std::string> high;
};

struct ConstraintArg {
    std::variant<Literal, RangeBound> value; // identifiers are Literal::Kind::kIdent
    Span span;
};

struct BodyConstraint {
    std::string name; // key | unique | index | range | check
    std::vector<ConstraintArg> args;
    Span span;
};

struct Property {
    std::string name;
    TypeRef type;
    std::vector<Annotation> annotations;
    Span span;
};

struct Cardinality {
    std::string min; // digits
    std::optional<std::string> max;
    Span span;
};

struct InterfaceDecl {
    std::string name;
    std::vector<Property> properties;
    Span span;
};

struct NodeDecl {
    std::string name;
    std::vector<Annotation> annotations;
    std::vector<std::pair<std::string, Span>> implements;
    std::vector<Property> properties;
    std::vector<BodyConstraint> constraints;
    Span span;
};

struct EdgeDecl {
    std::string name;
    std::string from_type;
    std::string to_type;
    Span from_span, to_span;
    std::optional<Cardinality> cardinality;
    std::vector<Annotation> annotations;
    std::vector<Property> properties;
    std::vector<BodyConstraint> constraints;
    Span span;
};

using Declaration = std::variant<InterfaceDecl, NodeDecl, EdgeDecl>;

struct SchemaAst {
    std::vector<Declaration> declarations;
};

const char* scalar_name(ScalarType scalar); // "String", "Vector", ...

} // namespace omnigraph::schema
