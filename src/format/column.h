// In-memory columns: the unit the segment writer encodes and the reader decodes. A column holds
// one value per row of one physical type, plus validity (null) flags.
//
// Layout: fixed-width values in `fixed` (little-endian, `width()` bytes per value, including
// null rows, whose bytes are zero); strings and blobs as `offsets` (rows + 1 entries) into
// `bytes`; vectors as fixed-width runs of `dim` f32 in `fixed`; lists as `offsets` (rows + 1,
// counting child items) over a child column. A Blob row may be an external reference: its bytes
// are then the reference's descriptor, not the blob (engine/external_blob.h), and its validity
// byte is 2. Plain value; thread-compatible.
#pragma once

#include "base/error.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::format {

enum class PhysicalKind : uint8_t {
    kBool,
    kI32,
    kI64,
    kU32,
    kU64,
    kF32,
    kF64,
    kDate,
    kDateTime,
    kString,
    kBlob,
    kVector,
    kList
};

struct ColumnType {
    PhysicalKind kind = PhysicalKind::kString;
    uint32_t dim = 0;                       // kVector: values per row
    std::shared_ptr<const ColumnType> item; // kList: the item type (never a list)

    std::string name() const; // "I32", "String", "Vector(4)", "List<I64>"
    size_t width() const;     // bytes per row of fixed-width kinds (vector: 4*dim); 0 otherwise
    bool is_variable() const {
        return kind == PhysicalKind::kString || kind == PhysicalKind::kBlob;
    }
    friend bool operator==(const ColumnType& a, const ColumnType& b);
    static Result<ColumnType> parse(std::string_view name); // inverse of name()
};

ColumnType list_of(ColumnType item);

class Column {
  public:
    explicit Column(ColumnType type) : type_(std::move(type)) {
        if (type_.kind == PhysicalKind::kList || type_.is_variable())
            offsets_.push_back(0);
        if (type_.kind == PhysicalKind::kList)
            child_ = std::make_unique<Column>(*type_.item);
    }
    Column(const Column& other);
    Column& operator=(const Column& other);
    Column(Column&&) noexcept = default;
    Column& operator=(Column&&) noexcept = default;

    const ColumnType& type() const { return type_; }
    size_t size() const { return valid_.size(); }
    size_t null_count() const;
    bool is_null(size_t row) const { return !valid_[row]; }
    bool is_external(size_t row) const { return valid_[row] == kExternal; }

    // Appending. Each call adds one row; the typed ones must match the column's kind.
    void append_null();
    void append_fixed(const void* value);  // width() bytes (fixed kinds, vectors)
    void append_bytes(std::string_view v); // strings, blobs
    // Blobs: a row that refers to bytes stored elsewhere, held as its descriptor.
    void append_external(std::string_view descriptor);
    Column& begin_list();        // lists: then append items to the returned child...
    void end_list(size_t items); // ...and close the row with how many were added
    // Appends row `row` of `other` (same type) as this column's next row.
    void append_row(const Column& other, size_t row);
    // Appends every row of `other` (same type), in bulk.
    void append_column(const Column& other);
    // The rows of `parts` (all of type `type`) one after the other, each buffer sized once:
    // whole columns are built from pages and segments without regrowing (and re-faulting)
    // buffers of hundreds of megabytes.
    static Column concat(ColumnType type, std::vector<Column> parts);
    // Rows [begin, end) as a column of their own, in bulk.
    Column slice(size_t begin, size_t end) const;

    // Reading.
    template <class T> T fixed_at(size_t row) const {
        T v;
        std::memcpy(&v, fixed_.data() + row * sizeof(T), sizeof(T));
        return v;
    }
    const char* fixed_row(size_t row) const { return fixed_.data() + row * type_.width(); }
    // The raw buffers, for loops over a whole column: a byte per row (nonzero: present), and
    // width() bytes per row of fixed-width kinds.
    const uint8_t* validity() const { return valid_.data(); }
    const char* fixed_data() const { return fixed_.data(); }
    std::string_view bytes_at(size_t row) const {
        return std::string_view(bytes_).substr(offsets_[row], offsets_[row + 1] - offsets_[row]);
    }
    size_t list_begin(size_t row) const { return offsets_[row]; }
    size_t list_end(size_t row) const { return offsets_[row + 1]; }
    const Column& child() const { return *child_; }

    friend bool operator==(const Column& a, const Column& b);

  private:
    friend class ColumnCodec;
    static constexpr uint8_t kExternal = 2;
    ColumnType type_;
    std::vector<uint8_t> valid_; // 0 = null, 1 = value present, kExternal = external reference
    std::string fixed_;
    std::vector<uint64_t> offsets_;
    std::string bytes_;
    std::unique_ptr<Column> child_;
};

} // namespace omnigraph::format
