#include "query/text_search.h"

#include "format/text_tokenizer.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace omnigraph::query {

namespace {

// Adds segment `s`'s live rows to `out`: from its full-text index, or by tokenizing its column.
void add_segment(const LoadedTable& table, size_t s, uint64_t property_id, TextPostings& out) {
    if (auto index = table.segment_text_index(s, property_id)) {
        ++out.indexed_segments;
        std::vector<std::optional<uint32_t>> rows(index->rows);
        for (uint64_t fr = 0; fr < index->rows; ++fr) {
            rows[fr] = table.row_of(s, fr);
            if (std::optional<uint32_t> row = rows[fr])
                out.lengths[*row] = index->lengths[fr];
        }
        for (size_t t = 0; t < index->terms.size(); ++t) {
            std::vector<format::TextPosting>* list = nullptr;
            for (const auto& p : index->postings[t]) {
                std::optional<uint32_t> row = rows[p.row];
                if (!row)
                    continue; // deleted
                if (!list)
                    list = &out.postings[index->terms[t]];
                list->push_back({*row, p.frequency});
            }
        }
        return;
    }
    ++out.scanned_segments;
    auto views = table.pages(s, property_id);
    std::map<std::string, uint32_t> counts;
    for (size_t p = 0; p < views.size(); ++p) {
        if (!views[p].info) // the segment lacks the column: every row is NULL
            continue;
        const format::Column* page = nullptr;
        for (uint64_t i = 0; i < views[p].rows; ++i) {
            auto row = table.row_of(s, views[p].first_file_row + i);
            if (!row)
                continue;
            if (!page)
                page = &table.page(s, property_id, p);
            if (page->is_null(i))
                continue;
            auto terms = format::text_terms(page->bytes_at(i));
            out.lengths[*row] = static_cast<uint32_t>(terms.size());
            counts.clear();
            for (auto& t : terms)
                ++counts[std::move(t)];
            for (const auto& [term, n] : counts)
                out.postings[term].push_back({*row, n});
        }
    }
}

std::shared_ptr<const TextPostings> build_postings(const LoadedTable& table, uint64_t property_id) {
    auto out = std::make_shared<TextPostings>();
    out->docs = table.size();
    out->lengths.assign(table.size(), 0);
    for (size_t s = 0; s < table.segment_count(); ++s)
        add_segment(table, s, property_id, *out);
    uint64_t total = 0;
    for (uint32_t n : out->lengths)
        total += n;
    out->average_length = out->docs ? double(total) / double(out->docs) : 0;
    return out;
}

// The frequency of the posting of `row` in `list`, 0 when absent.
uint32_t frequency_in(const std::vector<format::TextPosting>& list, uint32_t row) {
    auto it = std::lower_bound(list.begin(), list.end(), row,
                               [](const format::TextPosting& p, uint32_t r) { return p.row < r; });
    return it != list.end() && it->row == row ? it->frequency : 0;
}

std::vector<uint32_t> rows_of(const std::vector<format::TextPosting>& list) {
    std::vector<uint32_t> rows;
    rows.reserve(list.size());
    for (const auto& p : list)
        rows.push_back(p.row);
    return rows;
}

std::vector<uint32_t> intersect(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
    std::vector<uint32_t> out;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
}

std::vector<uint32_t> unite(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
    std::vector<uint32_t> out;
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
}

// Whether fuzzy word `word` (with its stem) is within the query's edits of term `term`.
bool fuzzy_hit(const std::string& word, const std::string& stem, const std::string& term,
               int64_t edits) {
    return bounded_edit_distance(word, term, edits) <= edits ||
           bounded_edit_distance(stem, term, edits) <= edits;
}

} // namespace

double TextPostings::idf(const std::string& term) const {
    auto it = postings.find(term);
    double n = it == postings.end() ? 0 : double(it->second.size());
    return std::log(1 + (double(docs) - n + 0.5) / (n + 0.5));
}

const TextPostings& text_postings(const LoadedTable& table, uint64_t property_id) {
    auto made = table.derived("text:" + std::to_string(property_id),
                              [&] { return build_postings(table, property_id); });
    return *static_cast<const TextPostings*>(made.get());
}

TextQuery text_query(TextMode mode, std::string_view q, int64_t max_edits) {
    TextQuery out;
    out.mode = mode;
    out.max_edits = max_edits;
    if (mode == TextMode::kFuzzy) {
        for (auto& w : format::text_words(q))
            if (!format::is_stop_word(w) &&
                std::find(out.words.begin(), out.words.end(), w) == out.words.end())
                out.words.push_back(std::move(w));
        for (const auto& w : out.words)
            out.terms.push_back(format::english_stem(w)); // the words' stems, by position
        return out;
    }
    for (auto& t : format::text_terms(q))
        if (std::find(out.terms.begin(), out.terms.end(), t) == out.terms.end())
            out.terms.push_back(std::move(t));
    return out;
}

