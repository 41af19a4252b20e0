#include "format/deletion_vector.h"

#include "base/digest.h"
#include "format/little_endian.h"

#include <algorithm>
#include <cstring>

namespace omnigraph::format {

namespace {

constexpr std::string_view kMagic = "OGDV";
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderBytes = 4 + 4 + 8 + 8;
constexpr size_t kChecksumBytes = 32;

void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

} // namespace

bool DeletionVector::contains(uint64_t row) const {
    return std::binary_search(rows.begin(), rows.end(), row);
}

DeletionVector DeletionVector::merged_with(std::vector<uint64_t> more) const {
    DeletionVector out{segment_rows, rows};
    out.rows.insert(out.rows.end(), more.begin(), more.end());
    std::sort(out.rows.begin(), out.rows.end());
    out.rows.erase(std::unique(out.rows.begin(), out.rows.end()), out.rows.end());
    return out;
}

std::string write_deletion_vector(const DeletionVector& dv) {
    std::string out(kMagic);
    out.push_back(static_cast<char>(kVersion));
    out.append(3, '\0');
    put_le<uint64_t>(out, dv.segment_rows);
    put_le<uint64_t>(out, dv.rows.size());
    uint64_t next = 0; // the smallest row the next entry may be
    for (uint64_t row : dv.rows) {
        put_varint(out, row - next);
        next = row + 1;
    }
    out += base::sha256_bytes(out);
    return out;
}

Result<DeletionVector> parse_deletion_vector(std::string_view bytes, std::string_view where) {
    auto corrupt = [&](const std::string& why) {
        return Error(kDeletionVectorCorrupt,
                     "corrupt deletion vector " + std::string(where) + ": " + why);
    };
    if (bytes.size() < kHeaderBytes + kChecksumBytes)
        return corrupt("too short (" + std::to_string(bytes.size()) + " bytes)");
    // The checksum first: no field is believed before it verifies.
    std::string_view body = bytes.substr(0, bytes.size() - kChecksumBytes);
    if (base::sha256_bytes(body) != bytes.substr(body.size()))
        return corrupt("bytes [0, " + std::to_string(body.size()) +
                       ") fail their SHA-256 checksum (stored at bytes [" +
                       std::to_string(body.size()) + ", " + std::to_string(bytes.size()) + "))");
    if (bytes.substr(0, 4) != kMagic)
        return corrupt("bad magic at bytes [0, 4)");
    if (static_cast<uint8_t>(bytes[4]) != kVersion)
        return corrupt("unsupported version " + std::to_string(uint8_t(bytes[4])));
    DeletionVector dv;
    dv.segment_rows = get_le<uint64_t>(bytes.data() + 8);
    uint64_t count = get_le<uint64_t>(bytes.data() + 16);
    if (count > dv.segment_rows)
        return corrupt("deletes more rows than the segment holds");
    dv.rows.reserve(count);
    size_t at = kHeaderBytes;
    uint64_t next = 0;
    for (uint64_t i = 0; i < count; ++i) {
        uint64_t gap = 0;
        for (int shift = 0;; shift += 7) {
            if (at >= body.size() || shift > 63)
                return corrupt("truncated row list");
            uint8_t byte = static_cast<uint8_t>(body[at++]);
            gap |= uint64_t(byte & 0x7f) << shift;
            if (!(byte & 0x80))
                break;
        }
        uint64_t row = next + gap;
        if (row < next || row >= dv.segment_rows)
            return corrupt("row " + std::to_string(row) + " is out of range");
        dv.rows.push_back(row);
        next = row + 1;
    }
    if (at != body.size())
        return corrupt("trailing bytes after the row list");
    return dv;
}

} // namespace omnigraph::format
