#include "schema/lexer.h"

namespace omnigraph::schema {
namespace {

bool is_word_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_word_char(char c) {
    return is_word_start(c) || is_digit(c);
}

} // namespace

const char* token_kind_name(TokenKind kind) {
    switch (kind) {
    case TokenKind::kWord:
        return "a name";
    case TokenKind::kInt:
        return "an integer";
    case TokenKind::kFloat:
        return "a number";
    case TokenKind::kString:
        return "a string";
    case TokenKind::kLBrace:
        return "'{'";
    case TokenKind::kRBrace:
        return "'}'";
    case TokenKind::kLParen:
        return "'('";
    case TokenKind::kRParen:
        return "')'";
    case TokenKind::kLBracket:
        return "'['";
    case TokenKind::kRBracket:
        return "']'";
    case TokenKind::kColon:
        return "':'";
    case TokenKind::kComma:
        return "','";
    case TokenKind::kQuestion:
        return "'?'";
    case TokenKind::kEquals:
        return "'='";
    case TokenKind::kAt:
        return "'@'";
    case TokenKind::kArrow:
        return "'->'";
    case TokenKind::kDotDot:
        return "'..'";
    case TokenKind::kMinus:
        return "'-'";
    case TokenKind::kEnd:
        return "end of file";
    case TokenKind::kError:
        return "an invalid character";
    }
    return "a token";
}

void Lexer::advance(size_t n) {
    for (size_t i = 0; i < n && pos_ < source_.size(); ++i) {
        if (source_[pos_] == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
        ++pos_;
    }
}

void Lexer::skip_space(bool& skipped, Token& error) {
    while (pos_ < source_.size()) {
        char c = source_[pos_];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            advance(1);
            skipped = true;
        } else if (c == '/' && at(pos_ + 1) == '/') {
            while (pos_ < source_.size() && source_[pos_] != '\n')
                advance(1);
            skipped = true;
        } else if (c == '/' && at(pos_ + 1) == '*') {
            Span start = here();
            advance(2);
            while (pos_ < source_.size() && !(source_[pos_] == '*' && at(pos_ + 1) == '/'))
                advance(1);
            if (pos_ >= source_.size()) {
                error = Token{TokenKind::kError, "unterminated block comment", start, true};
                return;
            }
            advance(2);
            skipped = true;
        } else {
            return;
        }
    }
}

bool Lexer::begin_token(Token& t) {
    bool skipped = false;
    Token error;
    skip_space(skipped, error);
    if (error.kind == TokenKind::kError) {
        t = std::move(error);
        return false;
    }
    t.span = here();
    t.space_before = skipped;
    return true;
}

Token Lexer::scan() {
    Token t;
    if (!begin_token(t))
        return t;
    if (pos_ >= source_.size()) {
        t.kind = TokenKind::kEnd;
        return t;
    }
    char c = source_[pos_];
    if (is_word_start(c)) {
        size_t end = pos_;
        while (end < source_.size() && is_word_char(source_[end]))
            ++end;
        t.kind = TokenKind::kWord;
        t.text = std::string(source_.substr(pos_, end - pos_));
        advance(end - pos_);
        return t;
    }
    if (is_digit(c)) {
        size_t end = pos_;
        while (end < source_.size() && is_digit(source_[end]))
            ++end;
        t.kind = TokenKind::kInt;
        // A '.' makes a float only when a digit follows: "1..5" is 1, .., 5.
        if (at(end) == '.' && is_digit(at(end + 1))) {
            ++end;
            while (end < source_.size() && is_digit(source_[end]))
                ++end;
            t.kind = TokenKind::kFloat;
        }
        t.text = std::string(source_.substr(pos_, end - pos_));
        advance(end - pos_);
        return t;
    }
    if (c == '"') {
        size_t end = pos_ + 1;
        while (end < source_.size() && source_[end] != '"') {
            if (source_[end] == '\\' && end + 1 < source_.size())
                ++end;
            ++end;
        }
        if (end >= source_.size())
            return Token{TokenKind::kError, "unterminated string", t.span, t.space_before};
        t.kind = TokenKind::kString;
        t.text = std::string(source_.substr(pos_ + 1, end - pos_ - 1));
        advance(end + 1 - pos_);
        return t;
    }
    auto punct = [&](TokenKind kind, size_t len) {
        t.kind = kind;
        t.text = std::string(source_.substr(pos_, len));
        advance(len);
        return t;
    };
    switch (c) {
    case '{':
        return punct(TokenKind::kLBrace, 1);
    case '}':
        return punct(TokenKind::kRBrace, 1);
    case '(':
        return punct(TokenKind::kLParen, 1);
    case ')':
        return punct(TokenKind::kRParen, 1);
    case '[':
        return punct(TokenKind::kLBracket, 1);
    case ']':
        return punct(TokenKind::kRBracket, 1);
    case ':':
        return punct(TokenKind::kColon, 1);
    case ',':
        return punct(TokenKind::kComma, 1);
    case '?':
        return punct(TokenKind::kQuestion, 1);
    case '=':
        return punct(TokenKind::kEquals, 1);
    case '@':
        return punct(TokenKind::kAt, 1);
    case '-':
        if (at(pos_ + 1) == '>')
            return punct(TokenKind::kArrow, 2);
        return punct(TokenKind::kMinus, 1);
    case '.':
        if (at(pos_ + 1) == '.')
            return punct(TokenKind::kDotDot, 2);
        break;
    default:
        break;
    }
    std::string shown =
        c == '#' ? "'#' (comments start with // or /*)" : "'" + std::string(1, c) + "'";
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F)
        shown = "byte 0x" +
                std::string(1, "0123456789abcdef"[(static_cast<unsigned char>(c) >> 4)]) +
                std::string(1, "0123456789abcdef"[static_cast<unsigned char>(c) & 15]);
    return Token{TokenKind::kError, "unexpected character " + shown, t.span, t.space_before};
}

const Token& Lexer::peek() {
    if (!has_peeked_) {
        peeked_ = scan();
        has_peeked_ = true;
    }
    return peeked_;
}

Token Lexer::next() {
    if (has_peeked_) {
        has_peeked_ = false;
        return std::move(peeked_);
    }
    return scan();
}

Token Lexer::next_enum_value() {
    // Only valid when nothing was peeked past the enum value's start.
    if (has_peeked_) {
        // Rewind is impossible; the parser never peeks before an enum value.
        has_peeked_ = false;
        return Token{TokenKind::kError, "internal: enum value after peek", peeked_.span, false};
    }
    Token t;
    if (!begin_token(t))
        return t;
    size_t end = pos_;
    while (end < source_.size() && (is_word_char(source_[end]) || source_[end] == '-'))
        ++end;
    if (end == pos_) {
        t.kind = TokenKind::kError;
        t.text = "expected an enum value";
        return t;
    }
    t.kind = TokenKind::kWord;
    t.text = std::string(source_.substr(pos_, end - pos_));
    advance(end - pos_);
    return t;
}

} // namespace omnigraph::schema
