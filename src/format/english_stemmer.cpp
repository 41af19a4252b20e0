// The Snowball English ("Porter2") stemmer, as its published algorithm describes it
// (snowballstem.org/algorithms/english/stemmer.html), over lower-case ASCII words. Bytes
// outside a..z (digits, other UTF-8) are treated as non-vowels. The apostrophe steps are left
// out: the tokenizer never keeps an apostrophe inside a word.
#include "format/text_tokenizer.h"

#include <array>
#include <optional>
#include <utility>

namespace omnigraph::format {

namespace {

bool is_vowel(char c) {
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

bool ends_with(const std::string& w, std::string_view s) {
    return w.size() >= s.size() && std::string_view(w).substr(w.size() - s.size()) == s;
}

using Rule = std::pair<std::string_view, std::string_view>; // suffix, replacement

// The rule with the longest suffix `w` ends with (Porter2: it decides, whether or not its
// condition then holds); null when none matches.
template <size_t N>
const Rule* longest_rule(const std::string& w, const std::array<Rule, N>& rules) {
    const Rule* best = nullptr;
    for (const auto& rule : rules)
        if (ends_with(w, rule.first) && (!best || rule.first.size() > best->first.size()))
            best = &rule;
    return best;
}

bool is_double(const std::string& w) {
    if (w.size() < 2)
        return false;
    char a = w[w.size() - 1];
    if (a != w[w.size() - 2])
        return false;
    return a == 'b' || a == 'd' || a == 'f' || a == 'g' || a == 'm' || a == 'n' || a == 'p' ||
           a == 'r' || a == 't';
}

bool is_li_ending(char c) {
    return c == 'c' || c == 'd' || c == 'e' || c == 'g' || c == 'h' || c == 'k' || c == 'm' ||
           c == 'n' || c == 'r' || c == 't';
}

class Stemmer {
  public:
    explicit Stemmer(std::string w) : w_(std::move(w)) {}

    std::string run() {
        if (w_.size() <= 2)
            return w_;
        if (auto special = exception1())
            return *special;
        mark_ys();
        find_regions();
        step1a();
        if (is_exception2())
            return unmark();
        step1b();
        step1c();
        step2();
        step3();
        step4();
        step5();
        return unmark();
    }

  private:
    std::string w_;
    size_t r1_ = 0, r2_ = 0;

    std::optional<std::string> exception1() const {
        static constexpr std::array<std::pair<std::string_view, std::string_view>, 18> kForms = {{
            {"skis", "ski"},
            {"skies", "sky"},
            {"dying", "die"},
            {"lying", "lie"},
            {"tying", "tie"},
            {"idly", "idl"},
            {"gently", "gentl"},
            {"ugly", "ugli"},
            {"early", "earli"},
            {"only", "onli"},
            {"singly", "singl"},
            {"sky", "sky"},
            {"news", "news"},
            {"howe", "howe"},
            {"atlas", "atlas"},
            {"cosmos", "cosmos"},
            {"bias", "bias"},
            {"andes", "andes"},
        }};
        for (const auto& [from, to] : kForms)
            if (w_ == from)
                return std::string(to);
        return std::nullopt;
    }

    bool is_exception2() const {
        for (std::string_view w :
             {"inning", "outing", "canning", "herring", "earring", "proceed", "exceed", "succeed"})
            if (w_ == w)
                return true;
        return false;
    }

    bool vowel_at(size_t i) const { return is_vowel(w_[i]); } // 'Y' is a consonant

    void mark_ys() {
        if (w_[0] == 'y')
            w_[0] = 'Y';
        for (size_t i = 1; i < w_.size(); ++i)
            if (w_[i] == 'y' && is_vowel(w_[i - 1]))
                w_[i] = 'Y';
    }

    std::string unmark() {
        for (char& c : w_)
            if (c == 'Y')
                c = 'y';
        return w_;
    }

    // The region after the first non-vowel that follows a vowel, from `from` on.
    size_t region_after(size_t from) const {
        for (size_t i = from + 1; i < w_.size(); ++i)
            if (!vowel_at(i) && vowel_at(i - 1))
                return i + 1;
        return w_.size();
    }

    void find_regions() {
        r1_ = w_.size();
        for (std::string_view prefix : {"gener", "commun", "arsen"})
            if (w_.starts_with(prefix)) {
                r1_ = prefix.size();
                break;
            }
        if (r1_ == w_.size())
            r1_ = region_after(0);
        r2_ = r1_ >= w_.size() ? w_.size() : region_after(r1_);
    }

    bool in_r1(size_t suffix) const { return w_.size() - suffix >= r1_; }
    bool in_r2(size_t suffix) const { return w_.size() - suffix >= r2_; }

    void replace_end(size_t suffix, std::string_view with) {
        w_.resize(w_.size() - suffix);
        w_ += with;
    }

    bool has_vowel_before(size_t end) const {
        for (size_t i = 0; i < end; ++i)
            if (vowel_at(i))
                return true;
        return false;
    }

    // A short syllable ending at the end of the word.
    bool ends_short_syllable() const {
        size_t n = w_.size();
        if (n == 2)
            return vowel_at(0) && !vowel_at(1);
        if (n < 3)
            return false;
        char last = w_[n - 1];
        return !vowel_at(n - 3) && vowel_at(n - 2) && !vowel_at(n - 1) && last != 'w' &&
               last != 'x' && last != 'Y';
    }

    bool is_short_word() const { return r1_ >= w_.size() && ends_short_syllable(); }

    void step1a() {
        if (ends_with(w_, "sses")) {
            replace_end(4, "ss");
        } else if (ends_with(w_, "ied") || ends_with(w_, "ies")) {
            replace_end(3, w_.size() > 4 ? "i" : "ie");
        } else if (ends_with(w_, "us") || ends_with(w_, "ss")) {
            // unchanged
        } else if (ends_with(w_, "s")) {
            if (w_.size() >= 3 && has_vowel_before(w_.size() - 2))
                w_.pop_back();
        }
    }

    void step1b() {
        for (std::string_view s : {"eedly", "eed"})
            if (ends_with(w_, s)) {
                if (in_r1(s.size()))
                    replace_end(s.size(), "ee");
                return;
            }
        for (std::string_view s : {"ingly", "edly", "ing", "ed"})
            if (ends_with(w_, s)) {
                if (!has_vowel_before(w_.size() - s.size()))
                    return;
                w_.resize(w_.size() - s.size());
                bool restore_e = ends_with(w_, "at") || ends_with(w_, "bl") || ends_with(w_, "iz");
                if (!restore_e && is_double(w_))
                    w_.pop_back();
                else if (restore_e || is_short_word())
                    w_ += 'e';
                return;
            }
    }

    void step1c() {
        size_t n = w_.size();
        if (n > 2 && (w_[n - 1] == 'y' || w_[n - 1] == 'Y') && !vowel_at(n - 2))
            w_[n - 1] = 'i';
    }

    void step2() {
        static constexpr std::array<Rule, 24> kRules = {{
            {"ization", "ize"}, {"ational", "ate"}, {"fulness", "ful"}, {"ousness", "ous"},
            {"iveness", "ive"}, {"tional", "tion"}, {"biliti", "ble"},  {"lessli", "less"},
            {"entli", "ent"},   {"ation", "ate"},   {"alism", "al"},    {"aliti", "al"},
            {"ousli", "ous"},   {"iviti", "ive"},   {"fulli", "ful"},   {"enci", "ence"},
            {"anci", "ance"},   {"abli", "able"},   {"izer", "ize"},    {"ator", "ate"},
            {"alli", "al"},     {"bli", "ble"},     {"ogi", "og"},      {"li", ""},
        }};
        const Rule* best = longest_rule(w_, kRules);
        if (!best || !in_r1(best->first.size()))
            return;
        size_t n = best->first.size();
        if (best->first == "ogi") {
            if (w_.size() > 3 && w_[w_.size() - 4] == 'l')
                replace_end(n, "og");
        } else if (best->first == "li") {
            if (w_.size() > 2 && is_li_ending(w_[w_.size() - 3]))
                w_.resize(w_.size() - 2);
        } else {
            replace_end(n, best->second);
        }
    }

    void step3() {
        static constexpr std::array<Rule, 9> kRules = {{
            {"ational", "ate"},
            {"tional", "tion"},
            {"alize", "al"},
            {"icate", "ic"},
            {"iciti", "ic"},
            {"ative", ""},
            {"ical", "ic"},
            {"ness", ""},
            {"ful", ""},
        }};
        const Rule* best = longest_rule(w_, kRules);
        if (!best || !in_r1(best->first.size()))
            return;
        if (best->first == "ative" && !in_r2(best->first.size()))
            return;
        replace_end(best->first.size(), best->second);
    }

    void step4() {
        static constexpr std::array<std::string_view, 18> kSuffixes = {
            "ement", "ance", "ence", "able", "ible", "ment", "ant", "ent", "ism",
            "ate",   "iti",  "ous",  "ive",  "ize",  "ion",  "al",  "er",  "ic"};
        std::string_view best;
        for (std::string_view s : kSuffixes)
            if (ends_with(w_, s) && s.size() > best.size())
                best = s;
        if (best.empty() || !in_r2(best.size()))
            return;
        if (best == "ion") {
            char before = w_.size() > 3 ? w_[w_.size() - 4] : '\0';
            if (before != 's' && before != 't')
                return;
        }
        w_.resize(w_.size() - best.size());
    }

    void step5() {
        size_t n = w_.size();
        if (n == 0)
            return;
        if (w_[n - 1] == 'e') {
            if (in_r2(1)) {
                w_.pop_back();
                return;
            }
            if (in_r1(1)) {
                std::string rest = w_.substr(0, n - 1);
                std::swap(rest, w_);
                bool short_before = ends_short_syllable();
                std::swap(rest, w_);
                if (!short_before)
                    w_.pop_back();
            }
        } else if (w_[n - 1] == 'l' && in_r2(1) && n >= 2 && w_[n - 2] == 'l') {
            w_.pop_back();
        }
    }
};

} // namespace

std::string english_stem(std::string_view word) {
    return Stemmer(std::string(word)).run();
}

} // namespace omnigraph::format
