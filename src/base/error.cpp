#include "base/error.h"

#include "base/log.h"

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

void log_ignored_error(const Error& error, std::string_view why) {
    base::log(base::LogLevel::kWarn, "error.ignored",
              {{"why", why}, {"code", error.code}, {"message", error.message}});
}

} // namespace omnigraph
