// parse_query_file (parser.h) and the top of the grammar: a file of queries, each with its
// name, typed parameters, @description/@instruction and a read body or mutation statements.
// The Parser itself is in parser_grammar.h; the rules below a query in parser_*.cpp.
#include "query/parser.h"

#include "query/parser_grammar.h"

namespace omnigraph::query {

namespace detail {

Query Parser::query() {
    Query q;
    q.pos = peek().pos;
    expect_word("query");
    q.name = ident("a query name");
    expect(TokenKind::kLParen);
    if (!at(TokenKind::kRParen)) {
        do {
            Param p;
            p.pos = peek().pos;
            p.name = expect(TokenKind::kVar, "a parameter ($name)").text;
            expect(TokenKind::kColon);
            p.type = param_type();
            q.params.push_back(std::move(p));
        } while (at(TokenKind::kComma) && (take(), true));
    }
    expect(TokenKind::kRParen, "',' or ')'");
    while (at(TokenKind::kAt)) {
        Pos pos = take().pos;
        std::string name = at(TokenKind::kWord) ? take().text : "";
        std::optional<std::string>* slot = name == "description"   ? &q.description
                                           : name == "instruction" ? &q.instruction
                                                                   : nullptr;
        if (!slot)
            throw ParseFailure("unknown query annotation '@" + name +
                                   "' (expected @description or @instruction)",
                               pos);
        if (slot->has_value())
            throw ParseFailure("duplicate @" + name + " on query '" + q.name + "'", pos);
        expect(TokenKind::kLParen);
        *slot = expect(TokenKind::kString).text;
        expect(TokenKind::kRParen);
    }
    expect(TokenKind::kLBrace);
    if (at_word("match")) {
        read_body(q);
    } else {
        while (at_word("insert") || at_word("update") || at_word("delete"))
            q.mutations.push_back(mutation());
        if (q.mutations.empty())
            fail("'match', 'insert', 'update' or 'delete'");
    }
    expect(TokenKind::kRBrace, q.is_mutation() ? "'insert', 'update', 'delete' or '}'" : "'}'");
    return q;
}

ParamType Parser::param_type() {
    ParamType t;
    if (at(TokenKind::kLBracket)) {
        take();
        t.scalar = base_type();
        t.list = true;
        expect(TokenKind::kRBracket);
    } else if (at_word("Vector")) {
        take();
        expect(TokenKind::kLParen);
        Pos pos = peek().pos;
        uint64_t dim = integer<uint64_t>("a dimension");
        if (dim < 1 || dim > 0x7fffffffu)
            throw ParseFailure("Vector dimension must be between 1 and 2147483647", pos);
        t.scalar = schema::ScalarType::kVector;
        t.vector_dim = static_cast<uint32_t>(dim);
        expect(TokenKind::kRParen);
    } else {
        t.scalar = base_type();
    }
    if (at(TokenKind::kQuestion)) {
        take();
        t.nullable = true;
    }
    return t;
}

schema::ScalarType Parser::base_type() {
    using schema::ScalarType;
    static const std::pair<const char*, ScalarType> kTypes[] = {
        {"String", ScalarType::kString}, {"Blob", ScalarType::kBlob},
        {"Bool", ScalarType::kBool},     {"I32", ScalarType::kI32},
        {"I64", ScalarType::kI64},       {"U32", ScalarType::kU32},
        {"U64", ScalarType::kU64},       {"F32", ScalarType::kF32},
        {"F64", ScalarType::kF64},       {"DateTime", ScalarType::kDateTime},
        {"Date", ScalarType::kDate}};
    if (at(TokenKind::kWord))
        for (auto [name, type] : kTypes)
            if (peek().text == name) {
                take();
                return type;
            }
    fail("a parameter type (String, Bool, I32, I64, U32, U64, F32, F64, Date, DateTime, "
         "Blob, [T] or Vector(N))");
}

} // namespace detail

Result<QueryFile> parse_query_file(std::string_view source, std::string_view file) {
    try {
        return detail::Parser(tokenize(source)).file();
    } catch (const detail::ParseFailure& f) {
        return Error(kQueryParseError, "parse error: " + std::string(f.what()),
                     SourceLocation{std::string(file), f.pos.line, f.pos.column});
    }
}

} // namespace omnigraph::query
