// Mutation statements: insert, update ... set and delete, with their assignments and where
// predicate.
#include "query/parser_grammar.h"

namespace omnigraph::query::detail {

// --- mutations ---
Mutation Parser::mutation() {
    Mutation m;
    m.pos = peek().pos;
    std::string verb = take().text;
    m.kind = verb == "insert"   ? Mutation::Kind::kInsert
             : verb == "update" ? Mutation::Kind::kUpdate
                                : Mutation::Kind::kDelete;
    m.type = type_name();
    if (m.kind == Mutation::Kind::kUpdate)
        expect_word("set");
    if (m.kind != Mutation::Kind::kDelete) {
        expect(TokenKind::kLBrace);
        do {
            Assignment a;
            a.pos = peek().pos;
            a.property = ident("a property name");
            expect(TokenKind::kColon);
            a.value = value();
            if (at(TokenKind::kComma))
                take();
            m.assignments.push_back(std::move(a));
        } while (!at(TokenKind::kRBrace));
        take();
    }
    if (m.kind != Mutation::Kind::kInsert) {
        expect_word("where");
        m.where_pos = peek().pos;
        m.where_property = ident("a property name");
        auto op = compare_op();
        if (!op)
            fail("a comparison operator (=, !=, <, <=, >, >=)");
        m.where_op = *op;
        m.where_value = value();
    }
    return m;
}

} // namespace omnigraph::query::detail
