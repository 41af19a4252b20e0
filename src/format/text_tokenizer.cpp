#include "format/text_tokenizer.h"

#include <algorithm>
#include <iterator>

namespace omnigraph::format {

namespace {

// The Snowball English stop-word list (its entries without apostrophes: the tokenizer splits
// "don't" into "don" and "t", so the contracted forms never reach the filter), sorted.
constexpr std::string_view kStopWords[] = {
    "a",      "about",  "above",    "after",     "again",      "against", "all",    "am",
    "an",     "and",    "any",      "are",       "as",         "at",      "be",     "because",
    "been",   "before", "being",    "below",     "between",    "both",    "but",    "by",
    "cannot", "could",  "did",      "do",        "does",       "doing",   "down",   "during",
    "each",   "few",    "for",      "from",      "further",    "had",     "has",    "have",
    "having", "he",     "her",      "here",      "hers",       "herself", "him",    "himself",
    "his",    "how",    "i",        "if",        "in",         "into",    "is",     "it",
    "its",    "itself", "me",       "more",      "most",       "my",      "myself", "no",
    "nor",    "not",    "of",       "off",       "on",         "once",    "only",   "or",
    "other",  "ought",  "our",      "ours",      "ourselves",  "out",     "over",   "own",
    "same",   "she",    "should",   "so",        "some",       "such",    "than",   "that",
    "the",    "their",  "theirs",   "them",      "themselves", "then",    "there",  "these",
    "they",   "this",   "those",    "through",   "to",         "too",     "under",  "until",
    "up",     "very",   "was",      "we",        "were",       "what",    "when",   "where",
    "which",  "while",  "who",      "whom",      "why",        "with",    "would",  "you",
    "your",   "yours",  "yourself", "yourselves"};

// Latin-1 letters U+00C0..U+00FF folded to ASCII ('\0': not a letter, a token break).
constexpr std::string_view kLatin1Fold =
    std::string_view("aaaaaaaceeeeiiiidnooooo\0ouuuuyts"  // U+00C0..U+00DF
                     "aaaaaaaceeeeiiiidnooooo\0ouuuuyty", // U+00E0..U+00FF
                     64);

bool is_ascii_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

template <class Emit> void split_words(std::string_view text, Emit emit) {
    std::string word;
    auto flush = [&] {
        if (!word.empty() && word.size() <= kMaxTokenBytes)
            emit(std::move(word));
        word.clear();
    };
    for (size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (is_ascii_word_byte(c))
                word.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
            else
                flush();
            ++i;
            continue;
        }
        // A UTF-8 sequence: a Latin-1 letter folds to ASCII; anything else is kept as it is.
        size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        len = std::min(len, text.size() - i);
        if (len == 2 && (c == 0xC3)) {
            auto code = static_cast<unsigned char>(text[i + 1]);
            size_t at = code >= 0x80 && code <= 0xBF ? code - 0x80 : kLatin1Fold.size();
            char folded = at < kLatin1Fold.size() ? kLatin1Fold[at] : '\0';
            if (folded == '\0') {
                flush();
            } else {
                word.push_back(folded);
                if (code == 0x9F) // ß → ss
                    word.push_back('s');
                if (code == 0x86 || code == 0xA6) // æ → ae
                    word.push_back('e');
            }
        } else if (len == 2 && c == 0xC2) {
            flush(); // U+0080..U+00BF: controls, punctuation and symbols
        } else {
            word.append(text.substr(i, len));
        }
        i += len;
    }
    flush();
}

} // namespace

bool is_stop_word(std::string_view word) {
    return std::find(std::begin(kStopWords), std::end(kStopWords), word) != std::end(kStopWords);
}

std::vector<std::string> text_words(std::string_view text) {
    std::vector<std::string> out;
    split_words(text, [&](std::string w) { out.push_back(std::move(w)); });
    return out;
}

std::vector<std::string> text_terms(std::string_view text) {
    std::vector<std::string> out;
    split_words(text, [&](const std::string& w) {
        if (!is_stop_word(w))
            out.push_back(english_stem(w));
    });
    return out;
}

} // namespace omnigraph::format
