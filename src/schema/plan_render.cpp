// How a migration plan is shown (plan.h, spec schema-language §4.3, §4.5): step kinds, the JSON of
// steps and plans, the human plan lines, and types as plan lines spell them.
#include "schema/lint_codes.h"
#include "schema/plan.h"
#include "schema/shape.h"

#include <nlohmann/json.hpp>

namespace omnigraph::schema {

using base::Json;
using Kind = MigrationStep::Kind;

const char* MigrationStep::kind_name() const {
    switch (kind) {
    case Kind::kAddType:
        return "add_type";
    case Kind::kRenameType:
        return "rename_type";
    case Kind::kAddProperty:
        return "add_property";
    case Kind::kRenameProperty:
        return "rename_property";
    case Kind::kAddConstraint:
        return "add_constraint";
    case Kind::kExtendEnum:
        return "extend_enum";
    case Kind::kUpdateTypeMetadata:
        return "update_type_metadata";
    case Kind::kUpdatePropertyMetadata:
        return "update_property_metadata";
    case Kind::kDropType:
        return "drop_type";
    case Kind::kDropProperty:
        return "drop_property";
    case Kind::kUnsupported:
        return "unsupported_change";
    }
    return "unsupported_change";
}

namespace {

std::string tier_of(const std::string& code) {
    const LintCode* c = find_lint_code(code);
    return c ? std::string(c->tier) : "destructive";
}

} // namespace

std::string render_plan_type(const PropType& type) {
    std::string inner;
    if (type.enum_values) {
        inner = "Enum(";
        for (size_t i = 0; i < type.enum_values->size(); ++i)
            inner += (i ? "|" : "") + (*type.enum_values)[i];
        inner += ")";
    } else if (type.scalar == ScalarType::kVector) {
        inner = "Vector(" + std::to_string(type.vector_dim) + ")";
    } else {
        inner = scalar_name(type.scalar);
    }
    if (type.list)
        inner = "[" + inner + "]";
    return type.nullable ? inner + "?" : inner;
}

Json step_json(const MigrationStep& s) {
    Json j;
    j["kind"] = s.kind_name();
    auto annotations = [&] {
        Json out = Json::array();
        for (const auto& a : s.annotations)
            out.push_back(annotation_json(a));
        return out;
    };
    switch (s.kind) {
    case Kind::kAddType:
        j["type_kind"] = s.type_kind;
        j["name"] = s.name;
        break;
    case Kind::kRenameType:
        j["type_kind"] = s.type_kind;
        j["from"] = s.from;
        j["to"] = s.to;
        break;
    case Kind::kAddProperty:
        j["type_kind"] = s.type_kind;
        j["type_name"] = s.type_name;
        j["property_name"] = s.property_name;
        j["property_type"] = prop_type_json(s.property_type);
        break;
    case Kind::kRenameProperty:
        j["type_kind"] = s.type_kind;
        j["type_name"] = s.type_name;
        j["from"] = s.from;
        j["to"] = s.to;
        break;
    case Kind::kAddConstraint: {
        j["type_kind"] = s.type_kind;
        j["type_name"] = s.type_name;
        Json c;
        c["Index"] = s.index_columns;
        j["constraint"] = c;
        break;
    }
    case Kind::kExtendEnum:
        j["type_kind"] = s.type_kind;
        j["type_name"] = s.type_name;
        j["property_name"] = s.property_name;
        j["added_values"] = s.added_values;
        break;
    case Kind::kUpdateTypeMetadata:
        j["type_kind"] = s.type_kind;
        j["name"] = s.name;
        j["annotations"] = annotations();
        break;
    case Kind::kUpdatePropertyMetadata:
        j["type_kind"] = s.type_kind;
        j["type_name"] = s.type_name;
        j["property_name"] = s.property_name;
        j["annotations"] = annotations();
        break;
    case Kind::kDropType:
        j["type_kind"] = s.type_kind;
        j["name"] = s.name;
        j["mode"] = s.hard ? "hard" : "soft";
        break;
    case Kind::kDropProperty:
        j["type_kind"] = s.type_kind;
        j["type_name"] = s.type_name;
        j["property_name"] = s.property_name;
        j["mode"] = s.hard ? "hard" : "soft";
        break;
    case Kind::kUnsupported:
        j["entity"] = s.entity;
        j["reason"] = s.reason;
        if (!s.code.empty())
            j["code"] = s.code;
        break;
    }
    return j;
}

std::string render_plan(const MigrationPlan& plan, std::string_view uri) {
    std::string out = "schema plan for " + std::string(uri) +
                      "\nsupported: " + (plan.supported ? "yes" : "no") + "\n";
    if (plan.steps.empty())
        out += "no schema changes\n";
    for (const auto& s : plan.steps)
        out += "- " + render_step(s) + "\n";
    return out;
}

Json plan_json(const MigrationPlan& plan, std::string_view uri) {
    Json j;
    j["uri"] = uri;
    j["supported"] = plan.supported;
    j["step_count"] = plan.steps.size();
    Json steps = Json::array();
    for (const auto& s : plan.steps)
        steps.push_back(step_json(s));
    j["steps"] = steps;
    return j;
}

std::string render_step(const MigrationStep& s) {
    auto q = [](const std::string& x) { return "'" + x + "'"; };
    auto metadata = [&] {
        std::string out;
        for (size_t i = 0; i < s.annotations.size(); ++i) {
            const auto& a = s.annotations[i];
            out += (i ? ", " : "") + ("@" + a.name) + "(\"" + a.value.value_or("") + "\")";
        }
        return out;
    };
    std::string mode = s.hard ? "(hard mode)" : "(soft mode)";
    switch (s.kind) {
    case Kind::kAddType:
        return "add " + s.type_kind + " type " + q(s.name);
    case Kind::kRenameType:
        return "rename " + s.type_kind + " type " + q(s.from) + " -> " + q(s.to);
    case Kind::kAddProperty:
        return "add property " + q(s.type_name + "." + s.property_name) + " (" +
               render_plan_type(s.property_type) + ") on " + s.type_kind + " " + q(s.type_name);
    case Kind::kRenameProperty:
        return "rename property " + q(s.type_name + "." + s.from) + " -> " +
               q(s.type_name + "." + s.to) + " on " + s.type_kind + " " + q(s.type_name);
    case Kind::kAddConstraint: {
        std::string cols;
        for (size_t i = 0; i < s.index_columns.size(); ++i)
            cols += (i ? ", " : "") + s.index_columns[i];
        return "add constraint @index(" + cols + ") on " + s.type_kind + " " + q(s.type_name);
    }
    case Kind::kExtendEnum: {
        std::string values;
        for (size_t i = 0; i < s.added_values.size(); ++i)
            values += (i ? ", +" : "+") + s.added_values[i];
        return "extend enum " + q(s.type_name + "." + s.property_name) + " (" + values + ") on " +
               s.type_kind + " " + q(s.type_name);
    }
    case Kind::kUpdateTypeMetadata:
        return "update metadata on " + s.type_kind + " " + q(s.name) + " (" + metadata() + ")";
    case Kind::kUpdatePropertyMetadata:
        return "update metadata on property " + q(s.type_name + "." + s.property_name) + " of " +
               s.type_kind + " " + q(s.type_name) + " (" + metadata() + ")";
    case Kind::kDropType:
        return "drop " + s.type_kind + " type " + q(s.name) + " " + mode;
    case Kind::kDropProperty:
        return "drop property " + q(s.type_name + "." + s.property_name) + " of " + s.type_kind +
               " " + q(s.type_name) + " " + mode;
    case Kind::kUnsupported:
        if (!s.code.empty())
            return "unsupported change on " + s.entity + " [" + s.code + ", " + tier_of(s.code) +
                   "]: " + s.reason;
        return "unsupported change on " + s.entity + ": " + s.reason;
    }
    return {};
}

} // namespace omnigraph::schema
