#include "engine/load_input.h"

#include "base/clock.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/ulid.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

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

std::string shown(const Json& v) {
    std::string s = base::to_compact_json(v);
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

[[noreturn]] void mismatch(const std::string& prop, const PropType& t, const Json& v,
                           const std::string& why = {}) {
    throw LoadError("strict property '" + prop + "' expects " + arrow_name(t) + ", got " +
                    shown(v) + (why.empty() ? "" : " (" + why + ")"));
}

// Days since 1970-01-01 of "YYYY-MM-DD".
std::optional<int32_t> parse_date(std::string_view s) {
    using namespace std::chrono;
    int y = 0;
    unsigned m = 0, d = 0;
    if (s.size() != 10 || s[4] != '-' || s[7] != '-')
        return std::nullopt;
    auto num = [&](size_t pos, size_t n, auto& out) {
        auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, out);
        return ec == std::errc() && p == s.data() + pos + n;
    };
    if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d))
        return std::nullopt;
    year_month_day ymd{year{y}, month{m}, day{d}};
    if (!ymd.ok())
        return std::nullopt;
    return static_cast<int32_t>(sys_days{ymd}.time_since_epoch().count());
}

template <class T> T checked_integer(const std::string& prop, const PropType& t, const Json& v) {
    if (v.is_number_unsigned()) {
        uint64_t u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max()))
            mismatch(prop, t, v, std::string("exceeds ") + arrow_name(t) + " range");
        return static_cast<T>(u);
    }
    if (v.is_number_integer()) {
        int64_t i = v.get<int64_t>();
        if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            (i > 0 &&
             static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
            mismatch(prop, t, v, std::string("exceeds ") + arrow_name(t) + " range");
        return static_cast<T>(i);
    }
    mismatch(prop, t, v);
}

