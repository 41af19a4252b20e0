// Diagnostics of the schema language: a spec code (PG-*, OG-*), a severity, a message and a
// position, rendered like a compiler ("file:line:col: error[CODE]: message" plus the source
// line and a caret) or as JSON.
#pragma once

#include "base/error.h"
#include "schema/ast.h"

#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::schema {

enum class Severity { kError, kWarning, kInfo };

struct Diagnostic {
    std::string code;
    Severity severity = Severity::kError;
    std::string message;
    SourceLocation location; // file may be empty for in-memory sources

    Error to_error() const { return Error(code, message, location); }
    // The error diagnostic an Error stands for (no location: line 0, rendered without excerpt).
    static Diagnostic from_error(const Error& e) {
        return Diagnostic{e.code, Severity::kError, e.message,
                          e.location.value_or(SourceLocation{})};
    }
};

const char* severity_name(Severity s); // "error" | "warning" | "info"

// "file:line:col: error[CODE]: message\n  12 | source line\n     |      ^\n".
std::string render_diagnostic(const Diagnostic& d, std::string_view source);

} // namespace omnigraph::schema
