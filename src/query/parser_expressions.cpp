// Expressions of the query language: property and variable references, literals, now(),
// aggregates, and the search and ranking calls; and the values a property match or
// assignment takes.
#include "query/parser_grammar.h"

namespace omnigraph::query::detail {

namespace {

const char* const kAggregates[] = {"count", "sum", "avg", "min", "max"};
const char* const kCalls[] = {"nearest", "search", "fuzzy", "match_text", "bm25", "rrf"};

} // namespace

// --- expressions ---
Expr Parser::expr() {
    Nesting guard(*this);
    Expr e;
    e.pos = peek().pos;
    const Token& t = peek();
    if (t.kind == TokenKind::kWord && at(TokenKind::kLParen, 1)) {
        if (t.text == "now") {
            take();
            take();
            expect(TokenKind::kRParen);
            e.kind = ExprKind::kNow;
            return e;
        }
        for (const char* agg : kAggregates)
            if (t.text == agg) {
                e.kind = ExprKind::kAgg;
                e.name = take().text;
                take();
                e.args.push_back(expr());
                expect(TokenKind::kRParen);
                return e;
            }
        for (const char* call : kCalls)
            if (t.text == call)
                return call_expr();
    }
    if (t.kind == TokenKind::kVar) {
        e.var = take().text;
        if (at(TokenKind::kDot)) {
            take();
            e.kind = ExprKind::kProp;
            e.name = ident("a property name");
        } else {
            e.kind = ExprKind::kVar;
        }
        return e;
    }
    if (auto lit = literal()) {
        e.kind = ExprKind::kLiteral;
        e.literal = std::move(*lit);
        return e;
    }
    if (is_ident(t)) {
        e.kind = ExprKind::kAlias;
        e.name = take().text;
        return e;
    }
    fail("an expression");
}

Expr Parser::call_expr() {
    Expr e;
    e.pos = peek().pos;
    e.kind = ExprKind::kCall;
    e.name = take().text;
    take(); // (
    if (e.name == "rrf") {
        for (int arm = 0; arm < 2; ++arm) {
            if (!((at_word("nearest") || at_word("bm25")) && at(TokenKind::kLParen, 1)))
                fail("nearest(...) or bm25(...)");
            e.args.push_back(call_expr());
            if (arm == 0)
                expect(TokenKind::kComma);
        }
        if (at(TokenKind::kComma)) {
            take();
            e.args.push_back(expr());
        }
    } else {
        e.args.push_back(expr());
        expect(TokenKind::kComma);
        e.args.push_back(expr());
        if (e.name == "fuzzy" && at(TokenKind::kComma)) {
            take();
            e.args.push_back(expr());
        }
    }
    expect(TokenKind::kRParen, "',' or ')'");
    return e;
}

std::optional<Literal> Parser::literal() {
    Literal l;
    l.pos = peek().pos;
    const Token& t = peek();
    switch (t.kind) {
    case TokenKind::kString:
        l.kind = LiteralKind::kString;
        l.text = take().text;
        return l;
    case TokenKind::kInt:
        l.kind = LiteralKind::kInt;
        l.text = take().text;
        return l;
    case TokenKind::kFloat:
        l.kind = LiteralKind::kFloat;
        l.text = take().text;
        return l;
    case TokenKind::kLBracket: {
        Nesting guard(*this);
        take();
        l.kind = LiteralKind::kList;
        if (!at(TokenKind::kRBracket)) {
            do {
                auto item = literal();
                if (!item)
                    fail("a literal");
                l.items.push_back(std::move(*item));
            } while (at(TokenKind::kComma) && (take(), true));
        }
        expect(TokenKind::kRBracket, "',' or ']'");
        return l;
    }
    case TokenKind::kWord:
        if (t.text == "true" || t.text == "false") {
            l.kind = LiteralKind::kBool;
            l.boolean = take().text == "true";
            return l;
        }
        if ((t.text == "date" || t.text == "datetime") && at(TokenKind::kLParen, 1)) {
            l.kind = t.text == "date" ? LiteralKind::kDate : LiteralKind::kDateTime;
            take();
            take();
            l.text = expect(TokenKind::kString).text;
            expect(TokenKind::kRParen);
            return l;
        }
        return std::nullopt;
    default:
        return std::nullopt;
    }
}

// Value ::= Literal | $var | now()
Expr Parser::value() {
    Expr e;
    e.pos = peek().pos;
    if (at_word("now") && at(TokenKind::kLParen, 1)) {
        take();
        take();
        expect(TokenKind::kRParen);
        e.kind = ExprKind::kNow;
        return e;
    }
    if (at(TokenKind::kVar)) {
        e.kind = ExprKind::kVar;
        e.var = take().text;
        return e;
    }
    auto lit = literal();
    if (!lit)
        fail("a value (a literal, a $parameter or now())");
    e.kind = ExprKind::kLiteral;
    e.literal = std::move(*lit);
    return e;
}

} // namespace omnigraph::query::detail
