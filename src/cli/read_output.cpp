#include "cli/read_output.h"

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

namespace omnigraph::cli {

namespace {

std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string table_cell(const std::string& s) {
    std::string out;
    for (char c : s)
        out += c == '\n' ? std::string("\\n") : std::string(1, c);
    constexpr size_t kMaxWidth = 80;
    if (out.size() > kMaxWidth)
        out = out.substr(0, kMaxWidth - 3) + "...";
    return out;
}

// A JSON cell as the local renderer shows a value: strings bare, the rest as JSON.
std::string display(const base::Json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

} // namespace

void print_rows_text(const RowsText& r, const std::string& format) {
    if (format == "csv") {
        for (size_t i = 0; i < r.columns.size(); ++i)
            std::cout << (i ? "," : "") << csv_cell(r.columns[i]);
        std::cout << "\n";
        for (const auto& row : r.cells) {
            for (size_t i = 0; i < row.size(); ++i)
                std::cout << (i ? "," : "") << csv_cell(row[i]);
            std::cout << "\n";
        }
        return;
    }
    if (format == "kv") {
        if (r.cells.empty()) {
            std::cout << "(no rows)\n";
            return;
        }
        for (size_t i = 0; i < r.cells.size(); ++i) {
            std::cout << "row " << i + 1 << "\n";
            for (size_t c = 0; c < r.cells[i].size(); ++c)
                std::cout << "  " << r.columns[c] << ": " << table_cell(r.cells[i][c]) << "\n";
        }
        return;
    }
    std::cout << r.header << "\n";
    if (r.columns.empty()) {
        std::cout << "(no rows)\n";
        return;
    }
    std::vector<size_t> width;
    width.reserve(r.columns.size());
    std::vector<std::string> header;
    header.reserve(r.columns.size());
    for (const auto& c : r.columns) {
        header.push_back(table_cell(c));
        width.push_back(header.back().size());
    }
    std::vector<std::vector<std::string>> cells = r.cells;
    for (auto& row : cells)
        for (size_t i = 0; i < row.size(); ++i) {
            row[i] = table_cell(row[i]);
            width[i] = std::max(width[i], row[i].size());
        }
    auto line = [&](const std::vector<std::string>& values) {
        for (size_t i = 0; i < values.size(); ++i) {
            std::string v = values[i];
            if (i + 1 < values.size())
                v.resize(width[i], ' '); // no trailing spaces after the last column
            std::cout << (i ? " | " : "") << v;
        }
        std::cout << "\n";
    };
    line(header);
    for (size_t i = 0; i < width.size(); ++i)
        std::cout << (i ? "-+-" : "") << std::string(width[i], '-');
    std::cout << "\n";
    for (const auto& row : cells)
        line(row);
}

void print_read_output(const base::Json& out, const std::string& format) {
    if (format == "json") {
        std::cout << base::to_pretty_json(out);
        return;
    }
    if (out.contains("affected_nodes")) { // a stored mutation's ChangeOutput
        std::cout << "changed " << out.value("branch", "") << " via " << out.value("query_name", "")
                  << ": " << out["affected_nodes"] << " nodes, " << out["affected_edges"]
                  << " edges\n";
        if (out.contains("actor_id") && out["actor_id"].is_string())
            std::cout << "actor_id: " << out["actor_id"].get<std::string>() << "\n";
        return;
    }
    const base::Json empty = base::Json::array();
    const base::Json& rows = out.contains("rows") ? out["rows"] : empty;
    if (format == "jsonl") {
        base::Json meta = base::Json::object({{"kind", "metadata"},
                                              {"query_name", out.value("query_name", "")},
                                              {"target", out.value("target", base::Json())},
                                              {"row_count", rows.size()}});
        std::cout << meta.dump() << "\n";
        for (const auto& row : rows)
            std::cout << row.dump() << "\n";
        return;
    }
    RowsText text;
    if (out.contains("columns"))
        for (const auto& c : out["columns"])
            text.columns.push_back(c.get<std::string>());
    for (const auto& row : rows) {
        text.cells.emplace_back();
        for (const auto& c : text.columns)
            text.cells.back().push_back(row.contains(c) ? display(row[c]) : "null");
    }
    const base::Json target = out.value("target", base::Json::object());
    std::string where = target.contains("snapshot") && target["snapshot"].is_string()
                            ? "snapshot " + target["snapshot"].get<std::string>()
                            : "branch " + (target.contains("branch") && target["branch"].is_string()
                                               ? target["branch"].get<std::string>()
                                               : std::string("main"));
    text.header =
        std::to_string(rows.size()) + " rows from " + where + " via " + out.value("query_name", "");
    print_rows_text(text, format);
}

} // namespace omnigraph::cli
