// Strict JSON record reading: presence, type and range checks with one wording for every family.
#include "base/strict_record.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace omnigraph::base {

namespace {

// A value as messages show it: compact JSON, cut to a readable length.
std::string shown(const Json& v) {
    std::string s = to_compact_json(v);
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

// JSON integers only: nlohmann reads non-negative literals as unsigned, negative ones as signed.
bool is_integer(const Json& v) {
    return v.is_number_integer(); // true for both signed and unsigned
}

} // namespace

Result<StrictRecord> StrictRecord::of(const Json& json, std::string_view code, std::string name) {
    StrictRecord r(json, code, std::move(name), "");
    if (!json.is_object())
        return r.make("expected a JSON object, got " + shown(json));
    return r;
}

std::string StrictRecord::field_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

Error StrictRecord::make(std::string what) const {
    return Error(code_, name_.empty() ? std::move(what) : name_ + ": " + what);
}

Error StrictRecord::missing(std::string_view key) const {
    return make("missing field `" + field_path(key) + "`");
}

Error StrictRecord::wrong(std::string_view key, std::string_view expected, const Json& got) const {
    return make("field `" + field_path(key) + "` must be " + std::string(expected) + ", got " +
                shown(got));
}

Error StrictRecord::field_error(std::string_view key, std::string_view what) const {
    return make("field `" + field_path(key) + "` " + std::string(what));
}

Error StrictRecord::error(std::string_view what) const {
    return make(path_.empty() ? std::string(what) : "`" + path_ + "` " + std::string(what));
}

Status StrictRecord::only(std::initializer_list<std::string_view> allowed) const {
    for (auto it = json_->begin(); it != json_->end(); ++it)
        if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
            return make("unknown field `" + field_path(it.key()) + "`");
    return ok();
}

const Json* StrictRecord::find(std::string_view key) const {
    auto it = json_->find(key);
    return it == json_->end() ? nullptr : &*it;
}

bool StrictRecord::has(std::string_view key) const {
    const Json* v = find(key);
    return v && !v->is_null();
}

Result<const Json*> StrictRecord::required(std::string_view key) const {
    const Json* v = find(key);
    if (!v)
        return missing(key);
    return v;
}

Result<std::string> StrictRecord::string(std::string_view key) const {
    const Json* v = OG_TRY(required(key));
    if (!v->is_string())
        return wrong(key, "a string", *v);
    return v->get<std::string>();
}

Result<std::optional<std::string>> StrictRecord::optional_string(std::string_view key) const {
    if (!has(key))
        return std::optional<std::string>();
    return std::optional<std::string>(OG_TRY(string(key)));
}

Result<std::optional<std::string>> StrictRecord::nullable_string(std::string_view key) const {
    const Json* v = OG_TRY(required(key));
    if (v->is_null())
        return std::optional<std::string>();
    return std::optional<std::string>(OG_TRY(string(key)));
}

Result<uint64_t> StrictRecord::unsigned_integer(std::string_view key, uint64_t max) const {
    const Json* v = OG_TRY(required(key));
    std::string expected = max == std::numeric_limits<uint64_t>::max()
                               ? "an unsigned integer"
                               : "an unsigned integer up to " + std::to_string(max);
    if (!is_integer(*v) || (!v->is_number_unsigned() && v->get<int64_t>() < 0))
        return wrong(key, expected, *v);
    uint64_t u =
        v->is_number_unsigned() ? v->get<uint64_t>() : static_cast<uint64_t>(v->get<int64_t>());
    if (u > max)
        return wrong(key, expected, *v);
    return u;
}

Result<std::optional<uint64_t>>
StrictRecord::optional_unsigned_integer(std::string_view key) const {
    if (!has(key))
        return std::optional<uint64_t>();
    return std::optional<uint64_t>(OG_TRY(unsigned_integer(key)));
}

Result<int64_t> StrictRecord::integer(std::string_view key) const {
    const Json* v = OG_TRY(required(key));
    if (!is_integer(*v) ||
        (v->is_number_unsigned() &&
         v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())))
        return wrong(key, "a 64-bit integer", *v);
    return v->get<int64_t>();
}

Result<std::vector<std::string>> StrictRecord::strings(std::string_view key) const {
    const Json* v = OG_TRY(required(key));
    if (!v->is_array())
        return wrong(key, "an array of strings", *v);
    std::vector<std::string> out;
    out.reserve(v->size());
    for (size_t i = 0; i < v->size(); ++i) {
        const Json& item = (*v)[i];
        if (!item.is_string())
            return wrong(std::string(key) + "[" + std::to_string(i) + "]", "a string", item);
        out.push_back(item.get<std::string>());
    }
    return out;
}

Result<std::vector<std::string>> StrictRecord::optional_strings(std::string_view key) const {
    if (!has(key))
        return std::vector<std::string>();
    return strings(key);
}

Result<StrictRecord> StrictRecord::child(const Json& value, std::string path) const {
    StrictRecord r(value, code_, name_, std::move(path));
    if (!value.is_object())
        return make("field `" + r.path_ + "` must be an object, got " + shown(value));
    return r;
}

Result<std::vector<StrictRecord>> StrictRecord::objects(std::string_view key) const {
    const Json* v = OG_TRY(required(key));
    if (!v->is_array())
        return wrong(key, "an array", *v);
    std::vector<StrictRecord> out;
    out.reserve(v->size());
    for (size_t i = 0; i < v->size(); ++i)
        out.push_back(OG_TRY(child((*v)[i], field_path(key) + "[" + std::to_string(i) + "]")));
    return out;
}

Result<StrictRecord> StrictRecord::object(std::string_view key) const {
    const Json* v = OG_TRY(required(key));
    return child(*v, field_path(key));
}

Result<std::optional<StrictRecord>> StrictRecord::optional_object(std::string_view key) const {
    if (!has(key))
        return std::optional<StrictRecord>();
    return std::optional<StrictRecord>(OG_TRY(object(key)));
}

std::vector<std::pair<std::string, const Json*>> StrictRecord::members() const {
    std::vector<std::pair<std::string, const Json*>> out;
    for (auto it = json_->begin(); it != json_->end(); ++it)
        out.emplace_back(it.key(), &it.value());
    return out;
}

Result<StrictRecord> StrictRecord::member_object(const std::string& key) const {
    const Json* v = find(key);
    if (!v)
        return missing(key);
    return child(*v, field_path(key));
}

} // namespace omnigraph::base
