#include "schema/parser.h"

#include "schema/lexer.h"

#include <array>

namespace omnigraph::schema {
namespace {

constexpr std::string_view kSyntax = "PG-SYN-001";
constexpr std::array<std::string_view, 5> kConstraintNames = {"key", "unique", "index", "range",
                                                              "check"};

bool is_lower_ident(const Token& t) {
    return t.kind == TokenKind::kWord && !t.text.empty() && !(t.text[0] >= 'A' && t.text[0] <= 'Z');
}
bool is_type_name(const Token& t) {
    return t.kind == TokenKind::kWord && !t.text.empty() && t.text[0] >= 'A' && t.text[0] <= 'Z';
}
bool is_constraint_name(std::string_view name) {
    for (auto c : kConstraintNames)
        if (c == name)
            return true;
    return false;
}

std::string describe(const Token& t) {
    switch (t.kind) {
    case TokenKind::kWord:
        return "'" + t.text + "'";
    case TokenKind::kInt:
    case TokenKind::kFloat:
        return "number " + t.text;
    case TokenKind::kString:
        return "a string";
    case TokenKind::kError:
        return t.text;
    default:
        return token_kind_name(t.kind);
    }
}

class Parser {
  public:
    Parser(std::string_view source, std::string_view file) : lexer_(source), file_(file) {}

    Result<SchemaAst> parse() {
        SchemaAst ast;
        while (lexer_.peek().kind != TokenKind::kEnd) {
            const Token& t = lexer_.peek();
            if (t.kind == TokenKind::kWord && t.text == "interface")
                ast.declarations.emplace_back(OG_TRY(interface_decl()));
            else if (t.kind == TokenKind::kWord && t.text == "node")
                ast.declarations.emplace_back(OG_TRY(node_decl()));
            else if (t.kind == TokenKind::kWord && t.text == "edge")
                ast.declarations.emplace_back(OG_TRY(edge_decl()));
            else
                return fail(t, "expected a declaration ('interface', 'node' or 'edge')");
        }
        return ast;
    }

  private:
    Error fail(const Token& at, const std::string& expected) {
        return Error(kSyntax, expected + ", found " + describe(at),
                     SourceLocation{file_, at.span.line, at.span.column});
    }

    Result<Token> expect(TokenKind kind, const char* what) {
        Token t = lexer_.next();
        if (t.kind != kind)
            return fail(t, std::string("expected ") + what);
        return t;
    }

    Result<Token> expect_type_name(const char* what) {
        Token t = lexer_.next();
        if (!is_type_name(t))
            return fail(t, std::string("expected ") + what +
                               " (a name starting with an upper-case letter)");
        return t;
    }

    Result<Token> expect_keyword(std::string_view word) {
        Token t = lexer_.next();
        if (t.kind != TokenKind::kWord || t.text != word)
            return fail(t, "expected '" + std::string(word) + "'");
        return t;
    }

    bool peek_is(TokenKind kind) { return lexer_.peek().kind == kind; }
    bool accept(TokenKind kind) {
        if (!peek_is(kind))
            return false;
        lexer_.next();
        return true;
    }

    Result<InterfaceDecl> interface_decl() {
        InterfaceDecl decl;
        decl.span = OG_TRY(expect_keyword("interface")).span;
        decl.name = OG_TRY(expect_type_name("an interface name")).text;
        if (peek_is(TokenKind::kAt))
            return fail(lexer_.peek(), "expected '{' (interfaces take no annotations)");
        OG_CHECK(expect(TokenKind::kLBrace, "'{'"));
        while (!accept(TokenKind::kRBrace)) {
            const Token& t = lexer_.peek();
            if (t.kind == TokenKind::kAt)
                return fail(t, "expected a property or '}' (interfaces take no annotations or "
                               "body constraints)");
            decl.properties.push_back(OG_TRY(property(/*allow_body_constraints=*/false)));
        }
        return decl;
    }

    Result<NodeDecl> node_decl() {
        NodeDecl decl;
        decl.span = OG_TRY(expect_keyword("node")).span;
        decl.name = OG_TRY(expect_type_name("a node type name")).text;
        while (peek_is(TokenKind::kAt))
            decl.annotations.push_back(OG_TRY(annotation()));
        if (lexer_.peek().kind == TokenKind::kWord && lexer_.peek().text == "implements") {
            lexer_.next();
            do {
                Token name = OG_TRY(expect_type_name("an interface name"));
                decl.implements.emplace_back(name.text, name.span);
            } while (accept(TokenKind::kComma));
        }
        if (peek_is(TokenKind::kAt))
            return fail(lexer_.peek(), "expected '{' (annotations must come before 'implements')");
        OG_CHECK(expect(TokenKind::kLBrace, "'{'"));
        OG_CHECK(body(decl.properties, decl.constraints));
        return decl;
    }

