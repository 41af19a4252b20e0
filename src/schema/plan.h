// Migration planning (spec schema-language §4): compare an accepted IR with a desired IR (built
// from the desired source against the accepted one, see ir.h) and list the ordered steps that
// take a graph from one to the other. Unsupported changes become `unsupported_change` steps
// (with OG-MF-103 / OG-MF-106 where the spec gives a code); `supported` is false when any exists.
// Pure functions; thread-safe.
#pragma once

#include "base/error.h"
#include "base/json.h"
#include "schema/ir.h"

#include <optional>
#include <string>
#include <vector>

namespace omnigraph::schema {

struct MigrationStep {
    enum class Kind {
        kAddType,
        kRenameType,
        kAddProperty,
        kRenameProperty,
        kAddConstraint,
        kExtendEnum,
        kUpdateTypeMetadata,
        kUpdatePropertyMetadata,
        kDropType,
        kDropProperty,
        kUnsupported
    };
    Kind kind = Kind::kUnsupported;
    std::string type_kind;     // "interface" | "node" | "edge"
    std::string name;          // add_type, drop_type, update_type_metadata
    std::string type_name;     // property-level steps, add_constraint
    std::string property_name; // add/drop property, extend_enum, update_property_metadata
    std::string from, to;      // renames
    PropType property_type;    // add_property
    std::vector<std::string> index_columns;   // add_constraint (always an index)
    std::vector<std::string> added_values;    // extend_enum
    std::vector<AnnotationValue> annotations; // metadata steps: the full desired list
    bool hard = false;                        // drops: soft unless data loss is allowed
    std::string entity, reason, code;         // unsupported_change

    const char* kind_name() const; // "add_type", ...
    friend bool operator==(const MigrationStep&, const MigrationStep&) = default;
};

struct MigrationPlan {
    bool supported = true;
    std::vector<MigrationStep> steps;
};

// Fails (PG-EVO-008) only when the two IRs cannot be compared (different identity domains).
Result<MigrationPlan> plan_migration(const SchemaIr& accepted, const SchemaIr& desired,
                                     bool allow_data_loss = false);

// The identity guards plan_migration runs first (PG-EVO-008).
Status check_identity_guards(const SchemaIr& accepted, const SchemaIr& desired);

base::Json step_json(const MigrationStep& step);
std::string render_step(const MigrationStep& step); // one human line, without "- "
// The human plan: "schema plan for <uri>", "supported: yes|no", then "- <step>" lines or
// "no schema changes" (spec §4.5).
std::string render_plan(const MigrationPlan& plan, std::string_view uri);
// {"uri","supported","step_count","steps"}.
base::Json plan_json(const MigrationPlan& plan, std::string_view uri);
// "I32", "[String]?", "Vector(3)", "Enum(a|b)": the type as plan lines show it.
std::string render_plan_type(const PropType& type);

} // namespace omnigraph::schema
