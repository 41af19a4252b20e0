#include "base/error.h"

namespace omnigraph {

std::string SourceLocation::to_string() const {
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Error& Error::prepend(std::string_view context) {
    message = std::string(context) + ": " + message;
    return *this;
}

std::string Error::to_string() const {
    std::string out;
    if (location) {
        out += location->to_string();
        out += ": ";
    }
    out += "error[";
    out += code;
    out += "]: ";
    out += message;
    return out;
}

} // namespace omnigraph