bool text_matches(std::string_view text, const TextQuery& query) {
    if (query.terms.empty())
        return false;
    auto have = format::text_terms(text);
    std::sort(have.begin(), have.end());
    have.erase(std::unique(have.begin(), have.end()), have.end());
    auto holds = [&](const std::string& t) {
        return std::binary_search(have.begin(), have.end(), t);
    };
    switch (query.mode) {
    case TextMode::kAll:
        return std::all_of(query.terms.begin(), query.terms.end(), holds);
    case TextMode::kAny:
        return std::any_of(query.terms.begin(), query.terms.end(), holds);
    case TextMode::kFuzzy:
        for (size_t w = 0; w < query.words.size(); ++w)
            if (std::none_of(have.begin(), have.end(), [&](const std::string& term) {
                    return fuzzy_hit(query.words[w], query.terms[w], term, query.max_edits);
                }))
                return false;
        return true;
    }
    return false;
}

std::vector<uint32_t> matching_rows(const TextPostings& postings, const TextQuery& query) {
    if (query.terms.empty())
        return {};
    auto rows_for = [&](const std::string& term) {
        auto it = postings.postings.find(term);
        return it == postings.postings.end() ? std::vector<uint32_t>{} : rows_of(it->second);
    };
    std::vector<uint32_t> out;
    for (size_t i = 0; i < query.terms.size(); ++i) {
        std::vector<uint32_t> rows;
        if (query.mode == TextMode::kFuzzy) {
            // Every term of the dictionary within the edits of the word (or of its stem).
            for (const auto& [term, list] : postings.postings)
                if (fuzzy_hit(query.words[i], query.terms[i], term, query.max_edits))
                    rows = unite(rows, rows_of(list));
        } else {
            rows = rows_for(query.terms[i]);
        }
        if (i == 0)
            out = std::move(rows);
        else
            out = query.mode == TextMode::kAny ? unite(out, rows) : intersect(out, rows);
    }
    return out;
}

std::optional<double> bm25_score(const TextPostings& stats, const std::vector<std::string>& terms,
                                 const std::vector<uint32_t>& frequencies, uint32_t length) {
    double score = 0;
    bool any = false;
    double norm =
        kBm25K1 * (1 - kBm25B +
                   kBm25B * (stats.average_length > 0 ? double(length) / stats.average_length : 0));
    for (size_t i = 0; i < terms.size(); ++i) {
        if (frequencies[i] == 0)
            continue;
        any = true;
        double tf = frequencies[i];
        score += stats.idf(terms[i]) * tf * (kBm25K1 + 1) / (tf + norm);
    }
    return any ? std::optional<double>(score) : std::nullopt;
}

int64_t bounded_edit_distance(std::string_view a, std::string_view b, int64_t limit) {
    if (limit < 0)
        return 1; // more than any negative limit
    auto la = int64_t(a.size()), lb = int64_t(b.size());
    if (std::abs(la - lb) > limit)
        return limit + 1;
    std::vector<int64_t> prev(size_t(lb + 1)), cur(size_t(lb + 1));
    for (int64_t j = 0; j <= lb; ++j)
        prev[size_t(j)] = j;
    for (int64_t i = 1; i <= la; ++i) {
        cur[0] = i;
        int64_t best = cur[0];
        for (int64_t j = 1; j <= lb; ++j) {
            int64_t cost = a[size_t(i - 1)] == b[size_t(j - 1)] ? 0 : 1;
            cur[size_t(j)] =
                std::min({prev[size_t(j)] + 1, cur[size_t(j - 1)] + 1, prev[size_t(j - 1)] + cost});
            best = std::min(best, cur[size_t(j)]);
        }
        if (best > limit) // every later row is at least this
            return limit + 1;
        std::swap(prev, cur);
    }
    return std::min(prev[size_t(lb)], limit + 1);
}

bool is_text_filter(std::string_view name) {
    return name == "search" || name == "match_text" || name == "fuzzy";
}

