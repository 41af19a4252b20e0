// The recursive-descent Parser behind parse_query_file (parser.h): its token cursor, and one
// method per grammar rule, defined by area in parser.cpp (queries), parser_clauses.cpp (read
// bodies), parser_expressions.cpp and parser_mutations.cpp. Internal to the query layer.
#pragma once

#include "query/ast.h"
#include "query/lexer.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::query::detail {

struct ParseFailure : std::runtime_error {
    ParseFailure(const std::string& message, Pos at) : std::runtime_error(message), pos(at) {}
    Pos pos;
};

inline bool is_type_name(const Token& t) {
    return t.kind == TokenKind::kWord && t.text[0] >= 'A' && t.text[0] <= 'Z';
}
inline bool is_ident(const Token& t) {
    return t.kind == TokenKind::kWord && !is_type_name(t);
}

class Parser {
  public:
    explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

    QueryFile file() {
        QueryFile out;
        while (!at(TokenKind::kEnd))
            out.queries.push_back(query());
        return out;
    }

  private:
    // --- token helpers ---
    const Token& peek(size_t ahead = 0) const {
        size_t i = std::min(i_ + ahead, t_.size() - 1);
        return t_[i];
    }
    bool at(TokenKind kind, size_t ahead = 0) const { return peek(ahead).kind == kind; }
    bool at_word(std::string_view w, size_t ahead = 0) const {
        return peek(ahead).kind == TokenKind::kWord && peek(ahead).text == w;
    }
    const Token& take() {
        const Token& t = t_[i_];
        if (i_ + 1 < t_.size())
            ++i_;
        return t;
    }
    [[noreturn]] void fail(const std::string& expected) const {
        const Token& t = peek();
        if (t.kind == TokenKind::kError)
            throw ParseFailure(t.text, t.pos);
        std::string found =
            t.kind == TokenKind::kWord || t.kind == TokenKind::kInt || t.kind == TokenKind::kFloat
                ? "'" + t.text + "'"
            : t.kind == TokenKind::kVar    ? "'$" + t.text + "'"
            : t.kind == TokenKind::kString ? "a string"
                                           : token_kind_name(t.kind);
        throw ParseFailure("expected " + expected + ", found " + found, t.pos);
    }
    const Token& expect(TokenKind kind, const char* what = nullptr) {
        if (!at(kind))
            fail(what ? what : token_kind_name(kind));
        return take();
    }
    void expect_word(std::string_view w) {
        if (!at_word(w))
            fail("'" + std::string(w) + "'");
        take();
    }
    std::string ident(const char* what) {
        if (!is_ident(peek()))
            fail(what);
        return take().text;
    }
    std::string type_name() {
        if (!is_type_name(peek()))
            fail("a type name");
        return take().text;
    }
    template <class T> T integer(const char* what) {
        const Token& t = expect(TokenKind::kInt, what);
        T v{};
        auto [p, ec] = std::from_chars(t.text.data(), t.text.data() + t.text.size(), v);
        if (ec != std::errc() || p != t.text.data() + t.text.size())
            throw ParseFailure("integer " + t.text + " is out of range", t.pos);
        return v;
    }

    // --- declarations (parser.cpp) ---
    Query query();
    ParamType param_type();
    schema::ScalarType base_type();

    // --- read body (parser_clauses.cpp) ---
    void read_body(Query& q);
    std::vector<Clause> clauses();
    Clause clause();
    bool traversal(Clause& c);
    bool compare_op_ahead();
    std::optional<CompareOp> compare_op();

    // --- expressions (parser_expressions.cpp) ---
    Expr expr();
    Expr call_expr();
    std::optional<Literal> literal();
    Expr value();

    // --- mutations (parser_mutations.cpp) ---
    Mutation mutation();

    // Bounds the recursion of nested blocks and lists (a hostile file must not exhaust the
    // stack).
    static constexpr int kMaxNesting = 64;
    struct Nesting {
        explicit Nesting(Parser& p) : parser(p) {
            if (++parser.depth_ > kMaxNesting)
                throw ParseFailure("nesting deeper than " + std::to_string(kMaxNesting) + " levels",
                                   parser.peek().pos);
        }
        ~Nesting() { --parser.depth_; }
        Parser& parser;
    };

    std::vector<Token> t_;
    size_t i_ = 0;
    int depth_ = 0;
};

} // namespace omnigraph::query::detail
