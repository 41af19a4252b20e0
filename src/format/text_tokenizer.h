// The text analyzer of full-text search (spec query-language §1.8, §3.8): what the inverted
// indexes store and what search queries look up, so both sides must use this one function.
//
// The rules follow the storage library upstream uses by default (simple tokenizer, English):
//   - split on every byte that is not an ASCII letter or digit, or part of a non-ASCII UTF-8
//     character (so "state-of-the-art" is four tokens, "naïve" one);
//   - lower-case ASCII letters, and fold the Latin-1 letters (U+00C0..U+00FF) to ASCII
//     ("Café" → "cafe");
//   - drop tokens longer than 40 bytes;
//   - drop English stop words (the Snowball list: "the", "to", "is", ...);
//   - stem with the Snowball English (Porter2) stemmer ("learning" → "learn").
// kTextAnalyzer names these rules in every index written with them; an index written under
// another name is not used (the column is scanned instead).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::format {

inline constexpr std::string_view kTextAnalyzer = "simple-en-porter2-v1";
inline constexpr size_t kMaxTokenBytes = 40;

// The terms of `text` in order (repeats kept: a term's count is its frequency).
std::vector<std::string> text_terms(std::string_view text);

// The words of `text` split and folded like text_terms, but neither stop-word filtered nor
// stemmed (fuzzy matching compares these as well as their stems).
std::vector<std::string> text_words(std::string_view text);

bool is_stop_word(std::string_view word);

// The Snowball English (Porter2) stem of a lower-case word.
std::string english_stem(std::string_view word);

} // namespace omnigraph::format