    Result<EdgeDecl> edge_decl() {
        EdgeDecl decl;
        decl.span = OG_TRY(expect_keyword("edge")).span;
        decl.name = OG_TRY(expect_type_name("an edge type name")).text;
        OG_CHECK(expect(TokenKind::kColon, "':' after the edge name"));
        Token from = OG_TRY(expect_type_name("the source node type"));
        decl.from_type = from.text;
        decl.from_span = from.span;
        OG_CHECK(expect(TokenKind::kArrow, "'->'"));
        Token to = OG_TRY(expect_type_name("the target node type"));
        decl.to_type = to.text;
        decl.to_span = to.span;
        bool first_annotation = true;
        while (peek_is(TokenKind::kAt)) {
            Token at = lexer_.next();
            const Token& name = lexer_.peek();
            // "@card" is one token: "@ card(0..1)" is an annotation named card (refused below).
            if (name.kind == TokenKind::kWord && name.text == "card" && !name.space_before) {
                if (!first_annotation)
                    return fail(name, "expected an annotation other than @card (@card must come "
                                      "before any other annotation)");
                lexer_.next();
                decl.cardinality = OG_TRY(cardinality(at));
            } else {
                decl.annotations.push_back(OG_TRY(annotation_after_at(at)));
            }
            first_annotation = false;
        }
        if (accept(TokenKind::kLBrace))
            OG_CHECK(body(decl.properties, decl.constraints));
        return decl;
    }

    Result<Cardinality> cardinality(const Token& at) {
        Cardinality card;
        card.span = at.span;
        OG_CHECK(expect(TokenKind::kLParen, "'(' after @card (e.g. @card(0..1))"));
        card.min = OG_TRY(expect(TokenKind::kInt, "the minimum count (an integer)")).text;
        OG_CHECK(expect(TokenKind::kDotDot, "'..' (e.g. @card(0..1) or @card(1..))"));
        if (peek_is(TokenKind::kInt))
            card.max = lexer_.next().text;
        OG_CHECK(expect(TokenKind::kRParen, "')' or the maximum count"));
        return card;
    }

    // Properties and body constraints up to the closing '}' (the '{' is consumed).
    Status body(std::vector<Property>& properties, std::vector<BodyConstraint>& constraints) {
        while (!accept(TokenKind::kRBrace)) {
            const Token& t = lexer_.peek();
            if (t.kind == TokenKind::kAt) {
                Token at = lexer_.next();
                Token name = lexer_.peek();
                if (name.kind == TokenKind::kWord && is_constraint_name(name.text)) {
                    lexer_.next();
                    if (peek_is(TokenKind::kLParen)) {
                        constraints.push_back(OG_TRY(body_constraint(at, name.text)));
                        continue;
                    }
                }
                return fail(name.kind == TokenKind::kWord ? name : at,
                            "expected a property or a body constraint such as @key(p) "
                            "(an annotation must follow the property it belongs to)");
            }
            properties.push_back(OG_TRY(property(/*allow_body_constraints=*/true)));
            if (pending_constraint_) {
                constraints.push_back(std::move(*pending_constraint_));
                pending_constraint_.reset();
            }
        }
        return ok();
    }

    Result<Property> property(bool allow_body_constraints) {
        Property prop;
        Token name = lexer_.next();
        if (!is_lower_ident(name))
            return fail(name, "expected a property name (starting with a lower-case letter or "
                              "'_')");
        prop.name = name.text;
        prop.span = name.span;
        OG_CHECK(expect(TokenKind::kColon, "':' after the property name"));
        prop.type = OG_TRY(type_ref());
        // Trailing annotations, across newlines, until a body constraint, a property or '}'.
        while (peek_is(TokenKind::kAt)) {
            // Look past '@': a constraint name followed by '(' is a body constraint, not ours.
            Token at = lexer_.next();
            Token ann_name = lexer_.peek();
            if (ann_name.kind == TokenKind::kWord && is_constraint_name(ann_name.text)) {
                lexer_.next();
                if (peek_is(TokenKind::kLParen)) {
                    if (!allow_body_constraints)
                        return fail(ann_name, "expected a property or '}' (interfaces take no "
                                              "body constraints)");
                    pending_constraint_ = OG_TRY(body_constraint(at, ann_name.text));
                    break;
                }
                if (ann_name.text == "range" || ann_name.text == "check")
                    return fail(lexer_.peek(), "expected '(' after @" + ann_name.text +
                                                   " (it is a body constraint: @" + ann_name.text +
                                                   "(property, ...))");
                Annotation ann;
                ann.name = ann_name.text;
                ann.span = at.span;
                prop.annotations.push_back(std::move(ann));
                continue;
            }
            prop.annotations.push_back(OG_TRY(annotation_after_at(at)));
        }
        return prop;
    }

