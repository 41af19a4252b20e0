#include "query/lexer.h"

namespace omnigraph::query {

const char* token_kind_name(TokenKind kind) {
    switch (kind) {
    case TokenKind::kWord:
        return "a word";
    case TokenKind::kVar:
        return "a variable";
    case TokenKind::kInt:
        return "an integer";
    case TokenKind::kFloat:
        return "a float";
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
    case TokenKind::kDot:
        return "'.'";
    case TokenKind::kQuestion:
        return "'?'";
    case TokenKind::kAt:
        return "'@'";
    case TokenKind::kEq:
        return "'='";
    case TokenKind::kNe:
        return "'!='";
    case TokenKind::kLt:
        return "'<'";
    case TokenKind::kLe:
        return "'<='";
    case TokenKind::kGt:
        return "'>'";
    case TokenKind::kGe:
        return "'>='";
    case TokenKind::kEnd:
        return "end of input";
    case TokenKind::kError:
        return "an invalid token";
    }
    return "?";
}

namespace {

bool word_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool word_char(char c) {
    return word_start(c) || (c >= '0' && c <= '9');
}
bool digit(char c) {
    return c >= '0' && c <= '9';
}

class Scanner {
  public:
    explicit Scanner(std::string_view source) : s_(source) {}

    std::vector<Token> run() {
        std::vector<Token> out;
        while (true) {
            Token t = next();
            bool stop = t.kind == TokenKind::kEnd || t.kind == TokenKind::kError;
            out.push_back(std::move(t));
            if (stop)
                return out;
        }
    }

  private:
    char at(size_t i) const { return i < s_.size() ? s_[i] : '\0'; }
    void advance(size_t n = 1) {
        for (size_t i = 0; i < n && pos_ < s_.size(); ++i) {
            if (s_[pos_++] == '\n') {
                ++line_;
                column_ = 1;
            } else {
                ++column_;
            }
        }
    }
    Token make(TokenKind kind, Pos pos, std::string text = {}) {
        return Token{kind, std::move(text), pos};
    }

    Token next() {
        // Whitespace and comments.
        while (pos_ < s_.size()) {
            char c = s_[pos_];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                advance();
            } else if (c == '/' && at(pos_ + 1) == '/') {
                while (pos_ < s_.size() && s_[pos_] != '\n')
                    advance();
            } else if (c == '/' && at(pos_ + 1) == '*') {
                Pos start{line_, column_};
                size_t close = s_.find("*/", pos_ + 2);
                if (close == std::string_view::npos)
                    return make(TokenKind::kError, start, "unterminated block comment");
                advance(close + 2 - pos_);
            } else {
                break;
            }
        }
        Pos pos{line_, column_};
        if (pos_ >= s_.size())
            return make(TokenKind::kEnd, pos);
        char c = s_[pos_];
        if (word_start(c)) {
            size_t end = pos_;
            while (end < s_.size() && word_char(s_[end]))
                ++end;
            std::string text(s_.substr(pos_, end - pos_));
            advance(end - pos_);
            return make(TokenKind::kWord, pos, std::move(text));
        }
        if (c == '$') {
            if (!(at(pos_ + 1) >= 'a' && at(pos_ + 1) <= 'z') && at(pos_ + 1) != '_')
                return make(TokenKind::kError, pos,
                            "a variable is '$' followed by a lower-case letter or '_'");
            size_t end = pos_ + 1;
            while (end < s_.size() && word_char(s_[end]))
                ++end;
            std::string text(s_.substr(pos_ + 1, end - pos_ - 1));
            advance(end - pos_);
            return make(TokenKind::kVar, pos, std::move(text));
        }
        if (digit(c)) {
            size_t end = pos_;
            while (end < s_.size() && digit(s_[end]))
                ++end;
            TokenKind kind = TokenKind::kInt;
            if (at(end) == '.' && digit(at(end + 1))) {
                kind = TokenKind::kFloat;
                ++end;
                while (end < s_.size() && digit(s_[end]))
                    ++end;
            }
            std::string text(s_.substr(pos_, end - pos_));
            advance(end - pos_);
            return make(kind, pos, std::move(text));
        }
        if (c == '"')
            return string_token(pos);
        auto two = [&](char second) { return at(pos_ + 1) == second; };
        auto one = [&](TokenKind kind, size_t n = 1) {
            advance(n);
            return make(kind, pos);
        };
        switch (c) {
        case '{':
            return one(TokenKind::kLBrace);
        case '}':
            return one(TokenKind::kRBrace);
        case '(':
            return one(TokenKind::kLParen);
        case ')':
            return one(TokenKind::kRParen);
        case '[':
            return one(TokenKind::kLBracket);
        case ']':
            return one(TokenKind::kRBracket);
        case ':':
            return one(TokenKind::kColon);
        case ',':
            return one(TokenKind::kComma);
        case '.':
            return one(TokenKind::kDot);
        case '?':
            return one(TokenKind::kQuestion);
        case '@':
            return one(TokenKind::kAt);
        case '=':
            return one(TokenKind::kEq);
        case '!':
            if (two('='))
                return one(TokenKind::kNe, 2);
            break;
        case '<':
            return two('=') ? one(TokenKind::kLe, 2) : one(TokenKind::kLt);
        case '>':
            return two('=') ? one(TokenKind::kGe, 2) : one(TokenKind::kGt);
        default:
            break;
        }
        std::string shown =
            (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f)
                ? std::string("'") + c + "'"
                : "byte 0x" + std::to_string(static_cast<unsigned char>(c));
        return make(TokenKind::kError, pos, "unexpected character " + shown);
    }

    Token string_token(Pos pos) {
        std::string text;
        size_t i = pos_ + 1;
        while (i < s_.size()) {
            char c = s_[i];
            if (c == '"') {
                advance(i + 1 - pos_);
                return make(TokenKind::kString, pos, std::move(text));
            }
            if (c == '\\') {
                char e = at(i + 1);
                switch (e) {
                case '"':
                    text += '"';
                    break;
                case '\\':
                    text += '\\';
                    break;
                case 'n':
                    text += '\n';
                    break;
                case 'r':
                    text += '\r';
                    break;
                case 't':
                    text += '\t';
                    break;
                default:
                    advance(i - pos_);
                    return make(TokenKind::kError, Pos{line_, column_},
                                "unsupported escape sequence '\\" + std::string(1, e) + "'");
                }
                i += 2;
                continue;
            }
            text += c;
            ++i;
        }
        return make(TokenKind::kError, pos, "unterminated string");
    }

    std::string_view s_;
    size_t pos_ = 0;
    int line_ = 1;
    int column_ = 1;
};

} // namespace

std::vector<Token> tokenize(std::string_view source) {
    return Scanner(source).run();
}

} // namespace omnigraph::query
