// The ranking search functions of a running read query (spec query-language §1.8, §3.8):
// `nearest` and `bm25` as scores, bound once per call
// expression. ExecContext::search() hands them out; the output orders and projects with them
// and rrf (query/rrf.h) fuses two of them.
//
// Beyond upstream, a ranking is a score of each row of its variable's table, so it works on
// any variable of the match (one a traversal introduced too) and orders the match's rows after
// every filter ran: top-k among the rows that pass (prefilter), never a starved post-filter.
#pragma once

#include "query/frame.h"
#include "query/row_set.h"
#include "query/value.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace omnigraph::query {

class ExecContext;
struct Expr;

// One ranking call bound to a running query: a score per row of its variable's table.
class Ranking {
  public:
    virtual ~Ranking() = default;
    // The variable whose rows it ranks (`d` of nearest($d.embedding, $q)).
    const std::string& variable() const { return var_; }
    // The score of table row `row`; nullopt when it has none (a NULL or NaN vector; for bm25,
    // a row that does not match).
    virtual std::optional<double> score(uint32_t row) = 0;
    // True when smaller scores rank first (distances), false when larger do (relevance).
    virtual bool ascending() const = 0;
    // As the first order key: whether rows without a score are dropped (bm25 returns only
    // matching rows) rather than ranked last (nearest's NULL vectors).
    virtual bool drops_unscored() const { return false; }
    // As the first order key of `… limit k` over a scan: the rows of `pass` (every row when
    // nullopt) that can be among the best k, when an index tells without scoring every row
    // (their scores are then known); nullopt when it cannot, or it would not pay.
    virtual std::optional<RowSet> narrow(const std::optional<RowSet>& /*pass*/, uint64_t /*k*/) {
        return std::nullopt;
    }

  protected:
    explicit Ranking(std::string var) : var_(std::move(var)) {}

  private:
    std::string var_;
};

// Whether order key `o` sorts descending. A ranking's key already sorts best first
// (SearchFunctions::order_key): its asc/desc, which the grammar accepts for bm25 and rrf, is
// ignored, as upstream does.
bool order_descending(const Ordering& o);

// Makes the ranking of call `e` (one of the ranking functions). Adding a ranking function
// is a case here and a Ranking subclass beside its other code.
std::unique_ptr<Ranking> make_ranking(const ExecContext& ctx, const Expr& e);

// The rankings of one query run, each made at its first use and kept (their per-row memos
// with it). Single-threaded, like the query run that owns it.
class SearchFunctions {
  public:
    explicit SearchFunctions(const ExecContext& ctx) : ctx_(ctx) {}

    Ranking& ranking(const Expr& e);
    // The value of ranking call `e` in row `r` of `f`: its score, NULL when the row has none.
    Value value(const Expr& e, const Frame& f, size_t r);
    // The order key of ranking call `e` in row `r` of `f`: its score, as a value that sorts
    // ascending, so that rows without a score come last (never NULLs-first).
    Value order_key(const Expr& e, const Frame& f, size_t r);
    // Whether row `r` of `f` is ranked under ranking call `e` as a first order key: false for
    // a row without a score when the ranking drops those (bm25: holds no query term).
    bool ranks(const Expr& e, const Frame& f, size_t r);

  private:
    uint32_t row_of(const Ranking& k, const Frame& f, size_t r) const;

    const ExecContext& ctx_;
    // By the call's text, so that the same call in `order` and `return` is bound once (one
    // memo, one embedding of a String query); `by_expr_` finds it without the text.
    std::map<std::string, std::unique_ptr<Ranking>> rankings_;
    std::map<const Expr*, Ranking*> by_expr_;
};

} // namespace omnigraph::query