    Result<TypeRef> type_ref() {
        TypeRef type;
        Token t = lexer_.next();
        type.span = t.span;
        if (t.kind == TokenKind::kLBracket) {
            Token inner = lexer_.next();
            auto scalar = base_type(inner);
            if (!scalar)
                return fail(inner, "expected a base type inside [ ] (lists of Vector or enum are "
                                   "not supported)");
            type.scalar = *scalar;
            type.list = true;
            OG_CHECK(expect(TokenKind::kRBracket, "']'"));
        } else if (t.kind == TokenKind::kWord && t.text == "enum") {
            OG_CHECK(expect(TokenKind::kLParen, "'(' after enum"));
            std::vector<std::string> values;
            while (true) {
                Token v = lexer_.next_enum_value();
                if (v.kind != TokenKind::kWord)
                    return fail(v, "expected an enum value");
                values.push_back(v.text);
                if (accept(TokenKind::kComma))
                    continue;
                OG_CHECK(expect(TokenKind::kRParen, "',' or ')' in enum(...)"));
                break;
            }
            type.enum_values = std::move(values);
        } else if (t.kind == TokenKind::kWord && t.text == "Vector") {
            OG_CHECK(expect(TokenKind::kLParen, "'(' after Vector"));
            type.vector_dim =
                OG_TRY(expect(TokenKind::kInt, "the vector dimension (an integer)")).text;
            OG_CHECK(expect(TokenKind::kRParen, "')'"));
            type.scalar = ScalarType::kVector;
        } else {
            auto scalar = base_type(t);
            if (!scalar)
                return fail(t, "expected a type (String, Bool, I32, I64, U32, U64, F32, F64, Date, "
                               "DateTime, Blob, Vector(n), [T] or enum(...))");
            type.scalar = *scalar;
        }
        if (accept(TokenKind::kQuestion))
            type.nullable = true;
        return type;
    }

    static std::optional<ScalarType> base_type(const Token& t) {
        if (t.kind != TokenKind::kWord)
            return std::nullopt;
        static constexpr std::pair<std::string_view, ScalarType> kTypes[] = {
            {"String", ScalarType::kString}, {"Blob", ScalarType::kBlob},
            {"Bool", ScalarType::kBool},     {"I32", ScalarType::kI32},
            {"I64", ScalarType::kI64},       {"U32", ScalarType::kU32},
            {"U64", ScalarType::kU64},       {"F32", ScalarType::kF32},
            {"F64", ScalarType::kF64},       {"DateTime", ScalarType::kDateTime},
            {"Date", ScalarType::kDate}};
        for (const auto& [name, scalar] : kTypes)
            if (t.text == name)
                return scalar;
        return std::nullopt;
    }

    Result<Annotation> annotation() {
        Token at = OG_TRY(expect(TokenKind::kAt, "'@'"));
        return annotation_after_at(at);
    }

