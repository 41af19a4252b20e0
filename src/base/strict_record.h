// Strict reading of a JSON record a layer stored (cluster ledger, lock, recovery sidecars and
// approvals; manifests and commit records; pending-operation records; branch records).
//
// A StrictRecord is a view of one JSON object inside a record: the record's error code, its name
// as messages give it ("lock.json", "corrupt manifest s3://…/_log/main/….json"), and the path of
// the object in the record ("" at the top, "applied_revision.resources.graph.k",
// "tables[2].segments[0]"). Every getter checks presence, JSON type and integer range, and fails
// with an Error carrying the record's code and a message naming the record, the field path and
// what was expected:
//
//   <name>: missing field `tables[0].rows`
//   <name>: field `pid` must be an unsigned integer up to 4294967295, got 4294967296
//   <name>: unknown field `applied_revision.extra`
//
// (just the part after "<name>: " when the name is empty). Integers are never read from floats
// or strings. Unknown keys are an error only where a family asks for it (only()).
//
// A view refers to the JSON it reads, which must outlive it; plain value, thread-compatible.
#pragma once

#include "base/error.h"
#include "base/json.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omnigraph::base {

class StrictRecord {
  public:
    // The top-level view of a record; `json` must be an object.
    static Result<StrictRecord> of(const Json& json, std::string_view code, std::string name);

    // Unknown keys: any key not in `allowed` is an error.
    Status only(std::initializer_list<std::string_view> allowed) const;

    // Whether `key` is present and not null.
    bool has(std::string_view key) const;
    // The raw value of `key`, or null when absent (for checks a family words itself).
    const Json* find(std::string_view key) const;

    // Strings. required: present and a string. optional: absent or null is nullopt. nullable:
    // present, null is nullopt.
    Result<std::string> string(std::string_view key) const;
    Result<std::optional<std::string>> optional_string(std::string_view key) const;
    Result<std::optional<std::string>> nullable_string(std::string_view key) const;

    // Integers (JSON integers only, within range).
    Result<uint64_t> unsigned_integer(std::string_view key,
                                      uint64_t max = std::numeric_limits<uint64_t>::max()) const;
    Result<std::optional<uint64_t>> optional_unsigned_integer(std::string_view key) const;
    Result<int64_t> integer(std::string_view key) const;

    // Arrays: of strings (required / absent-or-null is empty), or of objects (required).
    Result<std::vector<std::string>> strings(std::string_view key) const;
    Result<std::vector<std::string>> optional_strings(std::string_view key) const;
    Result<std::vector<StrictRecord>> objects(std::string_view key) const;

    // Nested objects: required, or nullopt when absent or null.
    Result<StrictRecord> object(std::string_view key) const;
    Result<std::optional<StrictRecord>> optional_object(std::string_view key) const;
    // The members of this object, each value as a view at `path.key` (the value is checked to
    // be an object only when read as one: use member_object()).
    std::vector<std::pair<std::string, const Json*>> members() const;
    Result<StrictRecord> member_object(const std::string& key) const;

    // Errors worded as above, for checks the family makes itself: "<name>: field `<path.key>`
    // <what>" and "<name>: <what>" (or "<name>: `<path>` <what>" below the top level).
    Error field_error(std::string_view key, std::string_view what) const;
    Error error(std::string_view what) const;

    const Json& json() const { return *json_; }
    const std::string& path() const { return path_; }
    std::string_view code() const { return code_; }

  private:
    StrictRecord(const Json& json, std::string_view code, std::string name, std::string path)
        : json_(&json), code_(code), name_(std::move(name)), path_(std::move(path)) {}
    std::string field_path(std::string_view key) const;
    Error make(std::string what) const;
    Error missing(std::string_view key) const;
    Error wrong(std::string_view key, std::string_view expected, const Json& got) const;
    Result<const Json*> required(std::string_view key) const;
    Result<StrictRecord> child(const Json& value, std::string path) const;

    const Json* json_;
    std::string code_;
    std::string name_;
    std::string path_;
};

} // namespace omnigraph::base
