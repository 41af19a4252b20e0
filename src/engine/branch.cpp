#include "engine/branch.h"

#include "base/json.h"
#include "base/record_seal.h"
#include "base/strict_record.h"
#include "format/manifest.h"

#include <nlohmann/json.hpp>

namespace omnigraph::engine {

using base::Json;

namespace {

bool segment_byte_ok(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c >= 0x80;
}

Error invalid_name(std::string_view name, const std::string& why) {
    return Error(codes::kInvalidArgument,
                 "invalid branch name '" + std::string(name) + "': " + why);
}

} // namespace

Result<std::string> normalize_branch_name(std::string_view name) {
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!name.empty() && is_space(name.front()))
        name.remove_prefix(1);
    while (!name.empty() && is_space(name.back()))
        name.remove_suffix(1);
    if (name.empty())
        return invalid_name(name, "it is empty");
    if (name.front() == '/' || name.back() == '/')
        return invalid_name(name, "it starts or ends with '/'");
    if (name.find("//") != std::string_view::npos)
        return invalid_name(name, "it contains '//'");
    if (name.find("..") != std::string_view::npos || name.find('\\') != std::string_view::npos)
        return invalid_name(name, "it contains '..' or '\\'");
    if (name.ends_with(".lock"))
        return invalid_name(name, "it ends with '.lock'");
    if (name.starts_with("__"))
        return invalid_name(name, "names starting with '__' are reserved");
    for (unsigned char c : name)
        if (c != '/' && !segment_byte_ok(c))
            return invalid_name(name, "only letters, digits, '.', '-', '_' and '/' are allowed");
    return std::string(name);
}

std::string branch_record_key(std::string_view name) {
    return "_branches/" + format::encode_branch(name) + ".json";
}

std::string branch_record_text(const BranchRecord& r) {
    Json j;
    j["name"] = r.name;
    j["from_branch"] = r.from_branch;
    j["from_version"] = r.from_version;
    j["from_commit_id"] = r.from_commit_id;
    j["actor_id"] = r.actor_id ? Json(*r.actor_id) : Json(nullptr);
    j["created_at"] = r.created_at;
    return base::seal_record(base::to_canonical_json(j));
}

Result<BranchRecord> parse_branch_record(std::string_view text, std::string_view where,
                                         base::Seal seal) {
    std::string name = "corrupt branch record " + std::string(where);
    bool sealed = OG_TRY(base::verify_record_seal(text, format::kManifestCorrupt, name));
    auto j = base::parse_json(text);
    auto corrupt = [&](const std::string& why) {
        return Error(format::kManifestCorrupt,
                     "corrupt branch record " + std::string(where) + ": " + why);
    };
    if (!j)
        return corrupt(j.error().message);
    auto record = OG_TRY(base::StrictRecord::of(*j, format::kManifestCorrupt, name));
    if (!sealed)
        OG_CHECK(base::check_unsealed(record, text, seal));
    BranchRecord r;
    r.name = OG_TRY(record.string("name"));
    r.from_branch = OG_TRY(record.string("from_branch"));
    r.from_version = OG_TRY(record.unsigned_integer("from_version"));
    r.from_commit_id = OG_TRY(record.string("from_commit_id"));
    r.actor_id = OG_TRY(record.nullable_string("actor_id"));
    r.created_at = OG_TRY(record.integer("created_at"));
    if (r.from_version == 0)
        return corrupt("from_version must be at least 1");
    return r;
}

bool branch_paths_collide(std::string_view a, std::string_view b) {
    if (a == b)
        return true;
    auto prefix_of = [](std::string_view p, std::string_view s) {
        return s.size() > p.size() && s.starts_with(p) && s[p.size()] == '/';
    };
    return prefix_of(a, b) || prefix_of(b, a);
}

} // namespace omnigraph::engine