    Result<Annotation> annotation_after_at(const Token& at) {
        Annotation ann;
        ann.span = at.span;
        Token name = lexer_.next();
        if (!is_lower_ident(name))
            return fail(name, "expected an annotation name after '@' (lower-case)");
        ann.name = name.text;
        // @range/@check are body constraints: never type or property annotations (spec Q7).
        if (ann.name == "range" || ann.name == "check")
            return fail(name, "expected an annotation; @" + ann.name +
                                  " is a body constraint and "
                                  "belongs inside a node's braces: @" +
                                  ann.name + "(property, ...)");
        if (ann.name == "card")
            return fail(name, "expected an annotation other than @card (@card belongs right after "
                              "an edge's endpoints)");
        if (!accept(TokenKind::kLParen))
            return ann;
        ann.has_parens = true;
        Token value = lexer_.next();
        ann.value = OG_TRY(literal_or_ident(value, "an annotation argument (a string, number, "
                                                   "true/false or a lower-case name)"));
        while (accept(TokenKind::kComma)) {
            Token key = lexer_.next();
            if (!is_lower_ident(key))
                return fail(key, "expected a keyword argument name (key=\"value\")");
            OG_CHECK(expect(TokenKind::kEquals, "'=' in a keyword argument"));
            Token v = lexer_.next();
            Literal lit = OG_TRY(literal_or_ident(v, "a literal keyword-argument value"));
            if (lit.kind == Literal::Kind::kIdent)
                return fail(v, "expected a literal keyword-argument value (quote it: \"" + v.text +
                                   "\")");
            ann.kwargs.emplace_back(key.text, std::move(lit));
        }
        OG_CHECK(expect(TokenKind::kRParen, "')' or ', key=value'"));
        return ann;
    }

    Result<Literal> literal_or_ident(const Token& t, const char* what) {
        Literal lit;
        lit.span = t.span;
        lit.text = t.text;
        switch (t.kind) {
        case TokenKind::kString:
            lit.kind = Literal::Kind::kString;
            return lit;
        case TokenKind::kInt:
            lit.kind = Literal::Kind::kInt;
            return lit;
        case TokenKind::kFloat:
            lit.kind = Literal::Kind::kFloat;
            return lit;
        case TokenKind::kWord:
            if (t.text == "true" || t.text == "false") {
                lit.kind = Literal::Kind::kBool;
                return lit;
            }
            if (is_lower_ident(t)) {
                lit.kind = Literal::Kind::kIdent;
                return lit;
            }
            break;
        default:
            break;
        }
        return fail(t, std::string("expected ") + what);
    }

    // After '@' and the constraint name; the next token is '('.
    Result<BodyConstraint> body_constraint(const Token& at, const std::string& name) {
        BodyConstraint c;
        c.name = name;
        c.span = at.span;
        OG_CHECK(expect(TokenKind::kLParen, "'('"));
        do {
            c.args.push_back(OG_TRY(constraint_arg()));
        } while (accept(TokenKind::kComma));
        OG_CHECK(expect(TokenKind::kRParen, "',' or ')'"));
        return c;
    }

    // SignedNum = ['-'] (Float | Int)
    Result<std::optional<std::string>> signed_number() {
        std::string text;
        if (peek_is(TokenKind::kMinus)) {
            lexer_.next();
            text = "-";
        }
        const Token& t = lexer_.peek();
        if (t.kind != TokenKind::kInt && t.kind != TokenKind::kFloat) {
            if (text.empty())
                return std::optional<std::string>();
            return fail(t, "expected a number after '-'");
        }
        text += lexer_.next().text;
        return std::optional<std::string>(text);
    }

    Result<ConstraintArg> constraint_arg() {
        ConstraintArg arg;
        arg.span = lexer_.peek().span;
        if (accept(TokenKind::kDotDot)) {
            auto high = OG_TRY(signed_number());
            if (!high)
                return fail(lexer_.peek(), "expected a bound after '..' (e.g. ..5)");
            arg.value = RangeBound{std::nullopt, high};
            return arg;
        }
        auto low = OG_TRY(signed_number());
        if (low) {
            if (accept(TokenKind::kDotDot)) {
                auto high = OG_TRY(signed_number());
                arg.value = RangeBound{low, high};
                return arg;
            }
            Literal lit;
            lit.kind =
                low->find('.') == std::string::npos ? Literal::Kind::kInt : Literal::Kind::kFloat;
            lit.text = *low;
            lit.span = arg.span;
            if (lit.text.starts_with('-'))
                return fail(lexer_.peek(), "expected '..' after a signed bound");
            arg.value = lit;
            return arg;
        }
        Token t = lexer_.next();
        arg.value = OG_TRY(literal_or_ident(t, "a constraint argument (a property name, a string "
                                               "or a range such as 0..10)"));
        return arg;
    }

    Lexer lexer_;
    std::string file_;
    // A body constraint met while reading a property's trailing annotations ("a: String
    // @key(a)") ends that property; body() moves it to the declaration's constraints.
    std::optional<BodyConstraint> pending_constraint_;
};

} // namespace

Result<SchemaAst> parse_schema(std::string_view source, std::string_view file) {
    Parser parser(source, file);
    return parser.parse();
}

} // namespace omnigraph::schema
