// Reading the conformance case files in test/schema/cases (format: test/schema/README.md).
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace omnigraph::testing {

struct CaseSection {
    std::string name;               // "schema", "expect", "check", ...
    std::string arg;                // "ok" in "--- expect: ok"
    std::vector<std::string> lines; // source sections: verbatim; others: no blanks or # lines
    std::string text;               // source sections: lines joined with '\n' (+ final '\n')
};

struct SchemaCase {
    std::string file;
    std::string name;
    std::map<std::string, std::string> headers;
    std::vector<CaseSection> sections;

    const CaseSection* section(const std::string& name) const;
    std::vector<const CaseSection*> all(const std::string& name) const;
};

std::vector<SchemaCase> load_case_file(const std::string& path);

// How GoogleTest (and so ctest) names a case: "validation.test: B26-two-property-keys".
inline void PrintTo(const SchemaCase& c, std::ostream* os) {
    *os << c.file << ": " << c.name;
}

} // namespace omnigraph::testing
