// A query's read body: the match block's clauses (bindings, traversals, filters, negations),
// then return, order and limit; and the comparison operators clauses use.
#include "query/parser_grammar.h"

namespace omnigraph::query {

const char* compare_op_text(CompareOp op) {
    switch (op) {
    case CompareOp::kEq:
        return "=";
    case CompareOp::kNe:
        return "!=";
    case CompareOp::kLt:
        return "<";
    case CompareOp::kLe:
        return "<=";
    case CompareOp::kGt:
        return ">";
    case CompareOp::kGe:
        return ">=";
    case CompareOp::kContains:
        return "contains";
    case CompareOp::kStartsWith:
        return "starts_with";
    }
    return "?";
}

namespace detail {

namespace {

// An edge word: an identifier, but never `not` or a word that starts with "not" followed by a
// character that is not a letter or digit (`not_x`), so `not { … }` stays a negation.
bool is_edge_word(const Token& t) {
    if (!is_ident(t))
        return false;
    if (t.text.starts_with("not")) {
        if (t.text.size() == 3)
            return false;
        char c = t.text[3];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        return alnum;
    }
    return true;
}

} // namespace

// --- read body ---
void Parser::read_body(Query& q) {
    expect_word("match");
    expect(TokenKind::kLBrace);
    q.match = clauses();
    expect_word("return");
    expect(TokenKind::kLBrace);
    do {
        Projection p;
        p.pos = peek().pos;
        p.expr = expr();
        if (at_word("as")) {
            take();
            p.alias = ident("an alias");
        }
        if (at(TokenKind::kComma))
            take();
        q.projections.push_back(std::move(p));
    } while (!at(TokenKind::kRBrace));
    take();
    if (at_word("order")) {
        take();
        expect(TokenKind::kLBrace);
        do {
            Ordering o;
            o.pos = peek().pos;
            bool nearest = at_word("nearest") && at(TokenKind::kLParen, 1);
            o.expr = expr();
            if (!nearest && (at_word("asc") || at_word("desc")))
                o.descending = take().text == "desc";
            q.order.push_back(std::move(o));
        } while (at(TokenKind::kComma) && (take(), true));
        expect(TokenKind::kRBrace, "',' or '}'");
    }
    if (at_word("limit")) {
        take();
        q.limit = integer<uint64_t>("a row count");
    }
}

// Clause+ then '}'.
std::vector<Clause> Parser::clauses() {
    Nesting guard(*this);
    std::vector<Clause> out;
    do
        out.push_back(clause());
    while (!at(TokenKind::kRBrace));
    take();
    return out;
}

Clause Parser::clause() {
    Clause c;
    c.pos = peek().pos;
    if (at_word("not") && at(TokenKind::kLBrace, 1)) {
        take();
        take();
        c.kind = Clause::Kind::kNegation;
        c.body = clauses();
        return c;
    }
    if (at(TokenKind::kVar) && at(TokenKind::kColon, 1) && is_type_name(peek(2))) {
        c.kind = Clause::Kind::kBinding;
        c.var = take().text;
        take();
        c.type = take().text;
        if (at(TokenKind::kLBrace)) {
            take();
            do {
                PropMatch m;
                m.pos = peek().pos;
                m.property = ident("a property name");
                expect(TokenKind::kColon);
                m.value = value();
                c.props.push_back(std::move(m));
                if (at(TokenKind::kComma))
                    take();
            } while (!at(TokenKind::kRBrace));
            take();
        }
        return c;
    }
    if (at(TokenKind::kVar)) {
        size_t mark = i_;
        if (traversal(c))
            return c;
        i_ = mark;
    }
    c.kind = Clause::Kind::kFilter;
    c.left = expr();
    bool text_search =
        c.left.kind == ExprKind::kCall &&
        (c.left.name == "search" || c.left.name == "fuzzy" || c.left.name == "match_text");
    if (text_search && !compare_op_ahead()) { // a search clause is `call = true`
        c.op = CompareOp::kEq;
        c.right.kind = ExprKind::kLiteral;
        c.right.pos = c.left.pos;
        c.right.literal.kind = LiteralKind::kBool;
        c.right.literal.boolean = true;
        return c;
    }
    if (at_word("contains") || at_word("starts_with")) {
        c.op = take().text == "contains" ? CompareOp::kContains : CompareOp::kStartsWith;
    } else if (auto op = compare_op()) {
        c.op = *op;
    } else {
        fail("a comparison operator (=, !=, <, <=, >, >=, contains, starts_with)");
    }
    c.right = expr();
    return c;
}

// $src [$w:] (edge | <edge>) [{min,max}] $dst; false (nothing consumed that matters) when
// the tokens do not start a traversal.
bool Parser::traversal(Clause& c) {
    c.kind = Clause::Kind::kTraversal;
    c.src = take().text;
    if (at(TokenKind::kVar) && at(TokenKind::kColon, 1)) {
        c.edge_var = take().text;
        take();
    }
    if (at(TokenKind::kLt) && is_edge_word(peek(1)) && at(TokenKind::kGt, 2)) {
        take();
        c.edge = take().text;
        take();
        c.undirected = true;
    } else if (is_edge_word(peek())) {
        c.edge = take().text;
    } else {
        if (!c.edge_var.empty())
            fail("an edge name");
        return false;
    }
    if (at(TokenKind::kLBrace)) {
        take();
        c.has_hops = true;
        c.min_hops = integer<uint32_t>("a minimum hop count");
        expect(TokenKind::kComma);
        c.max_hops = at(TokenKind::kInt) ? std::optional<uint64_t>(integer<uint32_t>("a hop count"))
                                         : std::nullopt;
        expect(TokenKind::kRBrace);
    }
    if (!at(TokenKind::kVar))
        fail("a variable");
    c.dst = take().text;
    return true;
}

// Whether a comparison operator comes next (nothing is consumed).
bool Parser::compare_op_ahead() {
    size_t mark = i_;
    bool found = compare_op().has_value() || at_word("contains") || at_word("starts_with");
    i_ = mark;
    return found;
}

std::optional<CompareOp> Parser::compare_op() {
    switch (peek().kind) {
    case TokenKind::kEq:
        take();
        return CompareOp::kEq;
    case TokenKind::kNe:
        take();
        return CompareOp::kNe;
    case TokenKind::kLt:
        take();
        return CompareOp::kLt;
    case TokenKind::kLe:
        take();
        return CompareOp::kLe;
    case TokenKind::kGt:
        take();
        return CompareOp::kGt;
    case TokenKind::kGe:
        take();
        return CompareOp::kGe;
    default:
        return std::nullopt;
    }
}

} // namespace detail

} // namespace omnigraph::query
