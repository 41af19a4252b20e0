// The `.gq` lexer (spec query-language §1.1). Words are whole words ([A-Za-z_][A-Za-z0-9_]*);
// the parser tells identifiers, type names and keywords apart. Comments (// and /* */) and
// whitespace are skipped. Not thread-safe; one lexer per source.
#pragma once

#include "query/ast.h"

#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::query {

enum class TokenKind {
    kWord,   // [A-Za-z_][A-Za-z0-9_]*
    kVar,    // $ident (text holds the name without '$')
    kInt,    // [0-9]+
    kFloat,  // [0-9]+ "." [0-9]+
    kString, // "..." (text holds the unescaped content)
    kLBrace,
    kRBrace,
    kLParen,
    kRParen,
    kLBracket,
    kRBracket,
    kColon,
    kComma,
    kDot,
    kQuestion,
    kAt,
    kEq,
    kNe,
    kLt,
    kLe,
    kGt,
    kGe,
    kEnd,
    kError, // an unexpected character, a bad escape, an unterminated string or comment
};

struct Token {
    TokenKind kind = TokenKind::kEnd;
    std::string text;
    Pos pos;
};

const char* token_kind_name(TokenKind kind); // for "expected …, found …" messages

// Lexes the whole source; the last token is kEnd, or kError where lexing stopped.
std::vector<Token> tokenize(std::string_view source);

} // namespace omnigraph::query
