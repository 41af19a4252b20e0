// Diagnostics of the control plane (spec cluster §2.6, §15): every command reports what it found
// as a list of {code, severity, path, message}; any error-severity entry makes the command fail
// (exit 1) after its output is printed. Plain values.
#pragma once

#include "base/json.h"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace omnigraph::cluster {

struct Diagnostic {
    std::string code;
    bool error = true; // severity "error" | "warning"
    std::string path;  // a config path ("graphs.k.schema"), an address or a storage location
    std::string message;
};

class Diagnostics {
  public:
    void error(std::string_view code, std::string path, std::string message);
    void warn(std::string_view code, std::string path, std::string message);
    void add(Diagnostic d) { items_.push_back(std::move(d)); }
    void append(const Diagnostics& other);

    bool has_error() const;
    bool has_code(std::string_view code) const;
    bool empty() const { return items_.empty(); }
    const std::vector<Diagnostic>& items() const { return items_; }

  private:
    std::vector<Diagnostic> items_;
};

base::Json diagnostic_json(const Diagnostic& d);
base::Json diagnostics_json(const Diagnostics& d);
// "ERROR <code> <path>: <message>" / "WARN  <code> <path>: <message>".
std::string render_diagnostic(const Diagnostic& d);

} // namespace omnigraph::cluster
