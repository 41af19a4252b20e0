// The `.pg` lexer. Words are whole words: "nodePerson" is one word, never "node" + "Person".
// Comments (// and /* */) and whitespace are skipped; '#' is not a comment and lexes as an
// error token. Enum values ("1a", "-x") do not follow the word rules, so the parser asks for
// them explicitly with next_enum_value(). Not thread-safe; one lexer per source.
#pragma once

#include "schema/ast.h"

#include <string>
#include <string_view>

namespace omnigraph::schema {

enum class TokenKind {
    kWord,   // [A-Za-z_][A-Za-z0-9_]*
    kInt,    // [0-9]+
    kFloat,  // [0-9]+ "." [0-9]+
    kString, // "..." (text holds the raw content between the quotes)
    kLBrace,
    kRBrace,
    kLParen,
    kRParen,
    kLBracket,
    kRBracket,
    kColon,
    kComma,
    kQuestion,
    kEquals,
    kAt,
    kArrow,
    kDotDot,
    kMinus,
    kEnd,
    kError, // an unexpected character or an unterminated string/comment; text says which
};

struct Token {
    TokenKind kind = TokenKind::kEnd;
    std::string text;
    Span span;
    bool space_before = false; // whitespace or a comment separates it from the previous token
};

const char* token_kind_name(TokenKind kind);

class Lexer {
  public:
    explicit Lexer(std::string_view source) : source_(source) {}

    const Token& peek();
    Token next();
    // Lexes [A-Za-z0-9_-]+ at the current position (after whitespace); kError if none.
    Token next_enum_value();

  private:
    Token scan();
    // Skips whitespace and comments and stamps `t` with the position; false (and `t` the error
    // token) when a comment is unterminated.
    bool begin_token(Token& t);
    void skip_space(bool& skipped, Token& error);
    char at(size_t i) const { return i < source_.size() ? source_[i] : '\0'; }
    void advance(size_t n);
    Span here() const { return {line_, column_}; }

    std::string_view source_;
    size_t pos_ = 0;
    int line_ = 1;
    int column_ = 1;
    bool has_peeked_ = false;
    Token peeked_;
};

} // namespace omnigraph::schema
