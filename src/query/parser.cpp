#include "query/parser.h"

#include "query/lexer.h"

#include <charconv>
#include <stdexcept>

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

namespace {

struct ParseFailure : std::runtime_error {
    ParseFailure(std::string message, Pos at) : std::runtime_error(std::move(message)), pos(at) {}
    Pos pos;
};

bool is_type_name(const Token& t) {
    return t.kind == TokenKind::kWord && t.text[0] >= 'A' && t.text[0] <= 'Z';
}
bool is_ident(const Token& t) {
    return t.kind == TokenKind::kWord && !is_type_name(t);
}
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

const char* const kAggregates[] = {"count", "sum", "avg", "min", "max"};
const char* const kCalls[] = {"nearest", "search", "fuzzy", "match_text", "bm25", "rrf"};

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

    // --- declarations ---
    Query query() {
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

    ParamType param_type() {
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

    schema::ScalarType base_type() {
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

    // --- read body ---
    void read_body(Query& q) {
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
    std::vector<Clause> clauses() {
        Nesting guard(*this);
        std::vector<Clause> out;
        do
            out.push_back(clause());
        while (!at(TokenKind::kRBrace));
        take();
        return out;
    }

    Clause clause() {
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
    bool traversal(Clause& c) {
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
            c.max_hops = at(TokenKind::kInt)
                             ? std::optional<uint64_t>(integer<uint32_t>("a hop count"))
                             : std::nullopt;
            expect(TokenKind::kRBrace);
        }
        if (!at(TokenKind::kVar))
            fail("a variable");
        c.dst = take().text;
        return true;
    }

    // Whether a comparison operator comes next (nothing is consumed).
    bool compare_op_ahead() {
        size_t mark = i_;
        bool found = compare_op().has_value() || at_word("contains") || at_word("starts_with");
        i_ = mark;
        return found;
    }

    std::optional<CompareOp> compare_op() {
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

    // --- expressions ---
    Expr expr() {
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

    Expr call_expr() {
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

    std::optional<Literal> literal() {
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
    Expr value() {
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

    // --- mutations ---
    Mutation mutation() {
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

} // namespace

Result<QueryFile> parse_query_file(std::string_view source, std::string_view file) {
    try {
        return Parser(tokenize(source)).file();
    } catch (const ParseFailure& f) {
        return Error(kQueryParseError, "parse error: " + std::string(f.what()),
                     SourceLocation{std::string(file), f.pos.line, f.pos.column});
    }
}

} // namespace omnigraph::query