// Appends one non-null value of scalar type `t` (not a list) to `col`; returns its canonical
// key spelling (for @key ids).
std::string append_scalar(Column& col, const std::string& prop, const PropType& t, const Json& v) {
    switch (t.scalar) {
    case ScalarType::kString: {
        if (!v.is_string())
            mismatch(prop, t, v);
        const auto& s = v.get_ref<const std::string&>();
        if (t.enum_values && !std::binary_search(t.enum_values->begin(), t.enum_values->end(), s)) {
            std::string expected;
            for (const auto& e : *t.enum_values)
                expected += (expected.empty() ? "" : ", ") + e;
            throw LoadError("invalid enum value '" + s + "' for property '" + prop +
                            "' (expected: " + expected + ")");
        }
        col.append_bytes(s);
        return s;
    }
    case ScalarType::kBool: {
        if (!v.is_boolean())
            mismatch(prop, t, v);
        uint8_t b = v.get<bool>() ? 1 : 0;
        col.append_fixed(&b);
        return b ? "true" : "false";
    }
    case ScalarType::kI32: {
        auto x = checked_integer<int32_t>(prop, t, v);
        col.append_fixed(&x);
        return std::to_string(x);
    }
    case ScalarType::kI64: {
        auto x = checked_integer<int64_t>(prop, t, v);
        col.append_fixed(&x);
        return std::to_string(x);
    }
    case ScalarType::kU32: {
        auto x = checked_integer<uint32_t>(prop, t, v);
        col.append_fixed(&x);
        return std::to_string(x);
    }
    case ScalarType::kU64: {
        auto x = checked_integer<uint64_t>(prop, t, v);
        col.append_fixed(&x);
        return std::to_string(x);
    }
    case ScalarType::kF32:
    case ScalarType::kF64: {
        if (!v.is_number())
            mismatch(prop, t, v);
        double d = v.get<double>();
        if (!std::isfinite(d) ||
            (t.scalar == ScalarType::kF32 && std::isinf(static_cast<float>(d))))
            mismatch(prop, t, v, "out of range");
        char buf[32];
        if (t.scalar == ScalarType::kF32) {
            float f = static_cast<float>(d);
            col.append_fixed(&f);
            if (f == 0)
                return "0"; // signed zero spells as 0
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
            return std::string(buf, end);
        }
        col.append_fixed(&d);
        if (d == 0)
            return "0";
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
        return std::string(buf, end);
    }
    case ScalarType::kDate: {
        int32_t days = 0;
        if (v.is_string()) {
            auto parsed = parse_date(v.get_ref<const std::string&>());
            if (!parsed)
                throw LoadError("invalid Date literal '" + v.get<std::string>() +
                                "' for property '" + prop + "' (expected YYYY-MM-DD)");
            days = *parsed;
        } else {
            days = checked_integer<int32_t>(prop, t, v);
        }
        col.append_fixed(&days);
        return std::to_string(days);
    }
    case ScalarType::kDateTime: {
        int64_t ms = 0;
        if (v.is_string()) {
            auto parsed = base::parse_rfc3339(v.get_ref<const std::string&>());
            if (!parsed)
                throw LoadError("invalid DateTime literal '" + v.get<std::string>() +
                                "' for property '" + prop +
                                "' (expected RFC 3339, e.g. 2024-06-01T12:00:00Z)");
            int64_t micros = base::unix_micros(*parsed);
            ms = micros / 1000 - (micros % 1000 < 0 ? 1 : 0); // floor, also before 1970
        } else {
            ms = checked_integer<int64_t>(prop, t, v);
        }
        col.append_fixed(&ms);
        return std::to_string(ms);
    }
    case ScalarType::kBlob: {
        if (!v.is_string())
            mismatch(prop, t, v);
        const auto& s = v.get_ref<const std::string&>();
        if (!s.starts_with("base64:"))
            throw LoadError("blob property '" + prop +
                            "' is an external URI; external blob sources are "
                            "not allowed on this path (use \"base64:<data>\")");
        std::string bytes;
        if (!base::base64_decode(std::string_view(s).substr(7), bytes))
            throw LoadError("invalid base64 blob data for property '" + prop + "'");
        col.append_bytes(bytes);
        return {};
    }
    case ScalarType::kVector: {
        if (!v.is_array())
            mismatch(prop, t, v);
        if (v.size() != t.vector_dim)
            throw LoadError("vector property '" + prop + "' expects " +
                            std::to_string(t.vector_dim) + " dimensions, got " +
                            std::to_string(v.size()));
        std::vector<float> values;
        for (const auto& x : v) {
            if (!x.is_number())
                throw LoadError("vector property '" + prop + "' has a non-numeric element " +
                                shown(x));
            double d = x.get<double>();
            // Only finite values that fit a float (the conversion is undefined otherwise).
            if (!std::isfinite(d) || std::fabs(d) > 3.5e38 || std::isinf(static_cast<float>(d)))
                throw LoadError("vector property '" + prop +
                                "' has an element out of Float32 range: " + shown(x));
            values.push_back(static_cast<float>(d));
        }
        col.append_fixed(values.data());
        return {};
    }
    }
    return {};
}

void append_value(Column& col, const std::string& prop, const PropType& t, const Json* v) {
    if (v == nullptr || v->is_null()) {
        if (!t.nullable)
            throw LoadError("non-nullable property '" + prop + "' has null or invalid values");
        col.append_null();
        return;
    }
    if (!t.list) {
        (void)append_scalar(col, prop, t, *v);
        return;
    }
    if (!v->is_array())
        mismatch(prop, t, *v);
    PropType item = t;
    item.list = false;
    item.nullable = false;
    Column& items = col.begin_list();
    for (const auto& x : *v) {
        if (x.is_null())
            throw LoadError("strict list property '" + prop + "' contains a null or invalid item");
        (void)append_scalar(items, prop, item, x);
    }
    col.end_list(v->size());
}

