#include "format/text_index.h"

#include "format/segment.h"
#include "format/text_tokenizer.h"

#include <algorithm>
#include <limits>
#include <map>

namespace omnigraph::format {

namespace {

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

Error corrupt(const std::string& why) {
    return Error(kSegmentCorrupt, "corrupt full-text index: " + why);
}

// Reads varints from raw bytes, never past their end.
class VarintReader {
  public:
    explicit VarintReader(std::string_view in) : in_(in) {}
    Result<uint64_t> next(const char* what) {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (at_ >= in_.size())
                return corrupt(std::string(what) + " runs past the end at byte " +
                               std::to_string(at_));
            auto b = static_cast<unsigned char>(in_[at_++]);
            if (shift == 63 && b > 1)
                return corrupt(std::string(what) + " overflows at byte " + std::to_string(at_));
            v |= uint64_t(b & 0x7F) << shift;
            if (!(b & 0x80)) {
                if (b == 0 && shift > 0) // one encoding per value: the shortest
                    return corrupt(std::string(what) + " is not minimally encoded at byte " +
                                   std::to_string(at_));
                return v;
            }
        }
        return corrupt(std::string(what) + " is too long at byte " + std::to_string(at_));
    }
    Result<std::string_view> bytes(uint64_t n, const char* what) {
        if (n > in_.size() - at_)
            return corrupt(std::string(what) + " runs past the end at byte " + std::to_string(at_));
        auto out = in_.substr(at_, n);
        at_ += n;
        return out;
    }
    size_t remaining() const { return in_.size() - at_; }

  private:
    std::string_view in_;
    size_t at_ = 0;
};

} // namespace

const std::vector<TextPosting>* TextIndex::find(std::string_view term) const {
    auto it = std::lower_bound(terms.begin(), terms.end(), term);
    if (it == terms.end() || *it != term)
        return nullptr;
    return &postings[static_cast<size_t>(it - terms.begin())];
}

Result<TextIndex> build_text_index(const Column& strings) {
    if (strings.type().kind != PhysicalKind::kString)
        return Error(codes::kInvalidArgument, "a full-text index needs a string column");
    if (strings.size() >= std::numeric_limits<uint32_t>::max())
        return Error(codes::kInvalidArgument, "segment too large for a full-text index");
    TextIndex index;
    index.rows = strings.size();
    index.lengths.assign(strings.size(), 0);
    std::map<std::string, std::vector<TextPosting>, std::less<>> by_term;
    std::map<std::string_view, uint32_t> counts;
    for (size_t r = 0; r < strings.size(); ++r) {
        if (strings.is_null(r))
            continue;
        auto terms = text_terms(strings.bytes_at(r));
        index.lengths[r] = static_cast<uint32_t>(terms.size());
        counts.clear();
        for (const auto& t : terms)
            ++counts[t];
        for (const auto& [term, n] : counts)
            by_term[std::string(term)].push_back({static_cast<uint32_t>(r), n});
    }
    index.terms.reserve(by_term.size());
    index.postings.reserve(by_term.size());
    for (auto& [term, list] : by_term) {
        index.terms.push_back(term);
        index.postings.push_back(std::move(list));
    }
    return index;
}

std::string encode_text_index(const TextIndex& index) {
    std::string out;
    put_varint(out, index.rows);
    for (uint32_t n : index.lengths)
        put_varint(out, n);
    put_varint(out, index.terms.size());
    for (size_t t = 0; t < index.terms.size(); ++t) {
        put_varint(out, index.terms[t].size());
        out += index.terms[t];
        put_varint(out, index.postings[t].size());
        uint64_t next = 0;
        for (const auto& p : index.postings[t]) {
            put_varint(out, p.row - next);
            put_varint(out, p.frequency);
            next = uint64_t(p.row) + 1;
        }
    }
    return out;
}

Result<TextIndex> decode_text_index(std::string_view raw, uint64_t rows) {
    VarintReader in(raw);
    TextIndex index;
    index.rows = OG_TRY(in.next("the row count"));
    if (index.rows != rows)
        return corrupt("indexes " + std::to_string(index.rows) + " rows of a segment of " +
                       std::to_string(rows));
    if (rows > in.remaining()) // every row's length takes at least one byte
        return corrupt("lengths run past the end");
    index.lengths.resize(rows);
    for (auto& n : index.lengths) {
        uint64_t v = OG_TRY(in.next("a row length"));
        if (v > std::numeric_limits<uint32_t>::max())
            return corrupt("a row length is out of range");
        n = static_cast<uint32_t>(v);
    }
    uint64_t term_count = OG_TRY(in.next("the term count"));
    if (term_count > in.remaining() / 3) // a term takes at least 3 bytes (length, count, row...)
        return corrupt("the term count " + std::to_string(term_count) + " exceeds the bytes");
    std::vector<uint64_t> counted(rows, 0);
    index.terms.reserve(term_count);
    index.postings.reserve(term_count);
    for (uint64_t t = 0; t < term_count; ++t) {
        uint64_t len = OG_TRY(in.next("a term length"));
        std::string_view term = OG_TRY(in.bytes(len, "a term"));
        if (term.empty() || (!index.terms.empty() && term <= index.terms.back()))
            return corrupt("term " + std::to_string(t) + " is empty or out of order");
        uint64_t n = OG_TRY(in.next("a posting count"));
        if (n == 0 || n > rows)
            return corrupt("term '" + std::string(term) + "' has " + std::to_string(n) +
                           " postings in " + std::to_string(rows) + " rows");
        std::vector<TextPosting> list;
        list.reserve(n);
        uint64_t next = 0;
        for (uint64_t i = 0; i < n; ++i) {
            uint64_t gap = OG_TRY(in.next("a row gap"));
            uint64_t freq = OG_TRY(in.next("a frequency"));
            if (gap >= rows || next + gap >= rows || freq == 0 ||
                freq > std::numeric_limits<uint32_t>::max())
                return corrupt("a posting of term '" + std::string(term) + "' is out of range");
            uint64_t row = next + gap;
            counted[row] += freq;
            list.push_back({static_cast<uint32_t>(row), static_cast<uint32_t>(freq)});
            next = row + 1;
        }
        index.terms.emplace_back(term);
        index.postings.push_back(std::move(list));
    }
    if (in.remaining() != 0)
        return corrupt(std::to_string(in.remaining()) + " trailing bytes");
    for (uint64_t r = 0; r < rows; ++r)
        if (counted[r] != index.lengths[r])
            return corrupt("row " + std::to_string(r) + " has length " +
                           std::to_string(index.lengths[r]) + " but " + std::to_string(counted[r]) +
                           " indexed terms");
    return index;
}

} // namespace omnigraph::format
