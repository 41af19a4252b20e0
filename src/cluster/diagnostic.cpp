#include "cluster/diagnostic.h"

#include <nlohmann/json.hpp>

namespace omnigraph::cluster {

void Diagnostics::error(std::string_view code, std::string path, std::string message) {
    items_.push_back({std::string(code), true, std::move(path), std::move(message)});
}

void Diagnostics::warn(std::string_view code, std::string path, std::string message) {
    items_.push_back({std::string(code), false, std::move(path), std::move(message)});
}

void Diagnostics::append(const Diagnostics& other) {
    items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_error() const {
    for (const auto& d : items_)
        if (d.error)
            return true;
    return false;
}

bool Diagnostics::has_code(std::string_view code) const {
    for (const auto& d : items_)
        if (d.code == code)
            return true;
    return false;
}

base::Json diagnostic_json(const Diagnostic& d) {
    base::Json j;
    j["code"] = d.code;
    j["severity"] = d.error ? "error" : "warning";
    j["path"] = d.path;
    j["message"] = d.message;
    return j;
}

base::Json diagnostics_json(const Diagnostics& d) {
    base::Json out = base::Json::array();
    for (const auto& item : d.items())
        out.push_back(diagnostic_json(item));
    return out;
}

std::string render_diagnostic(const Diagnostic& d) {
    return std::string(d.error ? "ERROR " : "WARN  ") + d.code + " " + d.path + ": " + d.message;
}

} // namespace omnigraph::cluster
