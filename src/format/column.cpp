#include "format/column.h"

#include <cstring>

namespace omnigraph::format {
namespace {

struct KindName {
    PhysicalKind kind;
    std::string_view name;
    size_t width;
};

constexpr KindName kKinds[] = {
    {PhysicalKind::kBool, "Bool", 1},         {PhysicalKind::kI32, "I32", 4},
    {PhysicalKind::kI64, "I64", 8},           {PhysicalKind::kU32, "U32", 4},
    {PhysicalKind::kU64, "U64", 8},           {PhysicalKind::kF32, "F32", 4},
    {PhysicalKind::kF64, "F64", 8},           {PhysicalKind::kDate, "Date", 4},
    {PhysicalKind::kDateTime, "DateTime", 8}, {PhysicalKind::kString, "String", 0},
    {PhysicalKind::kBlob, "Blob", 0},
};

} // namespace

ColumnType list_of(ColumnType item) {
    ColumnType t;
    t.kind = PhysicalKind::kList;
    t.item = std::make_shared<const ColumnType>(std::move(item));
    return t;
}

std::string ColumnType::name() const {
    if (kind == PhysicalKind::kVector)
        return "Vector(" + std::to_string(dim) + ")";
    if (kind == PhysicalKind::kList)
        return "List<" + item->name() + ">";
    for (const auto& k : kKinds)
        if (k.kind == kind)
            return std::string(k.name);
    return "?";
}

size_t ColumnType::width() const {
    if (kind == PhysicalKind::kVector)
        return 4 * size_t(dim);
    for (const auto& k : kKinds)
        if (k.kind == kind)
            return k.width;
    return 0;
}

bool operator==(const ColumnType& a, const ColumnType& b) {
    if (a.kind != b.kind || a.dim != b.dim)
        return false;
    if (a.kind == PhysicalKind::kList)
        return *a.item == *b.item;
    return true;
}

Result<ColumnType> ColumnType::parse(std::string_view name) {
    ColumnType t;
    if (name.starts_with("List<") && name.ends_with(">")) {
        std::string_view inner = name.substr(5, name.size() - 6);
        if (inner.starts_with("List<")) // refuse before recursing: no stack depth from input
            return Error("segment_corrupt",
                         "nested list column type '" + std::string(name.substr(0, 64)) + "'");
        return list_of(OG_TRY(parse(inner)));
    }
    if (name.starts_with("Vector(") && name.ends_with(")")) {
        std::string digits(name.substr(7, name.size() - 8));
        if (digits.empty() || digits.size() > 10 ||
            digits.find_first_not_of("0123456789") != std::string::npos)
            return Error("segment_corrupt", "bad vector column type '" + std::string(name) + "'");
        uint64_t dim = std::stoull(digits);
        if (dim == 0 || dim > 2147483647)
            return Error("segment_corrupt", "bad vector dimension in '" + std::string(name) + "'");
        t.kind = PhysicalKind::kVector;
        t.dim = static_cast<uint32_t>(dim);
        return t;
    }
    for (const auto& k : kKinds)
        if (k.name == name) {
            t.kind = k.kind;
            return t;
        }
    return Error("segment_corrupt", "unknown column type '" + std::string(name) + "'");
}

Column::Column(const Column& other)
    : type_(other.type_), valid_(other.valid_), fixed_(other.fixed_), offsets_(other.offsets_),
      bytes_(other.bytes_),
      child_(other.child_ ? std::make_unique<Column>(*other.child_) : nullptr) {}

Column& Column::operator=(const Column& other) {
    if (this != &other) {
        Column copy(other);
        *this = std::move(copy);
    }
    return *this;
}

size_t Column::null_count() const {
    size_t n = 0;
    for (uint8_t v : valid_)
        n += v == 0;
    return n;
}

void Column::append_null() {
    valid_.push_back(0);
    if (type_.kind == PhysicalKind::kList || type_.is_variable())
        offsets_.push_back(offsets_.back());
    else
        fixed_.append(type_.width(), '\0');
}

void Column::append_fixed(const void* value) {
    valid_.push_back(1);
    fixed_.append(static_cast<const char*>(value), type_.width());
}

void Column::append_bytes(std::string_view v) {
    valid_.push_back(1);
    bytes_.append(v);
    offsets_.push_back(bytes_.size());
}

void Column::append_external(std::string_view descriptor) {
    append_bytes(descriptor);
    valid_.back() = kExternal;
}

Column& Column::begin_list() {
    return *child_;
}

void Column::end_list(size_t items) {
    valid_.push_back(1);
    offsets_.push_back(offsets_.back() + items);
}

void Column::append_row(const Column& other, size_t row) {
    if (other.is_null(row)) {
        append_null();
        return;
    }
    if (type_.kind == PhysicalKind::kList) {
        Column& items = begin_list();
        for (size_t i = other.list_begin(row); i < other.list_end(row); ++i)
            items.append_row(other.child(), i);
        end_list(other.list_end(row) - other.list_begin(row));
    } else if (type_.is_variable()) {
        append_bytes(other.bytes_at(row));
        valid_.back() = other.valid_[row];
    } else {
        append_fixed(other.fixed_row(row));
    }
}

void Column::append_column(const Column& other) {
    valid_.insert(valid_.end(), other.valid_.begin(), other.valid_.end());
    if (type_.kind == PhysicalKind::kList || type_.is_variable()) {
        uint64_t base = offsets_.back();
        for (size_t i = 1; i < other.offsets_.size(); ++i)
            offsets_.push_back(base + other.offsets_[i]);
        if (type_.kind == PhysicalKind::kList)
            child_->append_column(*other.child_);
        else
            bytes_ += other.bytes_;
    } else {
        fixed_ += other.fixed_;
    }
}

Column Column::concat(ColumnType type, std::vector<Column> parts) {
    if (parts.size() == 1 && parts[0].type() == type)
        return std::move(parts[0]);
    Column out(std::move(type));
    size_t rows = 0, fixed = 0, bytes = 0;
    for (const auto& p : parts) {
        rows += p.valid_.size();
        fixed += p.fixed_.size();
        bytes += p.bytes_.size();
    }
    out.valid_.reserve(rows);
    if (!out.offsets_.empty())
        out.offsets_.reserve(rows + 1);
    out.fixed_.reserve(fixed);
    out.bytes_.reserve(bytes);
    for (auto& p : parts) {
        out.append_column(p);
        p = Column(p.type()); // freed as it goes: the peak is the whole plus one part
    }
    return out;
}

Column Column::slice(size_t begin, size_t end) const {
    Column out(type_);
    out.valid_.assign(valid_.begin() + static_cast<long>(begin),
                      valid_.begin() + static_cast<long>(end));
    if (type_.kind == PhysicalKind::kList || type_.is_variable()) {
        uint64_t base = offsets_[begin];
        out.offsets_.reserve(end - begin + 1);
        for (size_t i = begin + 1; i <= end; ++i)
            out.offsets_.push_back(offsets_[i] - base);
        if (type_.kind == PhysicalKind::kList)
            *out.child_ = child_->slice(base, offsets_[end]);
        else
            out.bytes_ = bytes_.substr(base, offsets_[end] - base);
    } else {
        size_t w = type_.width();
        out.fixed_ = fixed_.substr(begin * w, (end - begin) * w);
    }
    return out;
}

bool operator==(const Column& a, const Column& b) {
    if (!(a.type_ == b.type_) || a.valid_ != b.valid_ || a.fixed_ != b.fixed_ ||
        a.offsets_ != b.offsets_ || a.bytes_ != b.bytes_)
        return false;
    if (a.child_ || b.child_)
        return a.child_ && b.child_ && *a.child_ == *b.child_;
    return true;
}

} // namespace omnigraph::format