namespace {

TextMode mode_of(std::string_view name) {
    return name == "search" ? TextMode::kAll : name == "fuzzy" ? TextMode::kFuzzy : TextMode::kAny;
}

// The query of a text call from its constant (or per-row) arguments; nullopt when the query
// string is NULL (nothing matches).
std::optional<TextQuery> query_of(const ExecContext& ctx, const Expr& call, const Frame& f,
                                  size_t row) {
    if (call.args.size() < 2)
        runtime_fail(call.name + "() needs a field and a query");
    Value q = ctx.eval(call.args[1], f, row);
    if (q.is_null())
        return std::nullopt;
    if (q.kind != Value::Kind::kString)
        runtime_fail(call.name + "() query must be a String");
    int64_t edits = kDefaultFuzzyEdits;
    if (call.name == "fuzzy" && call.args.size() > 2) {
        Value e = ctx.eval(call.args[2], f, row);
        if (e.kind == Value::Kind::kInt)
            edits = e.integer;
        else if (e.kind == Value::Kind::kUInt && e.uinteger <= uint64_t(INT64_MAX))
            edits = int64_t(e.uinteger);
        else
            runtime_fail("fuzzy() max_edits must be an integer");
        if (edits < 0)
            runtime_fail("fuzzy() max_edits must not be negative, got " + std::to_string(edits));
    }
    return text_query(mode_of(call.name), q.text, edits);
}

// The table and property a text call searches: its first argument, `$v.property`.
std::pair<const VarInfo*, uint64_t> field_of(const ExecContext& ctx, const Expr& call) {
    const Expr& field = call.args.at(0);
    if (field.kind != ExprKind::kProp)
        runtime_fail(call.name + "() needs a property of a node variable as its field");
    const VarInfo& v = ctx.var(field.var);
    auto p = v.property(field.name);
    if (!p)
        runtime_fail(v.type + " has no property '" + field.name + "'");
    return {&v, p->id};
}

} // namespace

namespace {

// bm25(field, q) as a ranking (query/search_functions.h): a score per row of the field's table,
// from the table's postings, so the text itself is not read; rows holding no term have none.
class Bm25Ranking final : public Ranking {
  public:
    Bm25Ranking(const ExecContext& ctx, const Expr& call) : Ranking(call.args.at(0).var) {
        Frame none;
        query_ = query_of(ctx, call, none, 0); // a constant: one ranking for the whole match
        auto [var, property_id] = field_of(ctx, call);
        stats_ = &text_postings(*var->table, property_id);
    }

    std::optional<double> score(uint32_t row) override {
        if (!query_ || row >= stats_->lengths.size())
            return std::nullopt;
        frequencies_.assign(query_->terms.size(), 0);
        for (size_t i = 0; i < query_->terms.size(); ++i)
            if (auto it = stats_->postings.find(query_->terms[i]); it != stats_->postings.end())
                frequencies_[i] = frequency_in(it->second, row);
        return bm25_score(*stats_, query_->terms, frequencies_, stats_->lengths[row]);
    }
    bool ascending() const override { return false; }     // relevance: the highest first
    bool drops_unscored() const override { return true; } // spec §3.8: only matching rows

  private:
    std::optional<TextQuery> query_;
    const TextPostings* stats_ = nullptr;
    std::vector<uint32_t> frequencies_;
};

} // namespace

std::unique_ptr<Ranking> make_bm25(const ExecContext& ctx, const Expr& call) {
    return std::make_unique<Bm25Ranking>(ctx, call);
}

Value eval_text_call(const ExecContext& ctx, const Expr& call, const Frame& f, size_t row) {
    auto query = query_of(ctx, call, f, row);
    Value text = ctx.eval(call.args.at(0), f, row);
    bool hit = query && text.kind == Value::Kind::kString && text_matches(text.text, *query);
    return Value::of_bool(hit);
}

bool apply_text_filter(const ExecContext& ctx, const std::string& v, const Clause& filter,
                       std::vector<uint8_t>& keep) {
    const Expr& call = filter.left;
    if (call.kind != ExprKind::kCall || !is_text_filter(call.name) || filter.op != CompareOp::kEq ||
        filter.right.kind != ExprKind::kLiteral ||
        filter.right.literal.kind != LiteralKind::kBool || !filter.right.literal.boolean ||
        call.args.size() < 2 || call.args[0].kind != ExprKind::kProp || call.args[0].var != v)
        return false;
    for (size_t i = 1; i < call.args.size(); ++i)
        if (!ctx.is_constant(call.args[i]))
            return false;
    Frame none;
    auto query = query_of(ctx, call, none, 0);
    auto [var, property_id] = field_of(ctx, call);
    std::vector<uint32_t> rows;
    if (query)
        rows = matching_rows(text_postings(*var->table, property_id), *query);
    std::vector<uint8_t> hit(keep.size(), 0);
    for (uint32_t r : rows)
        if (r < hit.size())
            hit[r] = 1;
    for (size_t r = 0; r < keep.size(); ++r)
        keep[r] &= hit[r];
    return true;
}

} // namespace omnigraph::query
