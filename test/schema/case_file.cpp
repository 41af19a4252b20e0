#include "case_file.h"

#include <fstream>
#include <set>

namespace omnigraph::testing {
namespace {

const std::set<std::string> kSourceSections = {
    "schema", "variant", "same-ir-as", "from",    "via",   "to",   "init",    "tamper",
    "apply",  "plan",    "ir",         "from-ir", "to-ir", "data", "branches"};

void finish(CaseSection& s) {
    if (kSourceSections.count(s.name)) {
        while (!s.lines.empty() && s.lines.back().find_first_not_of(" \t\r") == std::string::npos)
            s.lines.pop_back();
        for (const auto& l : s.lines)
            s.text += l + "\n";
    }
}

} // namespace

const CaseSection* SchemaCase::section(const std::string& n) const {
    for (const auto& s : sections)
        if (s.name == n)
            return &s;
    return nullptr;
}

std::vector<const CaseSection*> SchemaCase::all(const std::string& n) const {
    std::vector<const CaseSection*> out;
    for (const auto& s : sections)
        if (s.name == n)
            out.push_back(&s);
    return out;
}

std::vector<SchemaCase> load_case_file(const std::string& path) {
    std::ifstream in(path);
    std::vector<SchemaCase> cases;
    std::string line;
    std::string file = path.substr(path.rfind('/') + 1);
    while (std::getline(in, line)) {
        if (line.starts_with("# case: ")) {
            if (!cases.empty() && !cases.back().sections.empty())
                finish(cases.back().sections.back());
            cases.push_back({file, line.substr(8), {}, {}});
            continue;
        }
        if (cases.empty())
            continue;
        SchemaCase& c = cases.back();
        if (line.starts_with("--- ")) {
            if (!c.sections.empty())
                finish(c.sections.back());
            CaseSection s;
            std::string head = line.substr(4);
            auto colon = head.find(':');
            s.name = head.substr(0, colon);
            if (colon != std::string::npos) {
                s.arg = head.substr(colon + 1);
                s.arg.erase(0, s.arg.find_first_not_of(' '));
            }
            c.sections.push_back(std::move(s));
            continue;
        }
        if (c.sections.empty()) {
            if (line.starts_with("# ")) {
                auto colon = line.find(':');
                if (colon != std::string::npos) {
                    std::string value = line.substr(colon + 1);
                    value.erase(0, value.find_first_not_of(' '));
                    c.headers[line.substr(2, colon - 2)] = value;
                }
            }
            continue;
        }
        CaseSection& s = c.sections.back();
        if (kSourceSections.count(s.name)) {
            s.lines.push_back(line);
        } else if (line.find_first_not_of(" \t\r") != std::string::npos && !line.starts_with("#")) {
            s.lines.push_back(line);
        }
    }
    if (!cases.empty() && !cases.back().sections.empty())
        finish(cases.back().sections.back());
    return cases;
}

} // namespace omnigraph::testing
