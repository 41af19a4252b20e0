// The IrBuilder behind build_ir (ir.h) and the two views of a declaration it works on: the
// accepted side (from the accepted IR) and the desired side (from the compiled schema). Its
// identity resolution and id allocation are in ir_identity.cpp, the assembly of the IR records
// in ir_build.cpp. Internal to the schema layer.
#pragma once

#include "schema/ir.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omnigraph::schema::detail {

enum class Kind { kInterface = 0, kNode = 1, kEdge = 2 };

// The accepted side of one declaration, seen uniformly.
struct AcceptedType {
    Kind kind;
    std::string name;
    uint64_t type_id = 0;
    uint64_t incarnation = 0;
    const std::vector<IrProperty>* properties = nullptr;
};

// The desired side of one declaration during resolution.
struct DesiredType {
    Kind kind;
    const std::string* name = nullptr;
    const std::vector<PropertyDef>* properties = nullptr;
    const std::optional<std::string>* rename_from = nullptr;
    Span span;
    uint64_t type_id = 0;
    uint64_t incarnation = 0;
    const AcceptedType* accepted = nullptr;
    std::map<std::string, uint64_t> property_ids; // by desired property name
};

class IrBuilder {
  public:
    IrBuilder(const Schema& desired, const SchemaIr* accepted, std::string_view domain)
        : desired_(desired), accepted_(accepted) {
        out_.ir.schema_identity_domain =
            accepted ? accepted->schema_identity_domain : std::string(domain);
        counter_ = accepted ? accepted->next_identity_id : 1;
    }

    Result<IrBuild> run(); // ir_build.cpp: the steps in order

  private:
    Error error(std::string_view code, std::string message, Span span) const {
        return Error(code, std::move(message),
                     SourceLocation{desired_.source_file, span.line, span.column});
    }
    void warn(std::string_view code, std::string message, Span span) {
        out_.warnings.push_back(
            Diagnostic{std::string(code), Severity::kWarning, std::move(message),
                       SourceLocation{desired_.source_file, span.line, span.column}});
    }

    // ---- identity resolution and allocation (ir_identity.cpp) ---------------------------
    Result<uint64_t> allocate();
    void collect();
    const AcceptedType* find_accepted(Kind kind, const std::string& name) const;
    Status resolve_types();
    Status allocate_types();
    Status resolve_properties();
    Status allocate_properties();
    Status allocate_incarnations();

    // ---- assembly of the IR records (ir_build.cpp) --------------------------------------
    const DesiredType& desired_type(Kind kind, const std::string& name) const;
    PropertyRef ref(const DesiredType& owner, const std::string& property) const;
    std::vector<IrProperty> properties(const DesiredType& t) const;
    IrField field(const DesiredType& t, const std::string& column) const;
    std::vector<IrConstraint> constraints(const DesiredType& t,
                                          const std::vector<Constraint>& cs) const;
    void assemble();

    const Schema& desired_;
    const SchemaIr* accepted_;
    const std::optional<std::string> no_hint_;
    std::vector<DesiredType> types_;
    mutable std::map<std::pair<int, std::string>, const DesiredType*> type_index_;
    std::vector<AcceptedType> accepted_types_;
    uint64_t counter_ = 1;
    IrBuild out_;
};

} // namespace omnigraph::schema::detail
