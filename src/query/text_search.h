// Full-text search (spec query-language §1.8, §3.8): the filters `search` (every query term),
// `match_text` (any query term) and `fuzzy` (every query word within `max_edits` edits of a
// term), and the `bm25` score. Text is analyzed by format/text_tokenizer.h on both sides.
//
// A filter pushed to the scan of its variable runs on the table's postings: the segments'
// full-text indexes (properties with @index), merged over the live rows, or — for segments
// without one — the column tokenized once. Both are built once per table version and kept with
// it (LoadedTable::derived). A filter on a row bound elsewhere (a traversal, a negation)
// tokenizes that row's text; a bm25 score always reads the row's counts from the postings.
//
// BM25 as upstream's storage library computes it: k1 = 1.2, b = 0.75,
// idf(t) = ln(1 + (N - n(t) + 0.5) / (n(t) + 0.5)), N the table's live rows, n(t) those holding
// t; score = Σ over distinct query terms of idf(t) · tf·(k1+1) / (tf + k1·(1 - b + b·len/avglen)).
// A row holding no query term has no score (NULL): `order { bm25(...) }` keeps only rows with a
// score, best first.
//
// Failures are RuntimeFailure (exec_context.h), like every failure inside a running query.
#pragma once

#include "format/text_index.h"
#include "query/exec_context.h"
#include "query/search_functions.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace omnigraph::query {

inline constexpr double kBm25K1 = 1.2;
inline constexpr double kBm25B = 0.75;
inline constexpr int64_t kDefaultFuzzyEdits = 2;

// One property of one table version, over its live rows (table row numbers).
struct TextPostings {
    uint64_t docs = 0;             // live rows
    double average_length = 0;     // terms per live row
    std::vector<uint32_t> lengths; // per table row
    std::unordered_map<std::string, std::vector<format::TextPosting>> postings; // rows ascending
    uint64_t indexed_segments = 0; // segments read through their full-text index
    uint64_t scanned_segments = 0; // segments whose column was tokenized

    double idf(const std::string& term) const;
};

// The postings of `property_id` of `table`, built on first use and kept with the table.
const TextPostings& text_postings(const LoadedTable& table, uint64_t property_id);

enum class TextMode { kAll, kAny, kFuzzy };

// A parsed text query: its terms (search, match_text, bm25) or words (fuzzy).
struct TextQuery {
    TextMode mode = TextMode::kAll;
    std::vector<std::string> terms; // distinct
    std::vector<std::string> words; // fuzzy: the words, unstemmed, with stop words kept
    int64_t max_edits = kDefaultFuzzyEdits;
};
TextQuery text_query(TextMode mode, std::string_view q, int64_t max_edits = kDefaultFuzzyEdits);

// Whether `text` matches `query` (its own terms).
bool text_matches(std::string_view text, const TextQuery& query);
// The table rows (ascending) that match `query`.
std::vector<uint32_t> matching_rows(const TextPostings& postings, const TextQuery& query);
// The BM25 score of a row of `length` terms holding `frequencies[i]` of query term i; nullopt
// when it holds none.
std::optional<double> bm25_score(const TextPostings& stats, const std::vector<std::string>& terms,
                                 const std::vector<uint32_t>& frequencies, uint32_t length);

// Levenshtein distance of `a` and `b` when at most `limit`, else limit + 1.
int64_t bounded_edit_distance(std::string_view a, std::string_view b, int64_t limit);

// Whether `name` is a text filter (search, match_text, fuzzy); bm25 is a ranking.
bool is_text_filter(std::string_view name);
// The ranking of `bm25(field, q)` (q a constant), for ordering, returning and rrf.
std::unique_ptr<Ranking> make_bm25(const ExecContext& ctx, const Expr& call);
// The value of a text filter call in row `row` of `f` (Bool); bm25 is a ranking.
Value eval_text_call(const ExecContext& ctx, const Expr& call, const Frame& f, size_t row);

// When `filter` is `search/match_text/fuzzy($v.p, constant...) = true` over variable `v`,
// clears the rows of `keep` (indexed by table row) that do not match, through the postings,
// and returns true; false for any other clause.
bool apply_text_filter(const ExecContext& ctx, const std::string& v, const Clause& filter,
                       std::vector<uint8_t>& keep);

} // namespace omnigraph::query
