#include "schema/diagnostic.h"

namespace omnigraph::schema {

const char* severity_name(Severity s) {
    switch (s) {
    case Severity::kError:
        return "error";
    case Severity::kWarning:
        return "warning";
    case Severity::kInfo:
        return "info";
    }
    return "error";
}

const char* scalar_name(ScalarType scalar) {
    switch (scalar) {
    case ScalarType::kString:
        return "String";
    case ScalarType::kBool:
        return "Bool";
    case ScalarType::kI32:
        return "I32";
    case ScalarType::kI64:
        return "I64";
    case ScalarType::kU32:
        return "U32";
    case ScalarType::kU64:
        return "U64";
    case ScalarType::kF32:
        return "F32";
    case ScalarType::kF64:
        return "F64";
    case ScalarType::kDate:
        return "Date";
    case ScalarType::kDateTime:
        return "DateTime";
    case ScalarType::kBlob:
        return "Blob";
    case ScalarType::kVector:
        return "Vector";
    }
    return "String";
}

std::string render_diagnostic(const Diagnostic& d, std::string_view source) {
    std::string out;
    const auto& loc = d.location;
    out += (loc.file.empty() ? std::string("<schema>") : loc.file) + ":" +
           std::to_string(loc.line) + ":" + std::to_string(loc.column) + ": " +
           severity_name(d.severity) + "[" + d.code + "]: " + d.message + "\n";
    // The source line and a caret under the column.
    int line = 1;
    size_t start = 0;
    while (line < loc.line && start < source.size()) {
        size_t nl = source.find('\n', start);
        if (nl == std::string_view::npos) {
            start = source.size();
            break;
        }
        start = nl + 1;
        ++line;
    }
    if (line != loc.line || loc.line <= 0)
        return out;
    size_t end = source.find('\n', start);
    std::string_view text = source.substr(start, end == std::string_view::npos ? end : end - start);
    if (!text.empty() && text.back() == '\r')
        text.remove_suffix(1);
    std::string number = std::to_string(loc.line);
    out += "  " + number + " | " + std::string(text) + "\n";
    out += "  " + std::string(number.size(), ' ') + " | ";
    for (int i = 1; i < loc.column && static_cast<size_t>(i - 1) < text.size(); ++i)
        out += text[i - 1] == '\t' ? '\t' : ' ';
    out += "^\n";
    return out;
}

} // namespace omnigraph::schema
