#include "engine/load_input.h"

#include "base/clock.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/ulid.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <simdjson.h>
#include <stdexcept>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

namespace omnigraph::engine {

using base::Json;
using format::Column;
using format::ColumnType;
using format::PhysicalKind;
using schema::PropType;
using schema::ScalarType;

namespace {

constexpr size_t kMaxLineBytes = 32u << 20;
constexpr std::string_view kReserved[] = {"_tombstone",
                                          "_rowid",
                                          "_rowaddr",
                                          "_rowoffset",
                                          "_row_created_at_version",
                                          "_row_last_updated_at_version"};

struct LoadError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const char* arrow_name(const PropType& t) {
    if (t.list)
        return "List";
    switch (t.scalar) {
    case ScalarType::kString:
        return "Utf8";
    case ScalarType::kBool:
        return "Boolean";
    case ScalarType::kI32:
        return "Int32";
    case ScalarType::kI64:
        return "Int64";
    case ScalarType::kU32:
        return "UInt32";
    case ScalarType::kU64:
        return "UInt64";
    case ScalarType::kF32:
        return "Float32";
    case ScalarType::kF64:
        return "Float64";
    case ScalarType::kDate:
        return "Date32";
    case ScalarType::kDateTime:
        return "Date64";
    case ScalarType::kBlob:
        return "Blob";
    case ScalarType::kVector:
        return "FixedSizeList";
    }
    return "?";
}

using simdjson::dom::element;
using simdjson::dom::element_type;

std::string shown(const element& v) {
    std::string s = simdjson::to_string(v);
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

[[noreturn]] void mismatch(const std::string& prop, const PropType& t, const element& v,
                           const std::string& why = {}) {
    throw LoadError("strict property '" + prop + "' expects " + arrow_name(t) + ", got " +
                    shown(v) + (why.empty() ? "" : " (" + why + ")"));
}

template <class T> T checked_integer(const std::string& prop, const PropType& t, const element& v) {
    if (v.type() == element_type::UINT64) {
        uint64_t u = v.get_uint64().value_unsafe();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
            mismatch(prop, t, v, std::string("exceeds ") + arrow_name(t) + " range");
        return static_cast<T>(u);
    }
    if (v.type() == element_type::INT64) {
        int64_t i = v.get_int64().value_unsafe();
        if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            (i > 0 &&
             static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
            mismatch(prop, t, v, std::string("exceeds ") + arrow_name(t) + " range");
        return static_cast<T>(i);
    }
    mismatch(prop, t, v);
}

bool is_number(const element& v) {
    auto type = v.type();
    return type == element_type::INT64 || type == element_type::UINT64 ||
           type == element_type::DOUBLE;
}

std::string_view string_of(const element& v) {
    return v.get_string().value_unsafe();
}

// Appends one non-null value of scalar type `t` (not a list) to `col`.
void append_scalar(Column& col, const std::string& prop, const PropType& t, const element& v) {
    switch (t.scalar) {
    case ScalarType::kString: {
        if (!v.is_string())
            mismatch(prop, t, v);
        std::string_view s = string_of(v);
        if (t.enum_values && !std::binary_search(t.enum_values->begin(), t.enum_values->end(), s)) {
            std::string expected;
            for (const auto& e : *t.enum_values)
                expected += (expected.empty() ? "" : ", ") + e;
            throw LoadError("invalid enum value '" + std::string(s) + "' for property '" + prop +
                            "' (expected: " + expected + ")");
        }
        col.append_bytes(s);
        return;
    }
    case ScalarType::kBool: {
        if (!v.is_bool())
            mismatch(prop, t, v);
        uint8_t b = v.get_bool().value_unsafe() ? 1 : 0;
        col.append_fixed(&b);
        return;
    }
    case ScalarType::kI32: {
        auto x = checked_integer<int32_t>(prop, t, v);
        col.append_fixed(&x);
        return;
    }
    case ScalarType::kI64: {
        auto x = checked_integer<int64_t>(prop, t, v);
        col.append_fixed(&x);
        return;
    }
    case ScalarType::kU32: {
        auto x = checked_integer<uint32_t>(prop, t, v);
        col.append_fixed(&x);
        return;
    }
    case ScalarType::kU64: {
        auto x = checked_integer<uint64_t>(prop, t, v);
        col.append_fixed(&x);
        return;
    }
    case ScalarType::kF32:
    case ScalarType::kF64: {
        if (!is_number(v))
            mismatch(prop, t, v);
        double d = v.get_double().value_unsafe();
        if (!std::isfinite(d) ||
            (t.scalar == ScalarType::kF32 && std::isinf(static_cast<float>(d))))
            mismatch(prop, t, v, "out of range");
        if (t.scalar == ScalarType::kF32) {
            float f = static_cast<float>(d);
            col.append_fixed(&f);
        } else {
            col.append_fixed(&d);
        }
        return;
    }
    case ScalarType::kDate: {
        int32_t days = 0;
        if (v.is_string()) {
            auto parsed = base::parse_epoch_days(string_of(v));
            if (!parsed)
                throw LoadError("invalid Date literal '" + std::string(string_of(v)) +
                                "' for property '" + prop + "' (expected YYYY-MM-DD)");
            days = *parsed;
        } else {
            days = checked_integer<int32_t>(prop, t, v);
        }
        col.append_fixed(&days);
        return;
    }
    case ScalarType::kDateTime: {
        int64_t ms = 0;
        if (v.is_string()) {
            auto parsed = base::parse_epoch_millis(string_of(v));
            if (!parsed)
                throw LoadError("invalid DateTime literal '" + std::string(string_of(v)) +
                                "' for property '" + prop +
                                "' (expected RFC 3339, e.g. 2024-06-01T12:00:00Z)");
            ms = *parsed;
        } else {
            ms = checked_integer<int64_t>(prop, t, v);
        }
        col.append_fixed(&ms);
        return;
    }
    case ScalarType::kBlob: {
        if (!v.is_string())
            mismatch(prop, t, v);
        std::string_view s = string_of(v);
        if (!s.starts_with("base64:"))
            throw LoadError("blob property '" + prop +
                            "' is an external URI; external blob sources are "
                            "not allowed on this path (use \"base64:<data>\")");
        std::string bytes;
        if (!base::base64_decode(s.substr(7), bytes))
            throw LoadError("invalid base64 blob data for property '" + prop + "'");
        col.append_bytes(bytes);
        return;
    }
    case ScalarType::kVector: {
        if (!v.is_array())
            mismatch(prop, t, v);
        simdjson::dom::array items = v.get_array().value_unsafe();
        if (items.size() != t.vector_dim)
            throw LoadError("vector property '" + prop + "' expects " +
                            std::to_string(t.vector_dim) + " dimensions, got " +
                            std::to_string(items.size()));
        std::vector<float> values;
        values.reserve(t.vector_dim);
        for (element x : items) {
            if (!is_number(x))
                throw LoadError("vector property '" + prop + "' has a non-numeric element " +
                                shown(x));
            double d = x.get_double().value_unsafe();
            // Only finite values that fit a float (the conversion is undefined otherwise).
            if (!std::isfinite(d) || std::fabs(d) > 3.5e38 || std::isinf(static_cast<float>(d)))
                throw LoadError("vector property '" + prop +
                                "' has an element out of Float32 range: " + shown(x));
            values.push_back(static_cast<float>(d));
        }
        col.append_fixed(values.data());
        return;
    }
    }
}

// The canonical spelling, for @key ids, of the value just appended to `col` (rendered from the
// stored value, so 1.50 and 1.5 give the same id).
std::string key_spelling(const Column& col, const PropType& t) {
    size_t row = col.size() - 1;
    char buf[32];
    switch (t.scalar) {
    case ScalarType::kString:
        return std::string(col.bytes_at(row));
    case ScalarType::kBool:
        return col.fixed_at<uint8_t>(row) ? "true" : "false";
    case ScalarType::kI32:
    case ScalarType::kDate:
        return std::to_string(col.fixed_at<int32_t>(row));
    case ScalarType::kI64:
    case ScalarType::kDateTime:
        return std::to_string(col.fixed_at<int64_t>(row));
    case ScalarType::kU32:
        return std::to_string(col.fixed_at<uint32_t>(row));
    case ScalarType::kU64:
        return std::to_string(col.fixed_at<uint64_t>(row));
    case ScalarType::kF32: {
        float f = col.fixed_at<float>(row);
        if (f == 0)
            return "0"; // signed zero spells as 0
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
        return std::string(buf, end);
    }
    case ScalarType::kF64: {
        double d = col.fixed_at<double>(row);
        if (d == 0)
            return "0";
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
        return std::string(buf, end);
    }
    case ScalarType::kBlob:
    case ScalarType::kVector:
        return {};
    }
    return {};
}

void append_value(Column& col, const std::string& prop, const PropType& t, const element* v) {
    if (v == nullptr || v->is_null()) {
        if (!t.nullable)
            throw LoadError("non-nullable property '" + prop + "' has null or invalid values");
        col.append_null();
        return;
    }
    if (!t.list) {
        append_scalar(col, prop, t, *v);
        return;
    }
    if (!v->is_array())
        mismatch(prop, t, *v);
    PropType item = t;
    item.list = false;
    item.nullable = false;
    Column& items = col.begin_list();
    size_t count = 0;
    simdjson::dom::array values = v->get_array().value_unsafe();
    for (element x : values) {
        if (x.is_null())
            throw LoadError("strict list property '" + prop + "' contains a null or invalid item");
        append_scalar(items, prop, item, x);
        ++count;
    }
    col.end_list(count);
}

// nlohmann's DOM builder plus a duplicate-key check, driven by the SAX parser. The slow path:
// it runs only on lines simdjson refuses, to give the same error messages as before, and to
// read the integers beyond 64 bits that simdjson refuses and nlohmann reads as doubles.
class StrictDom {
  public:
    explicit StrictDom(Json& root) : dom_(root, true) {}
    std::string duplicate; // the first repeated key, if any

    bool null() { return dom_.null(); }
    bool boolean(bool v) { return dom_.boolean(v); }
    bool number_integer(Json::number_integer_t v) { return dom_.number_integer(v); }
    bool number_unsigned(Json::number_unsigned_t v) { return dom_.number_unsigned(v); }
    bool number_float(Json::number_float_t v, const Json::string_t& s) {
        return dom_.number_float(v, s);
    }
    bool string(Json::string_t& v) { return dom_.string(v); }
    bool binary(Json::binary_t& v) { return dom_.binary(v); }
    bool start_object(std::size_t n) {
        if (keys_.size() <= depth_)
            keys_.emplace_back();
        keys_[depth_++].clear();
        return dom_.start_object(n);
    }
    bool key(Json::string_t& k) {
        if (!keys_[depth_ - 1].insert(k).second && duplicate.empty())
            duplicate = k;
        return dom_.key(k);
    }
    bool end_object() {
        --depth_;
        return dom_.end_object();
    }
    bool start_array(std::size_t n) { return dom_.start_array(n); }
    bool end_array() { return dom_.end_array(); }
    bool parse_error(std::size_t at, const std::string& token,
                     const nlohmann::detail::exception& e) {
        return dom_.parse_error(at, token, e);
    }

  private:
    std::vector<std::unordered_set<std::string>> keys_; // the keys of each open object
    nlohmann::detail::json_sax_dom_parser<Json> dom_;
    size_t depth_ = 0;
};

std::string strict_json_error(uint64_t number, const std::string& what) {
    return "invalid strict JSON at line " + std::to_string(number) + ": " + what;
}

// Parses one line with nlohmann, rejecting duplicate keys at any depth.
Json parse_line_slow(std::string_view line, uint64_t number) {
    try {
        Json j;
        StrictDom dom(j);
        Json::sax_parse(line.begin(), line.end(), &dom);
        if (!dom.duplicate.empty())
            throw LoadError(strict_json_error(number, "duplicate key '" + dom.duplicate + "'"));
        return j;
    } catch (const Json::exception& e) {
        std::string what = e.what();
        if (auto p = what.find("] "); p != std::string::npos)
            what = what.substr(p + 2);
        throw LoadError(strict_json_error(number, what));
    }
}

// The first key repeated within one object of `v`, at any depth, in document order.
std::optional<std::string_view> first_duplicate_key(const element& v) {
    if (v.is_array()) {
        simdjson::dom::array items = v.get_array().value_unsafe();
        for (element x : items)
            if (auto d = first_duplicate_key(x))
                return d;
        return std::nullopt;
    }
    if (!v.is_object())
        return std::nullopt;
    simdjson::dom::object object = v.get_object().value_unsafe();
    // Records are small: a linear scan of the keys seen beats a set, up to a point.
    constexpr size_t kLinear = 16;
    std::string_view seen_small[kLinear];
    std::unordered_set<std::string_view> seen_large;
    size_t seen = 0;
    for (auto field : object) {
        if (seen < kLinear) {
            if (std::find(seen_small, seen_small + seen, field.key) != seen_small + seen)
                return field.key;
            seen_small[seen] = field.key;
        } else {
            if (seen == kLinear)
                seen_large.insert(seen_small, seen_small + kLinear);
            if (!seen_large.insert(field.key).second)
                return field.key;
        }
        ++seen;
        if (auto d = first_duplicate_key(field.value))
            return d;
    }
    return std::nullopt;
}

// Parses lines into a simdjson DOM; one per thread, reused for every line. The element
// returned lives until the next parse.
class LineParser {
  public:
    element parse(std::string_view line, uint64_t number) {
        if (padded_.size() < line.size() + simdjson::SIMDJSON_PADDING)
            padded_.resize(line.size() + simdjson::SIMDJSON_PADDING);
        std::memcpy(padded_.data(), line.data(), line.size());
        element doc;
        if (parser_.parse(padded_.data(), line.size(), false).get(doc) == simdjson::SUCCESS) {
            if (auto d = first_duplicate_key(doc))
                throw LoadError(
                    strict_json_error(number, "duplicate key '" + std::string(*d) + "'"));
            return doc;
        }
        // Refused: nlohmann gives the error message, or reads the line (an integer beyond 64
        // bits becomes a double); its rendering is then what simdjson reads.
        fallback_ = simdjson::padded_string(parse_line_slow(line, number).dump());
        auto error = parser_.parse(fallback_).get(doc);
        if (error != simdjson::SUCCESS)
            throw LoadError(strict_json_error(number, simdjson::error_message(error)));
        return doc;
    }

  private:
    simdjson::dom::parser parser_;
    std::vector<char> padded_;
    simdjson::padded_string fallback_;
};

bool is_reserved(std::string_view key) {
    for (auto r : kReserved)
        if (key == r)
            return true;
    return false;
}

// How the rows of one table are read: a slot per declared property, in catalog order.
struct TablePlan {
    struct Slot {
        const std::string* name;
        const PropType* type;
        Column* column;
        int key_part; // position in the node's @key, or -1
    };
    TableBatch* batch = nullptr;
    const schema::NodeCatalog* node = nullptr; // one of node, edge
    const schema::EdgeCatalog* edge = nullptr;
    std::vector<Slot> slots;
    std::unordered_map<std::string_view, size_t> slot_of; // property name -> slot
    // The current record's value per slot (present[i] = 0: absent).
    std::vector<element> values;
    std::vector<uint8_t> present;
    std::vector<std::string> key_parts;
};

} // namespace

format::ColumnType column_type_of(const PropType& t) {
    ColumnType c;
    switch (t.scalar) {
    case ScalarType::kString:
        c.kind = PhysicalKind::kString;
        break;
    case ScalarType::kBool:
        c.kind = PhysicalKind::kBool;
        break;
    case ScalarType::kI32:
        c.kind = PhysicalKind::kI32;
        break;
    case ScalarType::kI64:
        c.kind = PhysicalKind::kI64;
        break;
    case ScalarType::kU32:
        c.kind = PhysicalKind::kU32;
        break;
    case ScalarType::kU64:
        c.kind = PhysicalKind::kU64;
        break;
    case ScalarType::kF32:
        c.kind = PhysicalKind::kF32;
        break;
    case ScalarType::kF64:
        c.kind = PhysicalKind::kF64;
        break;
    case ScalarType::kDate:
        c.kind = PhysicalKind::kDate;
        break;
    case ScalarType::kDateTime:
        c.kind = PhysicalKind::kDateTime;
        break;
    case ScalarType::kBlob:
        c.kind = PhysicalKind::kBlob;
        break;
    case ScalarType::kVector:
        c.kind = PhysicalKind::kVector;
        c.dim = t.vector_dim;
        break;
    }
    return t.list ? format::list_of(c) : c;
}

namespace {

// Parses the lines of `jsonl` (a run of whole lines starting at input line `first_line`).
// Releases the whole pages of [begin, end) (memory this parse owns and will not read again).
void release_pages(const char* begin, const char* end) {
    static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    uintptr_t from = (reinterpret_cast<uintptr_t>(begin) + page - 1) & ~(page - 1);
    uintptr_t to = reinterpret_cast<uintptr_t>(end) & ~(page - 1);
    if (to > from)
        madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

// Parses the lines of `jsonl` (a run of whole lines starting at input line `first_line`) into
// `batch`, record by record.
class RecordParser {
  public:
    RecordParser(const schema::Catalog& catalog, LoadBatch& batch)
        : catalog_(catalog), batch_(batch) {}

    void parse(std::string_view line, uint64_t number) {
        number_ = number;
        element record = lines_.parse(line, number);
        if (!record.is_object())
            throw LoadError(at() + "graph batch record must be a JSON object");
        simdjson::dom::object fields = record.get_object().value_unsafe();
        std::optional<element> type, edge, from, to, data;
        for (auto field : fields) { // keys are unique here
            if (field.key == "type")
                type = field.value;
            else if (field.key == "edge")
                edge = field.value;
            else if (field.key == "from")
                from = field.value;
            else if (field.key == "to")
                to = field.value;
            else if (field.key == "data")
                data = field.value;
        }
        if (type.has_value() == edge.has_value())
            throw LoadError(at() +
                            "graph batch record must contain exactly one of 'type' or 'edge'");
        for (auto field : fields) {
            std::string_view k = field.key;
            bool allowed = type ? (k == "type" || k == "data")
                                : (k == "edge" || k == "from" || k == "to" || k == "data");
            if (!allowed)
                throw LoadError(at() + "unknown top-level graph batch field '" + std::string(k) +
                                "'");
        }
        if (data && !data->is_object())
            throw LoadError(at() + "graph batch field 'data' must be an object");
        if (type)
            node_record(*type, data);
        else
            edge_record(*edge, from, to, data);
        ++batch_.rows;
    }

  private:
    std::string at() const { return "line " + std::to_string(number_) + ": "; }

    void node_record(const element& type, const std::optional<element>& data) {
        if (!type.is_string())
            throw LoadError(at() + "graph batch field 'type' must be a string");
        std::string_view type_name = string_of(type);
        TablePlan& plan = plan_for(node_plans_, type_name, false);
        const schema::NodeCatalog& node = *plan.node;
        std::optional<element> id_value = read_fields(plan, data);
        size_t keys = 0;
        for (size_t i = 0; i < plan.slots.size(); ++i) {
            const auto& slot = plan.slots[i];
            const element* v = plan.present[i] ? &plan.values[i] : nullptr;
            append_value(*slot.column, *slot.name, *slot.type, v);
            if (slot.key_part >= 0 && v && !v->is_null()) {
                plan.key_parts[slot.key_part] = key_spelling(*slot.column, *slot.type);
                ++keys;
            }
        }
        std::optional<std::string_view> explicit_id = id_of(id_value, "node " + node.name);
        TableBatch& t = *plan.batch;
        if (node.key) {
            if (keys != node.key->size())
                throw LoadError("node " + node.name + " is missing a non-null @key value");
            std::string id;
            if (node.key->size() == 1) {
                id = std::move(plan.key_parts[0]);
            } else {
                Json parts = Json::array();
                for (const auto& part : plan.key_parts) // the @key's order
                    parts.push_back(part);
                id = base::to_compact_json(parts);
            }
            if (explicit_id && *explicit_id != id)
                throw LoadError("node " + node.name + " explicit id '" + std::string(*explicit_id) +
                                "' does not match its canonical @key id '" + id + "'");
            t.ids.push_back(id);
        } else {
            t.ids.push_back(explicit_id ? *explicit_id : std::string_view(base::new_ulid()));
        }
        t.lines.push_back(number_);
        t.explicit_ids.push_back(node.key.has_value() || explicit_id.has_value());
    }

    void edge_record(const element& edge, const std::optional<element>& from,
                     const std::optional<element>& to, const std::optional<element>& data) {
        const std::pair<const char*, const element*> required[] = {
            {"edge", &edge}, {"from", from ? &*from : nullptr}, {"to", to ? &*to : nullptr}};
        for (auto [name, value] : required) {
            if (!value)
                throw LoadError(at() + "edge record is missing '" + name + "'");
            if (!value->is_string())
                throw LoadError(at() + "graph batch field '" + name + "' must be a string");
        }
        TablePlan& plan = plan_for(edge_plans_, string_of(edge), true);
        std::optional<element> id_value = read_fields(plan, data);
        for (size_t i = 0; i < plan.slots.size(); ++i) {
            const auto& slot = plan.slots[i];
            append_value(*slot.column, *slot.name, *slot.type,
                         plan.present[i] ? &plan.values[i] : nullptr);
        }
        std::optional<std::string_view> explicit_id = id_of(id_value, "edge " + plan.edge->name);
        TableBatch& t = *plan.batch;
        // No id given: minted when the row is written (encode_table), so a large batch does not
        // hold a ULID per edge.
        t.ids.push_back(explicit_id.value_or(std::string_view()));
        t.src.push_back(string_of(*from));
        t.dst.push_back(string_of(*to));
        t.lines.push_back(number_);
        t.explicit_ids.push_back(explicit_id.has_value());
    }

    // The table plan of a node or edge type named `name` in the input.
    TablePlan& plan_for(std::map<std::string, TablePlan, std::less<>>& plans, std::string_view name,
                        bool is_edge) {
        if (auto it = plans.find(name); it != plans.end())
            return it->second;
        TablePlan plan;
        std::string key;
        const std::map<std::string, PropType>* properties = nullptr;
        const std::map<std::string, uint64_t>* property_ids = nullptr;
        if (is_edge) {
            plan.edge = catalog_.find_edge(name);
            if (!plan.edge)
                throw LoadError(at() + "unknown edge type '" + std::string(name) + "'");
            key = "edge:" + plan.edge->name;
            properties = &plan.edge->properties;
            property_ids = &plan.edge->property_ids;
        } else {
            plan.node = catalog_.find_node(name);
            if (!plan.node)
                throw LoadError(at() + "unknown node type '" + std::string(name) + "'");
            key = "node:" + plan.node->name;
            properties = &plan.node->properties;
            property_ids = &plan.node->property_ids;
        }
        auto [table, inserted] = batch_.tables.try_emplace(key);
        if (inserted) {
            static_cast<TableData&>(table->second) =
                TableData::empty(is_edge, *properties, *property_ids);
            table->second.table_key = key;
        }
        plan.batch = &table->second;
        for (const auto& [prop, type] : *properties) {
            int key_part = -1;
            if (plan.node && plan.node->key) {
                const auto& k = *plan.node->key;
                if (auto at = std::find(k.begin(), k.end(), prop); at != k.end())
                    key_part = int(at - k.begin());
            }
            plan.slot_of.emplace(prop, plan.slots.size());
            plan.slots.push_back(
                {&prop, &type, &plan.batch->columns.at(property_ids->at(prop)), key_part});
        }
        plan.values.resize(plan.slots.size());
        plan.present.resize(plan.slots.size());
        if (plan.node && plan.node->key)
            plan.key_parts.resize(plan.node->key->size());
        return plans.emplace(std::string(name), std::move(plan)).first->second;
    }

    // Sorts the fields of `data` into the plan's slots; returns the value of "id", if any.
    // Errors, in this order: an edge's structural fields, reserved names, unknown fields.
    std::optional<element> read_fields(TablePlan& plan, const std::optional<element>& data) {
        std::fill(plan.present.begin(), plan.present.end(), 0);
        std::optional<element> id;
        if (!data)
            return id;
        const std::string& key = plan.batch->table_key;
        std::optional<std::string_view> reserved, unknown;
        simdjson::dom::object fields = data->get_object().value_unsafe();
        for (auto field : fields) {
            std::string_view k = field.key;
            if (plan.edge && (k == "src" || k == "dst"))
                throw LoadError(at() + "edge data field '" + std::string(k) +
                                "' is reserved structural state");
            if (is_reserved(k)) {
                reserved = reserved.value_or(k);
                continue;
            }
            if (k == "id")
                id = field.value;
            if (auto slot = plan.slot_of.find(k); slot != plan.slot_of.end()) {
                plan.values[slot->second] = field.value;
                plan.present[slot->second] = 1;
            } else if (k != "id") {
                unknown = unknown.value_or(k);
            }
        }
        if (reserved)
            throw LoadError("input field '" + std::string(*reserved) +
                            "' is reserved physical state (" + key + ")");
        if (unknown)
            throw LoadError("unknown input field '" + std::string(*unknown) + "' for '" + key +
                            "'");
        return id;
    }

    // The explicit id of a record: data.id when present and not null.
    static std::optional<std::string_view> id_of(const std::optional<element>& id,
                                                 const std::string& what) {
        if (!id || id->is_null())
            return std::nullopt;
        if (!id->is_string())
            throw LoadError(what + " id must be a string");
        return string_of(*id);
    }

    const schema::Catalog& catalog_;
    LoadBatch& batch_;
    LineParser lines_;
    uint64_t number_ = 0;
    std::map<std::string, TablePlan, std::less<>> node_plans_, edge_plans_; // by input type name
};

// Parses the lines of `jsonl` (a run of whole lines starting at input line `first_line`).
Result<LoadBatch> parse_lines(std::string_view jsonl, uint64_t first_line,
                              const schema::Catalog& catalog, std::string_view file,
                              const ParseProgress& progress, bool release_consumed) {
    constexpr size_t kReleaseEvery = size_t(8) << 20;
    size_t released = 0;
    LoadBatch batch;
    RecordParser records(catalog, batch);
    uint64_t number = first_line - 1;
    size_t pos = 0;
    try {
        while (pos <= jsonl.size()) {
            size_t end = jsonl.find('\n', pos);
            if (end == std::string_view::npos)
                end = jsonl.size();
            std::string_view line = jsonl.substr(pos, end - pos);
            pos = end + 1;
            ++number;
            if (progress && number % kProgressLines == 0)
                progress(batch.rows, std::min(pos, jsonl.size()));
            // Lines before this one are parsed: their pages can go (never this line's).
            size_t line_start = static_cast<size_t>(line.data() - jsonl.data());
            if (release_consumed && line_start - released >= kReleaseEvery) {
                release_pages(jsonl.data() + released, jsonl.data() + line_start);
                released = line_start;
            }
            if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
                if (end == jsonl.size())
                    break;
                continue;
            }
            try {
                if (line.size() > kMaxLineBytes)
                    throw LoadError("line " + std::to_string(number) +
                                    ": resource limit exceeded for "
                                    "graph_batch_line_bytes: actual " +
                                    std::to_string(line.size()) + ", limit " +
                                    std::to_string(kMaxLineBytes));
                records.parse(line, number);
            } catch (const LoadError& e) {
                return Error(kInvalidLoadInput, e.what(),
                             SourceLocation{std::string(file), int(number), 1});
            }
            if (end == jsonl.size())
                break;
        }
    } catch (const std::exception& e) {
        return Error(kInvalidLoadInput, std::string("invalid load input: ") + e.what(),
                     SourceLocation{std::string(file), int(number), 1});
    }
    return batch;
}

// Appends `more` (parsed from later lines) to `into`.
void append_batch(LoadBatch& into, LoadBatch&& more) {
    into.rows += more.rows;
    for (auto& [key, part] : more.tables) {
        auto [it, inserted] = into.tables.try_emplace(key, std::move(part));
        if (inserted)
            continue;
        TableBatch& t = it->second;
        t.ids.append(part.ids);
        t.src.append(part.src);
        t.dst.append(part.dst);
        t.lines.insert(t.lines.end(), part.lines.begin(), part.lines.end());
        t.explicit_ids.insert(t.explicit_ids.end(), part.explicit_ids.begin(),
                              part.explicit_ids.end());
        for (auto& [id, column] : t.columns)
            column.append_column(part.columns.at(id));
    }
}

Result<LoadBatch> parse_input(std::string_view jsonl, const schema::Catalog& catalog,
                              std::string_view file, const ParseProgress& progress,
                              bool release_consumed) {
    // Large inputs are cut at line boundaries and parsed on several threads; the parts are then
    // concatenated in input order, and the error reported is the one on the earliest line.
    constexpr size_t kMinBytesPerPart = size_t(4) << 20;
    size_t parts = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), 8);
    parts = std::max<size_t>(1, std::min(parts, jsonl.size() / kMinBytesPerPart));
    if (parts == 1)
        return parse_lines(jsonl, 1, catalog, file, progress, release_consumed);
    std::vector<std::pair<size_t, uint64_t>> starts{{0, 1}}; // byte offset, first line
    for (size_t i = 1; i < parts; ++i) {
        size_t at = jsonl.find('\n', jsonl.size() * i / parts);
        if (at == std::string_view::npos || at + 1 <= starts.back().first)
            break;
        auto [prev, prev_line] = starts.back();
        uint64_t lines = std::count(jsonl.begin() + prev, jsonl.begin() + at + 1, '\n');
        starts.emplace_back(at + 1, prev_line + lines);
    }
    std::vector<std::optional<Result<LoadBatch>>> results(starts.size());
    ParseProgress scaled;
    if (progress) // the first part speaks for all: the parts are of similar size
        scaled = [&](uint64_t rows, uint64_t bytes) {
            progress(rows * starts.size(), std::min<uint64_t>(bytes * starts.size(), jsonl.size()));
        };
    std::vector<std::thread> workers;
    for (size_t i = 0; i < starts.size(); ++i) {
        size_t end = i + 1 < starts.size() ? starts[i + 1].first : jsonl.size();
        std::string_view part = jsonl.substr(starts[i].first, end - starts[i].first);
        auto work = [&, i, part] {
            results[i] = parse_lines(part, starts[i].second, catalog, file,
                                     i == 0 ? scaled : ParseProgress(), release_consumed);
        };
        if (i + 1 == starts.size())
            work(); // this thread takes the last part
        else
            workers.emplace_back(work);
    }
    for (auto& w : workers)
        w.join();
    for (auto& r : results)
        if (!*r)
            return r->error();
    LoadBatch batch = std::move(**results[0]);
    for (size_t i = 1; i < results.size(); ++i)
        append_batch(batch, std::move(**results[i]));
    return batch;
}

} // namespace

Result<LoadBatch> parse_load_input(std::string_view jsonl, const schema::Catalog& catalog,
                                   std::string_view file, const ParseProgress& progress) {
    return parse_input(jsonl, catalog, file, progress, false);
}

Result<LoadBatch> parse_load_input_consuming(std::string& jsonl, const schema::Catalog& catalog,
                                             std::string_view file, const ParseProgress& progress) {
    return parse_input(jsonl, catalog, file, progress, true);
}

} // namespace omnigraph::engine