// nlohmann's DOM builder plus a duplicate-key check, driven by the SAX parser: the same DOM and
// errors as Json::parse with a callback, without a std::function call per token.
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
        if (keys().size() <= depth_)
            keys().emplace_back();
        keys()[depth_++].clear();
        return dom_.start_object(n);
    }
    bool key(Json::string_t& k) {
        auto& open = keys()[depth_ - 1]; // records are small: a linear scan beats a set
        if (std::find(open.begin(), open.end(), k) != open.end()) {
            if (duplicate.empty())
                duplicate = k;
        } else {
            open.push_back(k);
        }
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
    // The keys of each open object, reused across lines to spare allocations.
    static std::vector<std::vector<std::string>>& keys() {
        thread_local std::vector<std::vector<std::string>> k;
        return k;
    }
    nlohmann::detail::json_sax_dom_parser<Json> dom_;
    size_t depth_ = 0;
};

// Parses one line, rejecting duplicate keys at any depth.
Json parse_line(std::string_view line, uint64_t number) {
    try {
        Json j;
        StrictDom dom(j);
        Json::sax_parse(line.begin(), line.end(), &dom);
        if (!dom.duplicate.empty())
            throw LoadError("invalid strict JSON at line " + std::to_string(number) +
                            ": duplicate key '" + dom.duplicate + "'");
        return j;
    } catch (const Json::exception& e) {
        std::string what = e.what();
        if (auto p = what.find("] "); p != std::string::npos)
            what = what.substr(p + 2);
        throw LoadError("invalid strict JSON at line " + std::to_string(number) + ": " + what);
    }
}

void check_reserved(const Json& data, const std::string& table_key) {
    for (const auto& [k, v] : data.items())
        for (auto r : kReserved)
            if (k == r)
                throw LoadError("input field '" + k + "' is reserved physical state (" + table_key +
                                ")");
}

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

Result<LoadBatch> parse_lines(std::string_view jsonl, uint64_t first_line,
                              const schema::Catalog& catalog, std::string_view file,
                              const ParseProgress& progress, bool release_consumed) {
    constexpr size_t kReleaseEvery = size_t(8) << 20;
    size_t released = 0;
    LoadBatch batch;
    uint64_t number = first_line - 1;
    size_t pos = 0;
    auto table_for = [&](const std::string& key, bool edge,
                         const std::map<std::string, PropType>& props,
                         const std::map<std::string, uint64_t>& ids) -> TableBatch& {
        auto [it, inserted] = batch.tables.try_emplace(key);
        if (inserted) {
            static_cast<TableData&>(it->second) = TableData::empty(edge, props, ids);
            it->second.table_key = key;
        }
        return it->second;
    };
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
                Json record = parse_line(line, number);
                std::string at = "line " + std::to_string(number) + ": ";
                if (!record.is_object())
                    throw LoadError(at + "graph batch record must be a JSON object");
                bool has_type = record.contains("type"), has_edge = record.contains("edge");
                if (has_type == has_edge)
                    throw LoadError(
                        at + "graph batch record must contain exactly one of 'type' or 'edge'");
                for (const auto& [k, v] : record.items()) {
                    bool allowed = has_type
                                       ? (k == "type" || k == "data")
                                       : (k == "edge" || k == "from" || k == "to" || k == "data");
                    if (!allowed)
                        throw LoadError(at + "unknown top-level graph batch field '" + k + "'");
                }
                static const Json kNoData = Json::object();
                const Json* data_object = &kNoData;
                if (record.contains("data")) {
                    if (!record["data"].is_object())
                        throw LoadError(at + "graph batch field 'data' must be an object");
                    data_object = &record["data"];
                }
                const Json& data = *data_object; // no copy: rows are parsed once, here
                if (has_type) {
                    if (!record["type"].is_string())
                        throw LoadError(at + "graph batch field 'type' must be a string");
                    std::string type = record["type"].get<std::string>();
                    const schema::NodeCatalog* node = catalog.find_node(type);
                    if (!node)
                        throw LoadError(at + "unknown node type '" + type + "'");
                    std::string key = "node:" + node->name;
                    check_reserved(data, key);
                    for (const auto& [k, v] : data.items())
                        if (k != "id" && !node->properties.count(k))
                            throw LoadError("unknown input field '" + k + "' for '" + key + "'");
                    TableBatch& t = table_for(key, false, node->properties, node->property_ids);
                    std::map<std::string, std::string> key_spelling;
                    for (const auto& [name, type_of] : node->properties) {
                        Column& col = t.columns.at(node->property_ids.at(name));
                        auto found = data.find(name); // one lookup, not contains + []
                        const Json* v = found != data.end() ? &*found : nullptr;
                        append_value(col, name, type_of, v);
                        if (node->key &&
                            std::find(node->key->begin(), node->key->end(), name) !=
                                node->key->end() &&
                            v && !v->is_null()) {
                            // Re-render from the stored value for a canonical spelling.
                            Column scratch(column_type_of(type_of));
                            key_spelling[name] = append_scalar(scratch, name, type_of, *v);
                        }
                    }
                    std::optional<std::string> explicit_id;
                    if (data.contains("id") && !data["id"].is_null()) {
                        if (!data["id"].is_string())
                            throw LoadError("node " + node->name + " id must be a string");
                        explicit_id = data["id"].get<std::string>();
                    }
                    std::string id;
                    if (node->key) {
                        if (key_spelling.size() != node->key->size())
                            throw LoadError("node " + node->name +
                                            " is missing a non-null @key value");
                        if (node->key->size() == 1) {
                            id = key_spelling.at(node->key->front());
                        } else {
                            Json parts = Json::array();
                            for (const auto& k : *node->key) // stable property id order
                                parts.push_back(key_spelling.at(k));
                            id = base::to_compact_json(parts);
                        }
                        if (explicit_id && *explicit_id != id)
                            throw LoadError("node " + node->name + " explicit id '" + *explicit_id +
                                            "' does not match its canonical @key id '" + id + "'");
                    } else {
                        id = explicit_id ? *explicit_id : base::new_ulid();
                    }
                    t.ids.push_back(id);
                    t.lines.push_back(number);
                    t.explicit_ids.push_back(node->key.has_value() || explicit_id.has_value());
                } else {
                    for (const char* f : {"edge", "from", "to"}) {
                        if (!record.contains(f))
                            throw LoadError(at + "edge record is missing '" + f + "'");
                        if (!record[f].is_string())
                            throw LoadError(at + "graph batch field '" + f + "' must be a string");
                    }
                    std::string name = record["edge"].get<std::string>();
                    const schema::EdgeCatalog* edge = catalog.find_edge(name);
                    if (!edge)
                        throw LoadError(at + "unknown edge type '" + name + "'");
                    std::string key = "edge:" + edge->name;
                    for (const char* f : {"src", "dst"})
                        if (data.contains(f))
                            throw LoadError(at + "edge data field '" + f +
                                            "' is reserved structural state");
                    check_reserved(data, key);
                    for (const auto& [k, v] : data.items())
                        if (k != "id" && !edge->properties.count(k))
                            throw LoadError("unknown input field '" + k + "' for '" + key + "'");
                    TableBatch& t = table_for(key, true, edge->properties, edge->property_ids);
                    for (const auto& [pname, type_of] : edge->properties) {
                        auto found = data.find(pname);
                        append_value(t.columns.at(edge->property_ids.at(pname)), pname, type_of,
                                     found != data.end() ? &*found : nullptr);
                    }
                    std::optional<std::string> explicit_id;
                    if (data.contains("id") && !data["id"].is_null()) {
                        if (!data["id"].is_string())
                            throw LoadError("edge " + edge->name + " id must be a string");
                        explicit_id = data["id"].get<std::string>();
                    }
                    // No id given: minted when the row is written (encode_table), so a large
                    // batch does not hold a ULID string per edge.
                    t.ids.push_back(explicit_id ? *explicit_id : std::string());
                    t.src.push_back(record["from"].get<std::string>());
                    t.dst.push_back(record["to"].get<std::string>());
                    t.lines.push_back(number);
                    t.explicit_ids.push_back(explicit_id.has_value());
                }
                ++batch.rows;
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
        auto move_all = [](auto& to, auto& from) {
            to.insert(to.end(), std::make_move_iterator(from.begin()),
                      std::make_move_iterator(from.end()));
        };
        move_all(t.ids, part.ids);
        move_all(t.src, part.src);
        move_all(t.dst, part.dst);
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
